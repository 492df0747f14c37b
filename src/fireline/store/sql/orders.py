"""SqlOrderStore: removal orders, preservation holds, notices and review proceedings, in SQL.

An order or a hold is saved by an ``UPDATE ... WHERE version = <read version>``: the
writer that loses the race updates no row and raises Conflict (``stale``), and its whole
transaction rolls back: the hold, the notice and the review case saved with an order
included. The same order received twice hits the unique (authority, reference) key.
Review proceedings live in store.sql.proceedings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from fireline.domain.orders import (
    HoldSource,
    HoldState,
    NewHold,
    NewNotice,
    NewOrder,
    Notice,
    NoticeKind,
    OrderState,
    PreservationHold,
    RemovalOrder,
    SavedOrder,
)
from fireline.domain.proceedings import NewProceeding, Proceeding
from fireline.domain.review import Case, NewDecision
from fireline.store.memory_incidents import stale
from fireline.store.memory_orders import duplicate_order, hold_not_found, order_not_found
from fireline.store.sql import proceedings
from fireline.store.sql.case_rows import insert_decision, write_case
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.order_tables import PreservationHoldRow, RemovalOrderRow, UserNoticeRow

#: The largest id the columns hold (BIGINT); larger ones are simply not found.
MAX_ID = 2**63 - 1

_AnyRow = Row[*tuple[Any, ...]]


def _storable(record_id: int) -> bool:
    return 1 <= record_id <= MAX_ID


def _cursor(after: int) -> int:
    return max(min(after, MAX_ID), 0)


# -- orders ------------------------------------------------------------------------------


def _select_orders() -> Select[*tuple[Any, ...]]:
    return select(RemovalOrderRow.__table__)


def _order(row: _AnyRow) -> RemovalOrder:
    return RemovalOrder(
        id=row.id,
        authority=row.authority,
        reference=row.reference,
        content_ref=row.content_ref,
        reason=row.reason,
        received_at=row.received_at,
        deadline=row.deadline,
        state=OrderState(row.state),
        content_url=row.content_url,
        uploader=row.uploader,
        case_id=row.case_id,
        withhold_notice_days=row.withhold_notice_days,
        escalated_at=row.escalated_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        confirmation=row.confirmation,
        justification=row.justification,
        version=row.version,
    )


def _read_order(conn: Connection, order_id: int) -> RemovalOrder:
    row = conn.execute(_select_orders().where(RemovalOrderRow.id == order_id)).one_or_none()
    if row is None:
        raise order_not_found(order_id)
    return _order(row)


# -- holds and notices -------------------------------------------------------------------


def _hold(row: _AnyRow) -> PreservationHold:
    return PreservationHold(
        id=row.id,
        source=HoldSource(row.source),
        content_ref=row.content_ref,
        created_at=row.created_at,
        expires_at=row.expires_at,
        state=HoldState(row.state),
        order_id=row.order_id,
        case_id=row.case_id,
        media_sha256=row.media_sha256,
        extension_reason=row.extension_reason,
        extended_at=row.extended_at,
        purged_at=row.purged_at,
        release_reason=row.release_reason,
        released_at=row.released_at,
        version=row.version,
    )


def _read_hold(conn: Connection, hold_id: int) -> PreservationHold:
    row = conn.execute(
        select(PreservationHoldRow.__table__).where(PreservationHoldRow.id == hold_id)
    ).one_or_none()
    if row is None:
        raise hold_not_found(hold_id)
    return _hold(row)


def _add_hold(conn: Connection, hold: NewHold) -> PreservationHold:
    hold_id = conn.execute(
        insert(PreservationHoldRow)
        .values(
            source=hold.source.value,
            order_id=hold.order_id,
            case_id=hold.case_id,
            content_ref=hold.content_ref,
            media_sha256=hold.media_sha256,
            created_at=hold.created_at,
            expires_at=hold.expires_at,
            state=HoldState.ACTIVE.value,
            extension_reason="",
            release_reason="",
            version=1,
        )
        .returning(PreservationHoldRow.id)
    ).scalar_one()
    return _read_hold(conn, hold_id)


def _notice(row: _AnyRow) -> Notice:
    return Notice(
        id=row.id,
        kind=NoticeKind(row.kind),
        content_ref=row.content_ref,
        uploader=row.uploader,
        reason=row.reason,
        created_at=row.created_at,
        order_id=row.order_id,
        case_id=row.case_id,
        withheld_until=row.withheld_until,
    )


def _add_notice(conn: Connection, notice: NewNotice) -> Notice:
    notice_id = conn.execute(
        insert(UserNoticeRow)
        .values(
            kind=notice.kind.value,
            content_ref=notice.content_ref,
            uploader=notice.uploader,
            reason=notice.reason,
            order_id=notice.order_id,
            case_id=notice.case_id,
            created_at=notice.created_at,
            withheld_until=notice.withheld_until,
        )
        .returning(UserNoticeRow.id)
    ).scalar_one()
    row = conn.execute(select(UserNoticeRow.__table__).where(UserNoticeRow.id == notice_id)).one()
    return _notice(row)


class SqlOrderStore:
    """The OrderStore protocol on SQLite or PostgreSQL; behaves like MemoryOrderStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- orders ---------------------------------------------------------------------------

    def create_order(self, order: NewOrder) -> RemovalOrder:
        with writing(self._engine) as conn:
            try:
                order_id = conn.execute(
                    insert(RemovalOrderRow)
                    .values(
                        authority=order.authority,
                        reference=order.reference,
                        content_ref=order.content_ref,
                        content_url=order.content_url,
                        uploader=order.uploader,
                        reason=order.reason,
                        received_at=order.received_at,
                        deadline=order.deadline,
                        state=OrderState.RECEIVED.value,
                        case_id=order.case_id,
                        withhold_notice_days=order.withhold_notice_days,
                        confirmation="",
                        justification="",
                        version=1,
                    )
                    .returning(RemovalOrderRow.id)
                ).scalar_one()
            except IntegrityError as exc:
                # The unique (authority, reference) key: the case the service names exists.
                raise duplicate_order(order.authority, order.reference) from exc
            return _read_order(conn, order_id)

    def get_order(self, order_id: int) -> RemovalOrder:
        if not _storable(order_id):
            raise order_not_found(order_id)
        with reading(self._engine) as conn:
            return _read_order(conn, order_id)

    @staticmethod
    def _find(conn: Connection, authority: str, reference: str) -> RemovalOrder | None:
        row = conn.execute(
            _select_orders().where(
                RemovalOrderRow.authority == authority, RemovalOrderRow.reference == reference
            )
        ).one_or_none()
        return None if row is None else _order(row)

    def find_order(self, authority: str, reference: str) -> RemovalOrder | None:
        with reading(self._engine) as conn:
            return self._find(conn, authority, reference)

    def save_order(
        self,
        order: RemovalOrder,
        *,
        hold: NewHold | None = None,
        notice: NewNotice | None = None,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> SavedOrder:
        if not _storable(order.id):
            raise order_not_found(order.id)
        with writing(self._engine) as conn:
            done = conn.execute(
                update(RemovalOrderRow)
                .where(RemovalOrderRow.id == order.id, RemovalOrderRow.version == order.version)
                .values(
                    state=order.state.value,
                    case_id=order.case_id,
                    escalated_at=order.escalated_at,
                    closed_at=order.closed_at,
                    closed_by=order.closed_by,
                    confirmation=order.confirmation,
                    justification=order.justification,
                    version=order.version + 1,
                )
            )
            if done.rowcount == 0:
                _read_order(conn, order.id)
                raise stale(f"order {order.id}")
            if case is not None:
                write_case(conn, case)
                if decision is not None:
                    insert_decision(conn, case.id, decision)
            return SavedOrder(
                order=_read_order(conn, order.id),
                hold=None if hold is None else _add_hold(conn, hold),
                notice=None if notice is None else _add_notice(conn, notice),
            )

    def list_orders(
        self,
        *,
        states: Sequence[OrderState] | None = None,
        deadline_before: datetime | None = None,
        escalated: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[RemovalOrder]:
        if states is not None and not states:
            return []
        query = (
            _select_orders()
            .where(RemovalOrderRow.id > _cursor(after))
            .order_by(RemovalOrderRow.id)
            .limit(max(limit, 0))
        )
        if states is not None:
            query = query.where(RemovalOrderRow.state.in_([OrderState(s).value for s in states]))
        if deadline_before is not None:
            query = query.where(RemovalOrderRow.deadline < deadline_before)
        if escalated is not None:
            column = RemovalOrderRow.escalated_at
            query = query.where(column.is_not(None) if escalated else column.is_(None))
        with reading(self._engine) as conn:
            return [_order(row) for row in conn.execute(query)]

    # -- holds ----------------------------------------------------------------------------

    def create_hold(self, hold: NewHold) -> PreservationHold:
        with writing(self._engine) as conn:
            return _add_hold(conn, hold)

    def get_hold(self, hold_id: int) -> PreservationHold:
        if not _storable(hold_id):
            raise hold_not_found(hold_id)
        with reading(self._engine) as conn:
            return _read_hold(conn, hold_id)

    def save_hold(self, hold: PreservationHold) -> PreservationHold:
        if not _storable(hold.id):
            raise hold_not_found(hold.id)
        with writing(self._engine) as conn:
            done = conn.execute(
                update(PreservationHoldRow)
                .where(
                    PreservationHoldRow.id == hold.id,
                    PreservationHoldRow.version == hold.version,
                )
                .values(
                    state=hold.state.value,
                    expires_at=hold.expires_at,
                    extension_reason=hold.extension_reason,
                    extended_at=hold.extended_at,
                    purged_at=hold.purged_at,
                    release_reason=hold.release_reason,
                    released_at=hold.released_at,
                    version=hold.version + 1,
                )
            )
            if done.rowcount == 0:
                _read_hold(conn, hold.id)
                raise stale(f"hold {hold.id}")
            return _read_hold(conn, hold.id)

    def list_holds(
        self,
        *,
        state: HoldState | None = None,
        expires_by: datetime | None = None,
        order_id: int | None = None,
        case_id: int | None = None,
        media_sha256: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[PreservationHold]:
        table = PreservationHoldRow
        query = (
            select(table.__table__)
            .where(table.id > _cursor(after))
            .order_by(table.id)
            .limit(max(limit, 0))
        )
        if state is not None:
            query = query.where(table.state == HoldState(state).value)
        if expires_by is not None:
            query = query.where(table.expires_at <= expires_by)
        for column, value in ((table.order_id, order_id), (table.case_id, case_id)):
            if value is not None:
                if not _storable(value):
                    return []
                query = query.where(column == value)
        if media_sha256 is not None:
            query = query.where(table.media_sha256 == media_sha256)
        with reading(self._engine) as conn:
            return [_hold(row) for row in conn.execute(query)]

    # -- notices --------------------------------------------------------------------------

    def create_notice(self, notice: NewNotice) -> Notice:
        with writing(self._engine) as conn:
            return _add_notice(conn, notice)

    def list_notices(
        self,
        *,
        order_id: int | None = None,
        case_id: int | None = None,
        ready_at: datetime | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Notice]:
        table = UserNoticeRow
        query = (
            select(table.__table__)
            .where(table.id > _cursor(after))
            .order_by(table.id)
            .limit(max(limit, 0))
        )
        for column, value in ((table.order_id, order_id), (table.case_id, case_id)):
            if value is not None:
                if not _storable(value):
                    return []
                query = query.where(column == value)
        if ready_at is not None:
            query = query.where(
                or_(table.withheld_until.is_(None), table.withheld_until <= ready_at)
            )
        with reading(self._engine) as conn:
            return [_notice(row) for row in conn.execute(query)]

    # -- review proceedings ---------------------------------------------------------------

    def create_proceeding(self, proceeding: NewProceeding) -> Proceeding:
        return proceedings.create_proceeding(self._engine, proceeding)

    def get_proceeding(self, proceeding_id: int) -> Proceeding:
        return proceedings.get_proceeding(self._engine, proceeding_id)

    def save_proceeding(
        self,
        proceeding: Proceeding,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Proceeding:
        return proceedings.save_proceeding(self._engine, proceeding, case=case, decision=decision)

    def list_proceedings(
        self,
        *,
        order_id: int | None = None,
        decided: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Proceeding]:
        return proceedings.list_proceedings(
            self._engine, order_id=order_id, decided=decided, after=after, limit=limit
        )
