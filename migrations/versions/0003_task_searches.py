"""Searches on the workers: a row per task's search, the limit each evaluation ran under, a run's owner.

task_searches holds what each task's search did (programs, why it ended, the worker and GPU that ran it);
run_summary and task_history show it beside the evaluations. evaluations.sample_timeout says which limit a
status holds for. runs.owner and runs.heartbeat_at tell a live run from one whose process died.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "correct": one of the task's two best demo-exact solvers (shorter first, then md5) is test-exact,
# the ARC Prize's two attempts; the same rule as `batt run`'s summary.
RUN_SUMMARY = """
CREATE VIEW run_summary AS
WITH counts AS (
    SELECT run_id,
           COUNT(*) AS candidates,
           SUM(CASE WHEN reused_from_run IS NULL THEN 1 ELSE 0 END) AS evaluated,
           SUM(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) AS ok,
           SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
           SUM(CASE WHEN status = 'timeout' THEN 1 ELSE 0 END) AS timeouts,
           SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) AS lost,
           SUM(CASE WHEN status = 'memory' THEN 1 ELSE 0 END) AS memory,
           SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
           COUNT(DISTINCT CASE WHEN demo_exact THEN task_key END) AS solved
    FROM evaluations GROUP BY run_id
),
attempts AS (
    SELECT e.run_id, e.task_key, e.test_exact,
           ROW_NUMBER() OVER (PARTITION BY e.run_id, e.task_key ORDER BY s.size, s.md5) AS attempt
    FROM evaluations e JOIN solvers s ON s.md5 = e.solver_md5
    WHERE e.demo_exact
),
correct AS (
    SELECT run_id, COUNT(DISTINCT task_key) AS correct FROM attempts
    WHERE attempt <= 2 AND test_exact GROUP BY run_id
),
searches AS (
    SELECT run_id, COUNT(*) AS searched, SUM(generated) AS generated, SUM(seconds) AS search_seconds,
           SUM(CASE WHEN stopped_by = 'time' THEN 1 ELSE 0 END) AS hit_time_limit
    FROM task_searches GROUP BY run_id
),
stages AS (SELECT run_id, SUM(seconds) AS seconds FROM stage_timings GROUP BY run_id)
SELECT r.id AS run_id, r.status, r.mode, r.dataset, r.split, r.seed, r.budget, r.started_at, r.finished_at,
       r.tasks, COALESCE(se.searched, 0) AS searched, COALESCE(se.generated, r.generated) AS generated,
       r.after_dedup,
       COALESCE(c.candidates, 0) AS candidates, COALESCE(c.evaluated, 0) AS evaluated,
       COALESCE(c.ok, 0) AS ok, COALESCE(c.errors, 0) AS errors, COALESCE(c.timeouts, 0) AS timeouts,
       COALESCE(c.lost, 0) AS lost, COALESCE(c.memory, 0) AS memory, COALESCE(c.rejected, 0) AS rejected,
       COALESCE(c.solved, 0) AS solved, COALESCE(k.correct, 0) AS correct,
       COALESCE(se.search_seconds, 0) AS search_seconds, COALESCE(se.hit_time_limit, 0) AS hit_time_limit,
       COALESCE(st.seconds, 0) AS seconds
FROM runs r
LEFT JOIN counts c ON c.run_id = r.id
LEFT JOIN correct k ON k.run_id = r.id
LEFT JOIN searches se ON se.run_id = r.id
LEFT JOIN stages st ON st.run_id = r.id
"""

# Per task and run: its evaluations, and its search (programs, why it ended, where it ran, the origin of
# the solver it found). A task searched but with no evaluation (every candidate known) still has a row.
TASK_HISTORY = """
CREATE VIEW task_history AS
WITH evaluated AS (
    SELECT e.task_id, e.task_key, e.run_id,
           COUNT(*) AS candidates,
           MAX(e.demo_score) AS best_demo_score,
           MAX(e.test_score) AS best_test_score,
           MIN(CASE WHEN e.demo_exact THEN e.created_at END) AS first_solved_at,
           (SELECT f.solver_md5 FROM evaluations f
            WHERE f.run_id = e.run_id AND f.task_key = e.task_key AND f.demo_exact
            ORDER BY f.created_at, f.id LIMIT 1) AS first_solver_md5
    FROM evaluations e
    GROUP BY e.task_id, e.task_key, e.run_id
)
SELECT rt.task_id, rt.task_key, rt.run_id,
       COALESCE(ev.candidates, 0) AS candidates, ev.best_demo_score, ev.best_test_score,
       ev.first_solved_at, ev.first_solver_md5,
       ts.generator, ts.generated, ts.enumerated, ts.after_observational, ts.mutated,
       ts.stopped_by, ts.seconds AS search_seconds, ts.best_origin, ts.worker AS search_worker, ts.gpu AS search_gpu
FROM run_tasks rt
LEFT JOIN evaluated ev ON ev.run_id = rt.run_id AND ev.task_key = rt.task_key
LEFT JOIN task_searches ts ON ts.run_id = rt.run_id AND ts.task_key = rt.task_key
"""


def upgrade() -> None:
    for name in ("run_summary", "task_history"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.create_table(
        "task_searches",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_key", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("generator", sa.String(length=16), nullable=False),
        sa.Column("generated", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("enumerated", sa.Integer(), nullable=False),
        sa.Column("after_textual", sa.Integer(), nullable=False),
        sa.Column("after_observational", sa.Integer(), nullable=False),
        sa.Column("mutated", sa.Integer(), nullable=False),
        sa.Column("failed_first_demo", sa.Integer(), nullable=False),
        sa.Column("found_solver", sa.Boolean(), nullable=False),
        sa.Column("best_origin", sa.String(length=200), nullable=True),
        sa.Column("stopped_by", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("gpu", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_key"], ["tasks.key"]),
        sa.PrimaryKeyConstraint("run_id", "task_key"),
    )
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("sample_timeout", sa.Double(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(RUN_SUMMARY)
    op.execute(TASK_HISTORY)


def downgrade() -> None:
    from importlib import import_module

    views = import_module("batt_tasks.migrations.versions.0002_views").VIEWS
    for name in views:  # SQLite rebuilds a table to drop a column: no view may point at it meanwhile
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("sample_timeout")
    op.drop_table("task_searches")
    for sql in views.values():
        op.execute(sql)
