"""One ranking rule for "which solver is best": evaluations.prediction and the task_attempts view.

evaluations.prediction is the md5 of a candidate's test outputs (their wire texts in test order, one per
line; NULL unless it gave an ok output on every test input). task_attempts holds each task's two attempts
per run: among its `ok` evaluations with a prediction, the best one per distinct prediction, ranked by the
one rule (demo_score DESC, then solvers.size ASC, then solver_md5 ASC: no seconds, which change between runs).
run_summary's `correct` is now "an attempt is test-exact", the same attempts `batt export` submits, and
best_solvers orders by the same rule.

Rows stored before this revision have no outputs to fingerprint. An `ok` one whose every test sample ran
`ok` gets "L" and its solver's md5 (payloads.LEGACY_PREDICTION): an attempt of its own, as every solver was
before, so a run recorded earlier keeps its `correct` count and its export. Later runs do not copy such a row
(persist evaluates that solver again and stores its real prediction).

Revision ID: 0004
Revises: 0003
"""

import json
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The one rule (batt_tasks.db.queries.BEST_FIRST is the same in Python): higher demo score, then the shorter
# program, then the md5. Per (run, task): the best evaluation of each distinct prediction, then the first two
# of those. ROW_NUMBER over (run, task, prediction) keeps one per prediction: two solvers with the same test
# outputs are one attempt, and the next different prediction is attempt 2.
TASK_ATTEMPTS = """
CREATE VIEW task_attempts AS
WITH per_prediction AS (
    SELECT e.run_id, e.task_id, e.task_key, e.solver_md5, s.size, e.demo_score, e.demo_exact, e.test_exact,
           e.prediction,
           ROW_NUMBER() OVER (
               PARTITION BY e.run_id, e.task_key, e.prediction
               ORDER BY e.demo_score DESC, s.size ASC, e.solver_md5 ASC
           ) AS position
    FROM evaluations e JOIN solvers s ON s.md5 = e.solver_md5
    WHERE e.status = 'ok' AND e.prediction IS NOT NULL
),
ranked AS (
    SELECT run_id, task_id, task_key, solver_md5, demo_score, demo_exact, test_exact, prediction,
           ROW_NUMBER() OVER (
               PARTITION BY run_id, task_key
               ORDER BY demo_score DESC, size ASC, solver_md5 ASC
           ) AS attempt
    FROM per_prediction WHERE position = 1
)
SELECT run_id, task_id, task_key, attempt, solver_md5, demo_score, demo_exact, test_exact, prediction
FROM ranked WHERE attempt <= 2
"""

# Best first by the one rule, across all runs; of one solver's evaluations in several runs, the earliest.
BEST_SOLVERS = """
CREATE VIEW best_solvers AS
SELECT task_id, task_key, solver_md5, expression, program, size, demo_score, test_score,
       demo_exact, test_exact, seconds, run_id, evaluated_at
FROM (
    SELECT e.task_id, e.task_key, e.solver_md5, s.expression, s.program, s.size, e.demo_score,
           e.test_score, e.demo_exact, e.test_exact, e.seconds, e.run_id, e.created_at AS evaluated_at,
           ROW_NUMBER() OVER (
               PARTITION BY e.task_key
               ORDER BY e.demo_score DESC, s.size ASC, e.solver_md5 ASC, e.id ASC
           ) AS position
    FROM evaluations e JOIN solvers s ON s.md5 = e.solver_md5
    WHERE e.status = 'ok' AND e.reused_from_run IS NULL
) ranked
WHERE position = 1
"""

# "correct": one of the task's two attempts (task_attempts) is test-exact, the ARC Prize's rule; the same
# attempts `batt export` submits and `batt run`'s summary counts.
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
correct AS (
    SELECT run_id, COUNT(DISTINCT task_key) AS correct FROM task_attempts
    WHERE test_exact GROUP BY run_id
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

# Views that read evaluations, dropped first (run_summary before task_attempts, which it reads).
DEPENDENT = ("run_summary", "task_attempts", "best_solvers", "task_history")


def _earlier(name: str) -> ModuleType:
    """An earlier revision's module, for the view definitions it made."""
    return import_module(f"batt_tasks.migrations.versions.{name}")


def upgrade() -> None:
    for name in DEPENDENT:  # SQLite may rebuild the table: no view may point at it meanwhile
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("prediction", sa.String(length=32), nullable=True))
    _fill_legacy_predictions()
    op.execute(TASK_ATTEMPTS)
    op.execute(BEST_SOLVERS)
    op.execute(RUN_SUMMARY)
    op.execute(_earlier("0003_task_searches").TASK_HISTORY)


# The stand-in of payloads.LEGACY_PREDICTION, spelled out here: a migration does what it did when it was written.
LEGACY = "L"


def _fill_legacy_predictions() -> None:
    """Earlier `ok` rows complete on their test samples: "L" + their solver's md5, 32 characters in all."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, solver_md5, samples FROM evaluations WHERE status = 'ok'"))
    complete = []
    for row_id, md5, samples in rows:
        samples = json.loads(samples) if isinstance(samples, str) else samples  # SQLite hands JSON back as text
        tests = [sample for sample in samples or [] if sample.get("kind") == "test"]
        if tests and all(sample.get("status") == "ok" for sample in tests):
            complete.append({"id": row_id, "prediction": LEGACY + md5[:31]})
    if complete:
        statement = sa.text("UPDATE evaluations SET prediction = :prediction WHERE id = :id")
        connection.execute(statement, complete)


def downgrade() -> None:
    for name in DEPENDENT:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("prediction")
    op.execute(_earlier("0002_views").BEST_SOLVERS)
    revision_0003 = _earlier("0003_task_searches")
    op.execute(revision_0003.RUN_SUMMARY)
    op.execute(revision_0003.TASK_HISTORY)
