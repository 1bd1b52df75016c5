"""A worker's database call waits out an outage, for as long as its patience and no longer."""

import pytest
from sqlalchemy.exc import OperationalError

from batt_tasks.db import patience
from batt_tasks.db.patience import patiently


def test_an_outage_shorter_than_the_patience_costs_only_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patience.time, "sleep", lambda seconds: None)
    left = [3]

    def call() -> str:
        if left[0]:
            left[0] -= 1
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        return "rows"

    assert patiently(call, 60, "a test") == "rows"
    assert left == [0]


def test_an_outage_longer_than_the_patience_raises_the_error() -> None:
    tries = [0]

    def call() -> str:
        tries[0] += 1
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    with pytest.raises(OperationalError):
        patiently(call, 0.6, "a test")
    assert tries[0] == 2  # at once, then after the first pause; a second pause would pass the patience


def test_other_errors_are_not_waited_for() -> None:
    def call() -> str:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        patiently(call, 60, "a test")
