"""batt: a distributed evaluator for ARC program search.

`celery -A batt_tasks worker` finds the Celery app here as `batt_tasks.app`. It is built on first
access, so that importing the DSL or the stages (in sandbox children, say) never imports Celery.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        from batt_tasks.queue.app import app

        return app
    raise AttributeError(f"module 'batt_tasks' has no attribute {name!r}")
