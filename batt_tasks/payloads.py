"""What travels between the stages: plain JSON-able dicts, so a Celery chain carries them as they are.

A batch is one task's candidates; each stage fills in more of every candidate record and adds its
own seconds to the batch's timings. Grids travel as lists of lists.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Literal, NotRequired, TypedDict

from batt_tasks.data import ArcTask

GridList = list[list[int]]
# An output grid on the wire: its rows as digit strings joined by "|" ("012|345" is 2 x 3). A tenth
# of the JSON of nested lists, and NumPy reads it without a Python loop over cells.
GridText = str
# `lost`: the sandbox pool killed the process running it from outside (stuck where its timer cannot
# reach) or otherwise got no answer: the pool's verdict, not one on the candidate, unlike `timeout`.
SampleStatus = Literal["ok", "error", "timeout", "lost", "memory", "rejected"]
CandidateStatus = SampleStatus


class SampleRun(TypedDict):
    """One candidate on one sample: what it returned, or why it did not."""

    status: SampleStatus
    output: GridText | None
    error: str | None
    seconds: float


class CandidateRecord(TypedDict):
    """One candidate, filled in stage by stage."""

    source: str
    origin: str
    md5: NotRequired[str]
    expression: NotRequired[str | None]
    program: NotRequired[str]
    size: NotRequired[int]
    status: NotRequired[CandidateStatus]
    error: NotRequired[str | None]
    samples: NotRequired[list[SampleRun]]
    scores: NotRequired[list[int | None]]
    demo_score: NotRequired[float]
    test_score: NotRequired[float | None]
    demo_exact: NotRequired[bool]
    test_exact: NotRequired[bool | None]


class TaskPayload(TypedDict):
    """A task in ARC's raw form plus its id and key (md5 of the grids): small enough to ride along."""

    id: str
    key: str
    train: list[dict[str, GridList]]
    test: list[dict[str, GridList | None]]


class BatchWork(TypedDict):
    """The run's own limits, carried with its work so a worker applies them, not its environment's."""

    sample_timeout: float
    memory_cap_mb: int
    fresh: bool  # re-evaluate solvers the database already knows for the task


class Batch(TypedDict):
    """One task's candidates on their way through the stages, and the seconds each stage took (a chain
    carries one batch or several)."""

    run_id: int
    batch_key: str
    task: TaskPayload
    candidates: list[CandidateRecord]
    timings: dict[str, float]
    work: BatchWork
    # md5 -> origin of candidates the database already evaluated on this task: persist copies those rows.
    reused: NotRequired[dict[str, str]]
    worker: NotRequired[str]


def task_payload(task: ArcTask) -> TaskPayload:
    """A loaded task as it travels; its key is the md5 of its id and grids, test answers included.

    The id is part of the identity: two ids with the same grids are two tasks a user asked for, and each
    must come out in the summary and the export; one id with edited grids (a later dataset) is another task.
    """
    raw = task.to_json()
    text = json.dumps({"id": task.id, **raw}, sort_keys=True, separators=(",", ":"))
    key = hashlib.md5(text.encode()).hexdigest()
    test = [{"input": pair["input"], "output": pair.get("output")} for pair in raw["test"]]
    return {"id": task.id, "key": key, "train": raw["train"], "test": test}


_DIGITS = bytes.maketrans(bytes(range(10)), b"0123456789")


def grid_text(rows: Sequence[Sequence[int]]) -> GridText:
    """A grid of colours 0-9 as its wire text (bytes() and translate keep the loop over cells in C)."""
    return b"|".join(map(bytes, rows)).translate(_DIGITS).decode()


def grid_rows(text: GridText) -> GridList:
    """The wire text back as a list of rows."""
    return [[int(cell) for cell in row] for row in text.split("|")]
