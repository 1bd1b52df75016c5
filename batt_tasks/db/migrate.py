"""Schema upgrades through Alembic, for `batt db upgrade` and for every run's start.

Alembic is imported only when there is something to do: a run on a database already at head (every run but
the first) asks the database its revision and the migrations folder its newest file, and spares the import.
"""

from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from batt_tasks.db.session import get_engine

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(database_url: str) -> "Config":
    """An Alembic config pointing at batt's migrations and the given database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("batt_tasks.migrations")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    if revision == "head" and current_revision(database_url) == newest_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema back to `revision` ("base" drops every table)."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def newest_revision() -> str:
    """The head revision, read from the migration files' names: each is `<revision>_<what it does>.py`,
    numbered in order (a test holds this to Alembic's own head)."""
    versions = files("batt_tasks.migrations").joinpath("versions")
    return max(entry.name.split("_")[0] for entry in versions.iterdir() if entry.name[:4].isdigit())


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    with get_engine(database_url).connect() as connection:
        try:
            revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no alembic_version table yet
            return None
    return None if revision is None else str(revision)


def schema_behind(database_url: str) -> str | None:
    """None when the schema is at head; else the revision it is at ("empty" for a new database)."""
    current = current_revision(database_url)
    return None if current == newest_revision() else current or "empty"
