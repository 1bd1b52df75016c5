"""A run's lifecycle, the one API the CLI, the benchmarks and the tests call: start, work, follow, cancel, summary.

    from batt_tasks import runs
    request = runs.RunRequest(tasks, runs.WorkOptions("search", SearchOptions(budget=2000)))
    run_id = runs.start(request, settings)          # records the run and its tasks
    runs.run_embedded(run_id, request, settings)    # no broker: search and the chain, here
    runs.dispatch(run_id, request, settings)        # with a broker: the workers search (returns at once)
    runs.follow(run_id, settings)                   # waits for the workers' rows
    print(runs.summary(run_id, settings))

Both ways run the same functions (stages/search.py, then inline -> validate -> score -> persist), so the same
tasks and seed give the same solver md5s and scores.
"""

import contextlib
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson

from batt_tasks.data import ArcTask
from batt_tasks.db import records
from batt_tasks.db.models import Evaluation, Run, TaskSearch
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import run_summary
from batt_tasks.payloads import Candidate, CandidateBatch, ScoredBatch, task_payload
from batt_tasks.search.task_search import SearchOptions, SearchResult
from batt_tasks.settings import Settings, masked_url
from batt_tasks.stages.persist import known_md5s, persist_batch, save_search
from batt_tasks.stages.search import WorkOptions, find_candidates, searched_batches

if TYPE_CHECKING:  # imported where they are used: NumPy and the DSL are not for every command
    from batt_tasks.sandbox.run import ProgramRunner
    from batt_tasks.stages.score import ScoreBackend

__all__ = ["Progress", "RunRequest", "SearchOptions", "WorkOptions", "cancel", "dispatch", "follow", "run_embedded",
           "start", "summary"]  # fmt: skip

Given = Callable[[ArcTask], list[Candidate]]


@dataclass(frozen=True)
class RunRequest:
    """What a run is asked to do: which tasks, how to search them, and what to store with it."""

    tasks: Sequence[ArcTask]
    work: WorkOptions
    dataset: str | None = None
    split: str | None = None
    given: Given | None = None  # a user file's candidates per task (work.generator == "user")
    config: dict[str, Any] = field(default_factory=dict)  # e.g. the tasks file, the candidates file
    # Tasks an earlier run solved (a solver exact on every demo and test output) are not searched: that solver's
    # row is copied into this run as reused, so its summary and its export count them (see records.reuse_solved).
    skip_solved: bool = False


@dataclass(frozen=True)
class Progress:
    """Where a run stands: tasks searched (or skipped as solved before) of all, tasks solved, candidates evaluated."""

    searched: int
    tasks: int
    solved: int
    evaluated: int
    status: str


def start(request: RunRequest, settings: Settings, mode: str | None = None, owner: str | None = None) -> int:
    """Bring the schema up to date, record the run with its options and its tasks (each task's grids once);
    returns the run id. `owner` names the process that drives the run (see records.process_owner)."""
    from batt_tasks.db.migrate import upgrade

    upgrade(settings.database_url)
    options = {
        "dataset": request.dataset,
        "split": request.split,
        "seed": request.work.search.seed,
        "budget": request.work.search.budget,
        "config": {**request.config, "work": request.work.to_json()},
    }
    tasks = [(task_payload(task), task.source) for task in request.tasks]
    mode = mode or ("embedded" if settings.embedded else "celery")
    return records.start_run(
        settings.database_url, tasks, mode, options, owner, request.skip_solved, request.work.search.sample_timeout
    )


def skipped_solved(run_id: int, settings: Settings) -> dict[str, str]:
    """The tasks (key -> id) the run does not search because an earlier run solved them (RunRequest.skip_solved)."""
    with session_scope(settings.database_url) as session:
        return records.skipped_solved(session.get_one(Run, run_id))


def run_embedded(
    run_id: int, request: RunRequest, settings: Settings, on_task: Callable[[Progress], None] = lambda p: None
) -> str:
    """Search every task and take its survivors through the chain here, task by task: each task's rows land
    as soon as its search ends. Returns the status the run ended with; Ctrl-C or SIGTERM end it
    `interrupted` within a few seconds, with every process it started gone and every row kept."""
    from batt_tasks.sandbox.pool import SandboxPool
    from batt_tasks.stages.score import get_backend

    status = "failed"
    backend = get_backend(settings.score_backend)
    skipped = skipped_solved(run_id, settings)
    todo = [task for task in request.tasks if task_payload(task)["key"] not in skipped] if skipped else request.tasks
    done = Progress(len(skipped), len(request.tasks), len(skipped), 0, "running")
    if skipped:
        on_task(done)
    try:
        with (
            _terminate_as_interrupt(),
            SandboxPool(
                settings.sandbox_processes, request.work.search.sample_timeout, request.work.search.memory_cap_mb
            ) as pool,
        ):
            for task, result in _searches(replace(request, tasks=todo), settings):
                payload = task_payload(task)
                batches, record = searched_batches(run_id, payload, result, request.work, "embedded", None)
                with session_scope(settings.database_url) as session:
                    save_search(session, run_id, payload, record)
                found = [_evaluate(batch, settings, pool, backend) for batch in batches]
                done = _advanced(done, found, bool(result.counts.solved_tasks))
                on_task(done)
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with _no_interrupts():
            records.finish_run(settings.database_url, run_id, status)
    return status


def _advanced(done: Progress, batches: list[ScoredBatch], found: bool) -> Progress:
    evaluated = sum(len(batch["candidates"]) for batch in batches)
    solved = any(c["demo_exact"] for batch in batches for c in batch["candidates"]) or found
    return Progress(done.searched + 1, done.tasks, done.solved + int(solved), done.evaluated + evaluated, "running")


def _searches(request: RunRequest, settings: Settings) -> Iterator[tuple[ArcTask, SearchResult]]:
    """Each task with its search's result, in order; the typed search runs ahead in a process pool."""
    from batt_tasks.search.task_search import search_tasks

    if request.work.generator == "search":
        results = search_tasks(request.tasks, request.work.search, settings.search_processes)
        try:
            yield from zip(request.tasks, results, strict=True)
        finally:
            results.close()
        return
    for task in request.tasks:
        given = request.given(task) if request.given else None
        yield task, find_candidates(task, request.work, given)


def _evaluate(batch: CandidateBatch, settings: Settings, pool: "ProgramRunner", backend: "ScoreBackend") -> ScoredBatch:
    """inline -> validate -> score -> persist for one batch, in this process and its sandbox children."""
    from batt_tasks.stages.inline import inline_batch
    from batt_tasks.stages.score import score_batch
    from batt_tasks.stages.validate import validate_batch

    def known(task_key: str, md5s: list[str], timeout: float) -> set[str]:
        with session_scope(settings.database_url) as session:
            return known_md5s(session, task_key, md5s, timeout)

    inlined = inline_batch({**batch, "worker": "embedded"}, known)
    return persist_batch(score_batch(validate_batch(inlined, pool), backend), settings.database_url)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run as Ctrl-C does: marked interrupted, rows kept, children gone."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """A second Ctrl-C while the run records how it ended is ignored: no traceback, no half-written row."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def dispatch(
    run_id: int,
    request: RunRequest,
    settings: Settings,
    queue: str | None = None,
    on_wait: Callable[[str], None] = lambda message: None,
    window: int | None = None,
) -> int:
    """Hand the run to the workers: plan it in Redis and send its first search jobs; returns at once.
    `window`: queue.dispatch.search_window's answer, when the caller asked for it while the run was recorded.

    Refuses a database the workers cannot share (SQLite is a file on this machine). A user file's
    candidates wait in Redis for their task's job. Tasks the run skips as solved before get no job.
    """
    from batt_tasks.queue.dispatch import dispatch_run

    if settings.database_url.startswith("sqlite"):
        raise ValueError(
            f"a distributed run needs a database every worker reaches, not {masked_url(settings.database_url)}: "
            "set BATT_DATABASE_URL to PostgreSQL (or unset BATT_BROKER_URL for the embedded default)"
        )
    skipped = skipped_solved(run_id, settings)
    todo = [(task_payload(task), task) for task in request.tasks]
    todo = [(payload, task) for payload, task in todo if payload["key"] not in skipped]
    if not todo:  # every task was solved before: no search job, so no worker would ever end the run
        records.finish_run(settings.database_url, run_id)
        return 0
    given = None
    if request.given is not None:
        given = {payload["key"]: orjson.dumps(request.given(task)) for payload, task in todo}
    keys = [payload["key"] for payload, _ in todo]
    ids = {payload["key"]: payload["id"] for payload, _ in todo}
    return dispatch_run(
        settings, run_id, keys, queue or settings.queue, request.work.search.seconds, given, on_wait, window, ids
    )


def progress(run_id: int, settings: Settings) -> Progress:
    """The run's progress from its rows (what every worker wrote)."""
    from sqlalchemy import func, select

    with session_scope(settings.database_url) as session:
        run = session.get_one(Run, run_id)
        searched = session.scalar(select(func.count()).where(TaskSearch.run_id == run_id)) or 0
        evaluated = session.scalar(
            select(func.count()).where(Evaluation.run_id == run_id, Evaluation.reused_from_run.is_(None))
        )
        solved = session.scalar(
            select(func.count(func.distinct(Evaluation.task_key))).where(
                Evaluation.run_id == run_id, Evaluation.demo_exact.is_(True)
            )
        )
        skipped = len(records.skipped_solved(run))
        return Progress(searched + skipped, run.tasks, solved or 0, evaluated or 0, run.status)


def follow(
    run_id: int,
    settings: Settings,
    on_progress: Callable[[Progress], None] = lambda p: None,
    on_wait: Callable[[str], None] = lambda message: None,
    poll_seconds: float = 0.5,
    stall_seconds: float = 20.0,
) -> str:
    """Wait until the workers end the run; returns its status. Progress is reported as it moves.

    A database that stops answering is waited for (`on_wait` hears why). Whenever nothing moved for
    `stall_seconds`, messages Redis lost in a restart are looked for and sent again.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    with _end_or(run_id, settings) as pause:
        waiting, last, moved = False, None, time.monotonic()
        while True:
            try:
                now = progress(run_id, settings)
            except (OperationalError, InterfaceError) as error:
                if not waiting:
                    on_wait(f"database unreachable ({str(error.orig).strip().splitlines()[0]}); waiting for it")
                waiting = True
                time.sleep(min(5.0, poll_seconds * 4))
                continue
            if waiting:
                on_wait("database back; following the run again")
                waiting = False
            on_progress(now)
            if now.status != "running":
                return now.status
            if now != last:
                last, moved = now, time.monotonic()
            elif time.monotonic() - moved >= stall_seconds:
                resend(run_id, settings, on_wait)
                moved = time.monotonic()
            pause(poll_seconds)


@contextlib.contextmanager
def _end_or(run_id: int, settings: Settings) -> Iterator[Callable[[float], None]]:
    """A pause between two looks at the run that ends early when its last job ends it: a followed run's
    summary comes as soon as the workers are done, not up to a poll later. A sleep without a broker, or
    while the broker does not answer."""
    if not settings.broker_url:
        yield time.sleep
        return
    from redis.exceptions import RedisError

    from batt_tasks.queue.completion import RunKeys, end_heard
    from batt_tasks.queue.redelivery import redis_client

    with contextlib.ExitStack() as stack:
        pause: Callable[[float], None] = time.sleep
        with contextlib.suppress(RedisError):
            pause = stack.enter_context(end_heard(redis_client(settings.broker_url), RunKeys(settings.queue, run_id)))

        def waiting(seconds: float) -> None:
            try:
                pause(seconds)
            except RedisError:  # the broker restarting: the database still says how the run stands
                time.sleep(seconds)

        yield waiting


def resend(run_id: int, settings: Settings, on_wait: Callable[[str], None] = lambda message: None) -> int:
    """Send again what Redis lost of a run (a detached run that stopped moving); returns how many."""
    from batt_tasks.queue.dispatch import resend_stranded

    queue = _queue_of(run_id, settings)
    if queue is None:
        return 0
    return resend_stranded(settings, run_id, queue, _work_of(run_id, settings).search.seconds, on_wait)


def _work_of(run_id: int, settings: Settings) -> WorkOptions:
    with session_scope(settings.database_url) as session:
        return WorkOptions.from_json(session.get_one(Run, run_id).config["work"])


def _queue_of(run_id: int, settings: Settings) -> str | None:
    from batt_tasks.queue.app import app
    from batt_tasks.queue.completion import RunKeys
    from batt_tasks.queue.redelivery import redis_client, text

    raw = redis_client(app.conf.broker_url).get(RunKeys(settings.queue, run_id).queue)
    return text(raw) if raw is not None else None


def cancel(run_id: int, settings: Settings) -> bool:
    """Stop a run's remaining work and mark it cancelled; False when it had ended already.

    With a broker, queued searches and chains see the mark and end without work, in-flight searches end at
    their next check (about a second), and the run's keys in Redis are let go.
    """
    if settings.broker_url:
        from batt_tasks.queue.app import app
        from batt_tasks.queue.completion import RunKeys
        from batt_tasks.queue.completion import cancel as cancel_plan
        from batt_tasks.queue.redelivery import redis_client

        client = redis_client(app.conf.broker_url)
        keys = RunKeys(settings.queue, run_id)
        cancel_plan(client, keys)
        for pattern in (keys.given("*"), f"{settings.queue}:chain:{run_id}:*"):
            for key in client.scan_iter(pattern, 1000):
                client.delete(key)
    return records.finish_run(settings.database_url, run_id, "cancelled")


def summary(run_id: int, settings: Settings) -> dict[str, Any]:
    """The run's summary, from its rows (what `batt run --json` prints)."""
    with session_scope(settings.database_url) as session:
        return run_summary(session, run_id, masked_url(settings.database_url))
