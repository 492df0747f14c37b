"""The backends store-backed tests run on: memory, SQLite and PostgreSQL (never skipped)."""

from __future__ import annotations

import pytest

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_BACKENDS]


def backend_url(request: pytest.FixtureRequest, backend: str) -> str:
    """An empty database URL for ``backend`` (``memory://`` for the in-memory store).

    Uses the ``sqlite_url`` and ``postgres_url`` fixtures of ``tests/conftest.py``.
    """
    if backend == "memory":
        return "memory://"
    url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    return url
