"""SqlOrganisationStore: organisations, by their unique name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select
from sqlalchemy.exc import IntegrityError

from fireline.domain import Conflict, NotFound, Organisation
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.tables import OrganisationRow

_COLUMNS = (
    OrganisationRow.id,
    OrganisationRow.name,
    OrganisationRow.description,
    OrganisationRow.created_at,
)


def _org(row: Row[*tuple[Any, ...]]) -> Organisation:
    return Organisation(
        id=row.id, name=row.name, description=row.description, created_at=row.created_at
    )


def org_not_found(name: str) -> NotFound:
    return NotFound(f"no organisation named {name!r}", code="org_not_found")


def org_id(conn: Connection, name: str) -> int:
    """The id of the organisation named ``name``; NotFound otherwise."""
    # A NUL or a lone surrogate: no row has it, and the driver could not send it.
    if "\x00" in name or _unencodable(name):
        raise org_not_found(name)
    found = conn.execute(
        select(OrganisationRow.id).where(OrganisationRow.name == name)
    ).scalar_one_or_none()
    if found is None:
        raise org_not_found(name)
    return int(found)


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class SqlOrganisationStore:
    """The OrganisationStore protocol on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_org(self, *, name: str, description: str) -> Organisation:
        with writing(self._engine) as conn:
            try:
                new_id = conn.execute(
                    insert(OrganisationRow)
                    .values(name=name, description=description, created_at=datetime.now(UTC))
                    .returning(OrganisationRow.id)
                ).scalar_one()
            except IntegrityError as exc:
                raise Conflict(
                    f"an organisation named {name!r} exists", code="duplicate_org"
                ) from exc
            return _org(conn.execute(select(*_COLUMNS).where(OrganisationRow.id == new_id)).one())

    def get_org(self, name: str) -> Organisation:
        with reading(self._engine) as conn:
            found = org_id(conn, name)
            return _org(conn.execute(select(*_COLUMNS).where(OrganisationRow.id == found)).one())

    def list_orgs(self) -> list[Organisation]:
        with reading(self._engine) as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(OrganisationRow.name))
            return [_org(row) for row in rows]
