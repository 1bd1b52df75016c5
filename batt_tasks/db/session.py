"""Engines and sessions: one engine per database URL per process, made after any fork."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


def get_engine(url: str) -> Engine:
    """The engine for url in this process; a forked child gets its own, never its parent's sockets."""
    return _engine_for(url, os.getpid())


@cache
def _engine_for(url: str, pid: int) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # the CLI may read while a run writes
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe against a crash, one fsync per checkpoint
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert(session: Session, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT on the model's table, which knows ON CONFLICT (PostgreSQL and SQLite alike).

    Statements are executed with a list of rows (executemany), never with rows baked into VALUES:
    the compiled statement is then cached and reused by every batch.
    """
    table = model.__table__
    if not isinstance(table, Table):  # a model mapped to a table, not to a join or a select
        raise TypeError(f"{model.__name__} is not mapped to a table")
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
