"""Whatever lands on a queue, a worker survives it: malformed items are dropped and counted, real runs go on.

Before queue/guard.py, one `redis-cli LPUSH <queue> hello` made kombu raise while decoding the item and
Celery exit with "Unrecoverable error": every worker on that queue was gone.
"""

import json
import os
import time
from pathlib import Path

import redis

from batt_tasks.queue.guard import dead_key, dropped_key
from tests.conftest import batt, running_cluster

SEP = "\x06\x16"  # kombu's separator between a queue's name and its priority step


def envelope(task: str, body: str, headers: object = "default", **properties: object) -> bytes:
    """A kombu/Celery message as kombu's Redis transport stores it, with the parts given."""
    head = {"lang": "py", "task": task, "id": "trust-1", "root_id": "trust-1", "parent_id": None, "group": None}
    info = {"exchange": "", "routing_key": "batt"}
    props = {"correlation_id": "trust-1", "reply_to": "", "delivery_mode": 2, "priority": 0, "body_encoding": None,
             "delivery_tag": "trust-tag", "delivery_info": info} | properties  # fmt: skip
    message = {"body": body, "content-encoding": "utf-8", "content-type": "application/json",
               "headers": head if headers == "default" else headers, "properties": props}  # fmt: skip
    return json.dumps(message).encode()


def args_body(*args: object) -> str:
    return json.dumps([list(args), {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])


MALFORMED = [
    b"hello",
    b"",
    b"\xff\xfe\x00 not utf-8",
    b"[1,2]",
    b'"a string"',
    b"null",
    b'{"headers": null}',
    b"{}",
    b'{"properties": {"delivery_tag": 5}}',
    envelope("batt.inline", args_body("k"), headers=None),
    envelope("batt.inline", args_body("k"), headers=[1]),
    envelope("batt.inline", args_body("k"), delivery_info=None),
    envelope("batt.inline", args_body("k"), body_encoding="rot13"),
    envelope("batt.inline", args_body("k"), body_encoding="base64"),  # not base64
    envelope("batt.inline", "this body is not JSON"),
    envelope("batt.inline", json.dumps({"args": 1})),
    envelope("batt.inline", json.dumps(["k", {}, {}])),
    envelope("batt.no_such_task", args_body("k")),
    envelope("batt.inline", args_body()),
    envelope("batt.inline", args_body("k", "extra", 3)),
    envelope("batt.persist", json.dumps([["k"], {"nope": 1}, {}])),
]
# Broadcasts (remote control) come by pub/sub: kombu decodes them, then indexed them unchecked.
MALFORMED_BROADCASTS = [b"[1,2]", b'{"headers": null}', b'{"body": 1, "properties": {}}']
CANDIDATE = "def solve(I):\n    O = hconcat(I, I)\n    return O\n"


def _worker_pid(state: Path) -> int:
    return int((state / "gpu0.pid").read_text().split()[0])


def _dropped(client: redis.Redis, queues: list[str]) -> int:
    return sum(int(client.get(dropped_key(queue)) or 0) for queue in queues)


def _broadcast_malformed(client: redis.Redis, pid: int, state: Path) -> None:
    channel = f"/{client.connection_pool.connection_kwargs.get('db', 0)}.celery.pidbox"
    before = int(client.get(dropped_key("celery.pidbox")) or 0)
    for item in MALFORMED_BROADCASTS:
        assert client.publish(channel, item) >= 1  # the worker is subscribed: it received each one
    deadline = time.monotonic() + 30
    while int(client.get(dropped_key("celery.pidbox")) or 0) < before + len(MALFORMED_BROADCASTS):
        assert os.path.exists(f"/proc/{pid}"), (state / "gpu0.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the broadcasts were not dropped"
        time.sleep(0.5)


def test_malformed_messages_are_dropped_counted_and_the_worker_keeps_serving(
    tmp_path: Path, redis_keyspace: str
) -> None:
    client = redis.Redis.from_url(redis_keyspace)
    with running_cluster(tmp_path, redis_keyspace, workers=1) as env:
        state = Path(env["BATT_STATE_DIR"])
        queues = [env["BATT_QUEUE"], f"{env['BATT_QUEUE']}.gpu0"]
        pid = _worker_pid(state)
        for index, item in enumerate(MALFORMED):
            queue = queues[index % 2]
            # Every third item on a priority step's list, which the worker also serves.
            client.lpush(queue if index % 3 else f"{queue}{SEP}3", item)
        deadline = time.monotonic() + 60
        while _dropped(client, queues) < len(MALFORMED):
            assert os.path.exists(f"/proc/{pid}"), (state / "gpu0.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"dropped {_dropped(client, queues)} of {len(MALFORMED)}"
            time.sleep(0.5)
        assert sum(client.llen(dead_key(queue)) for queue in queues) == len(MALFORMED)
        _broadcast_malformed(client, pid, state)
        (tmp_path / "mine.py").write_text(CANDIDATE)
        done = batt("run", "--task", "a416b8f3", "--candidates", "mine.py", "--json", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert (summary["evaluated"], summary["correct"]) == (1, 1)
        assert _worker_pid(state) == pid and os.path.exists(f"/proc/{pid}")
        log = (state / "gpu0.log").read_text()
        assert "Unrecoverable error" not in log and "dropped a malformed message" in log
        assert _dropped(client, queues) == len(MALFORMED)
