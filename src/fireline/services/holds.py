"""Preservation holds (EU TCO 2021/784, Art. 6): evidence kept six months, then purged.

A hold keeps a case's evidence media: for an order complied with (created in the order's
own transaction, see services.orders), or for a case (``preserve_case``: by hand, or by
screening when a policy rule's actions include ``preserve``). ``purge_expired`` deletes
the media of expired holds unless a live hold or a case awaiting review still uses them;
``release`` ends a case's hold early the same way (an order's runs its whole period).
Every change is durable when a method returns and recorded in the audit log (details hold
no content, hash values or user ids). See docs/orders.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import AuditAction, Conflict, InvalidInput
from fireline.domain.orders import (
    DEFAULT_PRESERVATION,
    MAX_NAME,
    MAX_TEXT,
    HoldSource,
    HoldState,
    NewHold,
    PreservationHold,
    RemovalOrder,
    extended,
    purged,
    released,
)
from fireline.domain.review import QUEUED_STATES, parse_enum
from fireline.services.audit import INSTANCE, AuditLog
from fireline.services.fields import (
    MAX_PAGE,
    check_duration,
    check_page,
    text_field,
    time_field,
)
from fireline.services.retrying import retrying
from fireline.services.review import ReviewService
from fireline.store import OrderStore
from fireline.store.evidence import EvidenceStore


def utcnow() -> datetime:
    return datetime.now(UTC)


class HoldService:
    """Preservation holds on evidence. Every change is durable when a method returns.

    A hold keeps its media for ``preservation`` (183 days by default) unless extended.
    """

    def __init__(
        self,
        *,
        store: OrderStore,
        review: ReviewService,
        evidence: EvidenceStore,
        audit: AuditLog,
        preservation: timedelta = DEFAULT_PRESERVATION,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.review = review
        self.evidence = evidence
        self.audit = audit
        self.preservation = check_duration(preservation, what="the preservation period")
        self.now = now

    def get(self, hold_id: int) -> PreservationHold:
        """The hold; NotFound (``hold_not_found``) otherwise."""
        return self.store.get_hold(hold_id)

    def list_holds(
        self, *, state: HoldState | str | None = None, after: int = 0, limit: int = 100
    ) -> list[PreservationHold]:
        """Holds in id order from after ``after``, optionally in one state."""
        check_page(after, limit)
        chosen = (
            None
            if state is None
            else parse_enum(HoldState, state, what="state", code="invalid_state")
        )
        return self.store.list_holds(state=chosen, after=after, limit=limit)

    def preserve_case(self, case_id: int, *, actor: str) -> PreservationHold:
        """Keep a case's evidence under a hold (e.g. one whose actions include
        ``preserve``); the case's live hold if it has one already."""
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)
        case = self.review.case(case_id)
        at = self.now()
        for hold in self.store.list_holds(case_id=case.id, state=HoldState.ACTIVE):
            if hold.live(at):
                return hold
        hold = self.store.create_hold(
            NewHold(
                source=HoldSource.CASE,
                content_ref=case.content_ref,
                created_at=at,
                expires_at=at + self.preservation,
                case_id=case.id,
                media_sha256=case.media_sha256,
            )
        )
        self.record_created(hold, actor=actor)
        return hold

    def order_hold(self, order: RemovalOrder, *, media_sha256: str | None, at: datetime) -> NewHold:
        """The hold complying with ``order`` at ``at`` creates; the order's store saves it
        in the order's transaction, and ``record_created`` records it then."""
        return NewHold(
            source=HoldSource.ORDER,
            content_ref=order.content_ref,
            created_at=at,
            expires_at=at + self.preservation,
            order_id=order.id,
            case_id=order.case_id,
            media_sha256=media_sha256,
        )

    def record_created(self, hold: PreservationHold, *, actor: str) -> None:
        """Record ``hold.created`` for a hold that was just saved."""
        self.audit.record(
            actor=actor,
            action=AuditAction.HOLD_CREATED,
            subject=f"hold:{hold.id}",
            detail={"until": hold.expires_at.isoformat(), "source": hold.source.value},
        )

    def extend(self, hold_id: int, *, until: datetime, reason: str, actor: str) -> PreservationHold:
        """Keep a hold's evidence until ``until`` (later than now), at an authority's
        request. Conflict (``hold_purged``); InvalidInput (``invalid_until``)."""
        until = time_field(until, what="until")
        reason = text_field(reason, what="reason", most=MAX_TEXT, required=True)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> PreservationHold:
            hold = self.store.get_hold(hold_id)
            at = self.now()
            if until <= at:
                raise InvalidInput("until must be in the future", code="invalid_until")
            return self.store.save_hold(extended(hold, until=until, reason=reason, at=at))

        hold = retrying(attempt, what=f"hold {hold_id}")
        self.audit.record(
            actor=actor,
            action=AuditAction.HOLD_EXTENDED,
            subject=f"hold:{hold.id}",
            detail={"until": hold.expires_at.isoformat()},
        )
        return hold

    def release(self, hold_id: int, *, reason: str, actor: str) -> PreservationHold:
        """End a case's hold now (say, its case was decided ``keep``): its media are deleted
        unless a live hold or a case awaiting review still uses them.

        Conflict: ``hold_by_order`` (an order's evidence is kept its whole period, EU TCO
        Art. 6(2)), ``hold_purged``, ``hold_released``. InvalidInput without a reason.
        """
        reason = text_field(reason, what="reason", most=MAX_TEXT, required=True)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> PreservationHold:
            hold = self.store.get_hold(hold_id)
            at = self.now()
            ended = released(hold, at=at, reason=reason)
            digest = hold.media_sha256
            if digest is not None and digest not in self._media_in_use([hold], at=at):
                # Media first, as a purge does: a failed save leaves an active hold that a
                # retry, or the purge at its expiry, finishes.
                self.evidence.delete(digest)
            return self.store.save_hold(ended)

        hold = retrying(attempt, what=f"hold {hold_id}")
        self.audit.record(
            actor=actor,
            action=AuditAction.HOLD_RELEASED,
            subject=f"hold:{hold.id}",
            detail={"source": hold.source.value},
        )
        return hold

    def purge_expired(self, *, actor: str = INSTANCE) -> list[PreservationHold]:
        """Purge every active hold that has expired: delete its media unless a live hold
        or a case awaiting review still uses them, then mark it ``purged``."""
        at = self.now()
        expired = list(self._all_holds(state=HoldState.ACTIVE, expires_by=at))
        kept = self._media_in_use(expired, at=at)
        done = []
        for hold in expired:
            digest = hold.media_sha256
            if digest is not None and digest not in kept:
                # Media first: a hold still active after a failure is purged next time.
                self.evidence.delete(digest)
            try:
                saved = self.store.save_hold(purged(hold, at=at))
            except Conflict as exc:
                if exc.code != "stale":
                    raise
                continue
            self.audit.record(
                actor=actor, action=AuditAction.HOLD_PURGED, subject=f"hold:{saved.id}"
            )
            done.append(saved)
        return done

    def _all_holds(self, **filters: Any) -> Iterator[PreservationHold]:
        after = 0
        while True:
            page = self.store.list_holds(**filters, after=after, limit=MAX_PAGE)
            yield from page
            if len(page) < MAX_PAGE:
                return
            after = page[-1].id

    def _media_in_use(self, ending: list[PreservationHold], *, at: datetime) -> set[str]:
        """The media of ``ending`` that another live hold or a case awaiting review still
        uses."""
        digests = {h.media_sha256 for h in ending if h.media_sha256 is not None}
        if not digests:
            return set()
        ids = {h.id for h in ending}
        kept = {
            digest
            for digest in digests
            if any(
                h.live(at) and h.id not in ids
                for h in self._all_holds(state=HoldState.ACTIVE, media_sha256=digest)
            )
        }
        after = 0
        while True:
            cases = self.review.list_cases(
                states=sorted(QUEUED_STATES), after=after, limit=MAX_PAGE
            )
            kept |= {c.media_sha256 for c in cases if c.media_sha256 in digests} - {None}
            if len(cases) < MAX_PAGE:
                return {d for d in kept if d is not None}
            after = cases[-1].id
