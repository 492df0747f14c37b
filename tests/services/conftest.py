"""Service fixtures: a wired container on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.bootstrap import Container, build, migrate
from fireline.settings import Settings
from tests.backends import BACKENDS, backend_url


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest) -> Iterator[Container]:
    """A container over the in-memory store, a SQLite file and PostgreSQL."""
    settings = Settings(database_url=backend_url(request, request.param))
    migrate(settings)
    built = build(settings)
    yield built
    built.close()
