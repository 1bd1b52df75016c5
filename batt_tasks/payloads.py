"""What travels between the stages: plain JSON-able dicts, so a Celery chain carries them as they are.

A batch is one task's candidates; each stage fills in more of every candidate and adds its own seconds to
the batch's timings. The candidate's type says what the stages so far guarantee: Candidate (search) ->
InlinedCandidate -> ValidatedCandidate -> ScoredCandidate, and a Batch is typed by its candidates'. Grids
travel as lists of lists.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Generic, Literal, NotRequired, TypedDict, TypeGuard, TypeVar

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


# A candidate as it goes through the stages: each stage's type adds the keys that stage guarantees. Every
# one is a plain dict on the wire; the types only say which keys a stage may count on.


class Candidate(TypedDict):
    """What a generator makes (search, sweep, a user's file): a program's text and where it came from."""

    source: str
    origin: str


class InlinedCandidate(Candidate):
    """After inline: the canonical form, whose md5 is the solver's identity (`source` is emptied then)."""

    md5: str
    expression: str | None  # None for a rejected program, which has no canonical form
    program: str  # the program that runs, or for a rejected one a bounded copy of its source
    size: int


class RejectedCandidate(InlinedCandidate):
    """An inlined candidate that inline refused (not a valid DSL program): validate never runs it."""

    status: Literal["rejected"]
    error: str


class ValidatedCandidate(InlinedCandidate):
    """After validate: every sample's run, and the candidate's worst status with its first error."""

    status: CandidateStatus
    error: str | None
    samples: list[SampleRun]


class ScoredCandidate(ValidatedCandidate):
    """After score: per-sample scores (None where the answer is unknown), demo and test apart."""

    scores: list[int | None]
    demo_score: float
    test_score: float | None  # None when no test answer is known
    demo_exact: bool
    test_exact: bool | None
    # md5 of its test outputs (prediction_md5), None unless it gave an ok output on every test input: what
    # tells two solvers' attempts apart once the grids are dropped (task_attempts keeps one per prediction).
    prediction: str | None


def is_rejected(candidate: InlinedCandidate) -> TypeGuard[RejectedCandidate]:
    """Whether inline refused the candidate (only a refused one carries a status before validate)."""
    return "status" in candidate


C = TypeVar("C", bound=Candidate)


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


class Batch(TypedDict, Generic[C]):
    """One task's candidates on their way through the stages, and the seconds each stage took (a chain
    carries one batch or several). `C` is what the candidates are at this point of the chain."""

    run_id: int
    batch_key: str
    task: TaskPayload
    candidates: list[C]
    timings: dict[str, float]
    work: BatchWork
    # md5 -> origin of candidates the database already evaluated on this task: persist copies those rows.
    reused: NotRequired[dict[str, str]]
    worker: NotRequired[str | None]  # the Celery worker's name (None if it has none) or "embedded"


# What each link of a chain takes: search makes a CandidateBatch, inline an InlinedBatch, and so on.
CandidateBatch = Batch[Candidate]
InlinedBatch = Batch[InlinedCandidate]
ValidatedBatch = Batch[ValidatedCandidate]
ScoredBatch = Batch[ScoredCandidate]


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


def prediction_md5(outputs: Sequence[GridText]) -> str:
    """The fingerprint of a prediction: md5 of its test outputs' wire texts, in test order, one per line."""
    return hashlib.md5("\n".join(outputs).encode()).hexdigest()


# An `ok` evaluation stored before predictions were (revision 0004) and complete on every test input gets
# "L" and its solver's md5 instead (migration 0004): an attempt of its own, as it was before, whose outputs
# are not known. An md5 is lowercase hex, so the "L" tells the two apart.
LEGACY_PREDICTION = "L"


def is_legacy_prediction(prediction: str | None) -> bool:
    """Whether a stored prediction is migration 0004's stand-in rather than an md5 of outputs."""
    return prediction is not None and prediction.startswith(LEGACY_PREDICTION)


def grid_rows(text: GridText) -> GridList:
    """The wire text back as a list of rows."""
    return [[int(cell) for cell in row] for row in text.split("|")]
