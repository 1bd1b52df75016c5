"""What Flower shows of each job batt sends: its run, task and link, not a chain key or a bare index.

Celery copies a message's `argsrepr` and `kwargsrepr` into the events Flower reads, and Flower's task list
shows them as the job's args and kwargs and searches them. argsrepr is the line a person reads
(`run=12 task=007bbfb7 index=3`); kwargsrepr holds the same fields as a dict literal, because Flower matches
`kwargs:run=12` against it exactly, where a bare `run=12` is a substring search that also finds run 120.
"""

from collections.abc import Sequence
from typing import TypedDict

from batt_tasks.payloads import Batch, C
from batt_tasks.queue.stash import Link

# A user's task ids can be long: a bundle's list of them is cut here, Flower's column stays readable.
MAX_TASKS_SHOWN = 80


class Label(TypedDict):
    """Options for apply_async or Signature.set."""

    argsrepr: str
    kwargsrepr: str


def search_label(run_id: int, index: int, task_key: str, task_id: str | None = None) -> Label:
    """A search job: the task's id where the sender has it (the producer), else its key's first 8 characters
    (a worker sending the next job knows only the key, and a database query per job is not worth a label)."""
    task = ("task", task_id) if task_id else ("key", task_key[:8])
    return _label(("run", run_id), task, ("index", index))


def link_label(chain_key: str, link: Link, bundle: Sequence[Batch[C]]) -> Label:
    """A chain's link: its run, tasks, stage, candidates, and the chain's key (its batches' stash in Redis)."""
    tasks = ",".join(sorted({batch["task"]["id"] for batch in bundle}))[:MAX_TASKS_SHOWN]
    count = sum(len(batch["candidates"]) for batch in bundle)
    return _label(
        ("run", bundle[0]["run_id"]), ("task", tasks), ("link", link), ("candidates", count), ("batch", chain_key)
    )


def _label(*fields: tuple[str, str | int]) -> Label:
    # repr() quotes whatever a task id holds, so the kwargs Flower parses stay one dict literal.
    return {"argsrepr": " ".join(f"{name}={value}" for name, value in fields), "kwargsrepr": repr(dict(fields))}
