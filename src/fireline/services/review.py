"""Human review: open cases, decide them from a queue, take and decide appeals.

Every change is durable when a method returns and recorded in the audit log with
details rich enough to recompute transparency figures from the log alone (cases by
source, label and signal type; decisions by outcome; appeals and how many were upheld;
time to decide). Audit details never hold content, hash values or the platform's user
and content references. An upheld appeal whose reviewer judged the match itself wrong
sends a dispute opinion on each matched entry back through the exchange (``opine``).
See docs/review.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fireline.domain import AuditAction, Conflict, Forbidden, InvalidInput, OpinionKind
from fireline.domain.orders import OrderRemoval, RemovalOrder, removed_by_order
from fireline.domain.proceedings import Reinstatement
from fireline.domain.review import (
    ACTION,
    MAX_ACTIONS,
    MAX_LABELS,
    MAX_REF,
    MAX_SIGNAL_TYPES,
    MAX_TEXT,
    SIGNAL_TYPE,
    Appeal,
    AppealState,
    Case,
    CaseFile,
    CaseSource,
    CaseState,
    ContentStatus,
    Exposure,
    NewAppeal,
    NewCase,
    NewDecision,
    Outcome,
    check_account_class,
    check_appealable,
    check_decidable,
    check_entry_ids,
    check_evidence,
    check_id,
    check_media_digest,
    check_severity,
    check_slugs,
    close_on_appeal,
    parse_enum,
    status_after,
)
from fireline.domain.taxonomy import parse_labels
from fireline.services.audit import AuditLog
from fireline.services.fields import check_page, text_field
from fireline.services.retrying import retrying
from fireline.store import ReviewStore

log = logging.getLogger("fireline.review")

DEFAULT_APPEAL_WINDOW = timedelta(days=30)
#: The note a dispute carries: the reviewer's reason stays here (it may describe a user).
DISPUTE_NOTE = "overturned on appeal: the reviewer judged the match wrong"

Opine = Callable[..., object]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _reviewer(value: str) -> str:
    return text_field(value, what="a reviewer", most=MAX_REF, required=True)


def _seconds(start: datetime, end: datetime) -> float:
    return round(max((end - start).total_seconds(), 0.0), 3)


class ReviewService:
    """Cases, the review queue and appeals. Every change is durable when a method returns.

    ``opine(entry_id=..., kind=OpinionKind.DISPUTE, note=...)`` records a dispute that
    travels to an entry's contributor (the exchange service's ``opine``); None sends none.
    ``appeal_window`` runs from a case's latest decision (its creation, if undecided).
    """

    def __init__(
        self,
        *,
        store: ReviewStore,
        audit: AuditLog,
        opine: Opine | None = None,
        appeal_window: timedelta = DEFAULT_APPEAL_WINDOW,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        if appeal_window <= timedelta(0):
            raise InvalidInput("the appeal window must be positive", code="invalid_appeal_window")
        self.store = store
        self.audit = audit
        self.opine = opine
        self.appeal_window = appeal_window
        self.now = now

    # -- opening --------------------------------------------------------------------------

    def open_case(
        self,
        *,
        source: CaseSource | str,
        content_ref: str,
        actor: str = "local",
        uploader: str = "",
        account_class: str | None = None,
        labels: Sequence[str] = (),
        signal_types: Sequence[str] = (),
        entry_ids: Sequence[int] = (),
        incident_id: int | None = None,
        actions: Sequence[str] = (),
        content_status: ContentStatus | str = ContentStatus.VISIBLE,
        evidence: Mapping[str, Any] | None = None,
        note: str = "",
        media_sha256: str | None = None,
        severity: int | None = None,
    ) -> Case:
        """Open a case for review; its severity follows its labels unless given (1-5).

        A match case names the entries it matched. ``content_status`` is what automation
        already did to the content (``restored`` is for reviewers to reach, not to open).
        """
        status = parse_enum(
            ContentStatus, content_status, what="content status", code="invalid_status"
        )
        if status is ContentStatus.RESTORED:
            raise InvalidInput(
                "a case opens on content that is not restored", code="invalid_status"
            )
        if isinstance(labels, str) or len(labels) > MAX_LABELS:
            raise InvalidInput(f"labels are a list of at most {MAX_LABELS}", code="unknown_label")
        chosen = parse_labels(tuple(labels))
        new = NewCase(
            source=parse_enum(CaseSource, source, what="source", code="invalid_source"),
            severity=check_severity(severity, chosen),
            content_ref=text_field(content_ref, what="content_ref", most=MAX_REF, required=True),
            created_at=self.now(),
            content_status=status,
            incident_id=None if incident_id is None else check_id(incident_id, what="an incident"),
            uploader=text_field(uploader, what="uploader", most=MAX_REF),
            account_class=check_account_class(account_class),
            labels=chosen,
            signal_types=check_slugs(
                signal_types, what="signal_types", pattern=SIGNAL_TYPE, most=MAX_SIGNAL_TYPES
            ),
            entry_ids=check_entry_ids(entry_ids),
            evidence=check_evidence(evidence),
            actions=check_slugs(actions, what="actions", pattern=ACTION, most=MAX_ACTIONS),
            note=text_field(note, what="a note", most=MAX_TEXT),
            media_sha256=check_media_digest(media_sha256),
        )
        if new.source is CaseSource.MATCH and not new.entry_ids:
            raise InvalidInput("a match case names the entries it matched", code="missing_field")
        actor = text_field(actor, what="an actor", most=MAX_REF, required=True)
        case = self.store.create_case(new)
        self.audit.record(
            actor=actor,
            action=AuditAction.CASE_OPENED,
            subject=f"case:{case.id}",
            detail={
                "source": case.source.value,
                "severity": case.severity,
                "labels": list(case.labels),
                "signal_types": list(case.signal_types),
                "entries": len(case.entry_ids),
                "incident_id": case.incident_id,
                "account_class": case.account_class,
                "actions": list(case.actions),
                "content_status": case.content_status.value,
            },
        )
        return case

    # -- reading --------------------------------------------------------------------------

    def get(self, case_id: int) -> CaseFile:
        """The case with every decision and appeal; NotFound (``case_not_found``) otherwise."""
        case = self.store.get_case(case_id)
        return CaseFile(
            case=case,
            decisions=tuple(self.store.decisions(case_id)),
            appeals=tuple(self.store.appeals(case_id)),
        )

    def case(self, case_id: int) -> Case:
        """The case alone, without its decisions and appeals; NotFound (``case_not_found``)."""
        return self.store.get_case(check_id(case_id, what="a case"))

    def queue(self, *, limit: int = 50) -> list[Case]:
        """Open cases and cases with a pending appeal, most urgent first (docs/review.md)."""
        check_page(0, limit)
        return self.store.queue(limit=limit)

    def list_cases(
        self,
        *,
        states: Sequence[CaseState | str] | None = None,
        source: CaseSource | str | None = None,
        incident_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Case]:
        """Cases in id order from after ``after`` (the cursor), optionally filtered."""
        check_page(after, limit)
        return self.store.list_cases(
            states=None
            if states is None
            else [parse_enum(CaseState, s, what="state", code="invalid_state") for s in states],
            source=None
            if source is None
            else parse_enum(CaseSource, source, what="source", code="invalid_source"),
            incident_id=None if incident_id is None else check_id(incident_id, what="an incident"),
            after=after,
            limit=limit,
        )

    def get_appeal(self, appeal_id: int) -> Appeal:
        return self.store.get_appeal(appeal_id)

    def list_appeals(
        self, *, state: AppealState | str | None = None, after: int = 0, limit: int = 100
    ) -> list[Appeal]:
        """Appeals in id order from after ``after``, optionally in one state."""
        check_page(after, limit)
        chosen = (
            None
            if state is None
            else parse_enum(AppealState, state, what="state", code="invalid_state")
        )
        return self.store.list_appeals(state=chosen, after=after, limit=limit)

    # -- deciding -------------------------------------------------------------------------

    def decide(self, case_id: int, *, reviewer: str, outcome: Outcome | str, reason: str) -> Case:
        """Decide an open case: remove, keep (restoring blocked or removed content), or
        keep behind a warning screen. Conflict (``case_decided``, ``appeal_pending``,
        ``case_closed``) for a case that is not open."""
        reviewer = _reviewer(reviewer)
        chosen = parse_enum(Outcome, outcome, what="outcome", code="invalid_outcome")
        reason = text_field(reason, what="a reason", most=MAX_TEXT, required=True)

        def attempt() -> tuple[Case, Case]:
            case = self.store.get_case(case_id)
            check_decidable(case)
            at = self.now()
            changed = replace(
                case,
                state=CaseState.DECIDED,
                content_status=status_after(chosen, case.content_status),
                decided_at=at,
                reviewer=reviewer,
                outcome=chosen,
                reason=reason,
            )
            decision = NewDecision(reviewer=reviewer, outcome=chosen, reason=reason, at=at)
            return case, self.store.save_case(changed, decision=decision)

        before, case = retrying(attempt, what=f"case {case_id}")
        self._decided(before, case, actor=reviewer)
        self._restored(case, before.content_status, actor=reviewer, via="decision")
        return case

    # -- removal orders -------------------------------------------------------------------

    def prepare_order_removal(
        self, order: RemovalOrder, *, actor: str, at: datetime
    ) -> OrderRemoval:
        """What complying with ``order`` does to its case (content removed; an open case
        decided ``remove`` by ``actor``), unsaved: the order's store saves it in the order's
        transaction, then ``order_removal_saved`` records it. NotFound if the case is gone."""
        case = None if order.case_id is None else self.store.get_case(order.case_id)
        return removed_by_order(case, order, actor=actor, at=at)

    def order_removal_saved(self, removal: OrderRemoval, *, actor: str) -> None:
        """Record the decision a saved order removal made (``case.decided``, ``via``
        ``order``); nothing when the case was not open."""
        if removal.decision is not None and removal.before and removal.case:
            self._decided(removal.before, removal.case, actor=actor, via="order")

    # -- review proceedings ---------------------------------------------------------------

    def reinstatement_saved(self, done: Reinstatement, *, actor: str, proceeding: int) -> None:
        """Record a reinstatement the order store saved with its proceeding, as an upheld
        appeal's restoration is recorded: ``case.decided`` and ``content.restored``, both
        ``via`` ``proceeding`` (the decision untimed: a court's months are no reviewer's)."""
        self._decided(done.before, done.case, actor=actor, via="proceeding", timed=False)
        previous = done.before.content_status
        self._restored(done.case, previous, actor=actor, via="proceeding", proceeding=proceeding)

    # -- appeals --------------------------------------------------------------------------

    def file_appeal(
        self, case_id: int, *, appellant: str, reason: str = "", actor: str = "local"
    ) -> Appeal:
        """Appeal a case whose content is blocked, removed or behind a warning screen.

        Within the appeal window of the case's latest decision (of its opening, when no
        one has reviewed it yet); one pending appeal per case. The platform vouches for
        ``appellant`` (its opaque id of the user).
        """
        appellant = text_field(appellant, what="an appellant", most=MAX_REF, required=True)
        reason = text_field(reason, what="a reason", most=MAX_TEXT)
        actor = text_field(actor, what="an actor", most=MAX_REF, required=True)

        def attempt() -> tuple[Case, Appeal]:
            case = self.store.get_case(case_id)
            at = self.now()
            check_appealable(case, at=at, window=self.appeal_window)
            new = NewAppeal(case_id=case.id, appellant=appellant, reason=reason, filed_at=at)
            appeal = self.store.create_appeal(new, case=replace(case, state=CaseState.APPEALED))
            return case, appeal

        case, appeal = retrying(attempt, what=f"case {case_id}")
        self.audit.record(
            actor=actor,
            action=AuditAction.APPEAL_FILED,
            subject=f"case:{case.id}",
            detail={
                **_about(case),
                "appeal": appeal.id,
                "reviewed": case.outcome is not None,
                "outcome": None if case.outcome is None else case.outcome.value,
                "content_status": case.content_status.value,
                "seconds_since_decision": _seconds(
                    case.decided_at or case.created_at, appeal.filed_at
                ),
            },
        )
        return appeal

    def decide_appeal(
        self,
        appeal_id: int,
        *,
        reviewer: str,
        upheld: bool,
        reason: str,
        wrong_match: bool = False,
    ) -> Appeal:
        """Decide a pending appeal; the case closes.

        Upheld: the content is restored and the case's outcome becomes ``keep`` (a
        reversal, kept in its history). Rejected: the outcome stands (for content nobody
        had reviewed, the outcome automation's action amounts to). Forbidden
        (``same_reviewer``) for anyone who decided the case before. ``wrong_match`` (upheld
        match cases only) disputes every matched entry through ``opine``.
        """
        reviewer = _reviewer(reviewer)
        reason = text_field(reason, what="a reason", most=MAX_TEXT, required=True)
        if not isinstance(upheld, bool) or not isinstance(wrong_match, bool):
            raise InvalidInput("upheld and wrong_match are true or false", code="invalid_field")
        if wrong_match and not upheld:
            raise InvalidInput(
                "only an upheld appeal can find the match wrong", code="wrong_match_not_upheld"
            )

        def attempt() -> tuple[Case, Case, Appeal]:
            appeal = self.store.get_appeal(appeal_id)
            if appeal.state is not AppealState.PENDING:
                raise Conflict(
                    f"appeal {appeal.id} is already {appeal.state}", code="appeal_decided"
                )
            case = self.store.get_case(appeal.case_id)
            if reviewer in {d.reviewer for d in self.store.decisions(case.id)}:
                raise Forbidden(
                    "a reviewer cannot decide an appeal of their own decision",
                    code="same_reviewer",
                )
            if wrong_match and case.source is not CaseSource.MATCH:
                raise InvalidInput(
                    f"case {case.id} came from a {case.source}, not a match", code="not_a_match"
                )
            changed_case, changed, decision = close_on_appeal(
                case,
                appeal,
                reviewer=reviewer,
                upheld=upheld,
                reason=reason,
                wrong_match=wrong_match,
                at=self.now(),
            )
            saved = self.store.save_appeal(changed, case=changed_case, decision=decision)
            return case, self.store.get_case(case.id), saved

        before, case, appeal = retrying(attempt, what=f"appeal {appeal_id}")
        sent, failed = self._dispute(case) if wrong_match else (0, 0)
        assert appeal.decided_at is not None
        self.audit.record(
            actor=reviewer,
            action=AuditAction.APPEAL_DECIDED,
            subject=f"case:{case.id}",
            detail={
                **_about(case),
                "appeal": appeal.id,
                "upheld": upheld,
                "wrong_match": wrong_match,
                "outcome_before": None if before.outcome is None else before.outcome.value,
                "outcome": None if case.outcome is None else case.outcome.value,
                "previous_status": before.content_status.value,
                "content_status": case.content_status.value,
                "seconds_to_decide": _seconds(appeal.filed_at, appeal.decided_at),
                "disputes_sent": sent,
                "disputes_failed": failed,
            },
        )
        self._restored(case, before.content_status, actor=reviewer, via="appeal", appeal=appeal.id)
        return appeal

    # -- wellbeing ------------------------------------------------------------------------

    def reveal(self, case_id: int, *, reviewer: str) -> int:
        """Count one reveal of the case's media by ``reviewer``; returns their views today."""
        reviewer = _reviewer(reviewer)
        return self.store.record_exposure(reviewer, self.today(), case_id)

    def exposure(self, reviewer: str) -> int:
        """How many times ``reviewer`` revealed media today (UTC)."""
        return self.store.exposures(_reviewer(reviewer), self.today())

    def exposure_days(self, reviewer: str, *, days: int = 7) -> list[Exposure]:
        """The reviewer's views per day over the last ``days`` days (today included)."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
            raise InvalidInput("days is 1 to 366", code="invalid_days")
        since = self.today() - timedelta(days=days - 1)
        return self.store.exposure_days(_reviewer(reviewer), since=since)

    def today(self) -> date:
        return self.now().astimezone(UTC).date()

    # -- helpers --------------------------------------------------------------------------

    def _dispute(self, case: Case) -> tuple[int, int]:
        """Dispute each matched entry; (sent, failed). A failure never undoes the appeal."""
        if self.opine is None:
            log.warning("case %s: no exchange to send the disputes of a wrong match to", case.id)
            return 0, len(case.entry_ids)
        sent = failed = 0
        for entry_id in case.entry_ids:
            try:
                self.opine(entry_id=entry_id, kind=OpinionKind.DISPUTE, note=DISPUTE_NOTE)
                sent += 1
            except Exception:
                failed += 1
                log.exception("case %s: disputing entry %s failed", case.id, entry_id)
        return sent, failed

    def _decided(
        self, before: Case, case: Case, *, actor: str, via: str | None = None, timed: bool = True
    ) -> None:
        assert case.outcome is not None and case.decided_at is not None
        detail: dict[str, Any] = {
            **_about(case),
            "outcome": case.outcome.value,
            "previous_status": before.content_status.value,
            "content_status": case.content_status.value,
            "seconds_to_decide": _seconds(case.created_at, case.decided_at) if timed else None,
        }
        if via is not None:
            detail["via"] = via
        self.audit.record(
            actor=actor, action=AuditAction.CASE_DECIDED, subject=f"case:{case.id}", detail=detail
        )

    def _restored(
        self,
        case: Case,
        previous: ContentStatus,
        *,
        actor: str,
        via: str,
        appeal: int | None = None,
        proceeding: int | None = None,
    ) -> None:
        if case.content_status is not ContentStatus.RESTORED or previous is ContentStatus.RESTORED:
            return
        detail: dict[str, Any] = {**_about(case), "via": via, "previous_status": previous.value}
        if appeal is not None:
            detail["appeal"] = appeal
        if proceeding is not None:
            detail["proceeding"] = proceeding
        self.audit.record(
            actor=actor,
            action=AuditAction.CONTENT_RESTORED,
            subject=f"case:{case.id}",
            detail=detail,
        )


def _about(case: Case) -> dict[str, Any]:
    """What every audit record of a case says about it (for transparency figures)."""
    return {
        "source": case.source.value,
        "severity": case.severity,
        "labels": list(case.labels),
        "signal_types": list(case.signal_types),
        "incident_id": case.incident_id,
        "account_class": case.account_class,
    }
