"""Initial schema: runs, tasks, solvers, evaluations, stage timings.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:14:00.546711
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=True),
        sa.Column("split", sa.String(length=32), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("git_revision", sa.String(length=64), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("generated", sa.Integer(), nullable=False),
        sa.Column("after_dedup", sa.Integer(), nullable=False),
        sa.Column("dedup_dropped", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "solvers",
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("expression", sa.Text(), nullable=True),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("md5"),
    )
    op.create_table(
        "tasks",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("train_count", sa.Integer(), nullable=False),
        sa.Column("test_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_id"), ["id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_key", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("solver_md5", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("demo_score", sa.Double(), nullable=False),
        sa.Column("test_score", sa.Double(), nullable=True),
        sa.Column("demo_exact", sa.Boolean(), nullable=False),
        sa.Column("test_exact", sa.Boolean(), nullable=True),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("reused_from_run", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["solver_md5"],
            ["solvers.md5"],
        ),
        sa.ForeignKeyConstraint(
            ["task_key"],
            ["tasks.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "task_key", "solver_md5", name="uq_evaluation_run_task_solver"),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_run_status", ["run_id", "status"], unique=False)
        batch_op.create_index("ix_evaluations_task_id", ["task_id"], unique=False)
        batch_op.create_index("ix_evaluations_task_solver", ["task_key", "solver_md5"], unique=False)

    op.create_table(
        "stage_timings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("batch_key", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "batch_key", "stage", name="uq_stage_timing_run_batch_stage"),
    )
    with op.batch_alter_table("stage_timings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_timings_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stage_timings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_timings_run_id"))

    op.drop_table("stage_timings")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_task_solver")
        batch_op.drop_index("ix_evaluations_task_id")
        batch_op.drop_index("ix_evaluations_run_status")

    op.drop_table("evaluations")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_id"))

    op.drop_table("tasks")
    op.drop_table("solvers")
    op.drop_table("runs")
