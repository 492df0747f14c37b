"""Transparency reports, computed from the audit log alone, and checked against the stores.

The figures are ``recompute``'s (fireline.services.transparency_figures), a pure fold
over audit records; a report reads the log a page at a time, so a log of millions of
records is never held in memory. ``cross_check`` compares the whole history's figures
with the review store's own counts and the order store's review proceedings.
docs/transparency.md defines every figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fireline.domain import AuditRecord, AuditVerification, InvalidInput
from fireline.domain.proceedings import ProceedingOutcome, ProceedingParty
from fireline.domain.review import AppealState, CaseSource, ContentStatus, Outcome
from fireline.services.audit import MAX_PAGE, AuditLog
from fireline.services.proceedings import ProceedingService
from fireline.services.review import ReviewService
from fireline.services.transparency_figures import (
    Figure,
    FlatFigures,
    Period,
    TransparencyFigures,
    flatten,
    recompute,
)

__all__ = [
    "CrossCheck",
    "Difference",
    "Figure",
    "FlatFigures",
    "Period",
    "TransparencyFigures",
    "TransparencyReport",
    "TransparencyReports",
    "audit_records",
    "flatten",
    "parse_period",
    "recompute",
    "store_figures",
    "year_period",
]

#: The longest period one report covers.
MAX_PERIOD = timedelta(days=3653)
#: Audit times come from each writer's clock: a record may carry a time a little before
#: its predecessor's. The walk stops only this far past the period's end.
CLOCK_SLACK = timedelta(minutes=5)


def _day(raw: str, *, what: str) -> datetime:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{what} must be a date written YYYY-MM-DD, not {raw[:40]!r}", code="invalid_period"
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_period(start: str | None, end: str | None, *, now: datetime) -> Period:
    """The period from ``start`` (inclusive) to ``end`` (exclusive), dates in UTC.

    Without ``start``: the first of January of the year the period ends in; without
    ``end``: ``now``. InvalidInput (``invalid_period``) for a date that does not parse, an
    end not after the start, or a period over ten years.
    """
    stop = now.astimezone(UTC) if end is None else _day(end, what="to")
    if start is None:
        last = stop - timedelta(microseconds=1)
        begin = datetime(last.year, 1, 1, tzinfo=UTC)
    else:
        begin = _day(start, what="from")
    if stop <= begin:
        raise InvalidInput(
            f"the period must end after it starts ({begin.date()} to {stop.date()})",
            code="invalid_period",
        )
    if stop - begin > MAX_PERIOD:
        raise InvalidInput("a period is at most ten years", code="invalid_period")
    return Period(begin, stop)


def year_period(year: int | str, *, now: datetime) -> Period:
    """The calendar year ``year`` (UTC); InvalidInput (``invalid_period``) for a year that
    is not a number from 2000 to this year."""
    try:
        chosen = int(str(year).strip())
    except ValueError:
        raise InvalidInput(
            f"year must be a number, not {str(year)[:40]!r}", code="invalid_period"
        ) from None
    if not 2000 <= chosen <= now.year:
        raise InvalidInput(f"year must be from 2000 to {now.year}", code="invalid_period")
    return Period(datetime(chosen, 1, 1, tzinfo=UTC), datetime(chosen + 1, 1, 1, tzinfo=UTC))


def audit_records(
    audit: AuditLog, *, until: datetime | None = None, last_seq: int | None = None
) -> Iterator[AuditRecord]:
    """The log oldest first, a page at a time, stopping past ``until`` (plus the clock
    slack) or past record ``last_seq``."""
    after = 0
    while True:
        batch = audit.records(after=after, limit=MAX_PAGE)
        for record in batch:
            if last_seq is not None and record.seq > last_seq:
                return
            if until is not None and record.at >= until + CLOCK_SLACK:
                return
            yield record
        if len(batch) < MAX_PAGE:
            return
        after = batch[-1].seq


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    """Figures over a period, with the chain's verification at the time of the report."""

    period: Period
    generated_at: datetime
    chain: AuditVerification
    figures: TransparencyFigures
    #: Who publishes it (the instance's organisation).
    provider: str = ""


@dataclass(frozen=True, slots=True)
class Difference:
    """A figure the log and the stores disagree on (whole history)."""

    figure: str
    audit: int | float | None
    store: int | float | None


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """The audit-derived figures against the stores' own counts, and the chain."""

    chain: AuditVerification
    compared: tuple[str, ...]
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.differences


def utcnow() -> datetime:
    return datetime.now(UTC)


class TransparencyReports:
    """Transparency reports and the EU TCO Article 7 report, from the audit log."""

    def __init__(
        self,
        *,
        audit: AuditLog,
        review: ReviewService,
        proceedings: ProceedingService | None = None,
        provider: str = "",
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.audit = audit
        self.review = review
        self.proceedings = proceedings
        self.provider = provider
        self.now = now

    def period(self, start: str | None = None, end: str | None = None) -> Period:
        """``parse_period`` against this service's clock (default: the year so far)."""
        return parse_period(start, end, now=self.now())

    def report(self, period: Period) -> TransparencyReport:
        """The figures of ``period``: the chain is verified first, and the figures read
        the records it verified (all of them, when it is broken)."""
        chain = self.audit.verify()
        records = audit_records(
            self.audit, until=period.end, last_seq=chain.last_seq if chain.ok else None
        )
        return TransparencyReport(
            period=period,
            generated_at=self.now(),
            chain=chain,
            figures=recompute(records, period=period),
            provider=self.provider,
        )

    def article7(self, *, year: int | str) -> TransparencyReport:
        """The report of one calendar year, for Article 7 of Regulation (EU) 2021/784."""
        return self.report(year_period(year, now=self.now()))

    def cross_check(self) -> CrossCheck:
        """Whole-history figures from the log against the review store's own counts (and
        the order store's proceedings, when the service has them).

        Run it when the instance is quiet: a change committed while it runs may be in
        one side and not yet in the other.
        """
        expected = store_figures(self.review, self.proceedings)
        chain = self.audit.verify()
        figures = flatten(recompute(audit_records(self.audit)))
        differences = tuple(
            Difference(name, figures.get(name), count)
            for name, count in expected.items()
            if figures.get(name) != count
        )
        return CrossCheck(chain=chain, compared=tuple(expected), differences=differences)


def store_figures(
    review: ReviewService, proceedings: ProceedingService | None = None
) -> dict[str, int]:
    """The figures the stores can give themselves: cases by source, decisions by
    outcome, appeals by state, restored content, and review proceedings by party and
    outcome (with ``proceedings``); named as ``flatten`` names them."""
    counts: Counter[str] = Counter()
    for name in ("cases.opened", "decisions.decided", "restorations.restored"):
        counts[name] = 0
    counts.update(dict.fromkeys((f"cases.by_source.{s.value}" for s in CaseSource), 0))
    counts.update(dict.fromkeys((f"decisions.by_outcome.{o.value}" for o in Outcome), 0))
    after = 0
    while batch := review.list_cases(after=after, limit=MAX_PAGE):
        for case in batch:
            counts["cases.opened"] += 1
            counts[f"cases.by_source.{case.source.value}"] += 1
            counts["restorations.restored"] += case.content_status is ContentStatus.RESTORED
            for decision in review.store.decisions(case.id):
                if not decision.on_appeal:
                    counts["decisions.decided"] += 1
                    counts[f"decisions.by_outcome.{decision.outcome.value}"] += 1
        after = batch[-1].id
    appeals: Counter[str] = Counter(
        dict.fromkeys(("filed", "decided", "upheld", "rejected", "wrong_match"), 0)
    )
    after = 0
    while page := review.list_appeals(after=after, limit=MAX_PAGE):
        for appeal in page:
            appeals["filed"] += 1
            if appeal.state is not AppealState.PENDING:
                appeals["decided"] += 1
                appeals[appeal.state.value] += 1
            appeals["wrong_match"] += appeal.wrong_match
        after = page[-1].id
    counts.update({f"appeals.{name}": value for name, value in appeals.items()})
    if proceedings is not None:
        counts.update(_proceeding_figures(proceedings))
    return dict(counts)


def _proceeding_figures(service: ProceedingService) -> Counter[str]:
    parties = [p.value for p in ProceedingParty]
    named = [
        "proceedings.brought",
        "proceedings.decided",
        "proceedings.reinstatements",
        *(f"proceedings.brought_by_party.{p}" for p in parties),
        *(f"proceedings.reinstatements_by_party.{p}" for p in parties),
        *(f"proceedings.{t}.{o.value}" for t in ("by_outcome", "hosting_provider_by_outcome")
          for o in ProceedingOutcome),
    ]  # fmt: skip
    counts: Counter[str] = Counter(dict.fromkeys(named, 0))
    after = 0
    while page := service.list_proceedings(after=after, limit=MAX_PAGE):
        for proceeding in page:
            party = proceeding.party.value
            counts["proceedings.brought"] += 1
            counts[f"proceedings.brought_by_party.{party}"] += 1
            if proceeding.outcome is not None:
                outcome = proceeding.outcome.value
                counts["proceedings.decided"] += 1
                counts[f"proceedings.by_outcome.{outcome}"] += 1
                if proceeding.party is ProceedingParty.HOSTING_PROVIDER:
                    counts[f"proceedings.hosting_provider_by_outcome.{outcome}"] += 1
                if proceeding.reinstatement_required:
                    counts["proceedings.reinstatements"] += 1
                    counts[f"proceedings.reinstatements_by_party.{party}"] += 1
        after = page[-1].id
    return counts
