"""What goes onto the queues: a run's search jobs, each task's chains inline -> validate -> score -> persist,
and the messages a Redis restart lost, sent again."""

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from celery import Signature, chain
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from batt_tasks.payloads import Batch, C, CandidateBatch
from batt_tasks.queue.app import app
from batt_tasks.queue.completion import RunKeys, plan_of, plan_run
from batt_tasks.queue.labels import link_label, search_label
from batt_tasks.queue.redelivery import redis_client
from batt_tasks.queue.stash import BatchesGone, Link, chain_key, links_from, stash, unstash
from batt_tasks.queue.stranded import SEARCH_TASK, stranded_chains, stranded_searches
from batt_tasks.settings import Settings

# Each queue is four Redis lists (kombu's priority steps 0, 3, 6, 9), and a worker serves the lowest number
# first. Later links go first: a worker finishes the chains it started before it starts another, so rows land
# all along the run and few chains' batches wait in Redis; searches come last, so a worker turns what it found
# into rows before it searches the next task.
LINK_PRIORITY: dict[Link, int] = {"inline": 6, "validate": 3, "score": 0, "persist": 0}
SEARCH_PRIORITY = 9
# A search ends itself at its own deadline (and a hard alarm a few seconds later); these are Celery's
# backstops for a search stuck where neither reaches: a soft limit that records it as stopped by time,
# then a kill whose redelivery the attempt count ends.
SEARCH_SOFT_MARGIN = 30.0
SEARCH_HARD_MARGIN = 60.0


# A run keeps at most this many search jobs queued or running, unless BATT_SEARCH_WINDOW says otherwise:
# twice the slots of the workers alive when it starts (each has one to run and one ready), and never so few
# that workers joining later have nothing to take.
MIN_WINDOW = 16
# How long a producer waits for search_window_soon's answer past the broadcast's own timeout.
PROBE_PATIENCE = 2.0


def search_window(settings: Settings, timeout: float = 0.5) -> int:
    """How many of a run's search jobs may be out at once (see completion.py)."""
    if settings.search_window:
        return settings.search_window
    return max(MIN_WINDOW, 2 * live_slots(timeout))


def live_slots(timeout: float = 0.5) -> int:
    """How many jobs the workers alive now run at once (0 when none answers within `timeout`)."""
    stats = app.control.inspect(timeout=timeout).stats() or {}
    return sum(int(worker.get("pool", {}).get("max-concurrency", 1)) for worker in stats.values())


def search_window_soon(settings: Settings) -> Callable[[], int | None]:
    """Start asking the workers for the window now, in a thread; the call returned gives the answer, or
    None if the broker did not (dispatch_run then asks again, patiently). The broadcast waits its whole
    timeout for replies: a run's producer starts it first and records the run meanwhile."""
    answer: list[int] = []

    def ask() -> None:
        with contextlib.suppress(BrokerError, RedisConnectionError, OSError):
            answer.append(search_window(settings))

    probe = threading.Thread(target=ask, name="search-window", daemon=True)
    probe.start()

    def result() -> int | None:
        probe.join(PROBE_PATIENCE)  # a broker that is down is waited for by dispatch_run, saying so
        return answer[0] if answer else None

    return result


def dispatch_run(
    settings: Settings,
    run_id: int,
    task_keys: list[str],
    queue: str,
    search_seconds: float,
    given: dict[str, bytes] | None = None,
    on_wait: Callable[[str], None] = lambda message: None,
    window: int | None = None,
    task_ids: Mapping[str, str] | None = None,
) -> int:
    """Plan the run in Redis and send its first search jobs; returns how many went out.

    `given` maps a task key to its user candidates (JSON), which wait in Redis for that task's job.
    `window` is search_window's answer when the caller has it already. A broker that stops answering is
    waited for, up to BATT_BROKER_PATIENCE seconds per outage. `task_ids` (key -> id) names the tasks in Flower.
    """
    client = redis_client(app.conf.broker_url)
    keys = RunKeys(settings.queue, run_id)
    names = task_ids or {}
    known = window
    window = settings.search_window or MIN_WINDOW

    def plan() -> None:
        nonlocal window
        window = known or search_window(settings)  # asks the workers: a broker that is down is waited for here too
        plan_run(client, keys, task_keys, queue, window)
        for task_key, candidates in (given or {}).items():
            client.set(keys.given(task_key), candidates, ex=7 * 24 * 3600)

    _patiently(plan, settings, on_wait)
    first = min(window, len(task_keys))
    for index in range(first):
        key = task_keys[index]
        _patiently(lambda: send_search(run_id, index, key, queue, search_seconds, names.get(key)), settings, on_wait)  # noqa: B023
    return first


def send_search(
    run_id: int, index: int, task_key: str, queue: str, search_seconds: float, task_id: str | None = None
) -> None:
    """One task's search job; Flower shows which run and task it is (labels.search_label)."""
    app.signature(SEARCH_TASK).apply_async(
        (run_id, index),
        queue=queue,
        priority=SEARCH_PRIORITY,
        soft_time_limit=search_seconds + SEARCH_SOFT_MARGIN,
        time_limit=search_seconds + SEARCH_HARD_MARGIN,
        **search_label(run_id, index, task_key, task_id),
    )


def send_chains(settings: Settings, batches: Sequence[CandidateBatch], queue: str) -> list[str]:
    """Each batch as its own chain on `queue` (its batches stashed under the chain's key); the keys sent."""
    client = redis_client(app.conf.broker_url, patient=True)
    keys = []
    for batch in batches:
        key = chain_key(settings.queue, [batch])
        stash(client, key, "input", [batch])
        chain_links(key, [batch], queue, settings).apply_async()
        keys.append(key)
    return keys


def chain_links(key: str, bundle: Sequence[Batch[C]], queue: str, settings: Settings, first: Link = "inline") -> chain:
    """The chain's links from `first` on, all on `queue`; validate's hard limit is sized to the bundle.

    The limit comes from the run's own per-sample timeout, never below the margin: a tiny `--timeout` must
    not turn into a limit that kills workers.
    """
    runs = sum(
        len(b["candidates"]) * (len(b["task"]["train"]) + len(b["task"]["test"])) * b["work"]["sample_timeout"]
        for b in bundle
    )
    limit = runs + settings.validate_margin
    options = {"validate": {"time_limit": limit}}

    def link(stage: Link, *args: str) -> Signature:
        # Through `options`: Signature.set's typed keywords know neither the labels nor the time limit.
        extra = {**link_label(key, stage, bundle), **options.get(stage, {})}
        return app.signature(f"batt.{stage}", args=args, options=extra).set(queue=queue, priority=LINK_PRIORITY[stage])

    # The first link gets the key; each later one receives it as the result of the link before.
    first_link, *rest = links_from(first)
    return chain(link(first_link, key), *(link(stage) for stage in rest))


def resend_stranded(
    settings: Settings,
    run_id: int,
    queue: str,
    search_seconds: float,
    on_wait: Callable[[str], None] = lambda message: None,
) -> int:
    """Send on what Redis lost of the run (see stranded.py): chains from the link they wait for, and search
    jobs whose message is gone. Returns how many; `on_wait` hears of any. A broker that is down ends the
    sending: ask again later. Sending something that was not lost after all is harmless (upserts, and a
    search job skips a task already searched)."""
    client = redis_client(app.conf.broker_url)
    sent = 0
    try:
        for key, link in sorted(stranded_chains(client, settings.queue, run_id).items()):
            try:
                bundle = unstash(client, key, "inline")
            except BatchesGone:
                continue  # persisted since the second look: not stranded after all
            chain_links(key, bundle, queue, settings, first=link).apply_async()
            sent += 1
        keys = RunKeys(settings.queue, run_id)
        for index in stranded_searches(client, keys):
            plan = plan_of(client, keys, index)
            if plan is not None:
                send_search(run_id, index, plan.task_key, plan.queue, search_seconds)
                sent += 1
    except (BrokerError, RedisConnectionError):
        pass  # the broker went away meanwhile: the next stall looks again
    if sent:
        on_wait(f"{sent} jobs had lost their message in Redis (a broker restart); sent them again")
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
