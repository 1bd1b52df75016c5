"""The Celery app, configured from batt's settings. `celery -A batt_tasks worker` finds it."""

import json
import os
from functools import partial

from celery import Celery
from kombu import Queue
from kombu.serialization import register

from batt_tasks.settings import Settings, get_settings

# The broker a worker uses when BATT_BROKER_URL is unset: the local Redis the ops launcher starts.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"


def gpu_queue(settings: Settings, device: str) -> str:
    """The queue a worker pinned to one GPU consumes besides the shared one."""
    return f"{settings.queue}.gpu{device}"


# Messages are plain JSON (a chain's key, Celery's own headers). kombu's own json serializer runs a
# Python object_hook on every dict to revive dates and bytes we never send; the stdlib's C codec does not.
BATCH_SERIALIZER = "batt-json"
register(
    BATCH_SERIALIZER,
    partial(json.dumps, separators=(",", ":")),
    json.loads,
    content_type="application/x-batt-json",
    content_encoding="utf-8",
)


def make_app(settings: Settings) -> Celery:
    """A Celery app whose every reliability choice is spelled out here."""
    app = Celery("batt", broker=settings.broker_url or DEFAULT_BROKER_URL, include=["batt_tasks.queue.tasks"])
    app.conf.update(
        task_serializer=BATCH_SERIALIZER,
        accept_content=[BATCH_SERIALIZER, "json"],
        # Results live in the database; a result backend would only duplicate them.
        task_ignore_result=True,
        # Acknowledge a task after it ran, so a worker that dies mid-task loses nothing...
        task_acks_late=True,
        # ...and a task whose worker process died goes back to the queue...
        task_reject_on_worker_lost=True,
        # ...as does one killed by its hard time limit (a candidate stuck in C code). The redelivery
        # guard in tasks.validate fails the candidate that kills its worker repeatedly, ending the loop.
        task_acks_on_failure_or_timeout=False,
        # A worker reserves only the task it runs: no batch waits behind a slow one on a busy worker.
        worker_prefetch_multiplier=1,
        # Redis redelivers a task unacknowledged this long; longer than the longest task (validate's limit).
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # Look for tasks abandoned by a dead worker every tenth of the visibility timeout (kombu's default
            # sweep, 10 s x throttle 10, would leave them unseen for 100 s past their timeout).
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout // 10)),
            "unacked_restore_throttle": 1,
            # Each queue is one Redis list per priority step, served lowest first: the producer gives a
            # chain's later links the lower numbers (queue/producer.py, LINK_PRIORITY).
            "priority_steps": [0, 3, 6, 9],
            # JSON bodies are text already: base64 would add a third to every batch and cost a pass over it.
            "body_encoding": None,
        },
        # A child that grew past this (a leak, a big batch) is replaced after its task.
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,
        # A stage's next link is published by the worker: Celery's default (3 tries in under a second)
        # would fail it during a Redis restart and drop the chain. Keep trying for about a minute.
        task_publish_retry_policy={"max_retries": 40, "interval_start": 0, "interval_step": 0.5, "interval_max": 2},
        # A lost broker connection cancels running acks_late tasks, which are then redelivered.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        # A malformed message is dropped and counted (`<queue>:dropped`), never fatal to the worker.
        broker_transport="batt_tasks.queue.guard:GuardedTransport",
        task_default_queue=settings.queue,
        task_queues=[Queue(settings.queue)],
        task_create_missing_queues=True,
        # Task events cost every task a few Redis messages; Flower switches them on in the workers itself
        # (its enable_events broadcast) while it watches, so they stay off otherwise.
        worker_send_task_events=False,
    )
    return app


app = make_app(get_settings())

# `celery -A batt_tasks flower` gets the same basic auth as `batt flower`.
if get_settings().flower_password:
    os.environ.setdefault("FLOWER_BASIC_AUTH", f"{get_settings().flower_user}:{get_settings().flower_password}")
