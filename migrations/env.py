"""Alembic's entry point: migrate the database whose URL the caller put in the config."""

from alembic import context

from batt_tasks.db.models import Base
from batt_tasks.db.session import get_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database URL given to Alembic (set sqlalchemy.url or use `batt db upgrade`)")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with get_engine(url).connect() as connection:
        # SQLite alters tables by copying them: batch mode makes one set of migrations fit both databases
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
