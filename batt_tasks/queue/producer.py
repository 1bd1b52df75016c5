"""Send each batch as a Celery chain inline -> validate -> score -> persist, and follow the run in the database."""

import time
from collections.abc import Callable, Sequence

from celery import chain
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
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


def enqueue(
    batches: Sequence[Batch],
    settings: Settings,
    queues: Sequence[str],
    on_wait: Callable[[str], None] = lambda message: None,
) -> None:
    """One chain per batch, round-robin over `queues`; every link of a chain stays on its queue.

    A broker that stops answering (a Redis restart) is waited for, up to BATT_BROKER_PATIENCE seconds
    per outage, and the batch that failed is sent again; `on_wait` hears why. Sending a batch twice is
    harmless: persist is an upsert.
    """
    if batches:
        client = redis_client(app.conf.broker_url)
        run_id, total = batches[0]["run_id"], len(batches)
        _patiently(lambda: expect_batches(client, settings.queue, run_id, total), settings, on_wait)
    for index, batch in enumerate(batches):
        queue = queues[index % len(queues)]
        samples = len(batch["task"]["train"]) + len(batch["task"]["test"])
        limit = len(batch["candidates"]) * samples * settings.sample_timeout + settings.validate_margin
        links = chain(
            inline.s(batch).set(queue=queue),
            validate.s().set(queue=queue, time_limit=limit),
            score.s().set(queue=queue),
            persist.s().set(queue=queue),
        )
        _patiently(links.apply_async, settings, on_wait)


def _patiently(action: Callable[[], object], settings: Settings, on_wait: Callable[[str], None]) -> None:
    """Run a broker call, retrying with backoff while the broker is unreachable, at most the patience."""
    waited, pause = 0.0, 0.5
    while True:
        try:
            action()
        except (BrokerError, RedisConnectionError) as error:
            if waited >= settings.broker_patience:
                raise BrokerError(f"still unreachable after {waited:.0f} s: {error}") from error
            if waited == 0:
                on_wait(f"broker unreachable ({str(error).strip().splitlines()[0]}); waiting for it")
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 5.0)
            continue
        if waited:
            on_wait("broker back; sending the rest")
        return


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
