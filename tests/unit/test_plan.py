"""A time plan's arithmetic: durations as people write them, and each task's share of the time left."""

import pytest

from batt_tasks.plan import SHORTEST_TASK_SECONDS, parse_duration, task_seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1h30m", 5400), ("0.5h", 1800)]
)
def test_durations_read_as_people_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "2x", "h", "0", "-5m"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_task_s_share_is_the_time_left_over_the_tasks_per_slot_within_bounds() -> None:
    assert task_seconds(100, 2, 40, 60) == 5
    assert task_seconds(3600, 4, 10, 60) == 60  # never more than the per-task limit
    assert task_seconds(1, 1, 400, 60) == SHORTEST_TASK_SECONDS  # never so little a search cannot start
