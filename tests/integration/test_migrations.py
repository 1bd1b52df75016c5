"""Alembic owns the schema: it upgrades and downgrades cleanly, and the models match what it builds."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from batt_tasks.db.migrate import downgrade, upgrade
from batt_tasks.db.models import Base
from batt_tasks.db.session import get_engine

TABLES = {"runs", "tasks", "run_tasks", "solvers", "evaluations", "stage_timings"}
VIEWS = {"best_solvers", "run_summary", "stage_summary", "task_history", "task_attempts"}


def test_models_match_the_migrated_schema(database_url: str) -> None:
    with get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_downgrade_to_base_and_back(database_url: str) -> None:
    engine = get_engine(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert set(inspect(engine).get_view_names()) >= VIEWS
    downgrade(database_url, "0001")
    assert not VIEWS & set(inspect(engine).get_view_names())
    assert "run_tasks" not in inspect(engine).get_table_names()
    downgrade(database_url, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert set(inspect(engine).get_view_names()) >= VIEWS
