"""Alembic migrations: the schema's history. Installed as batt_tasks.migrations."""
