"""A run's own rows: the run with its options, the tasks it covers, and how it ended."""

import os
import socket
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, RunTask, Task, TaskSearch
from batt_tasks.db.session import insert, session_scope
from batt_tasks.payloads import TaskPayload

# Statuses a run ends in; only a running run moves to one of them.
ENDED = ("finished", "failed", "interrupted", "cancelled", "dead")


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
) -> int:
    """Record a new run and every task it covers (grids once per key); returns the run id.

    `settings` holds dataset, split, seed, budget and the config stored with the run.
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
        return run.id


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
        ended = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "running")
            .values(
                status=status,
                finished_at=datetime.now(UTC),
                generated=counts["generated"],
                after_dedup=counts["after_dedup"],
                dedup_dropped=counts["dropped"],
            )
        )
        return bool(ended.rowcount)


def dedup_counts(session: Session, run_id: int) -> dict[str, Any]:
    """Candidates the run's searches gave, and what each dedup rule dropped, from its rows.

    textual: second copies of a text (the search link); canonical: second copies of an md5 (inline; every
    other candidate that went on has one evaluation row); known: rows copied from earlier runs.
    """
    generated, sent = session.execute(
        select(func.coalesce(func.sum(TaskSearch.generated), 0), func.coalesce(func.sum(TaskSearch.sent), 0)).where(
            TaskSearch.run_id == run_id
        )
    ).one()
    fresh, reused = session.execute(
        select(
            func.count(Evaluation.id).filter(Evaluation.reused_from_run.is_(None)),
            func.count(Evaluation.id).filter(Evaluation.reused_from_run.is_not(None)),
        ).where(Evaluation.run_id == run_id)
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
