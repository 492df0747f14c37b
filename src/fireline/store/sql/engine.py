"""Engines and transactions: SQLite tuned for one writer and parallel readers, or PostgreSQL.

Every store method runs inside :func:`reading` or :func:`writing`. Both translate database
failures into :class:`~fireline.domain.StorageError`; a transaction that raises is rolled
back, so nothing it did is kept.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fireline.domain import FirelineError, StorageError

# Execution option marking a connection that is about to write: on SQLite its transaction
# starts with BEGIN IMMEDIATE, taking the write lock up front instead of failing midway.
WRITE = "fireline_write"

_BUSY_TIMEOUT_MS = 10_000

_SQLITE_PRAGMAS = (
    # In WAL mode NORMAL may lose the last commits on power loss; a success must be durable.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


def normalise_url(url: str | URL) -> URL:
    """The URL with ``postgresql://`` pointed at psycopg 3; StorageError if unsupported."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!s}", code="bad_database_url") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://",
            code="bad_database_url",
        )
    return parsed


def make_engine(url: str | URL) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, configured for fireline's transactions."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No server-side prepared statements: a generic plan for the dedupe lookup (a long
    # IN list) falls back to scanning the bank right after a bulk import, before ANALYZE,
    # which made re-importing 100k signals take minutes instead of seconds.
    return create_engine(parsed, pool_pre_ping=True, connect_args={"prepare_threshold": None})


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module (it skips it for reads and DDL); _sqlite_begin
    # emits it instead, so every transaction is a real one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # First, so that the pragmas below also wait for a busy database instead of failing.
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _ensure_wal(cursor)
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _ensure_wal(cursor: Any) -> None:
    # WAL is a property of the file: once set, later connections only read it. Switching
    # needs an exclusive lock, and SQLite does not call the busy handler for that upgrade
    # (it would deadlock two connections upgrading at once), so a fresh file opened by
    # several processes at the same moment can see "database is locked" here. Retry until
    # the busy timeout instead.
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            return
        try:
            # In-memory databases answer "memory" and stay so; that is fine.
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _sqlite_begin(connection: Connection) -> None:
    # Writers queue on the write lock at BEGIN (waiting up to busy_timeout); readers take a
    # snapshot and never block anyone under WAL.
    if connection.get_execution_options().get(WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed when the block ends without error."""
    with _translated(), engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection in a read transaction (one consistent snapshot on SQLite)."""
    with _translated(), engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except FirelineError:
        raise
    except SQLAlchemyError as exc:
        raise storage_error(exc) from exc


def storage_error(exc: SQLAlchemyError) -> StorageError:
    """A StorageError saying what the database reported, without the SQL statement."""
    cause = getattr(exc, "orig", None) or exc
    detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return StorageError(f"the database could not complete the operation: {detail}")
