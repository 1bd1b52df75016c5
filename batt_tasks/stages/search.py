"""Search: the first link of a task's work, on a worker or in the embedded default alike.

It finds the task's candidates (the typed search, a sweep's fixed list, or a user's file), drops second
copies of a text, and cuts the rest into batches for inline -> validate -> score -> persist. What it did
becomes one row of task_searches. The canonical form and the dedup rules that need it are inline's.
"""

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from batt_tasks.data import ArcTask
from batt_tasks.payloads import BatchWork, Candidate, CandidateBatch, TaskPayload
from batt_tasks.search.dedup import distinct_texts
from batt_tasks.search.generate import generate
from batt_tasks.search.task_search import SearchCounts, SearchOptions, SearchResult, Stop, search_task

GeneratorName = Literal["search", "sweep", "user"]


@dataclass(frozen=True)
class WorkOptions:
    """Everything a run's work needs besides its tasks: stored with the run, read by every worker."""

    generator: GeneratorName
    search: SearchOptions = field(default_factory=SearchOptions)
    batch_size: int = 256
    fresh: bool = False

    @property
    def batch_work(self) -> BatchWork:
        return {
            "sample_timeout": self.search.sample_timeout,
            "memory_cap_mb": self.search.memory_cap_mb,
            "fresh": self.fresh,
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "WorkOptions":
        return cls(
            generator=raw["generator"],
            search=SearchOptions(**raw["search"]),
            batch_size=raw["batch_size"],
            fresh=raw["fresh"],
        )


@dataclass(frozen=True)
class SearchRecord:
    """One task's search as it is stored: what it made, what went on, why it ended, where it ran."""

    generator: str
    generated: int
    sent: int
    counts: SearchCounts
    best_origin: str | None
    stopped_by: str
    seconds: float
    worker: str | None
    gpu: str | None


def find_candidates(
    task: ArcTask, work: WorkOptions, given: list[Candidate] | None = None, stop: Stop | None = None
) -> SearchResult:
    """The task's candidates from the run's generator; `given` holds a user file's candidates for the task."""
    if work.generator == "search":
        return search_task(task, work.search, stop)
    started = time.monotonic()
    listed = generate(task, work.search.budget, work.search.seed) if work.generator == "sweep" else list(given or [])
    return SearchResult(task.id, listed, seconds=time.monotonic() - started, stopped_by="listed")


def searched_batches(
    run_id: int, task: TaskPayload, result: SearchResult, work: WorkOptions, worker: str | None, gpu: str | None
) -> tuple[list[CandidateBatch], SearchRecord]:
    """The search's survivors of textual dedup as batches of at most `batch_size`, and its record."""
    survivors = distinct_texts(result.candidates)
    size = work.batch_size
    batches: list[CandidateBatch] = [
        {
            "run_id": run_id,
            "batch_key": f"{task['key']}:{start // size}",
            "task": task,
            "candidates": survivors[start : start + size],
            "timings": {},
            "work": work.batch_work,
        }
        for start in range(0, len(survivors), size)
    ]
    record = SearchRecord(
        generator=work.generator,
        generated=len(result.candidates),
        sent=len(survivors),
        counts=result.counts,
        best_origin=result.best_origin,
        stopped_by=result.stopped_by,
        seconds=round(result.seconds, 6),
        worker=worker,
        gpu=gpu,
    )
    return batches, record
