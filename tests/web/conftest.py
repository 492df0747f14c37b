"""Web fixtures: the app over a real SQL store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.settings import Settings
from tests.backends import SQL_BACKENDS, backend_url
from tests.web.support import Api, make_api


@pytest.fixture(params=SQL_BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    settings = Settings(database_url=backend_url(request, request.param, migrated=True))
    yield from make_api(settings)
