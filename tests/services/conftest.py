"""Service fixtures: a wired container over the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.bootstrap import Container, build
from fireline.settings import Settings


@pytest.fixture
def container() -> Iterator[Container]:
    built = build(Settings(database_url="memory://"))
    yield built
    built.close()
