"""Every job batt publishes says in its headers which run, task and link it is, and Flower's search finds a run.

Real messages on the test Redis, on a queue of this test's own (no worker takes them): a producer process sends
a run's first search jobs and a chain, then sends again what the test took off the queue, as resend does after
a Redis restart. kombu's Redis transport keeps each message as JSON in the queue's lists; Celery's headers hold
argsrepr and kwargsrepr, which a worker copies into the events Flower lists and searches.
"""

import ast
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from flower.utils.search import TaskSearchEngine

from batt_tasks.payloads import CandidateBatch
from batt_tasks.queue.dispatch import LINK_PRIORITY, SEARCH_PRIORITY
from batt_tasks.queue.stash import chain_key
from tests.conftest import REDIS_URL

RUN_ID = 12
KEYS = ["a" * 32, "b" * 32]  # task keys (md5s) in the run's order
IDS = {"a" * 32: "007bbfb7", "b" * 32: "0d3d703e"}

PRODUCER = """
import json, sys
from batt_tasks.queue import stranded
from batt_tasks.queue.dispatch import dispatch_run, resend_stranded, send_chains
from batt_tasks.settings import get_settings
settings = get_settings()
what, argument = json.loads(sys.stdin.read())
if what == "send":
    run_id, keys, ids, batch = argument
    dispatch_run(settings, run_id, keys, settings.queue, 60.0, window=2, task_ids=ids)
    send_chains(settings, [batch], settings.queue)
else:
    stranded.SECOND_LOOK_SECONDS = 0.0
    print(resend_stranded(settings, argument, settings.queue, 60.0))
"""


def _batch() -> CandidateBatch:
    return {
        "run_id": RUN_ID,
        "batch_key": f"{KEYS[0]}:0",
        "task": {"id": "007bbfb7", "key": KEYS[0], "train": [{"input": [[1]], "output": [[2]]}], "test": []},
        "candidates": [{"source": f"def solve(I):\n    return {n}\n", "origin": "seed"} for n in range(3)],
        "timings": {},
        "work": {"sample_timeout": 1.0, "memory_cap_mb": 512, "fresh": False},
    }


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue name of this test's own; afterwards every key naming it goes, and no other key is touched."""
    name = f"labels-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    mine = list(client.scan_iter(f"*{name}*"))
    if mine:
        client.delete(*mine)


def _producer(queue: str, what: str, argument: object) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    env |= {"BATT_BROKER_URL": REDIS_URL, "BATT_QUEUE": queue}
    done = subprocess.run([sys.executable, "-c", PRODUCER], input=json.dumps([what, argument]), env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _step(queue: str, priority: int) -> str:
    """kombu keeps a queue's messages of priority step p > 0 in the list `queue` + "\x06\x16" + p."""
    return f"{queue}\x06\x16{priority}" if priority else queue


def _queued(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """Every message waiting on the queue, one Redis list per priority step."""
    return [json.loads(raw) for step in (0, 3, 6, 9) for raw in client.lrange(_step(queue, step), 0, -1)]


def _labels(messages: list[dict[str, Any]], task: str) -> list[tuple[str, str]]:
    """(argsrepr, kwargsrepr) of the messages for `task`, sorted."""
    headers = [m["headers"] for m in messages if m["headers"]["task"] == task]
    return sorted((h["argsrepr"], h["kwargsrepr"]) for h in headers)


def test_search_jobs_and_every_link_of_a_chain_say_what_they_are(queue: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    batch = _batch()
    key = chain_key(queue, [batch])
    _producer(queue, "send", [RUN_ID, KEYS, IDS, batch])
    sent = _queued(client, queue)

    assert _labels(sent, "batt.search") == [
        ("run=12 task=007bbfb7 index=0", "{'run': 12, 'task': '007bbfb7', 'index': 0}"),
        ("run=12 task=0d3d703e index=1", "{'run': 12, 'task': '0d3d703e', 'index': 1}"),
    ]
    [inline] = [m for m in sent if m["headers"]["task"] == "batt.inline"]
    assert inline["headers"]["argsrepr"] == f"run=12 task=007bbfb7 link=inline candidates=3 batch={key}"
    assert ast.literal_eval(inline["headers"]["kwargsrepr"]) == {
        "run": 12, "task": "007bbfb7", "link": "inline", "candidates": 3, "batch": key,
    }  # fmt: skip
    # The later links travel inside the first one's body and are published as they are, labels included.
    rest = {link["task"]: link["options"] for link in json.loads(inline["body"])[2]["chain"]}
    for stage in ("validate", "score", "persist"):
        assert rest[f"batt.{stage}"]["argsrepr"] == f"run=12 task=007bbfb7 link={stage} candidates=3 batch={key}"
        assert f"'link': '{stage}'" in rest[f"batt.{stage}"]["kwargsrepr"]
    assert rest["batt.validate"]["time_limit"] > 0


def test_jobs_sent_again_after_a_lost_message_say_what_they_are(queue: str) -> None:
    """A resent search knows only its task's key (Redis holds the run's plan by key): it shows that."""
    client = redis.Redis.from_url(REDIS_URL)
    batch = _batch()
    _producer(queue, "send", [RUN_ID, KEYS, IDS, batch])
    # Every search job and the chain's inline message are lost.
    client.delete(_step(queue, SEARCH_PRIORITY), _step(queue, LINK_PRIORITY["inline"]))
    assert _producer(queue, "resend", RUN_ID).strip() == "3"
    sent = _queued(client, queue)
    assert _labels(sent, "batt.search") == [
        (f"run=12 key={KEYS[0][:8]} index=0", f"{{'run': 12, 'key': '{KEYS[0][:8]}', 'index': 0}}"),
        (f"run=12 key={KEYS[1][:8]} index=1", f"{{'run': 12, 'key': '{KEYS[1][:8]}', 'index': 1}}"),
    ]
    [(line, _)] = _labels(sent, "batt.inline")
    assert line.startswith("run=12 task=007bbfb7 link=inline candidates=3 batch=")


def test_flower_finds_one_run_by_its_kwargs(queue: str) -> None:
    """What the README tells a user to type in Flower's task list, against the Flower installed here: its search
    box matches `kwargs:run=12` exactly (run 120 is another run), and `kwargs:` terms combine."""
    client = redis.Redis.from_url(REDIS_URL)
    _producer(queue, "send", [RUN_ID, KEYS, IDS, _batch()])
    other = {"argsrepr": "run=120 task=007bbfb7 index=0", "kwargsrepr": "{'run': 120, 'task': '007bbfb7', 'index': 0}"}
    headers = [m["headers"] for m in _queued(client, queue)] + [{**other, "id": "other", "task": "batt.search"}]
    # A worker's task-received event carries the headers' argsrepr and kwargsrepr as the task's args and kwargs.
    tasks = [
        (h["id"], SimpleNamespace(uuid=h["id"], name=h["task"], state="RECEIVED", worker=None,
                                  args=h["argsrepr"], kwargs=h["kwargsrepr"], result=None))
        for h in headers
    ]  # fmt: skip
    engine = TaskSearchEngine()
    engine.rebuild(tasks)
    names = {task_id: task.name for task_id, task in tasks}

    def found(query: str) -> list[str]:
        return sorted(names[task_id] for task_id in engine.matching_ids(query))

    assert found("kwargs:run=12") == ["batt.inline", "batt.search", "batt.search"]
    assert found("kwargs:run=12 kwargs:link=inline") == ["batt.inline"]
    assert found("kwargs:task=007bbfb7") == ["batt.inline", "batt.search", "batt.search"]
    assert len(found("run=12")) == 4  # a bare term is a substring: run 120 too
