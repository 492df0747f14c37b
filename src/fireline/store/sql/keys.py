"""SqlApiKeyStore: API keys, stored by the hash of their secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from fireline.domain import ApiKey, Conflict, NotFound, Role
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.orgs import org_id
from fireline.store.sql.tables import ApiKeyRow, OrganisationRow

#: The largest key id the column holds (INTEGER: 32 bits on PostgreSQL).
MAX_KEY_ID = 2**31 - 1


def _select_keys() -> Select[*tuple[Any, ...]]:
    return select(
        ApiKeyRow.id,
        ApiKeyRow.name,
        ApiKeyRow.role,
        OrganisationRow.name.label("org"),
        ApiKeyRow.prefix,
        ApiKeyRow.created_at,
        ApiKeyRow.revoked_at,
    ).join_from(ApiKeyRow, OrganisationRow, ApiKeyRow.org_id == OrganisationRow.id)


def _key(row: Row[*tuple[Any, ...]]) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        org=row.org,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _key_not_found(key_id: int) -> NotFound:
    return NotFound(f"no API key with id {key_id}", code="key_not_found")


class SqlApiKeyStore:
    """The ApiKeyStore protocol on SQLite or PostgreSQL; behaves like MemoryApiKeyStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_key(
        self, *, name: str, role: Role, org: str, prefix: str, secret_hash: str
    ) -> ApiKey:
        with writing(self._engine) as conn:
            owner = org_id(conn, org)
            try:
                key_id = conn.execute(
                    insert(ApiKeyRow)
                    .values(
                        name=name,
                        role=role.value,
                        prefix=prefix,
                        secret_hash=secret_hash,
                        created_at=datetime.now(UTC),
                        org_id=owner,
                    )
                    .returning(ApiKeyRow.id)
                ).scalar_one()
            except IntegrityError as exc:
                raise Conflict("an API key with this secret exists", code="duplicate_key") from exc
            return _key(conn.execute(_select_keys().where(ApiKeyRow.id == key_id)).one())

    def find_key(self, secret_hash: str) -> ApiKey | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                _select_keys().where(
                    ApiKeyRow.secret_hash == secret_hash, ApiKeyRow.revoked_at.is_(None)
                )
            ).one_or_none()
            return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        with reading(self._engine) as conn:
            return [_key(row) for row in conn.execute(_select_keys().order_by(ApiKeyRow.id))]

    def revoke_key(self, key_id: int) -> ApiKey:
        if not 1 <= key_id <= MAX_KEY_ID:  # no row has it, and the driver cannot bind it
            raise _key_not_found(key_id)
        with writing(self._engine) as conn:
            conn.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            row = conn.execute(_select_keys().where(ApiKeyRow.id == key_id)).one_or_none()
            if row is None:
                raise _key_not_found(key_id)
            return _key(row)
