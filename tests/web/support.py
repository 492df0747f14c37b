"""A real app over a real store, with an admin and a matcher key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.testclient import TestClient

from fireline.bootstrap import Container, build
from fireline.domain import Role
from fireline.settings import Settings
from fireline.web import create_app


@dataclass
class Api:
    """A test client plus ready-made auth headers for each role."""

    client: TestClient
    container: Container
    admin: dict[str, str]
    matcher: dict[str, str]


def make_api(settings: Settings) -> Iterator[Api]:
    container = build(settings)
    _, admin = container.keys.create(name="test admin", role=Role.ADMIN)
    _, matcher = container.keys.create(name="test matcher", role=Role.MATCHER)
    with TestClient(create_app(container)) as client:
        yield Api(
            client=client,
            container=container,
            admin={"Authorization": f"Bearer {admin}"},
            matcher={"X-API-Key": matcher},
        )
    container.close()
