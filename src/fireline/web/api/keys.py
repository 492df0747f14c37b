"""API keys: list, create (the secret is shown once), revoke. Admin only."""

from __future__ import annotations

from fastapi import APIRouter, status

from fireline.web.deps import AdminKey, ContainerDep
from fireline.web.schemas import KeyCreate, KeyCreated, KeyPublic, KeysPublic, error_responses

router = APIRouter(prefix="/v1", tags=["keys"])
_ERRORS = error_responses(401, 403, 404, 422)


@router.get("/keys", response_model=KeysPublic, responses=_ERRORS)
def list_keys(container: ContainerDep, _key: AdminKey) -> KeysPublic:
    keys = container.keys.all()
    return KeysPublic(data=[KeyPublic.from_domain(k) for k in keys], count=len(keys))


@router.post(
    "/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
def create_key(body: KeyCreate, container: ContainerDep, admin: AdminKey) -> KeyCreated:
    """Create a key of ``org`` (default: the instance's own organisation)."""
    key, secret = container.keys.create(
        name=body.name, role=body.role, org=body.org, actor=admin.actor
    )
    return KeyCreated(**KeyPublic.from_domain(key).model_dump(), secret=secret)


@router.delete("/keys/{key_id}", response_model=KeyPublic, responses=_ERRORS)
def revoke_key(key_id: int, container: ContainerDep, admin: AdminKey) -> KeyPublic:
    return KeyPublic.from_domain(container.keys.revoke(key_id=key_id, actor=admin.actor))
