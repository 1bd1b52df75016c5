"""Run tasks and the views users query: best_solvers, run_summary, stage_summary, task_history.

The SQL is written once for both SQLite and PostgreSQL: window functions, CASE for booleans, no
dialect-specific date arithmetic (seconds come from stage timings, not from timestamps).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Best first: higher demo score, then the shorter program, then the faster, then the md5 (stable).
BEST_SOLVERS = """
CREATE VIEW best_solvers AS
SELECT task_id, task_key, solver_md5, expression, program, size, demo_score, test_score,
       demo_exact, test_exact, seconds, run_id, evaluated_at
FROM (
    SELECT e.task_id, e.task_key, e.solver_md5, s.expression, s.program, s.size, e.demo_score,
           e.test_score, e.demo_exact, e.test_exact, e.seconds, e.run_id, e.created_at AS evaluated_at,
           ROW_NUMBER() OVER (
               PARTITION BY e.task_key
               ORDER BY e.demo_score DESC, s.size ASC, e.seconds ASC, e.solver_md5 ASC
           ) AS position
    FROM evaluations e JOIN solvers s ON s.md5 = e.solver_md5
    WHERE e.status = 'ok' AND e.reused_from_run IS NULL
) ranked
WHERE position = 1
"""

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
stages AS (SELECT run_id, SUM(seconds) AS seconds FROM stage_timings GROUP BY run_id)
SELECT r.id AS run_id, r.status, r.mode, r.dataset, r.split, r.seed, r.budget, r.started_at, r.finished_at,
       r.tasks, r.generated, r.after_dedup,
       COALESCE(c.candidates, 0) AS candidates, COALESCE(c.evaluated, 0) AS evaluated,
       COALESCE(c.ok, 0) AS ok, COALESCE(c.errors, 0) AS errors, COALESCE(c.timeouts, 0) AS timeouts,
       COALESCE(c.memory, 0) AS memory, COALESCE(c.rejected, 0) AS rejected,
       COALESCE(c.solved, 0) AS solved, COALESCE(k.correct, 0) AS correct,
       COALESCE(st.seconds, 0) AS seconds
FROM runs r
LEFT JOIN counts c ON c.run_id = r.id
LEFT JOIN correct k ON k.run_id = r.id
LEFT JOIN stages st ON st.run_id = r.id
"""

STAGE_SUMMARY = """
CREATE VIEW stage_summary AS
SELECT run_id, stage, seconds, items, share,
       CASE WHEN position = 1 THEN 1 ELSE 0 END AS slowest
FROM (
    SELECT run_id, stage, SUM(seconds) AS seconds, SUM(items) AS items,
           SUM(seconds) / NULLIF(SUM(SUM(seconds)) OVER (PARTITION BY run_id), 0) AS share,
           RANK() OVER (PARTITION BY run_id ORDER BY SUM(seconds) DESC) AS position
    FROM stage_timings GROUP BY run_id, stage
) per_stage
"""

TASK_HISTORY = """
CREATE VIEW task_history AS
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
"""

VIEWS = {"best_solvers": BEST_SOLVERS, "run_summary": RUN_SUMMARY, "stage_summary": STAGE_SUMMARY,
         "task_history": TASK_HISTORY}  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "run_tasks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_key", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_key"], ["tasks.key"]),
        sa.PrimaryKeyConstraint("run_id", "task_key"),
    )
    # Runs recorded before this revision: their tasks are the ones they evaluated.
    op.execute(
        "INSERT INTO run_tasks (run_id, task_key, task_id) SELECT DISTINCT run_id, task_key, task_id FROM evaluations"
    )
    with op.batch_alter_table("evaluations") as batch:
        batch.create_index("ix_evaluations_task_key_demo", ["task_key", "demo_score"])
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_index("ix_evaluations_task_key_demo")
    op.drop_table("run_tasks")
