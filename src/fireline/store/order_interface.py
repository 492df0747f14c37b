"""The narrow protocol removal orders, preservation holds and notices are stored through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from fireline.domain.orders import (
    HoldState,
    NewHold,
    NewNotice,
    NewOrder,
    Notice,
    OrderState,
    PreservationHold,
    RemovalOrder,
    SavedOrder,
)
from fireline.domain.proceedings import NewProceeding, Proceeding
from fireline.domain.review import Case, NewDecision


class OrderStore(Protocol):
    """Removal orders, the preservation holds that keep their evidence, user notices, and
    the review proceedings brought against orders.

    Orders, holds and proceedings are saved with optimistic locking: a save names the
    version it read, and Conflict (``stale``) says another writer saved first. A save
    writes what the workflow changes (an order's state, escalation and closing fields; a
    hold's expiry, extension, purge and release; a proceeding's decision); the rest is
    fixed when it is created. Reads of an unknown order, hold or proceeding raise NotFound
    (``order_not_found``, ``hold_not_found``, ``proceeding_not_found``). Lists are in id
    order, from after ``after`` (the cursor).
    """

    def create_order(self, order: NewOrder) -> RemovalOrder:
        """Store a received order at version 1; Conflict (``duplicate_order``) when the
        authority's reference is already stored."""
        ...

    def get_order(self, order_id: int) -> RemovalOrder: ...

    def find_order(self, authority: str, reference: str) -> RemovalOrder | None:
        """The order with this authority and reference, if stored."""
        ...

    def save_order(
        self,
        order: RemovalOrder,
        *,
        hold: NewHold | None = None,
        notice: NewNotice | None = None,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> SavedOrder:
        """Save over version ``order.version``, and in the same transaction store ``hold``
        and ``notice`` and save the order's review ``case`` over its own version (with
        ``decision``, as the review store would); all of it or nothing."""
        ...

    def list_orders(
        self,
        *,
        states: Sequence[OrderState] | None = None,
        deadline_before: datetime | None = None,
        escalated: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[RemovalOrder]:
        """Orders, optionally only those in ``states``, due strictly before
        ``deadline_before``, or (not) escalated."""
        ...

    def create_hold(self, hold: NewHold) -> PreservationHold:
        """Store an active hold at version 1."""
        ...

    def get_hold(self, hold_id: int) -> PreservationHold: ...

    def save_hold(self, hold: PreservationHold) -> PreservationHold:
        """Save over version ``hold.version``; returns the hold at the next version."""
        ...

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
        """Holds, optionally in one state, expiring at or before ``expires_by``, of one
        order or case, or keeping one media file."""
        ...

    def create_notice(self, notice: NewNotice) -> Notice: ...

    def list_notices(
        self,
        *,
        order_id: int | None = None,
        case_id: int | None = None,
        ready_at: datetime | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Notice]:
        """Notices, optionally of one order or case, or only those deliverable at
        ``ready_at`` (not withheld, or withheld until then at the latest)."""
        ...

    def create_proceeding(self, proceeding: NewProceeding) -> Proceeding:
        """Store a pending proceeding at version 1; NotFound (``order_not_found``) for an
        unknown order, Conflict (``duplicate_proceeding``) when the order already has one
        with this body and reference."""
        ...

    def get_proceeding(self, proceeding_id: int) -> Proceeding: ...

    def save_proceeding(
        self,
        proceeding: Proceeding,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Proceeding:
        """Save over version ``proceeding.version`` and, in the same transaction, the
        order's review ``case`` over its own version (with ``decision``, as the review
        store would); all of it or nothing. Returns it at the next version."""
        ...

    def list_proceedings(
        self,
        *,
        order_id: int | None = None,
        decided: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Proceeding]:
        """Proceedings, optionally of one order, or only those (not) decided."""
        ...
