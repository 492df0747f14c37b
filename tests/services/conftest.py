"""Service fixtures: a wired container on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.bootstrap import Container, build
from fireline.settings import Settings
from tests.backends import BACKENDS, backend_url
from tests.services.exchange_network import Instances, Network


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest) -> Iterator[Container]:
    """A container over the in-memory store, a SQLite file and PostgreSQL."""
    settings = Settings(database_url=backend_url(request, request.param, migrated=True))
    built = build(settings)
    yield built
    built.close()


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[Instances]:
    """A hub and members in one process (see tests/services/exchange_network.py)."""
    made = Instances(tmp_path)
    yield made
    made.close()


@pytest.fixture
def net(instances: Instances) -> Network:
    return instances.network()
