"""Send each batch as a Celery chain inline -> validate -> score -> persist, and follow the run in the database."""

import time
from collections.abc import Callable, Sequence

from celery import chain
from sqlalchemy.exc import InterfaceError, OperationalError

from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Batch
from batt_tasks.queue.app import app
from batt_tasks.queue.completion import expect_batches
from batt_tasks.queue.redelivery import redis_client
from batt_tasks.queue.tasks import inline, persist, score, validate
from batt_tasks.settings import Settings
from batt_tasks.stages.persist import fresh_evaluations, mark_finished_if_complete


def live_queues(settings: Settings, timeout: float = 2.0) -> list[str]:
    """The per-GPU queues that live workers consume, so work can be spread evenly over them."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    prefix = f"{settings.queue}.gpu"
    return sorted({q["name"] for queues in replies.values() for q in queues if q["name"].startswith(prefix)})


def enqueue(batches: Sequence[Batch], settings: Settings, queues: Sequence[str]) -> None:
    """One chain per batch, round-robin over `queues`; every link of a chain stays on its queue."""
    if batches:
        client = redis_client(app.conf.broker_url)
        expect_batches(client, settings.queue, batches[0]["run_id"], len(batches))
    for index, batch in enumerate(batches):
        queue = queues[index % len(queues)]
        samples = len(batch["task"]["train"]) + len(batch["task"]["test"])
        limit = len(batch["candidates"]) * samples * settings.sample_timeout + settings.validate_margin
        chain(
            inline.s(batch).set(queue=queue),
            validate.s().set(queue=queue, time_limit=limit),
            score.s().set(queue=queue),
            persist.s().set(queue=queue),
        ).apply_async()


def follow(
    database_url: str,
    run_id: int,
    expected: int,
    on_progress: Callable[[int], None],
    on_wait: Callable[[str], None] = lambda message: None,
    poll_seconds: float = 0.5,
) -> None:
    """Return once `expected` evaluations of the run are persisted, reporting the count as it grows.

    A database that stops answering is waited for (the workers' persist retries too): `on_wait` hears why,
    once per outage, and the count resumes where it was when the database comes back.
    """
    waiting = False
    while True:
        try:
            with session_scope(database_url) as session:
                done = fresh_evaluations(session, run_id)
                if done >= expected:
                    mark_finished_if_complete(session, run_id)
        except (OperationalError, InterfaceError) as error:
            if not waiting:
                on_wait(f"database unreachable ({str(error.orig).strip().splitlines()[0]}); waiting for it")
            waiting = True
            time.sleep(min(5.0, poll_seconds * 4))
            continue
        if waiting:
            on_wait("database back; following the run again")
            waiting = False
        on_progress(done)
        if done >= expected:
            return
        time.sleep(poll_seconds)
