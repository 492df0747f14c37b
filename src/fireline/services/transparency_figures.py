"""Transparency figures: a pure fold over audit records.

``recompute(records, period=...)`` reads nothing but the records it is given, so anyone
holding an export of the log (``GET /v1/audit``) gets the same figures from the same
records. Figures are counts and durations only: never a content reference, a user or
reviewer, a hash value, a bank's name or a free-text reason. docs/transparency.md defines
every figure (which action, which detail key).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fireline.domain import AuditRecord
from fireline.domain.policy import PolicyAction
from fireline.domain.proceedings import ProceedingOutcome, ProceedingParty
from fireline.domain.review import CaseSource, ContentStatus, Outcome
from fireline.domain.taxonomy import ContentCategory

#: A figure: a count, a duration or rate (None when there is nothing to measure), or
#: counts by key.
Figure = int | float | None | dict[str, int]
#: Sections of figures, each figure by name.
TransparencyFigures = dict[str, dict[str, Figure]]
#: One figure per ``section.figure`` (or ``section.figure.key``), as the CSV has them.
FlatFigures = dict[str, int | float | None]

#: The removal order deadline of Regulation (EU) 2021/784, Article 3(3).
ORDER_DEADLINE_SECONDS = 3600

#: A detail value used as a key (a signal type, an outcome, an order's state) must look
#: like a slug; anything else is counted as "other", so no free text can leak through.
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_CATEGORIES = tuple(f"category:{c.value}" for c in ContentCategory)
_INCIDENT_ACTIVATIONS = ("perpetrator_content", "content", "awareness")
_PARTIES = tuple(p.value for p in ProceedingParty)
_PROCEEDING_OUTCOMES = tuple(o.value for o in ProceedingOutcome)
_HOSTING_PROVIDER = ProceedingParty.HOSTING_PROVIDER.value
#: Statuses in which content is up, so that removing it takes it down.
_SHOWN = frozenset({ContentStatus.VISIBLE.value, ContentStatus.INTERSTITIAL.value})
#: Actions counted as they are, one per record (the tally's name for each).
_COUNTED = {
    "appeal.filed": "appeals_filed",
    "entry.quarantined": "quarantined",
    "entry.released": "released",
    "order.received": "orders_received",
    "order.escalated": "orders_escalated",
    "hold.created": "holds_created",
    "hold.extended": "holds_extended",
    "hold.purged": "holds_purged",
    "hold.released": "holds_released",
    "incident.activated": "incidents_activated",
    "incident.concluded": "incidents_concluded",
    "incident.debriefed": "incidents_debriefed",
    "incident.variant_accepted": "variants_accepted",
}


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


# -- reading detail values defensively: an old or foreign record never breaks a report ----


def _key(value: object) -> str:
    return value if isinstance(value, str) and _KEY.match(value) else "other"


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _seconds(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _keys(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return sorted({_key(v) for v in value})


def _categories(value: object) -> list[str]:
    """The taxonomy's content categories among labels (entities are free names: never)."""
    if not isinstance(value, list):
        return []
    return sorted({v for v in value if isinstance(v, str) and v in _CATEGORIES})


def median(values: list[float]) -> float | None:
    """The median (the mean of the middle two for an even count), to the millisecond."""
    return round(statistics.median(values), 3) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at least 90% are at or under."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 3)


def _zeros(keys: Iterable[str]) -> Counter[str]:
    return Counter(dict.fromkeys(keys, 0))


class _Tally:
    """The running counts of one fold over the log; ``figures()`` gives the result."""

    def __init__(self) -> None:
        self.n: Counter[str] = Counter()
        self.by: dict[str, Counter[str]] = {
            "upload_actions": _zeros(a.value for a in PolicyAction),
            "upload_status": _zeros(
                s.value for s in ContentStatus if s is not ContentStatus.RESTORED
            ),
            "upload_categories": _zeros(_CATEGORIES),
            "blocked_categories": _zeros(_CATEGORIES),
            "upload_signal_types": Counter(),
            "upload_months": Counter(),
            "blocked_months": Counter(),
            "case_sources": _zeros(s.value for s in CaseSource),
            "case_severities": _zeros(str(s) for s in range(1, 6)),
            "case_categories": _zeros(_CATEGORIES),
            "outcomes": _zeros(o.value for o in Outcome),
            "restored_via": _zeros(("decision", "appeal", "proceeding")),
            "order_refusals": Counter(),
            "notice_kinds": Counter(),
            "activations": _zeros(_INCIDENT_ACTIVATIONS),
            "parties": _zeros(_PARTIES),
            "proceeding_outcomes": _zeros(_PROCEEDING_OUTCOMES),
            "provider_outcomes": _zeros(_PROCEEDING_OUTCOMES),
            "reinstated_parties": _zeros(_PARTIES),
        }
        self.times: dict[str, list[float]] = {"decide": [], "appeal": [], "comply": []}
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.handlers: dict[str, Callable[[Mapping[str, Any], datetime], None]] = {
            "upload.screened": self._upload,
            "case.opened": self._case_opened,
            "case.decided": self._case_decided,
            "appeal.decided": self._appeal_decided,
            "content.restored": self._restored,
            "order.complied": self._order_complied,
            "order.refused": self._order_refused,
            "notice.sent": self._notice,
            "proceeding.brought": self._proceeding_brought,
            "proceeding.decided": self._proceeding_decided,
            "incident.declared": self._incident_declared,
            "incident.hashes_submitted": self._incident_hashes,
        }

    def add(self, record: AuditRecord) -> None:
        self.n["records"] += 1
        if self.first_seq is None:
            self.first_seq = record.seq
        self.last_seq = record.seq
        counted = _COUNTED.get(record.action)
        if counted is not None:
            self.n[counted] += 1
        handler = self.handlers.get(record.action)
        if handler is not None:
            detail = record.detail if isinstance(record.detail, Mapping) else {}
            handler(detail, record.at.astimezone(UTC))

    def _upload(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["uploads_screened"] += 1
        # Logs written before every upload was recorded hold matched uploads only, without
        # "matched"; so only an explicit false is an upload that matched nothing.
        if d.get("matched") is False:
            return
        self.n["uploads"] += 1
        actions = [a for a in _keys(d.get("actions")) if a in self.by["upload_actions"]]
        self.n["uploads_acted"] += bool(actions)
        self.by["upload_actions"].update(actions)
        status = _key(d.get("content_status"))
        if status in self.by["upload_status"]:
            self.by["upload_status"][status] += 1
        categories = _categories(d.get("labels"))
        self.by["upload_categories"].update(categories)
        self.by["upload_signal_types"].update(_keys(d.get("signal_types")))
        month = at.strftime("%Y-%m")
        self.by["upload_months"][month] += 1
        if status == ContentStatus.BLOCKED:
            self.by["blocked_categories"].update(categories)
            self.by["blocked_months"][month] += 1
        self.n["exempt"] += d.get("exempt") is True
        suppressed = _count(d.get("suppressed"))
        self.n["suppressed_uploads"] += suppressed > 0
        self.n["suppressed_entries"] += suppressed
        self.n["flood_held"] += bool(d.get("quarantined"))

    def _case_opened(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["cases"] += 1
        source = _key(d.get("source"))
        self.by["case_sources"][source if source in self.by["case_sources"] else "other"] += 1
        severity = d.get("severity")
        valid = isinstance(severity, int) and not isinstance(severity, bool) and 1 <= severity <= 5
        self.by["case_severities"][str(severity) if valid else "other"] += 1
        self.by["case_categories"].update(_categories(d.get("labels")))

    def _case_decided(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["decided"] += 1
        outcome = _key(d.get("outcome"))
        self.by["outcomes"][outcome] += 1
        self.n["removed_by_review"] += (
            outcome == Outcome.REMOVE
            and d.get("previous_status") in _SHOWN
            and d.get("source") != CaseSource.ORDER
        )
        seconds = _seconds(d.get("seconds_to_decide"))
        if seconds is not None:
            self.times["decide"].append(seconds)

    def _appeal_decided(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["appeals_decided"] += 1
        upheld = d.get("upheld") is True
        self.n["appeals_upheld" if upheld else "appeals_rejected"] += 1
        self.n["wrong_match"] += upheld and d.get("wrong_match") is True
        self.n["disputes_sent"] += _count(d.get("disputes_sent"))
        seconds = _seconds(d.get("seconds_to_decide"))
        if seconds is not None:
            self.times["appeal"].append(seconds)

    def _restored(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["restored"] += 1
        self.by["restored_via"][_key(d.get("via"))] += 1

    def _order_complied(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["orders_complied"] += 1
        seconds = _seconds(d.get("seconds_to_comply"))
        within = d.get("within_deadline")
        if not isinstance(within, bool):  # an older record: judge by the one-hour clock
            within = seconds is not None and seconds <= ORDER_DEADLINE_SECONDS
        self.n["orders_within_deadline"] += within
        if seconds is not None:
            self.times["comply"].append(seconds)

    def _order_refused(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["orders_refused"] += 1
        self.by["order_refusals"][_key(d.get("state"))] += 1

    def _notice(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["notices_withheld" if d.get("withheld") is True else "notices_sent"] += 1
        self.by["notice_kinds"][_key(d.get("kind"))] += 1

    def _party(self, d: Mapping[str, Any]) -> str:
        party = _key(d.get("party"))
        return party if party in _PARTIES else "other"

    def _proceeding_brought(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["proceedings_brought"] += 1
        self.by["parties"][self._party(d)] += 1

    def _proceeding_decided(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["proceedings_decided"] += 1
        party, outcome = self._party(d), _key(d.get("outcome"))
        outcome = outcome if outcome in _PROCEEDING_OUTCOMES else "other"
        self.by["proceeding_outcomes"][outcome] += 1
        if party == _HOSTING_PROVIDER:
            self.by["provider_outcomes"][outcome] += 1
        if d.get("reinstatement_required") is True:
            self.n["reinstatements"] += 1
            self.by["reinstated_parties"][party] += 1

    def _incident_declared(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["incidents_declared"] += 1
        self.by["activations"][_key(d.get("activation"))] += 1

    def _incident_hashes(self, d: Mapping[str, Any], at: datetime) -> None:
        self.n["incident_hashes"] += _count(d.get("count"))

    def figures(self) -> TransparencyFigures:
        n, by, times = self.n, self.by, self.times

        def table(name: str) -> dict[str, int]:
            return dict(sorted(by[name].items()))

        decided = n["appeals_decided"]
        return {
            "records": {
                "counted": n["records"],
                "first_seq": self.first_seq,
                "last_seq": self.last_seq,
            },
            "uploads": {
                "screened": n["uploads_screened"],
                "matched": n["uploads"],
                "acted": n["uploads_acted"],
                "by_action": table("upload_actions"),
                "by_content_status": table("upload_status"),
                "by_category": table("upload_categories"),
                "blocked_by_category": table("blocked_categories"),
                "by_signal_type": table("upload_signal_types"),
                "by_month": table("upload_months"),
                "blocked_by_month": table("blocked_months"),
                "exempt_diversions": n["exempt"],
                "negative_suppressed": n["suppressed_uploads"],
                "negative_suppressed_entries": n["suppressed_entries"],
                "flood_held": n["flood_held"],
                "flood_quarantines": n["quarantined"],
                "flood_releases": n["released"],
            },
            "cases": {
                "opened": n["cases"],
                "by_source": table("case_sources"),
                "by_severity": table("case_severities"),
                "by_category": table("case_categories"),
            },
            "decisions": {
                "decided": n["decided"],
                "by_outcome": table("outcomes"),
                "removed_by_review": n["removed_by_review"],
                "seconds_to_decide_median": median(times["decide"]),
                "seconds_to_decide_p90": p90(times["decide"]),
            },
            "appeals": {
                "filed": n["appeals_filed"],
                "decided": decided,
                "upheld": n["appeals_upheld"],
                "rejected": n["appeals_rejected"],
                "overturn_rate": round(n["appeals_upheld"] / decided, 4) if decided else None,
                "wrong_match": n["wrong_match"],
                "disputes_sent": n["disputes_sent"],
                "seconds_to_decide_median": median(times["appeal"]),
                "seconds_to_decide_p90": p90(times["appeal"]),
            },
            "restorations": {"restored": n["restored"], "by_via": table("restored_via")},
            "orders": {
                "received": n["orders_received"],
                "complied": n["orders_complied"],
                "within_deadline": n["orders_within_deadline"],
                "late": n["orders_complied"] - n["orders_within_deadline"],
                "refused": n["orders_refused"],
                "refused_by_state": table("order_refusals"),
                "escalated": n["orders_escalated"],
                "seconds_to_comply_median": median(times["comply"]),
                "seconds_to_comply_p90": p90(times["comply"]),
            },
            "holds": {
                "created": n["holds_created"],
                "extended": n["holds_extended"],
                "purged": n["holds_purged"],
                "released": n["holds_released"],
            },
            "notices": {
                "sent": n["notices_sent"],
                "withheld": n["notices_withheld"],
                "by_kind": table("notice_kinds"),
            },
            "proceedings": {
                "brought": n["proceedings_brought"],
                "brought_by_party": table("parties"),
                "decided": n["proceedings_decided"],
                "by_outcome": table("proceeding_outcomes"),
                "hosting_provider_by_outcome": table("provider_outcomes"),
                "reinstatements": n["reinstatements"],
                "reinstatements_by_party": table("reinstated_parties"),
            },
            "incidents": {
                "declared": n["incidents_declared"],
                "activated": n["incidents_activated"],
                "concluded": n["incidents_concluded"],
                "debriefed": n["incidents_debriefed"],
                "by_activation": table("activations"),
                "hashes_submitted": n["incident_hashes"],
                "variants_accepted": n["variants_accepted"],
            },
        }


def recompute(
    records: Iterable[AuditRecord], *, period: Period | None = None
) -> TransparencyFigures:
    """The transparency figures of ``records`` (those in ``period``; all, without one).

    Pure: it reads nothing else, so an export of the log gives the same figures.
    """
    tally = _Tally()
    for record in records:
        if period is None or period.covers(record.at):
            tally.add(record)
    return tally.figures()


def flatten(figures: TransparencyFigures) -> FlatFigures:
    """Every figure as ``section.figure`` or ``section.figure.key``, in report order."""
    flat: FlatFigures = {}
    for section, named in figures.items():
        for name, value in named.items():
            if isinstance(value, dict):
                for key, count in value.items():
                    flat[f"{section}.{name}.{key}"] = count
            else:
                flat[f"{section}.{name}"] = value
    return flat
