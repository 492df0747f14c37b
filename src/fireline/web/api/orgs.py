"""Organisations: list and create. Admin only."""

from __future__ import annotations

from fastapi import APIRouter, status

from fireline.web.deps import AdminKey, ContainerDep
from fireline.web.schemas import OrgCreate, OrgPublic, OrgsPublic, error_responses

router = APIRouter(prefix="/v1", tags=["organisations"])
_ERRORS = error_responses(401, 403, 409, 422)


@router.get("/orgs", response_model=OrgsPublic, responses=_ERRORS)
def list_orgs(container: ContainerDep, _key: AdminKey) -> OrgsPublic:
    orgs = container.orgs.all()
    return OrgsPublic(data=[OrgPublic.from_domain(o) for o in orgs], count=len(orgs))


@router.post(
    "/orgs", response_model=OrgPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
def create_org(body: OrgCreate, container: ContainerDep, admin: AdminKey) -> OrgPublic:
    """Create an organisation (409 if the name is taken); give it keys with POST /v1/keys."""
    org = container.orgs.create(name=body.name, description=body.description, actor=admin.actor)
    return OrgPublic.from_domain(org)
