"""Dependencies for route handlers, gathered as Annotated aliases.

Each route declares the one permission it needs with a key alias (``MatchKey``,
``CurateKey``...); ``key_with`` builds one for any permission. fireline.domain.roles says
which roles hold which permission.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from fireline.bootstrap import Container
from fireline.domain import ApiKey, Permission

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


def key_with(permission: Permission) -> Any:
    """A dependency giving the request's API key: 401 without a valid one, 403 when its
    role lacks ``permission``. Use as ``Annotated[ApiKey, key_with(Permission.X)]``."""

    def require(container: ContainerDep, key: Annotated[ApiKey, Depends(_authenticated)]) -> ApiKey:
        container.keys.require(key, permission)
        return key

    require.__name__ = f"require_{permission.value}"
    return Depends(require)


MatchKey = Annotated[ApiKey, key_with(Permission.MATCH)]
ReadBanksKey = Annotated[ApiKey, key_with(Permission.READ_BANKS)]
ReadEntriesKey = Annotated[ApiKey, key_with(Permission.READ_ENTRIES)]
CurateKey = Annotated[ApiKey, key_with(Permission.CURATE)]
OpineKey = Annotated[ApiKey, key_with(Permission.OPINE)]
AuditKey = Annotated[ApiKey, key_with(Permission.READ_AUDIT)]
FiguresKey = Annotated[ApiKey, key_with(Permission.READ_FIGURES)]
ReadIncidentsKey = Annotated[ApiKey, key_with(Permission.READ_INCIDENTS)]
RespondKey = Annotated[ApiKey, key_with(Permission.RESPOND)]
ScreenKey = Annotated[ApiKey, key_with(Permission.SCREEN)]
ReviewKey = Annotated[ApiKey, key_with(Permission.REVIEW)]
LegalKey = Annotated[ApiKey, key_with(Permission.LEGAL)]
AdminKey = Annotated[ApiKey, key_with(Permission.ADMIN)]
