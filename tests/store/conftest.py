"""Stores under test: the in-memory twin, SQLite in a real file, and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.store import MemoryStore, Store
from fireline.store.sql import SqlStore, upgrade

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_BACKENDS]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{(tmp_path / 'fireline.db').as_posix()}"


@pytest.fixture(params=SQL_BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each SQL backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlStore]:
    """A SqlStore on a freshly migrated database, on each SQL backend."""
    upgrade(database_url)
    store = SqlStore(database_url)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same store contract on memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        yield MemoryStore()
        return
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    upgrade(url)
    sql = SqlStore(url)
    yield sql
    sql.close()
