"""Aggregate figures for observers: counts, never a hash, an entry or a bank's contents."""

from __future__ import annotations

from fastapi import APIRouter

from fireline.services import instance_figures
from fireline.web.deps import ContainerDep, FiguresKey
from fireline.web.oversight_schemas import FiguresPublic
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["figures"])
_ERRORS = error_responses(401, 403)


@router.get("/figures", response_model=FiguresPublic, responses=_ERRORS)
def figures(container: ContainerDep, _key: FiguresKey) -> FiguresPublic:
    """Banks by sharing policy, active and retracted entries, by signal type and category."""
    return FiguresPublic.from_domain(
        instance_figures(banks=container.store.banks, orgs=container.store.orgs)
    )
