"""Liveness and readiness: the only routes that need no API key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fireline import __version__
from fireline.domain import FirelineError
from fireline.web.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", response_model=None)
def readyz(container: ContainerDep) -> dict[str, object] | JSONResponse:
    """The store answers and the matcher has caught up with the change log."""
    try:
        seq = container.matcher.refresh()
    except FirelineError as exc:
        return JSONResponse(
            {"status": "unavailable", "error": {"code": exc.code, "message": exc.message}},
            status_code=503,
        )
    return {"status": "ready", "change_seq": seq}
