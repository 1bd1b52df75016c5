"""Schema upgrades through Alembic, for `batt db upgrade` and for every run's start."""

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from batt_tasks.db.session import get_engine


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


def schema_behind(database_url: str) -> str | None:
    """None when the schema is at head; else the revision it is at ("empty" for a new database)."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with get_engine(database_url).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return None if current == head else current or "empty"
