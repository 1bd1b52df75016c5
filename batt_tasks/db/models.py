"""The schema, as SQLAlchemy 2 typed models. Alembic (migrations/) owns its creation and changes."""

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Run(Base):
    """One invocation of `batt run`: its configuration and the producer's counts."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    mode: Mapped[str] = mapped_column(String(16))
    dataset: Mapped[str | None] = mapped_column(String(64))
    split: Mapped[str | None] = mapped_column(String(32))
    seed: Mapped[int]
    budget: Mapped[int]
    git_revision: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tasks: Mapped[int] = mapped_column(default=0)
    generated: Mapped[int] = mapped_column(default=0)
    after_dedup: Mapped[int] = mapped_column(default=0)
    dedup_dropped: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who drives the run ("host:pid:start ticks" of the process that follows it; null once it is detached)
    # and when a process working for it last said so: a `running` run whose owner and workers are silent is dead.
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None]


class Task(Base):
    """An ARC task as it was evaluated: its demo and test grids in ARC's raw form.

    The key is the md5 of the grids: the same id names different grids in different datasets
    (ARC-AGI-1 tasks reappear, some edited, in ARC-AGI-2 and the Kaggle sets).
    """

    __tablename__ = "tasks"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]
    train_count: Mapped[int]
    test_count: Mapped[int]


class RunTask(Base):
    """Which tasks a run covered (all of them, also those whose every candidate was a duplicate)."""

    __tablename__ = "run_tasks"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    task_key: Mapped[str] = mapped_column(ForeignKey("tasks.key"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64))


class Solver(Base):
    """A canonical program, identified by the md5 of its inlined expression (or of its source, if rejected)."""

    __tablename__ = "solvers"

    md5: Mapped[str] = mapped_column(String(32), primary_key=True)
    expression: Mapped[str | None] = mapped_column(Text)
    program: Mapped[str] = mapped_column(Text)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Evaluation(Base):
    """One solver on one task in one run: status, scores per sample, demo and test apart."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("run_id", "task_key", "solver_md5", name="uq_evaluation_run_task_solver"),
        Index("ix_evaluations_task_solver", "task_key", "solver_md5"),
        Index("ix_evaluations_task_id", "task_id"),
        Index("ix_evaluations_task_key_demo", "task_key", "demo_score"),
        Index("ix_evaluations_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    task_key: Mapped[str] = mapped_column(ForeignKey("tasks.key"))
    task_id: Mapped[str] = mapped_column(String(64))
    solver_md5: Mapped[str] = mapped_column(ForeignKey("solvers.md5"))
    origin: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    demo_score: Mapped[float]
    test_score: Mapped[float | None]
    demo_exact: Mapped[bool]
    test_exact: Mapped[bool | None]
    # md5 of its test outputs' wire texts in test order, one per line (payloads.prediction_md5); NULL unless it
    # gave an ok output on every test input, and on rows stored before revision 0004. task_attempts keeps one
    # evaluation per distinct prediction: two solvers that say the same thing are one attempt.
    prediction: Mapped[str | None] = mapped_column(String(32))
    samples: Mapped[list[Any]] = mapped_column(default=list)
    seconds: Mapped[float] = mapped_column(default=0.0)
    reused_from_run: Mapped[int | None]
    worker: Mapped[str | None] = mapped_column(String(200))
    # The per-sample limit it ran under: a timeout is a fact only for that limit or a shorter one.
    sample_timeout: Mapped[float | None]
    # How that limit was counted: "cpu" (the candidate's process CPU time, sandbox.run.SAMPLE_TIMER) from
    # revision 0005; NULL on older rows, timed by the wall clock, whose timeouts a busy machine could cause.
    timer: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class TaskSearch(Base):
    """What one task's search did in one run, where it ran and why it ended: one row, however often it ran."""

    __tablename__ = "task_searches"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    task_key: Mapped[str] = mapped_column(ForeignKey("tasks.key"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64))
    generator: Mapped[str] = mapped_column(String(16))
    generated: Mapped[int]  # candidates the search (or sweep, or file) gave
    sent: Mapped[int]  # of those, distinct texts: what went on to inline
    enumerated: Mapped[int]  # programs the enumerator built
    after_textual: Mapped[int]  # enumerated and mutated programs with distinct texts
    after_observational: Mapped[int]
    mutated: Mapped[int]
    failed_first_demo: Mapped[int]
    found_solver: Mapped[bool]
    best_origin: Mapped[str | None] = mapped_column(String(200))
    stopped_by: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float]
    worker: Mapped[str | None] = mapped_column(String(200))
    gpu: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class StageTiming(Base):
    """Seconds one stage took on one batch (or the producer on one task)."""

    __tablename__ = "stage_timings"
    __table_args__ = (UniqueConstraint("run_id", "batch_key", "stage", name="uq_stage_timing_run_batch_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(64))
    batch_key: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(32))
    seconds: Mapped[float]
    items: Mapped[int]
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
