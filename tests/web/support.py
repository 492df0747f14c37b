"""A real app over a real store, with a key of every role."""

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
    #: Headers with a key of each role (admin and matcher are the two above).
    roles: dict[Role, dict[str, str]]

    @property
    def reviewer(self) -> dict[str, str]:
        """A key that reads entries but changes nothing."""
        return self.roles[Role.REVIEWER]


def make_api(settings: Settings) -> Iterator[Api]:
    container = build(settings)
    roles: dict[Role, dict[str, str]] = {}
    for role in Role:
        _, secret = container.keys.create(name=f"test {role.value}", role=role)
        # Both ways of sending a key are exercised: a bearer token and the X-API-Key header.
        roles[role] = (
            {"X-API-Key": secret} if role is Role.MATCHER else {"Authorization": f"Bearer {secret}"}
        )
    with TestClient(create_app(container)) as client:
        yield Api(
            client=client,
            container=container,
            admin=roles[Role.ADMIN],
            matcher=roles[Role.MATCHER],
            roles=roles,
        )
    container.close()
