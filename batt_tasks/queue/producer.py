"""Send the batches as Celery chains inline -> validate -> score -> persist, and follow the run in the database."""

import time
from collections.abc import Callable, Sequence

from celery import Signature, chain
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError

from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Batch
from batt_tasks.queue.app import app
from batt_tasks.queue.completion import expect_batches
from batt_tasks.queue.redelivery import redis_client
from batt_tasks.queue.stash import BatchesGone, chain_key, links_from, stash, unstash
from batt_tasks.queue.stranded import stranded_chains
from batt_tasks.queue.tasks import inline, persist, score, validate
from batt_tasks.settings import Settings
from batt_tasks.stages.persist import fresh_evaluations, mark_finished_if_complete

# Each queue is four Redis lists (kombu's priority steps 0, 3, 6, 9), and a worker serves the lowest number
# first. Later links go first: a worker finishes the chains it started before it starts another, so rows land
# all along the run (the progress bar moves) and few chains' batches wait in Redis. In arrival order, every
# chain's inline would run, then every validate, and nothing would be persisted until the end.
LINK_PRIORITY = {"inline": 9, "validate": 6, "score": 3, "persist": 0}


def live_queues(settings: Settings, timeout: float = 2.0) -> list[str]:
    """The per-GPU queues that live workers consume, so work can be spread evenly over them."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    prefix = f"{settings.queue}.gpu"
    return sorted({q["name"] for queues in replies.values() for q in queues if q["name"].startswith(prefix)})


def chain_bundles(batches: Sequence[Batch], candidates_per_chain: int) -> list[list[Batch]]:
    """Consecutive batches grouped so that a chain carries at most `candidates_per_chain` candidates.

    A batch holds one task's candidates, and a search keeps few per task: one chain per task would pay
    Celery's fixed cost per message (four tasks, a broker round trip each) for a few candidates' work.
    A batch larger than the limit on its own still rides alone.
    """
    bundles: list[list[Batch]] = []
    size = 0
    for batch in batches:
        count = len(batch["candidates"])
        if not bundles or size + count > candidates_per_chain:
            bundles.append([])
            size = 0
        bundles[-1].append(batch)
        size += count
    return bundles


def enqueue(
    batches: Sequence[Batch],
    settings: Settings,
    queues: Sequence[str],
    candidates_per_chain: int,
    on_wait: Callable[[str], None] = lambda message: None,
) -> int:
    """Chains of batches (see chain_bundles), round-robin over `queues`; every link stays on its queue.

    Returns how many chains went out. A broker that stops answering (a Redis restart) is waited for, up to
    BATT_BROKER_PATIENCE seconds per outage, and the chain that failed is sent again; `on_wait` hears why.
    Sending a chain twice is harmless: persist is an upsert.
    """
    client = redis_client(app.conf.broker_url)
    if batches:
        run_id, total = batches[0]["run_id"], len(batches)
        _patiently(lambda: expect_batches(client, settings.queue, run_id, total), settings, on_wait)
    bundles = chain_bundles(batches, candidates_per_chain)
    for index, bundle in enumerate(bundles):
        key = chain_key(settings.queue, bundle)
        links = chain_links(key, bundle, queues[index % len(queues)], settings)
        _patiently(lambda: stash(client, key, "input", bundle), settings, on_wait)  # noqa: B023  # called now
        _patiently(links.apply_async, settings, on_wait)
    return len(bundles)


def chain_links(key: str, bundle: Sequence[Batch], queue: str, settings: Settings, first: str = "inline") -> chain:
    """The chain's links from `first` on, all on `queue`; validate's hard limit is sized to the bundle."""
    runs = sum(len(b["candidates"]) * (len(b["task"]["train"]) + len(b["task"]["test"])) for b in bundle)
    limit = runs * settings.sample_timeout + settings.validate_margin
    tasks = {"inline": inline, "validate": validate, "score": score, "persist": persist}
    options = {"validate": {"time_limit": limit}}

    def link(stage: str, *args: str) -> Signature:
        return tasks[stage].s(*args).set(queue=queue, priority=LINK_PRIORITY[stage], **options.get(stage, {}))

    # The first link gets the key; each later one receives it as the result of the link before.
    first_link, *rest = links_from(first)
    return chain(link(first_link, key), *(link(stage) for stage in rest))


def resend_stranded(
    settings: Settings, run_id: int, queues: Sequence[str], on_wait: Callable[[str], None] = lambda message: None
) -> int:
    """Send on, from the link each waits for, the run's chains that Redis lost (see stranded.py).

    Returns how many; `on_wait` hears of any. A broker that is down ends the sending: ask again later.
    Sending a chain that was not lost after all is harmless: persist is an upsert.
    """
    client = redis_client(app.conf.broker_url)
    sent = 0
    try:
        for key, link in sorted(stranded_chains(client, settings.queue, run_id).items()):
            try:
                bundle = unstash(client, key, "inline")
            except BatchesGone:
                continue  # persisted since the second look: not stranded after all
            chain_links(key, bundle, queues[sent % len(queues)], settings, first=link).apply_async()
            sent += 1
    except (BrokerError, RedisConnectionError):
        pass  # the broker went away meanwhile: the next stall looks again
    if sent:
        on_wait(f"{sent} chains had lost their message in Redis (a broker restart); sent them on")
    return sent


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
    on_stall: Callable[[], object] = lambda: None,
    poll_seconds: float = 0.5,
    stall_seconds: float = 20.0,
) -> None:
    """Return once `expected` evaluations of the run are persisted, reporting the count as it grows.

    A database that stops answering is waited for (the workers' persist retries too): `on_wait` hears why,
    once per outage, and the count resumes where it was when the database comes back. `on_stall` runs
    whenever the count has not moved for `stall_seconds` (to look for chains that Redis lost).
    """
    waiting = False
    last, moved = -1, time.monotonic()
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
        if done != last:
            last, moved = done, time.monotonic()
        elif time.monotonic() - moved >= stall_seconds:
            on_stall()
            moved = time.monotonic()
        time.sleep(poll_seconds)
