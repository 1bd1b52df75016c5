"""Waiting out a database outage on a worker: a restart must cost time, never a search or a chain."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

T = TypeVar("T")
log = logging.getLogger("batt.worker")
# Pauses grow from the first to the longest; the first retry comes soon, a long outage costs few attempts.
FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 10.0


def patiently(action: Callable[[], T], patience: float, what: str) -> T:
    """`action()`, tried again with growing pauses while the database is unreachable, for at most `patience`
    seconds; past that the last error is raised. `what` names the call in the worker's log."""
    deadline = time.monotonic() + patience
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() + pause > deadline:
                raise
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            log.warning("database unreachable during %s (%s); waiting for it, next try in %.1f s", what, reason, pause)
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
