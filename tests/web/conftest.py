"""Web fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.settings import Settings
from tests.web.support import Api, make_api


@pytest.fixture
def api() -> Iterator[Api]:
    yield from make_api(Settings(database_url="memory://"))
