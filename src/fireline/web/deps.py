"""Dependencies for route handlers, gathered as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from fireline.bootstrap import Container
from fireline.domain import ApiKey, Role

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _authenticated(
    container: ContainerDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> ApiKey:
    secret = bearer.credentials if bearer else header
    return container.keys.authenticate(secret)


def require_matcher(
    container: ContainerDep, key: Annotated[ApiKey, Depends(_authenticated)]
) -> ApiKey:
    container.keys.require(key, Role.MATCHER)
    return key


def require_admin(
    container: ContainerDep, key: Annotated[ApiKey, Depends(_authenticated)]
) -> ApiKey:
    container.keys.require(key, Role.ADMIN)
    return key


MatcherKey = Annotated[ApiKey, Depends(require_matcher)]
AdminKey = Annotated[ApiKey, Depends(require_admin)]
