"""A time plan: `batt run --time-limit 2h` as passes, a cheap one over every task, then deeper ones where it pays.

Pass 1 searches every task at the run's budget, its per-task time cut so that the pass takes at most half the
limit. Each later pass gives the tasks still unsolved whose search could go further (it ended on its budget or
its time, not by running out of programs at its depth) GROWTH times the previous budget, and the time left
shared among them. Each pass is a run of its own, embedded or on the workers alike, recorded and exportable as
soon as it ends (`batt export --run A --run B ...` takes the passes together). The plan stops when the time is
spent, every task is solved, or no unsolved task could go further.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from batt_tasks.db.models import TaskSearch
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import solved_and_correct
from batt_tasks.runs import RunRequest
from batt_tasks.settings import Settings

# Each pass multiplies the budget by this.
GROWTH = 5
# The first pass may take this share of the limit at most: the rest is for deeper passes.
FIRST_PASS_SHARE = 0.5
# A pass shorter than this is not started: its tasks could not search long enough to find anything new.
SHORTEST_PASS_SECONDS = 5.0
# No task's search is cut below this.
SHORTEST_TASK_SECONDS = 0.5
# Searches that ended on these could go further with a larger budget or more time.
COULD_GO_FURTHER = frozenset({"budget", "time"})
UNITS = {"s": 1, "m": 60, "h": 3600}

# (the pass's request, the settings) -> the pass's run summary (`batt run --json`'s keys)
RunPass = Callable[[RunRequest, Settings], dict[str, Any]]


@dataclass(frozen=True)
class PassRecord:
    run_id: int
    tasks: int
    budget: int
    task_seconds: float
    wall_seconds: float
    solved: int  # tasks this pass solved
    hit_time: int  # tasks whose search this pass ended on its time, not its budget


def parse_duration(text: str) -> float:
    """Seconds in "90", "90s", "15m", "2h" or "1h30m"; ValueError for anything else."""
    parts = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not text.strip() or parts is None or not any(parts.groups()):
        raise ValueError(f"{text!r} is not a duration: write e.g. 600, 600s, 15m, 2h or 1h30m")
    hours, minutes, seconds = (float(part or 0) for part in parts.groups())
    total = hours * UNITS["h"] + minutes * UNITS["m"] + seconds
    if total <= 0:
        raise ValueError(f"{text!r} is no time at all")
    return total


def task_seconds(left: float, slots: int, tasks: int, longest: float) -> float:
    """Each task's share of `left` seconds on `slots` parallel searches, at most `longest`."""
    return max(SHORTEST_TASK_SECONDS, min(longest, left * slots / max(1, tasks)))


def run_plan(
    request: RunRequest, settings: Settings, limit: float, slots: int, run_pass: RunPass,
    on_pass: Callable[[PassRecord, int], None] = lambda record, left: None,
) -> dict[str, Any]:  # fmt: skip
    """Run the passes; the summary says what each did and what they solved and got right together.
    `on_pass` hears each pass as it ends, with the tasks left to deepen."""
    started = time.monotonic()
    tasks, budget = list(request.tasks), request.work.search.budget
    share = FIRST_PASS_SHARE
    passes: list[PassRecord] = []
    solved: set[str] = set()
    correct: set[str] = set()
    while tasks:
        left = limit - (time.monotonic() - started)
        if left < SHORTEST_PASS_SECONDS:
            break
        seconds = task_seconds(left * share, slots, len(tasks), settings.search_seconds)
        search = replace(request.work.search, budget=budget, seconds=seconds)
        link = {
            "pass": len(passes) + 1,
            "time_limit_seconds": limit,
            "after_run": passes[-1].run_id if passes else None,
        }
        config = {**request.config, "plan": link}
        one = replace(request, tasks=tasks, work=replace(request.work, search=search), config=config)
        begun = time.monotonic()
        summary = run_pass(one, settings)
        run_id = int(summary["run_id"])
        with session_scope(settings.database_url) as session:
            now_solved, now_correct = solved_and_correct(session, run_id)
            ended = _ended_by(session, run_id)
        further = {task_id for task_id, stopped_by in ended.items() if stopped_by in COULD_GO_FURTHER}
        hit_time = sum(stopped_by == "time" for stopped_by in ended.values())
        wall = time.monotonic() - begun
        record = PassRecord(
            run_id, len(tasks), budget, round(seconds, 3), round(wall, 3), len(now_solved - solved), hit_time
        )
        passes.append(record)
        solved |= now_solved
        correct |= now_correct
        tasks = [task for task in tasks if task.id not in solved and task.id in further]
        on_pass(record, len(tasks))
        if summary.get("status") != "finished":
            break
        budget *= GROWTH
        share = 1.0
    return {
        "time_limit_seconds": limit,
        "wall_seconds": round(time.monotonic() - started, 3),
        "run_ids": [record.run_id for record in passes],
        "passes": [record.__dict__ for record in passes],
        "tasks": len(request.tasks),
        "solved": len(solved),
        "correct": len(correct),
        "left_unsolved": len(request.tasks) - len(solved),
    }


def _ended_by(session: Session, run_id: int) -> dict[str, str]:
    """What ended each task's search in the run, by task id."""
    rows = session.execute(select(TaskSearch.task_id, TaskSearch.stopped_by).where(TaskSearch.run_id == run_id))
    return {task_id: stopped_by for task_id, stopped_by in rows}
