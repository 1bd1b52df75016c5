"""evaluations.timer: how a sample's time limit was counted, so that only a real timeout is reused.

From this revision the per-sample timer counts the CPU time of the process running the candidate ("cpu").
Rows stored before were timed by the wall clock, where other work on the machine could stop a correct solver
in time: their timeouts are no fact about the candidate. They keep timer NULL, and persist reuses a timeout
only where timer is "cpu": the next run evaluates such a solver again. Every other status stays a fact.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("timer", sa.String(length=8), nullable=True))


def downgrade() -> None:
    revision_0004 = import_module("batt_tasks.migrations.versions.0004_task_attempts")
    for name in revision_0004.DEPENDENT:  # SQLite rebuilds a table to drop a column: no view may point at it
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("timer")
    for sql in (revision_0004.TASK_ATTEMPTS, revision_0004.BEST_SOLVERS, revision_0004.RUN_SUMMARY):
        op.execute(sql)
    op.execute(import_module("batt_tasks.migrations.versions.0003_task_searches").TASK_HISTORY)
