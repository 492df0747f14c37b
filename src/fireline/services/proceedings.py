"""EU TCO Regulation 2021/784: review proceedings against removal orders (Art. 9).

A proceeding is brought against an order by the hosting provider or the content
provider, before a court or authority, and later decided: the order upheld, annulled or
varied. A decision that requires reinstatement restores the order's case content in the
proceeding's own transaction, and records the reversal as an upheld appeal does
(services.review). Every step is durable when a method returns and recorded in the audit
log with what Article 7(3)(e) and (f) count, so those figures are recomputed from the log
alone (services.transparency_figures). See docs/orders.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fireline.domain import AuditAction, InvalidInput
from fireline.domain.proceedings import (
    MAX_NAME,
    NewProceeding,
    Proceeding,
    ProceedingOutcome,
    ProceedingParty,
    Reinstatement,
    check_reinstatement,
    decided,
    reinstated_by_proceeding,
)
from fireline.domain.review import parse_enum
from fireline.services.audit import AuditLog
from fireline.services.fields import check_page, text_field, time_field
from fireline.services.retrying import retrying
from fireline.services.review import ReviewService
from fireline.store import OrderStore


def utcnow() -> datetime:
    return datetime.now(UTC)


def _given(value: object, *, what: str) -> object:
    """``value``, or InvalidInput (``missing_field``) when it is empty: a choice left out
    says so, rather than that "" is not one of the choices."""
    if isinstance(value, str) and not value.strip():
        raise InvalidInput(f"{what} is required", code="missing_field")
    return value


class ProceedingService:
    """Review proceedings against removal orders. Every change is durable on return."""

    def __init__(
        self,
        *,
        store: OrderStore,
        review: ReviewService,
        audit: AuditLog,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.review = review
        self.audit = audit
        self.now = now

    def bring(
        self,
        order_id: int,
        *,
        party: ProceedingParty | str,
        body: str,
        reference: str,
        brought_at: datetime | None = None,
        actor: str,
    ) -> Proceeding:
        """Record a proceeding brought against an order by ``party``.

        ``brought_at`` (default now, never later, never before the order was received).
        InvalidInput: ``missing_field`` (no party, body or reference), ``invalid_party``,
        ``invalid_time``, ``brought_before_received``; NotFound (``order_not_found``);
        Conflict (``duplicate_proceeding``: the order has this body's reference already).
        """
        chosen = parse_enum(
            ProceedingParty, _given(party, what="party"), what="party", code="invalid_party"
        )
        body = text_field(body, what="body", most=MAX_NAME, required=True)
        reference = text_field(reference, what="reference", most=MAX_NAME, required=True)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)
        now = self.now()
        at = now if brought_at is None else time_field(brought_at, what="brought_at")
        if at > now:
            raise InvalidInput("brought_at is in the future", code="invalid_time")
        order = self.store.get_order(order_id)
        if at < order.received_at:
            raise InvalidInput(
                f"order {order.id} was received at {order.received_at.isoformat()}: no "
                "proceeding against it was brought before",
                code="brought_before_received",
            )
        proceeding = self.store.create_proceeding(
            NewProceeding(
                order_id=order.id, party=chosen, body=body, reference=reference, brought_at=at
            )
        )
        self.audit.record(
            actor=actor,
            action=AuditAction.PROCEEDING_BROUGHT,
            subject=f"proceeding:{proceeding.id}",
            detail={
                "order": order.id,
                "party": proceeding.party.value,
                "brought_at": proceeding.brought_at.isoformat(),
            },
        )
        return proceeding

    def decide(
        self,
        proceeding_id: int,
        *,
        outcome: ProceedingOutcome | str,
        reinstatement_required: bool = False,
        decided_at: datetime | None = None,
        actor: str,
    ) -> Proceeding:
        """Record a proceeding's outcome; with ``reinstatement_required``, reinstate the
        content of the order's case in the same transaction (restored, its reversal a
        ``keep`` decision by ``actor``).

        ``decided_at`` (default now, never later) is when the body decided. InvalidInput:
        ``missing_field``, ``invalid_outcome``, ``invalid_field``, ``invalid_time``,
        ``decided_before_brought``, ``reinstatement_upheld`` (an upheld order requires
        none); NotFound (``proceeding_not_found``); Conflict (``proceeding_decided``,
        ``nothing_to_reinstate``: the case's content is not blocked or removed).
        """
        chosen = parse_enum(
            ProceedingOutcome,
            _given(outcome, what="outcome"),
            what="outcome",
            code="invalid_outcome",
        )
        if not isinstance(reinstatement_required, bool):
            raise InvalidInput("reinstatement_required is true or false", code="invalid_field")
        check_reinstatement(chosen, reinstatement_required)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)
        now = self.now()
        at = now if decided_at is None else time_field(decided_at, what="decided_at")
        if at > now:
            raise InvalidInput("decided_at is in the future", code="invalid_time")

        def attempt() -> tuple[Proceeding, Reinstatement | None]:
            proceeding = self.store.get_proceeding(proceeding_id)
            changed = decided(
                proceeding,
                outcome=chosen,
                reinstatement_required=reinstatement_required,
                at=at,
                by=actor,
            )
            reinstatement = None
            if reinstatement_required:
                order = self.store.get_order(proceeding.order_id)
                case = None if order.case_id is None else self.review.case(order.case_id)
                reinstatement = reinstated_by_proceeding(case, changed, by=actor, at=now)
            saved = self.store.save_proceeding(
                changed,
                case=None if reinstatement is None else reinstatement.case,
                decision=None if reinstatement is None else reinstatement.decision,
            )
            return saved, reinstatement

        proceeding, reinstatement = retrying(attempt, what=f"proceeding {proceeding_id}")
        assert proceeding.outcome is not None and proceeding.decided_at is not None
        self.audit.record(
            actor=actor,
            action=AuditAction.PROCEEDING_DECIDED,
            subject=f"proceeding:{proceeding.id}",
            detail={
                "order": proceeding.order_id,
                "party": proceeding.party.value,
                "outcome": proceeding.outcome.value,
                "reinstatement_required": proceeding.reinstatement_required,
                "decided_at": proceeding.decided_at.isoformat(),
            },
        )
        if reinstatement is not None:
            self.review.reinstatement_saved(reinstatement, actor=actor, proceeding=proceeding.id)
        return proceeding

    def get(self, proceeding_id: int) -> Proceeding:
        """The proceeding; NotFound (``proceeding_not_found``) otherwise."""
        return self.store.get_proceeding(proceeding_id)

    def of_order(self, order_id: int, *, after: int = 0, limit: int = 100) -> list[Proceeding]:
        """An order's proceedings in id order from after ``after``; NotFound
        (``order_not_found``) for an unknown order."""
        check_page(after, limit)
        order = self.store.get_order(order_id)
        return self.store.list_proceedings(order_id=order.id, after=after, limit=limit)

    def list_proceedings(
        self, *, decided: bool | None = None, after: int = 0, limit: int = 100
    ) -> list[Proceeding]:
        """Every order's proceedings in id order, optionally only those (not) decided."""
        check_page(after, limit)
        return self.store.list_proceedings(decided=decided, after=after, limit=limit)
