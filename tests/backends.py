"""The backends store-backed tests run on: memory, SQLite and PostgreSQL (never skipped)."""

from __future__ import annotations

import pytest

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_BACKENDS]


def backend_url(request: pytest.FixtureRequest, backend: str, *, migrated: bool = False) -> str:
    """A database URL for ``backend`` (``memory://`` for the in-memory store).

    Empty, or with ``migrated`` at the newest schema revision. Uses the ``sqlite_url``,
    ``postgres_url`` and ``migrated_...`` fixtures of ``tests/conftest.py``.
    """
    if backend == "memory":
        return "memory://"
    fixture = "sqlite_url" if backend == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(f"migrated_{fixture}" if migrated else fixture)
    return url
