"""Schema upgrades through Alembic, for `batt db upgrade` and for every run's start."""

from importlib.resources import files

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at batt's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(files("batt_tasks.migrations")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema back to `revision` ("base" drops every table)."""
    command.downgrade(alembic_config(database_url), revision)
