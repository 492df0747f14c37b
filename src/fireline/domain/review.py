"""Cases for human review, the decisions taken on them, and the appeals against those.

A case is opened when an upload matched a bank, a user reported content, or an authority
ordered a removal. A reviewer decides it (remove, keep, or keep behind a warning screen);
whoever's content was restricted may appeal within the appeal window, and a different
reviewer decides the appeal. Every decision is kept, reversals included: a case's
history is its decisions in order.

States: ``open`` (awaiting a reviewer) → ``decided`` (a decision stands; appealable
while the content is restricted) → ``appealed`` (an appeal is pending) → ``closed`` (the
appeal was decided; final). Content that automation blocked or removed may be appealed
before anyone reviewed it, so ``open`` → ``appealed`` happens too. A decided case stays
``decided`` unless it is appealed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from fireline.domain.errors import Conflict, InvalidInput


class CaseSource(StrEnum):
    """Why a case exists."""

    #: An upload matched a bank.
    MATCH = "match"
    #: A user reported content.
    REPORT = "report"
    #: An authority ordered the content removed.
    ORDER = "order"


class CaseState(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


#: States whose cases wait in the review queue: new ones, and those with a pending appeal.
QUEUED_STATES = frozenset({CaseState.OPEN, CaseState.APPEALED})


class ContentStatus(StrEnum):
    """What the platform shows of the content now."""

    VISIBLE = "visible"
    #: Refused at upload: it was never shown.
    BLOCKED = "blocked"
    REMOVED = "removed"
    #: Shown behind a warning screen.
    INTERSTITIAL = "interstitial"
    #: Shown again after it had been restricted.
    RESTORED = "restored"


#: Statuses that restrict the content, and so may be appealed.
RESTRICTED = frozenset({ContentStatus.BLOCKED, ContentStatus.REMOVED, ContentStatus.INTERSTITIAL})


class Outcome(StrEnum):
    """What a reviewer decided."""

    #: The content violates the policy.
    REMOVE = "remove"
    #: No violation.
    KEEP = "keep"
    #: No removal, but shown behind a warning screen.
    INTERSTITIAL = "interstitial"


class AppealState(StrEnum):
    PENDING = "pending"
    #: The appellant was right: the content is restored.
    UPHELD = "upheld"
    #: The decision stands.
    REJECTED = "rejected"


#: Accounts whose posts are judged in their context (the policy may exempt them).
ACCOUNT_CLASSES = ("news", "research", "archive", "counter_speech")

MIN_SEVERITY = 1
MAX_SEVERITY = 5

_SEVERITY_BY_CATEGORY = {
    "category:imminent_credible_threat": 5,
    "category:perpetrator_livestream": 5,
    "category:graphic_violence_defenceless": 4,
    "category:instruction": 4,
    "category:attacker_manifesto": 4,
}


def severity_of(labels: Iterable[str]) -> int:
    """How urgent a case is, 1 (least) to 5, from its labels.

    5: an imminent credible threat or a perpetrator's livestream; 4: graphic violence
    against defenceless people, instructions, an attacker's manifesto; 3: any other
    content category; 2: labels, but no category; 1: no labels. The highest applies.
    """
    found = list(labels)
    if not found:
        return 1
    categories = [label for label in found if label.startswith("category:")]
    if not categories:
        return 2
    return max(_SEVERITY_BY_CATEGORY.get(label, 3) for label in categories)


def status_after(outcome: Outcome, previous: ContentStatus) -> ContentStatus:
    """The content's status once ``outcome`` is decided for content that was ``previous``.

    Removing content refused at upload leaves it ``blocked`` (it was never shown, so
    nothing was removed); keeping content that was blocked or removed restores it.
    """
    if outcome is Outcome.REMOVE:
        return ContentStatus.BLOCKED if previous is ContentStatus.BLOCKED else ContentStatus.REMOVED
    if outcome is Outcome.INTERSTITIAL:
        return ContentStatus.INTERSTITIAL
    if previous in (ContentStatus.BLOCKED, ContentStatus.REMOVED, ContentStatus.RESTORED):
        return ContentStatus.RESTORED
    return ContentStatus.VISIBLE


def outcome_of(status: ContentStatus) -> Outcome:
    """The outcome a status stands for (what automation's action amounts to)."""
    if status in (ContentStatus.BLOCKED, ContentStatus.REMOVED):
        return Outcome.REMOVE
    if status is ContentStatus.INTERSTITIAL:
        return Outcome.INTERSTITIAL
    return Outcome.KEEP


@dataclass(frozen=True, slots=True)
class Case:
    """Content in front of a reviewer. ``version`` grows with every save (optimistic locking).

    ``content_ref`` and ``uploader`` are the platform's opaque ids for the content and its
    poster. ``evidence`` holds JSON values only (what matched, at what distance, which
    rules acted); ``actions`` what automation already did. ``decided_at``, ``reviewer``,
    ``outcome`` and ``reason`` are those of the latest decision, an appeal's included.
    ``media_sha256`` names the evidence media the platform keeps, if any.
    """

    id: int
    source: CaseSource
    state: CaseState
    severity: int
    content_ref: str
    created_at: datetime
    content_status: ContentStatus
    incident_id: int | None = None
    uploader: str = ""
    account_class: str | None = None
    labels: tuple[str, ...] = ()
    signal_types: tuple[str, ...] = ()
    entry_ids: tuple[int, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    note: str = ""
    decided_at: datetime | None = None
    reviewer: str | None = None
    outcome: Outcome | None = None
    reason: str = ""
    media_sha256: str | None = None
    version: int = 1

    @property
    def restricted(self) -> bool:
        """Whether the content is blocked, removed or behind a warning screen."""
        return self.content_status in RESTRICTED


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case as its opener proposes it; it is stored ``open`` at version 1."""

    source: CaseSource
    severity: int
    content_ref: str
    created_at: datetime
    content_status: ContentStatus
    incident_id: int | None = None
    uploader: str = ""
    account_class: str | None = None
    labels: tuple[str, ...] = ()
    signal_types: tuple[str, ...] = ()
    entry_ids: tuple[int, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    note: str = ""
    media_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision on a case; ``on_appeal`` for an appeal's (a reversal when upheld)."""

    id: int
    case_id: int
    reviewer: str
    outcome: Outcome
    reason: str
    at: datetime
    on_appeal: bool = False


@dataclass(frozen=True, slots=True)
class NewDecision:
    reviewer: str
    outcome: Outcome
    reason: str
    at: datetime
    on_appeal: bool = False


@dataclass(frozen=True, slots=True)
class Appeal:
    """An appeal against a case's decision (or against automation's action).

    ``wrong_match``: the reviewer judged the hash match itself wrong, which sends a
    dispute back to the contributors of the matched entries.
    """

    id: int
    case_id: int
    appellant: str
    reason: str
    filed_at: datetime
    state: AppealState = AppealState.PENDING
    reviewer: str | None = None
    decision_reason: str = ""
    decided_at: datetime | None = None
    wrong_match: bool = False
    version: int = 1


@dataclass(frozen=True, slots=True)
class NewAppeal:
    case_id: int
    appellant: str
    reason: str
    filed_at: datetime


@dataclass(frozen=True, slots=True)
class Exposure:
    """How many times a reviewer revealed case media on one day (UTC), for their wellbeing."""

    reviewer: str
    day: date
    views: int


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case with its history: every decision and every appeal, oldest first."""

    case: Case
    decisions: tuple[Decision, ...] = ()
    appeals: tuple[Appeal, ...] = ()

    @property
    def pending_appeal(self) -> Appeal | None:
        return next((a for a in self.appeals if a.state is AppealState.PENDING), None)

    @property
    def deciders(self) -> frozenset[str]:
        """Everyone who decided the case so far (none of them may decide its appeal)."""
        return frozenset(d.reviewer for d in self.decisions)


# -- checking what callers hand in ---------------------------------------------------------

#: Longest platform reference (content, uploader, appellant) and reviewer name.
MAX_REF = 200
#: Longest note or reason.
MAX_TEXT = 2000
MAX_LABELS = 100
MAX_SIGNAL_TYPES = 32
MAX_ACTIONS = 16
MAX_ENTRIES = 1000
#: Longest evidence, as compact JSON.
MAX_EVIDENCE = 1_000_000
#: The largest id a store holds (64-bit).
MAX_ID = 2**63 - 1

SIGNAL_TYPE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
ACTION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: object, *, what: str, code: str) -> E:
    """``value`` as a member of ``kind``; InvalidInput (``code``) naming the known ones."""
    try:
        return kind(str(value))
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{what} {value!r} is not one of {known}", code=code) from None


def check_id(value: object, *, what: str) -> int:
    """A positive id a store can hold; InvalidInput (``invalid_id``) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{what} must be a positive integer", code="invalid_id")
    return value


def check_entry_ids(values: Sequence[int]) -> tuple[int, ...]:
    """Distinct entry ids, sorted."""
    if isinstance(values, str | bytes) or len(values) > MAX_ENTRIES:
        raise InvalidInput(f"at most {MAX_ENTRIES} entry ids", code="invalid_id")
    return tuple(sorted({check_id(v, what="an entry id") for v in values}))


def check_slugs(
    values: Sequence[str], *, what: str, pattern: re.Pattern[str], most: int
) -> tuple[str, ...]:
    """Distinct names (signal types, actions), sorted; InvalidInput (``invalid_<what>``)."""
    if isinstance(values, str):
        raise InvalidInput(f"{what} must be a list", code=f"invalid_{what}")
    found = sorted(set(values))
    if len(found) > most:
        raise InvalidInput(f"at most {most} {what}", code=f"invalid_{what}")
    bad = [v for v in found if not isinstance(v, str) or not pattern.match(v)]
    if bad:
        raise InvalidInput(f"not valid {what}: {bad[:5]!r}", code=f"invalid_{what}")
    return tuple(found)


def check_evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``evidence`` as JSON reads it back; InvalidInput (``invalid_evidence``)
    unless it is an object of JSON values, at most MAX_EVIDENCE characters of JSON."""
    if evidence is None:
        return {}
    if not isinstance(evidence, Mapping) or not all(isinstance(k, str) for k in evidence):
        raise InvalidInput("evidence must be an object with text keys", code="invalid_evidence")
    try:
        text = json.dumps(dict(evidence), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"evidence must hold JSON values only ({exc})", code="invalid_evidence"
        ) from None
    if len(text) > MAX_EVIDENCE:
        raise InvalidInput(
            f"evidence is at most {MAX_EVIDENCE} characters of JSON", code="invalid_evidence"
        )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def check_severity(severity: int | None, labels: Iterable[str]) -> int:
    """``severity`` if it is 1 to 5, the labels' when None; InvalidInput otherwise."""
    if severity is None:
        return severity_of(labels)
    if isinstance(severity, bool) or not isinstance(severity, int):
        severity = 0
    if not MIN_SEVERITY <= severity <= MAX_SEVERITY:
        raise InvalidInput(f"severity is {MIN_SEVERITY} to {MAX_SEVERITY}", code="invalid_severity")
    return severity


def check_account_class(account_class: str | None) -> str | None:
    if account_class is not None and str(account_class) not in ACCOUNT_CLASSES:
        raise InvalidInput(
            f"account class {account_class!r} is not one of {', '.join(ACCOUNT_CLASSES)}",
            code="invalid_account_class",
        )
    return None if account_class is None else str(account_class)


def check_media_digest(digest: str | None) -> str | None:
    if digest is not None and not (isinstance(digest, str) and _SHA256.match(digest)):
        raise InvalidInput("media_sha256 is 64 lowercase hex digits", code="invalid_digest")
    return digest


# -- transitions ---------------------------------------------------------------------------


def check_decidable(case: Case) -> None:
    """Conflict unless the case is open: ``case_decided``, ``appeal_pending``, ``case_closed``."""
    if case.state is CaseState.OPEN:
        return
    if case.state is CaseState.DECIDED:
        raise Conflict(f"case {case.id} is already decided", code="case_decided")
    if case.state is CaseState.APPEALED:
        raise Conflict(
            f"case {case.id} has a pending appeal: decide the appeal instead",
            code="appeal_pending",
        )
    raise Conflict(f"case {case.id} is closed", code="case_closed")


def check_appealable(case: Case, *, at: datetime, window: timedelta) -> None:
    """Conflict unless the case may be appealed at ``at``.

    ``case_closed``, ``appeal_pending``, ``nothing_to_appeal`` (the content is not
    restricted) or ``appeal_out_of_time`` (``window`` after its latest decision, or
    after its opening when nobody decided it yet; the last instant is still in time).
    """
    if case.state is CaseState.CLOSED:
        raise Conflict(f"case {case.id} is closed: its appeal was decided", code="case_closed")
    if case.state is CaseState.APPEALED:
        raise Conflict(f"case {case.id} already has a pending appeal", code="appeal_pending")
    if not case.restricted:
        raise Conflict(
            f"the content of case {case.id} is {case.content_status}: nothing to appeal",
            code="nothing_to_appeal",
        )
    deadline = (case.decided_at or case.created_at) + window
    if at > deadline:
        raise Conflict(
            f"the appeal window of case {case.id} closed at {deadline.isoformat()}",
            code="appeal_out_of_time",
        )


def close_on_appeal(
    case: Case,
    appeal: Appeal,
    *,
    reviewer: str,
    upheld: bool,
    reason: str,
    wrong_match: bool,
    at: datetime,
) -> tuple[Case, Appeal, NewDecision]:
    """The closed case, the decided appeal and the decision on appeal that record it.

    Upheld: the content is restored and the outcome becomes ``keep``. Rejected: the
    outcome stands; for content nobody had reviewed, the one its status amounts to.
    """
    if upheld:
        restored, decision = reinstated(case, by=reviewer, reason=reason, at=at, on_appeal=True)
        closed = replace(restored, state=CaseState.CLOSED)
    else:
        outcome = case.outcome or outcome_of(case.content_status)
        closed = replace(
            case,
            state=CaseState.CLOSED,
            decided_at=at,
            reviewer=reviewer,
            outcome=outcome,
            reason=reason,
        )
        decision = NewDecision(
            reviewer=reviewer, outcome=outcome, reason=reason, at=at, on_appeal=True
        )
    decided = replace(
        appeal,
        state=AppealState.UPHELD if upheld else AppealState.REJECTED,
        reviewer=reviewer,
        decision_reason=reason,
        decided_at=at,
        wrong_match=wrong_match,
    )
    return closed, decided, decision


def reinstated(
    case: Case, *, by: str, reason: str, at: datetime, on_appeal: bool = False
) -> tuple[Case, NewDecision]:
    """The case with its content shown again, and the ``keep`` decision that records the
    reversal in its history (an upheld appeal's, or a review proceeding's).

    The case keeps its state; the caller moves it on (an appeal closes it).
    """
    changed = replace(
        case,
        content_status=ContentStatus.RESTORED,
        decided_at=at,
        reviewer=by,
        outcome=Outcome.KEEP,
        reason=reason,
    )
    decision = NewDecision(
        reviewer=by, outcome=Outcome.KEEP, reason=reason, at=at, on_appeal=on_appeal
    )
    return changed, decision
