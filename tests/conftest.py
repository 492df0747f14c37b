"""Fixtures every test package may use."""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from fireline.store.sql import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "FIRELINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_url() -> URL:
    admin_url = make_url(POSTGRES_ADMIN_URL)
    if admin_url.drivername in ("postgresql", "postgres"):
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    return admin_url


class _Databases:
    """Creates PostgreSQL test databases, and drops them on a thread of its own.

    Dropping a database waits for the server's files to go; the next test need not wait
    for that, so drops are queued and done while tests run (all done by session end).
    """

    def __init__(self) -> None:
        self.admin_url = _admin_url()
        self.admin = create_engine(self.admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_queued, daemon=True)
        self._dropper.start()
        self._template: str | None = None

    def create(self, *, template: str | None = None) -> str:
        name = f"fireline_test_{uuid.uuid4().hex}"
        clause = f' TEMPLATE "{template}"' if template else ""
        problem = None
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        except SQLAlchemyError as exc:
            problem = str(getattr(exc, "orig", None) or exc).strip()
        if problem is not None:
            pytest.fail(
                f"PostgreSQL is unreachable at "
                f"{self.admin_url.render_as_string(hide_password=True)}: {problem}\nStart "
                "it, or point FIRELINE_TEST_POSTGRES_URL at a server where this user may "
                "create databases.",
                pytrace=False,
            )
        return name

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def migrated_template(self) -> str:
        """A database at the newest schema revision, made once per test process."""
        if self._template is None:
            name = self.create()
            upgrade(self.url(name))  # disposes its engine: no session keeps the template busy
            self._template = name
        return self._template

    def drop_later(self, name: str) -> None:
        self._drops.put(name)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except SQLAlchemyError:
                pass  # a database left behind costs disk, not a test result
            finally:
                self._drops.task_done()

    def close(self) -> None:
        if self._template is not None:
            self._drops.put(self._template)
        self._drops.put(None)
        self._dropper.join()
        self.admin.dispose()


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[_Databases]:
    databases = _Databases()
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(_postgres_databases: _Databases) -> Iterator[str]:
    """The URL of a fresh, EMPTY PostgreSQL database, dropped after the test.

    Nothing is migrated: call ``fireline.store.sql.upgrade(url)`` (or ``fireline db
    upgrade``) first, or use ``migrated_postgres_url``. Each test gets its own database,
    so tests run in parallel under xdist. The server is ``FIRELINE_TEST_POSTGRES_URL``
    (default: local, user postgres); when it is unreachable the test fails, it is never
    skipped.
    """
    name = _postgres_databases.create()
    yield _postgres_databases.url(name)
    _postgres_databases.drop_later(name)


@pytest.fixture
def migrated_postgres_url(_postgres_databases: _Databases) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema revision, dropped after the test.

    Cloned from a database migrated once per test process (``CREATE DATABASE ...
    TEMPLATE``), which is what running the migrations gives, in a fraction of the time.
    """
    name = _postgres_databases.create(template=_postgres_databases.migrated_template())
    yield _postgres_databases.url(name)
    _postgres_databases.drop_later(name)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "fireline.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A SQLite file at the newest schema revision: a copy of one migrated once."""
    target = tmp_path / "fireline.db"
    with (
        closing(sqlite3.connect(_sqlite_template)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target.as_posix()}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{(tmp_path / 'fireline.db').as_posix()}"
