"""Review proceedings against removal orders, in SQL; SqlOrderStore's methods call these.

A proceeding is saved by an ``UPDATE ... WHERE version = <read version>``, with the
order's review case in the same transaction: the writer that loses the race updates no
row, raises Conflict (``stale``) and rolls the case back with it. The same proceeding
recorded twice hits the unique (order, body, reference) key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from fireline.domain.proceedings import (
    NewProceeding,
    Proceeding,
    ProceedingOutcome,
    ProceedingParty,
)
from fireline.domain.review import Case, NewDecision
from fireline.store.memory_incidents import stale
from fireline.store.memory_orders import (
    duplicate_proceeding,
    order_not_found,
    proceeding_not_found,
)
from fireline.store.sql.case_rows import MAX_ID, insert_decision, storable, write_case
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.order_tables import OrderProceedingRow, RemovalOrderRow

_AnyRow = Row[*tuple[Any, ...]]
_TABLE = OrderProceedingRow


def _proceeding(row: _AnyRow) -> Proceeding:
    return Proceeding(
        id=row.id,
        order_id=row.order_id,
        party=ProceedingParty(row.party),
        body=row.body,
        reference=row.reference,
        brought_at=row.brought_at,
        outcome=None if row.outcome is None else ProceedingOutcome(row.outcome),
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reinstatement_required=row.reinstatement_required,
        version=row.version,
    )


def _read(conn: Connection, proceeding_id: int) -> Proceeding:
    row = conn.execute(select(_TABLE.__table__).where(_TABLE.id == proceeding_id)).one_or_none()
    if row is None:
        raise proceeding_not_found(proceeding_id)
    return _proceeding(row)


def create_proceeding(engine: Engine, proceeding: NewProceeding) -> Proceeding:
    if not storable(proceeding.order_id):
        raise order_not_found(proceeding.order_id)
    with writing(engine) as conn:
        order = conn.execute(
            select(RemovalOrderRow.id).where(RemovalOrderRow.id == proceeding.order_id)
        ).one_or_none()
        if order is None:
            raise order_not_found(proceeding.order_id)
        try:
            proceeding_id = conn.execute(
                insert(_TABLE)
                .values(
                    order_id=proceeding.order_id,
                    party=proceeding.party.value,
                    body=proceeding.body,
                    reference=proceeding.reference,
                    brought_at=proceeding.brought_at,
                    reinstatement_required=False,
                    version=1,
                )
                .returning(_TABLE.id)
            ).scalar_one()
        except IntegrityError as exc:
            # The order exists (read above): only the unique key is left to break.
            raise duplicate_proceeding(
                proceeding.order_id, proceeding.body, proceeding.reference
            ) from exc
        return _read(conn, proceeding_id)


def get_proceeding(engine: Engine, proceeding_id: int) -> Proceeding:
    if not storable(proceeding_id):
        raise proceeding_not_found(proceeding_id)
    with reading(engine) as conn:
        return _read(conn, proceeding_id)


def save_proceeding(
    engine: Engine,
    proceeding: Proceeding,
    *,
    case: Case | None = None,
    decision: NewDecision | None = None,
) -> Proceeding:
    if not storable(proceeding.id):
        raise proceeding_not_found(proceeding.id)
    with writing(engine) as conn:
        done = conn.execute(
            update(_TABLE)
            .where(_TABLE.id == proceeding.id, _TABLE.version == proceeding.version)
            .values(
                outcome=None if proceeding.outcome is None else proceeding.outcome.value,
                decided_at=proceeding.decided_at,
                decided_by=proceeding.decided_by,
                reinstatement_required=proceeding.reinstatement_required,
                version=proceeding.version + 1,
            )
        )
        if done.rowcount == 0:
            _read(conn, proceeding.id)
            raise stale(f"proceeding {proceeding.id}")
        if case is not None:
            write_case(conn, case)
            if decision is not None:
                insert_decision(conn, case.id, decision)
        return _read(conn, proceeding.id)


def list_proceedings(
    engine: Engine,
    *,
    order_id: int | None = None,
    decided: bool | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[Proceeding]:
    query = (
        select(_TABLE.__table__)
        .where(_TABLE.id > max(min(after, MAX_ID), 0))
        .order_by(_TABLE.id)
        .limit(max(limit, 0))
    )
    if order_id is not None:
        if not storable(order_id):
            return []
        query = query.where(_TABLE.order_id == order_id)
    if decided is not None:
        query = query.where(_TABLE.outcome.is_not(None) if decided else _TABLE.outcome.is_(None))
    with reading(engine) as conn:
        return [_proceeding(row) for row in conn.execute(query)]
