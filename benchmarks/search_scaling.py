"""Search on the workers: does a search workload scale from 1 to 2 Celery workers, and keep up with embedded?

The same search (`batt run --dataset arcagi1 --split evaluation --limit TASKS --budget BUDGET --seed 0 --fresh
--json`: the typed search at that budget, the default depth and keep) through four setups, each one whole `batt run`
process (start, imports, data loading, dispatch and following included: whole-process, cold) on its own
fresh database whose schema is made before the timing:
- embedded --jobs 1 and embedded --jobs 2: no BATT_BROKER_URL, a SQLite file in a temporary folder;
- celery, 1 worker and celery, 2 workers (concurrency 1 each): a PostgreSQL database made and dropped here, a
  private BATT_QUEUE, workers started with `batt workers start --count N` before the run (a warm process
  each, waited for until `batt workers` lists them) and stopped after it.
Per setup: the run process's wall seconds, the counts from its JSON summary, the run process's own CPU
seconds (its whole process tree: getrusage(RUSAGE_CHILDREN) around it, or sampled from /proc where its search
pool's forkserver outlives it, whichever is larger) and that CPU's share of the run's total (run process +
the workers' process trees, from /proc/<pid>/stat before and after). Embedded runs do all their work in the
run process, so their share is 100%. "other busy cores" is what the machine's cores did meanwhile besides
those processes: PostgreSQL, Redis, and anything else running on this shared machine (a noisy run shows there).
Ratios compare the fastest run of each setup measured here, and (with --repeat) their median runs: on a shared
machine a single slow spell moves one setup's fastest run, the median less.

Then, with the 2 workers of the first round still running: `batt run --split evaluation --detach --json` over
all 400 evaluation tasks (goal: back in under 5 s), and right after it `batt cancel RUN`, so the workers stop;
then the same with BATT_SEARCH_WINDOW=16, which spares `runs.dispatch` its 2 s broadcast asking the live
workers for their slots (celery's inspect waits its whole timeout for replies).

--repeat N runs N rounds, the setups in order, then in reverse order, and so on: a slow spell of the shared
machine costs every setup alike. Goals: 2 workers >= 1.8x 1 worker, 2 workers >= 0.95x embedded --jobs 2,
every setup the same number of correct tasks.

Usage: python benchmarks/search_scaling.py [--tasks 40] [--budget 8000] [--repeat 1] [--no-detach]
                                            [--setups e1,e2,c1,c2]
       (a quick run: --tasks 6; the 400-task equality of Celery and embedded:
        --tasks 400 --setups e2,c2 --no-detach)
Needs PostgreSQL (BATT_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres) and
Redis (BATT_BENCH_REDIS, default redis://127.0.0.1:6379/8; only keys named after its own queues and workers are
deleted).
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from harness import REDIS_URL, TreeSampler, cpu_jiffies, forget_keys, throwaway_database, tree_cpu_seconds
from rich.console import Console
from rich.table import Table

BATT = [sys.executable, "-c", "from batt_tasks.cli import main; main()"]
SAMPLE_SECONDS = 0.5  # /proc walks of an embedded run's tree: often enough for its long-lived children


@dataclass(frozen=True)
class Setup:
    key: str  # what --setups names it by
    name: str
    workers: int  # 0: embedded
    jobs: int = 1


SETUPS = [
    Setup("e1", "embedded --jobs 1", 0, jobs=1),
    Setup("e2", "embedded --jobs 2", 0, jobs=2),
    Setup("c1", "celery, 1 worker", 1),
    Setup("c2", "celery, 2 workers", 2),
]


def batt(*args: str, env: dict[str, str], timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BATT, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def checked(done: subprocess.CompletedProcess[str], what: str) -> str:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def clean_environment(**batt_settings: str) -> dict[str, str]:
    """This process's environment without any BATT_ variable, plus the ones given."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BATT_")} | batt_settings


@dataclass(frozen=True)
class Timed:
    """One `batt` process: wall seconds, CPU seconds of its process tree, the whole machine's busy cores
    meanwhile (this benchmark's workers, PostgreSQL, Redis and anyone else's work included), its stdout."""

    wall: float
    cpu: float
    busy_cores: float
    stdout: str


def timed_run(args: list[str], env: dict[str, str], sample: bool) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine = cpu_jiffies()
    started = time.perf_counter()
    process = subprocess.Popen([*BATT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    if sample:
        while process.poll() is None:
            sampler.sample()
            time.sleep(SAMPLE_SECONDS)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    busy, total = (now - then for now, then in zip(cpu_jiffies(), machine, strict=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise RuntimeError(f"batt {' '.join(args)} failed ({process.returncode}):\n{stderr[-3000:]}")
    cores = (os.cpu_count() or 1) * busy / max(total, 1)
    return Timed(wall, max(reaped, sampler.seconds), cores, stdout)


class Workers:
    """`batt workers start --count N` on a private queue and host name, their pids, and `batt workers stop`."""

    def __init__(self, env: dict[str, str], count: int, host: str) -> None:
        self.env, self.count, self.host = env, count, host
        self.pids: list[int] = []

    def start(self, seconds: float = 90) -> None:
        checked(batt("workers", "start", "--count", str(self.count), "--concurrency", "1", env=self.env),
                "batt workers start")  # fmt: skip
        deadline = time.monotonic() + seconds
        # A wide table so no worker's name wraps; only names on this benchmark's host name count.
        listing = {**self.env, "COLUMNS": "300"}
        while len(set(re.findall(rf"gpu\d+@{re.escape(self.host)}", batt("workers", env=listing).stdout))) < self.count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.count} workers did not answer within {seconds:.0f} s")
            time.sleep(1)
        state = Path(self.env["BATT_STATE_DIR"])
        self.pids = [int((state / f"gpu{device}.pid").read_text()) for device in range(self.count)]

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pids)

    def stop(self) -> float:
        """Stops them; returns how long that took (a worker finishes its running job first)."""
        started = time.perf_counter()
        batt("workers", "stop", "--grace", "30", env=self.env)
        return time.perf_counter() - started


@contextmanager
def celery_environment(workers: int, prefix: str, host: str, client: redis.Redis) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database, a private queue and state folder, and the workers' environment; the
    database, the folder and the Redis keys named after the queue and the workers are gone afterwards."""
    queue = f"{prefix}-w{workers}-{uuid.uuid4().hex[:6]}"
    state = Path(tempfile.mkdtemp(prefix=f"{queue}-"))
    keys_before = set(client.scan_iter())
    with throwaway_database() as url:
        env = clean_environment(BATT_DATABASE_URL=url, BATT_BROKER_URL=REDIS_URL, BATT_QUEUE=queue,
                                BATT_STATE_DIR=str(state), BATT_HOSTNAME=host)  # fmt: skip
        try:
            yield env
        finally:
            batt("workers", "stop", "--grace", "10", env=env)
            forget_keys(client, keys_before, [queue.encode(), f"@{host}".encode()])
            shutil.rmtree(state, ignore_errors=True)


def measure_setup(setup: Setup, args: argparse.Namespace, prefix: str, host: str, client: redis.Redis,
                  detach: bool) -> dict:  # fmt: skip
    run_args = ["run", "--dataset", "arcagi1", "--split", "evaluation", "--limit", str(args.tasks),
                "--budget", str(args.budget), "--seed", "0", "--fresh", "--json"]  # fmt: skip
    figures: dict = {"setup": setup.name}
    if setup.workers == 0:
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-embedded-") as folder:
            env = clean_environment(BATT_DATABASE_URL=f"sqlite:///{Path(folder) / 'batt.db'}")
            checked(batt("db", "upgrade", env=env), "batt db upgrade")
            timed = timed_run([*run_args, "--jobs", str(setup.jobs)], env, sample=True)
        workers_cpu = 0.0
    else:
        with celery_environment(setup.workers, prefix, host, client) as env:
            checked(batt("db", "upgrade", env=env), "batt db upgrade")
            workers = Workers(env, setup.workers, host)
            workers.start()
            before = workers.cpu_seconds()
            timed = timed_run(run_args, env, sample=False)
            workers_cpu = workers.cpu_seconds() - before
            if detach:
                figures["detach"] = detach_and_cancel(env)
            figures["stop_seconds"] = workers.stop()
    summary = json.loads(timed.stdout.strip().splitlines()[-1])
    if summary["status"] != "finished":
        raise RuntimeError(f"{setup.name}: the run ended {summary['status']}")
    search = summary.get("search") or {}
    cpu = timed.cpu
    return figures | {
        "wall_seconds": timed.wall,
        "tasks": summary["tasks"],
        "solved": summary["solved"],
        "correct": summary["correct"],
        "evaluated": summary["evaluated"],
        "search_seconds": search.get("search_seconds"),
        "producer_cpu_seconds": cpu,
        "workers_cpu_seconds": workers_cpu,
        "producer_cpu_share": cpu / (cpu + workers_cpu) if cpu + workers_cpu else 1.0,
        # What the machine's cores did besides this run's processes: PostgreSQL, Redis, and other load.
        "other_cores": max(0.0, timed.busy_cores - (cpu + workers_cpu) / timed.wall),
    }


def detach_and_cancel(env: dict[str, str]) -> dict:
    """`batt run --detach` over all 400 evaluation tasks with the workers running, then `batt cancel` it; again
    with BATT_SEARCH_WINDOW set, which spares dispatch its broadcast asking the workers for their slots."""
    figures: dict = {}
    for name, extra in (("default", {}), ("window_set", {"BATT_SEARCH_WINDOW": "16"})):
        args = ["run", "--dataset", "arcagi1", "--split", "evaluation", "--fresh", "--detach", "--json"]
        timed = timed_run(args, env | extra, sample=False)
        summary = json.loads(timed.stdout.strip().splitlines()[-1])
        started = time.perf_counter()
        said = checked(batt("cancel", str(summary["run_id"]), env=env), "batt cancel")
        cancel = time.perf_counter() - started
        if "cancelled" not in said:
            raise RuntimeError(f"batt cancel did not cancel run {summary['run_id']}: {said.strip()}")
        figures[name] = {"tasks": summary["tasks"], "wall_seconds": timed.wall, "cpu_seconds": timed.cpu,
                         "cancel_seconds": cancel}  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=40, help="the first N ARC-AGI-1 evaluation tasks")
    parser.add_argument("--budget", type=int, default=8000, help="programs the search tries per task")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all four setups, alternately reversed")
    parser.add_argument("--no-detach", action="store_true", help="skip the --detach and cancel timing")
    parser.add_argument(
        "--setups", default="e1,e2,c1,c2", help="by key: e1, e2 (embedded --jobs 1, 2), c1, c2 (celery, 1 or 2 workers)"
    )
    args = parser.parse_args()
    chosen = [setup for setup in SETUPS if setup.key in args.setups.split(",")]
    if not chosen:
        parser.error(f"--setups {args.setups!r} names none of e1, e2, c1, c2")

    # A SIGTERM (or a closed terminal) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    prefix = f"batt-scaling-{uuid.uuid4().hex[:6]}"
    host = prefix  # the workers' -n gpuN@HOST: names no other worker on the broker has
    client = redis.Redis.from_url(REDIS_URL)
    console = Console(stderr=True)
    rows = []
    started = time.perf_counter()
    for round_number in range(args.repeat):
        order = chosen if round_number % 2 == 0 else chosen[::-1]
        for setup in order:
            detach = round_number == 0 and setup.workers == 2 and not args.no_detach
            console.print(f"round {round_number + 1}: {setup.name} ...", highlight=False)
            row = measure_setup(setup, args, prefix, host, client, detach) | {"round": round_number + 1}
            console.print(f"  {row['wall_seconds']:.1f} s, {row['correct']} correct", highlight=False)
            rows.append(row)
    report(rows, args, chosen, time.perf_counter() - started)


# name: (the setup, the one it is compared with, the goal for setup / other in speed, if any)
RATIOS = {
    "two_vs_one_worker": ("celery, 2 workers", "celery, 1 worker", 1.8),
    "two_workers_vs_embedded_jobs2": ("celery, 2 workers", "embedded --jobs 2", 0.95),
    "embedded_jobs2_vs_jobs1": ("embedded --jobs 2", "embedded --jobs 1", None),
}


def met(reached: bool) -> str:
    return "met" if reached else "NOT met"


def report(rows: list[dict], args: argparse.Namespace, chosen: list[Setup], seconds: float) -> None:
    console = Console(width=180)
    title = f"search on the first {args.tasks} ARC-AGI-1 evaluation tasks, budget {args.budget}, {os.cpu_count()} cores"
    table = Table(title=f"{title}; each row one whole `batt run` process on a fresh database")
    for column in ("setup", "round", "wall s", "tasks", "solved", "correct", "evaluated", "search s",
                   "run process CPU s", "workers CPU s", "run process share", "other busy cores"):  # fmt: skip
        table.add_column(column, justify="left" if column == "setup" else "right")
    for row in rows:
        table.add_row(row["setup"], str(row["round"]), f"{row['wall_seconds']:.1f}", str(row["tasks"]),
                      str(row["solved"]), str(row["correct"]), str(row["evaluated"]),
                      f"{row['search_seconds']:.1f}" if row["search_seconds"] is not None else "-",
                      f"{row['producer_cpu_seconds']:.2f}", f"{row['workers_cpu_seconds']:.1f}",
                      f"{row['producer_cpu_share']:.1%}", f"{row['other_cores']:.2f}")  # fmt: skip
    console.print(table)
    best = {setup.name: min((r for r in rows if r["setup"] == setup.name), key=lambda r: r["wall_seconds"])
            for setup in chosen}  # fmt: skip
    wall = {name: row["wall_seconds"] for name, row in best.items()}
    median = {setup.name: statistics.median(r["wall_seconds"] for r in rows if r["setup"] == setup.name)
              for setup in chosen}  # fmt: skip
    ratios, median_ratios = {}, {}
    for name, (faster, slower, goal) in RATIOS.items():
        if faster in wall and slower in wall:
            ratios[name] = wall[slower] / wall[faster]
            median_ratios[name] = median[slower] / median[faster]
            shown = f" (goal >= {goal}x: {met(ratios[name] >= goal)})" if goal else ""
            console.print(f"{faster} vs {slower}: {ratios[name]:.2f}x{shown}; by median walls "
                          f"{median_ratios[name]:.2f}x", highlight=False)  # fmt: skip
    correct = sorted({row["correct"] for row in rows})
    if len(correct) > 1:
        each = ", ".join(f"{row['setup']} (round {row['round']}) {row['correct']}" for row in rows)
        console.print(f"[bold red]WARNING[/]: the setups disagree on correct tasks: {each}", highlight=False)
    else:
        console.print(f"every run: {correct[0]} correct", highlight=False)
    detach = next((row["detach"] for row in rows if "detach" in row), None)
    if detach:
        default, window = detach["default"], detach["window_set"]
        console.print(f"batt run --detach of {default['tasks']} tasks with 2 workers running: "
                      f"{default['wall_seconds']:.2f} s (goal < 5 s: {met(default['wall_seconds'] < 5)}), "
                      f"its CPU {default['cpu_seconds']:.2f} s; batt cancel: {default['cancel_seconds']:.2f} s",
                      highlight=False)  # fmt: skip
        console.print(f"  the same with BATT_SEARCH_WINDOW=16 (no broadcast to size the window): "
                      f"{window['wall_seconds']:.2f} s, its CPU {window['cpu_seconds']:.2f} s",
                      highlight=False)  # fmt: skip
    stops = [row["stop_seconds"] for row in rows if "stop_seconds" in row]
    stopped = f"; `batt workers stop` took {max(stops):.1f} s at most" if stops else ""
    console.print(f"benchmark: {seconds / 60:.1f} min{stopped}", highlight=False)
    print(json.dumps({
        "tasks": args.tasks, "budget": args.budget, "repeat": args.repeat, "cpu_count": os.cpu_count(),
        "whole_process": True,
        "runs": [{key: round(value, 3) if isinstance(value, float) else value for key, value in row.items()
                  if key != "detach"} for row in rows],
        "best_wall_seconds": {name: round(value, 2) for name, value in wall.items()},
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "median_ratios": {name: round(value, 3) for name, value in median_ratios.items()},
        "same_correct": len(correct) == 1,
        "detach": {name: {key: round(value, 3) if isinstance(value, float) else value for key, value in one.items()}
                   for name, one in detach.items()} if detach else None,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
