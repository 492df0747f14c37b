"""Stores under test: the in-memory twin, SQLite in a real file, and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.store import MemoryStore, Store
from fireline.store.sql import SqlStore
from tests.backends import BACKENDS, SQL_BACKENDS, backend_url


@pytest.fixture(params=SQL_BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each SQL backend."""
    return backend_url(request, request.param)


@pytest.fixture(params=SQL_BACKENDS)
def sql_store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    """A SqlStore on a freshly migrated database, on each SQL backend."""
    store = SqlStore(backend_url(request, request.param, migrated=True))
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same store contract on memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        yield MemoryStore()
        return
    sql = SqlStore(backend_url(request, request.param, migrated=True))
    yield sql
    sql.close()
