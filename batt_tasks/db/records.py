"""A run's own rows: the run with its options, the tasks it covers, and how it ended."""

import os
import socket
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, RunTask, Task, TaskSearch
from batt_tasks.db.session import insert, session_scope
from batt_tasks.payloads import TaskPayload

# Statuses a run ends in; only a running run moves to one of them.
ENDED = ("finished", "failed", "interrupted", "cancelled", "dead")
# The run's config key naming the tasks it skipped as solved by an earlier run ({task key: task id}).
SKIPPED_SOLVED = "skipped_solved"


def git_revision() -> str | None:
    """The checked-out commit of batt, when it runs from a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def process_owner() -> str:
    """This process as a run's owner: host, pid and start time (a pid alone may be reused by a stranger)."""
    return f"{socket.gethostname()}:{os.getpid()}:{process_start_ticks(os.getpid())}"


def process_start_ticks(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (field 22 of /proc/PID/stat); None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def start_run(
    database_url: str,
    tasks: Sequence[tuple[TaskPayload, str]],
    mode: str,
    settings: dict[str, Any],
    owner: str | None,
    skip_solved: bool = False,
    sample_timeout: float = 1.0,
) -> int:
    """Record a new run and every task it covers (grids once per key); returns the run id.

    `settings` holds dataset, split, seed, budget and the config stored with the run. With `skip_solved`, the
    tasks an earlier run solved are settled in the same transaction (reuse_solved, under the run's per-sample
    limit): the run's config names them, and no search of the run may start before that is recorded.
    """
    with session_scope(database_url) as session:
        run = Run(
            mode=mode,
            dataset=settings["dataset"],
            split=settings["split"],
            seed=settings["seed"],
            budget=settings["budget"],
            git_revision=git_revision(),
            config=settings["config"],
            tasks=len(tasks),
            owner=owner,
            heartbeat_at=datetime.now(UTC),
        )
        session.add(run)
        session.flush()
        save_tasks(session, run.id, tasks)
        if skip_solved:
            skipped = reuse_solved(session, run.id, [task for task, _ in tasks], sample_timeout)
            run.config = {**run.config, SKIPPED_SOLVED: skipped}
        return run.id


def reuse_solved(session: Session, run_id: int, tasks: Sequence[TaskPayload], sample_timeout: float) -> dict[str, str]:
    """Of `tasks`, those an earlier run solved: an original evaluation (not a copy) that ran ok and was exact on
    every demo and every test output. Each such solver's evaluation is copied into this run as reused (the
    stages' own reuse_evaluations, so the copy is what a rerun of it would reuse); returns {task key: task id}
    of the tasks that now hold a solved row in this run: the ones it does not search.

    A task whose test outputs are unknown (a Kaggle challenge) is never skipped: no row of it is test-exact.
    """
    from batt_tasks.stages.persist import reuse_evaluations  # the stages' rule for what a copy holds

    by_key = {task["key"]: task for task in tasks}
    if not by_key:
        return {}
    query = (
        select(Evaluation.task_key, Evaluation.solver_md5, Evaluation.origin)
        .where(_solved(list(by_key)), Evaluation.run_id != run_id, Evaluation.reused_from_run.is_(None))
        .order_by(Evaluation.id)
    )
    origins: dict[str, dict[str, str]] = defaultdict(dict)
    for key, md5, origin in session.execute(query):
        origins[key][md5] = origin
    for key, chosen in origins.items():
        reuse_evaluations(session, run_id, by_key[key], chosen, sample_timeout)
    # A copy is the latest evaluation of its solver that still holds: the solved one itself, unless a later
    # evaluation of the same program says otherwise. Only a task with a solved row in this run is skipped.
    copied = set(
        session.scalars(select(Evaluation.task_key).where(Evaluation.run_id == run_id, _solved(list(origins))))
    )
    return {key: task["id"] for key, task in by_key.items() if key in copied}


def _solved(task_keys: list[str]) -> ColumnElement[bool]:
    """Rows of these tasks that solve them: ran ok, exact on every demo and every test output."""
    return and_(
        Evaluation.task_key.in_(task_keys),
        Evaluation.status == "ok",
        Evaluation.demo_exact.is_(True),
        Evaluation.test_exact.is_(True),
    )


def skipped_solved(run: Run) -> dict[str, str]:
    """The tasks (key -> id) a run skipped as solved before; empty unless it was asked to (reuse_solved)."""
    skipped: dict[str, str] = (run.config or {}).get(SKIPPED_SOLVED) or {}
    return skipped


def save_tasks(session: Session, run_id: int, tasks: Sequence[tuple[TaskPayload, str]]) -> None:
    """Each task's grids once per key (later runs keep the first copy), and that the run covers it."""
    if not tasks:
        return
    rows = [
        {
            "key": task["key"], "id": task["id"], "source": source,
            "content": {"train": task["train"], "test": task["test"]},
            "train_count": len(task["train"]), "test_count": len(task["test"]),
        }
        for task, source in tasks
    ]  # fmt: skip
    session.execute(insert(session, Task).on_conflict_do_nothing(index_elements=["key"]), rows)
    covered = [{"run_id": run_id, "task_key": task["key"], "task_id": task["id"]} for task, _ in tasks]
    statement = insert(session, RunTask).on_conflict_do_nothing(index_elements=["run_id", "task_key"])
    session.execute(statement, covered)


def finish_run(database_url: str, run_id: int, status: str = "finished") -> bool:
    """Mark a running run ended, with its dedup counts; False when it had ended already (a cancel wins)."""
    with session_scope(database_url) as session:
        counts = dedup_counts(session, run_id)
        # An UPDATE's result is a CursorResult, which has the row count; Session.execute is typed for any statement.
        ended = cast(
            CursorResult[Any],
            session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(
                    status=status,
                    finished_at=datetime.now(UTC),
                    generated=counts["generated"],
                    after_dedup=counts["after_dedup"],
                    dedup_dropped=counts["dropped"],
                )
            ),
        )
        return bool(ended.rowcount)


def dedup_counts(session: Session, run_id: int) -> dict[str, Any]:
    """Candidates the run's searches gave, and what each dedup rule dropped, from its rows.

    textual: second copies of a text (the search link); canonical: second copies of an md5 (inline; every
    other candidate that went on has one evaluation row); known: rows copied from earlier runs (not those of
    tasks skipped as solved before: no search gave them).
    """
    generated, sent = session.execute(
        select(func.coalesce(func.sum(TaskSearch.generated), 0), func.coalesce(func.sum(TaskSearch.sent), 0)).where(
            TaskSearch.run_id == run_id
        )
    ).one()
    skipped = list(skipped_solved(session.get_one(Run, run_id)))
    fresh, reused = session.execute(
        select(
            func.count(Evaluation.id).filter(Evaluation.reused_from_run.is_(None)),
            func.count(Evaluation.id).filter(Evaluation.reused_from_run.is_not(None)),
        ).where(Evaluation.run_id == run_id, Evaluation.task_key.not_in(skipped))
    ).one()
    return {
        "generated": int(generated),
        "after_dedup": int(fresh),
        "dropped": {
            "textual": int(generated) - int(sent),
            "canonical": max(0, int(sent) - int(fresh) - int(reused)),
            "known": int(reused),
        },
    }


def owner_alive(owner: str) -> bool | None:
    """Whether a run's owning process still runs; None when it ran on another host (no way to tell here)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return None
    _, pid, ticks = parts
    return pid.isdigit() and process_start_ticks(int(pid)) == ticks


def mark_if_dead(database_url: str, run_id: int) -> bool:
    """Mark a run `dead` when it is still `running` but the process that owned it on this host is gone
    (killed with SIGKILL, the machine rebooted): its rows stay, and it stops looking live."""
    with session_scope(database_url) as session:
        run = session.get_one(Run, run_id)
        if run.status != "running" or not run.owner or owner_alive(run.owner) is not False:
            return False
    return finish_run(database_url, run_id, "dead")
