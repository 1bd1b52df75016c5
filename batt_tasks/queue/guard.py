"""A malformed message on a queue is dropped and counted; it never stops a worker.

kombu's Redis channel takes each item off a queue with BRPOP, decodes it with json.loads and indexes it
as a kombu envelope; anything that raises there leaves the worker's event loop and Celery exits with
"Unrecoverable error". Anyone who can LPUSH onto a queue could stop every worker. So every popped item is
screened first, in `GuardedChannel`: a kombu envelope Celery can take (JSON object, properties with a
delivery tag and info, dict headers, str body), and on a task queue a task message this worker can run
(a registered task, a body that decodes to args/kwargs/embed, arguments that fit the task's signature).
A refused item is logged, kept for inspection on the list `<queue>:dead` (the last DEAD_LETTERS_KEPT, each
with its reason) and counted in `<queue>:dropped`; the worker goes on with the next item. A broadcast (remote
control) arrives by pub/sub, decoded by kombu: it gets the same envelope check, under its exchange's name.
"""

import base64
import binascii
import inspect
import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import redis
from kombu.exceptions import ContentDisallowed, DecodeError
from kombu.serialization import loads
from kombu.transport import redis as kombu_redis
from kombu.utils.objects import cached_property

DEAD_LETTERS_KEPT = 1000
DEAD_LETTER_BYTES = 65_536  # of each refused item: enough to see what it was, never a copy of a huge one
REPLY_QUEUE_SUFFIX = ".pidbox"  # remote-control replies (`batt workers`): kombu messages, not tasks

log = logging.getLogger("batt.worker.guard")


class Malformed(ValueError):
    """An item that is not a message this consumer can take; the message says why."""


def dead_key(queue: str) -> str:
    return f"{queue}:dead"


def dropped_key(queue: str) -> str:
    return f"{queue}:dropped"


def check_item(item: bytes, queue: str, tasks: Callable[[], dict[str, Any]]) -> None:
    """Raise Malformed unless `item` is a kombu envelope, and on a task queue a task `tasks()` can run."""
    try:
        envelope = json.loads(item.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Malformed(f"not a JSON message: {error}") from None
    check_envelope(envelope)
    if not queue.endswith(REPLY_QUEUE_SUFFIX):
        _check_task(envelope, tasks())


def check_envelope(envelope: object) -> None:
    """Raise Malformed unless kombu can take `envelope` (decoded JSON) as a message, and restore it later."""
    if not isinstance(envelope, dict):
        raise Malformed(f"a JSON {type(envelope).__name__}, not an object")
    properties = _field(envelope, "properties", dict)
    _field(properties, "delivery_tag", str)
    info = _field(properties, "delivery_info", dict)
    _field(info, "exchange", str)
    _field(info, "routing_key", str)
    _field(envelope, "headers", dict)  # kombu's restore writes into it: null would fail there too
    _field(envelope, "content-type", str)
    _field(envelope, "content-encoding", str)
    body = _field(envelope, "body", str)
    encoding = properties.get("body_encoding")
    if encoding not in (None, "base64"):
        raise Malformed(f"unknown body encoding {encoding!r}")
    if encoding == "base64":
        _base64(body)


def _base64(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Malformed(f"body is not base64: {error}") from None


def _field(container: dict[str, Any], name: str, kind: type) -> Any:
    value = container.get(name)
    if not isinstance(value, kind):
        raise Malformed(f"{name!r} is {type(value).__name__}, not {kind.__name__}")
    return value


def _check_task(envelope: dict[str, Any], tasks: dict[str, Any]) -> None:
    headers = envelope["headers"]
    name = _field(headers, "task", str)
    _field(headers, "id", str)
    if name not in tasks:
        raise Malformed(f"unknown task {name!r}")
    if "compression" in headers:
        raise Malformed("compressed bodies are not sent by batt")
    args, kwargs = _arguments(envelope)
    try:
        inspect.signature(tasks[name].run).bind(*args, **kwargs)
    except TypeError as error:
        raise Malformed(f"arguments do not fit {name}: {error}") from None


def _arguments(envelope: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    body: str | bytes = envelope["body"]
    if envelope["properties"].get("body_encoding") == "base64":
        body = _base64(envelope["body"])
    try:
        decoded = loads(body, envelope["content-type"], envelope["content-encoding"], accept=_accepted())
    except (ValueError, DecodeError, ContentDisallowed) as error:
        raise Malformed(f"body does not decode: {type(error).__name__}: {error}") from None
    if not (isinstance(decoded, list) and len(decoded) == 3):
        raise Malformed("body is not [args, kwargs, embed]")
    args, kwargs, embed = decoded
    if not (isinstance(args, list) and isinstance(kwargs, dict) and isinstance(embed, dict | None)):
        raise Malformed("body is not [args, kwargs, embed]")
    return args, kwargs


def _accepted() -> set[str] | None:
    from kombu.serialization import prepare_accept_content

    from batt_tasks.queue.app import app  # here: app.py names this module by path and imports nothing of it

    return prepare_accept_content(app.conf.accept_content)


def _registered_tasks() -> dict[str, Any]:
    from batt_tasks.queue.app import app

    return app.tasks


class GuardedChannel(kombu_redis.Channel):
    """kombu's Redis channel, with every BRPOP reply screened before kombu decodes it."""

    @cached_property
    def client(self) -> Any:
        """kombu's own BRPOP client (see kombu's `client`), its replies passed through `_screen`."""
        # kombu's own (private) method, which celery-types' kombu stubs leave out: hence the ignore.
        client = self._create_client(asynchronous=True)  # type: ignore[attr-defined]
        client.parse_response = partial(self._screen, client.parse_response)
        return client

    def _screen(self, parse: Callable[..., Any], connection: Any, command: str, **options: Any) -> Any:
        reply = parse(connection, command, **options)
        if command != "BRPOP" or not reply:
            return reply
        key, item = reply
        queue = key.decode("utf-8", "backslashreplace").rsplit(self.sep, 1)[0]
        try:
            check_item(item, queue, _registered_tasks)
        except Malformed as reason:
            self._drop(queue, item, str(reason))
            return None  # to kombu: BRPOP timed out, nothing came; the loop polls again
        return reply

    def _deliver_fanout_message(self, message: Any, exchange: str) -> bool:
        """A broadcast (remote control, events) goes through the same envelope check (kombu decoded it)."""
        try:
            check_envelope(message)
        except Malformed as reason:
            self._drop(exchange, json.dumps(message).encode(), str(reason))
            return False
        # kombu's own (private) method, which celery-types' kombu stubs leave out: hence the ignore.
        delivered: bool = super()._deliver_fanout_message(message, exchange)  # type: ignore[misc]
        return delivered

    def _drop(self, queue: str, item: bytes, reason: str) -> None:
        log.warning("dropped a malformed message from queue %s: %s (%d bytes)", queue, reason, len(item))
        # A record, not the item: tools that scan the queues' lists for task messages must not take it for one.
        record = json.dumps({"reason": reason, "item": item[:DEAD_LETTER_BYTES].decode("utf-8", "backslashreplace")})
        try:
            with self.conn_or_acquire() as client, client.pipeline() as pipe:
                pipe.lpush(dead_key(queue), record).ltrim(dead_key(queue), 0, DEAD_LETTERS_KEPT - 1)
                pipe.incr(dropped_key(queue)).execute()
        except redis.RedisError as error:  # the item is gone either way; only the record is lost
            log.warning("could not record the dropped message: %s", error)


class GuardedTransport(kombu_redis.Transport):
    """kombu's Redis transport with `GuardedChannel` (Celery's `broker_transport`)."""

    Channel = GuardedChannel
