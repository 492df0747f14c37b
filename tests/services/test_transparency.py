"""Transparency reports: a day of synthetic traffic through the real services, its figures
recomputed independently from the raw audit records and compared with the stores; the
pure fold on hand-made records (orders, holds, notices, incidents, flood control); what
observers never see; the CSV, the HTML page and the Article 7 report; bad periods."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fireline.bootstrap import Container, build, migrate
from fireline.domain import AuditRecord, Conflict, InvalidInput, Signal
from fireline.domain.audit import GENESIS_HASH, AuditVerification
from fireline.domain.incidents import ActivationType
from fireline.domain.policy import AccountClass
from fireline.domain.proceedings import ProceedingOutcome, ProceedingParty
from fireline.domain.review import RESTRICTED, AppealState, CaseSource, ContentStatus, Outcome
from fireline.services.incidents import Actor
from fireline.services.policy import DEFAULT_POLICY
from fireline.services.screening import Upload
from fireline.services.transparency import (
    Period,
    TransparencyReport,
    audit_records,
    flatten,
    parse_period,
    recompute,
    store_figures,
    year_period,
)
from fireline.services.transparency_render import (
    article7_view,
    render_article7_html,
    render_report_html,
    report_csv,
    report_view,
)
from fireline.settings import Settings
from fireline.testing.media import edited, encode, random_photo
from tests.backends import BACKENDS, backend_url

BANK = "zz-tvec-bank"
BENIGN = "benign-zz-bank"
PIPELINE = "pipeline-zz-actor"
REVIEWERS = ("rvw-ana", "rvw-ben", "rvw-cho")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
#: Banked photos by seed, with their labels: the last one is in the negative bank too.
BANKED = {
    101: ["category:perpetrator_livestream", "entity:zz-entity"],
    102: ["category:attacker_manifesto"],
    103: ["category:recruitment", "basis:designation_list"],
    104: ["category:glorification"],
}
NEGATIVE_SEED = 104
UNRELATED = (201, 202, 203)


class Clock:
    """The review service's clock: the day moves on a few minutes per event."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Replay:
    """What the test drove through the services, counted by the test itself."""

    container: Container
    truth: Counter[str] = field(default_factory=Counter)
    #: Every string an observer must never see: refs, users, people, reasons, hashes.
    secrets: set[str] = field(default_factory=set)


def _policy_file(tmp_path: Path) -> Path:
    from importlib import resources

    text = resources.files("fireline.services").joinpath(DEFAULT_POLICY).read_text("utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("negative_banks = []", f'negative_banks = ["{BENIGN}"]'))
    return path


def _replayed(url: str, tmp_path: Path) -> Iterator[Replay]:
    settings = Settings(
        database_url=url,
        policy_file=_policy_file(tmp_path),
        incident_quorum=1,
        data_dir=tmp_path / "var",
    )
    migrate(settings)
    container = build(settings)
    try:
        yield run_day(container, seed=7)
    finally:
        container.close()


@pytest.fixture(params=BACKENDS)
def replay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replay]:
    """The day replayed on every backend."""
    yield from _replayed(backend_url(request, request.param, migrated=True), tmp_path)


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Replay]:
    """The day replayed in memory, for what only renders the figures."""
    yield from _replayed("memory://", tmp_path)


def _signals(container: Container, image: Any) -> tuple[Signal, ...]:
    return container.hashing.hash_content(encode(image)).signals


def run_day(container: Container, *, seed: int) -> Replay:
    """About 90 events of a day: copies, edits and unrelated uploads screened, user
    reports, decisions by three reviewers, appeals decided by another, one incident."""
    rng = random.Random(seed)
    out = Replay(container)
    clock = Clock()
    container.review.now = clock
    container.banks.create(name=BANK, actor="curator-zz")
    container.banks.create(name=BENIGN, actor="curator-zz")
    photos: dict[int, tuple[Signal, ...]] = {}
    for photo_seed, labels in BANKED.items():
        photos[photo_seed] = _signals(container, random_photo(photo_seed))
        container.banks.add_signals(bank=BANK, signals=photos[photo_seed], labels=labels)
    container.banks.add_signals(bank=BENIGN, signals=photos[NEGATIVE_SEED])
    edits = [
        _signals(container, edited(random_photo(seed_), kind))
        for seed_, kind in ((101, "jpeg"), (102, "crop"))
    ]
    unrelated = [_signals(container, random_photo(s)) for s in UNRELATED]
    out.secrets |= {s.value for group in (*photos.values(), *edits, *unrelated) for s in group}
    out.secrets |= {BANK, BENIGN, PIPELINE, "curator-zz", *REVIEWERS}

    def screen(signals: tuple[Signal, ...], account: AccountClass | None) -> None:
        number = out.truth["uploads"] = out.truth["uploads"] + 1
        upload = Upload(f"upload-ref-{number:04d}", f"uploader-id-{rng.randrange(20)}", account)
        out.secrets |= {upload.content_ref, upload.uploader}
        done = container.screening.screen_signals(signals, upload=upload, actor=PIPELINE)
        out.truth["uploads.screened"] += 1
        if not done.result.matches:
            return
        out.truth["uploads.matched"] += 1
        out.truth[f"uploads.by_content_status.{done.content_status}"] += 1
        out.truth["uploads.exempt_diversions"] += done.verdict.exempt
        out.truth["uploads.negative_suppressed"] += bool(done.verdict.suppressed)
        for action in done.verdict.actions:
            out.truth[f"uploads.by_action.{action}"] += 1
        if done.case is not None:
            out.truth["cases.by_source.match"] += 1

    def report() -> None:
        number = out.truth["reports"] = out.truth["reports"] + 1
        ref, user = f"reported-ref-{number:03d}", f"reporter-id-{number:03d}"
        note = f"note-text-zz-{number}"
        out.secrets |= {ref, user, note}
        labels = rng.choice([[], ["category:instruction"], ["category:glorification"]])
        container.review.open_case(
            source=CaseSource.REPORT, content_ref=ref, uploader=user, labels=labels, note=note
        )
        out.truth["cases.by_source.report"] += 1

    def decide() -> None:
        open_cases = container.review.list_cases(states=["open"], limit=1000)
        if not open_cases:
            return
        case = rng.choice(open_cases)
        outcome = rng.choice(list(Outcome))
        reason = f"why-text-zz-{rng.randrange(10**6)}"
        out.secrets.add(reason)
        container.review.decide(
            case.id, reviewer=rng.choice(REVIEWERS), outcome=outcome, reason=reason
        )
        out.truth[f"decisions.by_outcome.{outcome}"] += 1
        restricted = case.content_status in (ContentStatus.BLOCKED, ContentStatus.REMOVED)
        out.truth["restorations.restored"] += outcome is Outcome.KEEP and restricted

    def appeal() -> None:
        candidates = [
            c
            for c in container.review.list_cases(states=["open", "decided"], limit=1000)
            if c.content_status in RESTRICTED
        ]
        if not candidates:
            return
        case = rng.choice(candidates)
        reason = f"appeal-text-zz-{case.id}"
        out.secrets.add(reason)
        try:
            container.review.file_appeal(
                case.id, appellant=case.uploader or "appellant-zz", reason=reason
            )
        except Conflict:
            return
        out.truth["appeals.filed"] += 1

    def decide_appeal() -> None:
        pending = container.review.list_appeals(state="pending", limit=1000)
        if not pending:
            return
        chosen = rng.choice(pending)
        case_file = container.review.get(chosen.case_id)
        reviewer = rng.choice([r for r in REVIEWERS if r not in case_file.deciders])
        upheld = rng.random() < 0.5
        wrong = upheld and case_file.case.source is CaseSource.MATCH and rng.random() < 0.6
        container.review.decide_appeal(
            chosen.id,
            reviewer=reviewer,
            upheld=upheld,
            reason="why-text-zz-appeal",
            wrong_match=wrong,
        )
        out.truth["appeals.upheld" if upheld else "appeals.rejected"] += 1
        out.truth["appeals.wrong_match"] += wrong
        out.truth["restorations.restored"] += upheld

    out.secrets.add("why-text-zz-appeal")

    events = [
        (lambda: screen(photos[rng.choice(list(BANKED))], None), 25),
        (lambda: screen(rng.choice(edits), None), 8),
        (lambda: screen(photos[101], rng.choice(list(AccountClass))), 6),
        (lambda: screen(rng.choice(unrelated), None), 8),
        (report, 10),
        (decide, 18),
        (appeal, 10),
        (decide_appeal, 8),
    ]
    for _ in range(90):
        action = rng.choices([e for e, _ in events], weights=[w for _, w in events])[0]
        action()
        clock.at += timedelta(minutes=rng.uniform(1, 15))
    legal_day(container, out, clock)
    responder = Actor(name="rsp-zz", org=container.settings.org_name)
    out.secrets.add("rsp-zz")
    incident = container.incidents.declare(
        title="zz-incident-title", activation=ActivationType.AWARENESS, actor=responder
    )
    container.incidents.conclude(incident_id=incident.id, actor=responder, note="zz-note")
    out.secrets |= {"zz-incident-title", "zz-note"}
    return out


def legal_day(container: Container, out: Replay, clock: Clock) -> None:
    """Two removal orders complied with, then challenged: the provider's proceeding annuls
    the first and requires its content reinstated; the uploader's upholds the second."""
    container.orders.now = container.proceedings.now = clock
    truth = out.truth
    orders = []
    for number in (1, 2):
        clock.at += timedelta(minutes=5)
        secrets = (f"auth-zz-{number}", f"order-ref-zz-{number}", f"order-why-zz-{number}")
        order = container.orders.receive(
            authority=secrets[0],
            reference=secrets[1],
            content_ref=f"ordered-ref-{number:03d}",
            reason=secrets[2],
            uploader=f"ordered-user-{number:03d}",
            actor=PIPELINE,
        )
        clock.at += timedelta(minutes=20)
        container.orders.comply(order.id, confirmation="removed-zz", actor=PIPELINE)
        out.secrets |= {*secrets, order.content_ref, order.uploader, "removed-zz"}
        orders.append(order)
        truth["orders.received"] += 1
        truth["orders.complied"] += 1
        truth["cases.by_source.order"] += 1
        truth["decisions.by_outcome.remove"] += 1  # complying decides the open case
    for order, party, outcome in (
        (orders[0], ProceedingParty.HOSTING_PROVIDER, ProceedingOutcome.ANNULLED),
        (orders[1], ProceedingParty.CONTENT_PROVIDER, ProceedingOutcome.UPHELD),
    ):
        body, reference = f"court-zz-{order.id}", f"court-ref-zz-{order.id}"
        out.secrets |= {body, reference}
        clock.at += timedelta(hours=1)
        brought = container.proceedings.bring(
            order.id, party=party, body=body, reference=reference, actor=PIPELINE
        )
        truth["proceedings.brought"] += 1
        truth[f"proceedings.brought_by_party.{party}"] += 1
        clock.at += timedelta(hours=2)
        reinstate = outcome is ProceedingOutcome.ANNULLED
        container.proceedings.decide(
            brought.id, outcome=outcome, reinstatement_required=reinstate, actor=PIPELINE
        )
        truth["proceedings.decided"] += 1
        truth[f"proceedings.by_outcome.{outcome}"] += 1
        if party is ProceedingParty.HOSTING_PROVIDER:
            truth[f"proceedings.hosting_provider_by_outcome.{outcome}"] += 1
        if reinstate:
            truth["proceedings.reinstatements"] += 1
            truth[f"proceedings.reinstatements_by_party.{party}"] += 1
            truth["restorations.restored"] += 1
            truth["restorations.by_via.proceeding"] += 1
            truth["decisions.by_outcome.keep"] += 1  # the reversal, in the case's history


def _all_records(container: Container) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    while page := container.audit.records(after=records[-1].seq if records else 0, limit=1000):
        records.extend(page)
    return records


def _nearest_rank(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[math.ceil(share * len(ordered)) - 1], 3) if ordered else None


def independent(records: list[AuditRecord]) -> dict[str, Any]:
    """Figures from the raw records, written out plainly for the test."""
    got: Counter[str] = Counter()
    decide: list[float] = []
    appeal: list[float] = []
    for r in records:
        d = r.detail
        if r.action == "upload.screened":
            got["uploads.screened"] += 1
            if d["matched"] is False:
                continue
            got["uploads.matched"] += 1
            got["uploads.acted"] += bool(d["actions"])
            for a in d["actions"]:
                got[f"uploads.by_action.{a}"] += 1
            got[f"uploads.by_content_status.{d['content_status']}"] += 1
            for label in d["labels"]:
                if label.startswith("category:"):
                    got[f"uploads.by_category.{label}"] += 1
                    if d["content_status"] == "blocked":
                        got[f"uploads.blocked_by_category.{label}"] += 1
            for signal_type in d["signal_types"]:
                got[f"uploads.by_signal_type.{signal_type}"] += 1
            got[f"uploads.by_month.{r.at:%Y-%m}"] += 1
            got["uploads.exempt_diversions"] += d["exempt"]
            got["uploads.negative_suppressed"] += d["suppressed"] > 0
            got["uploads.negative_suppressed_entries"] += d["suppressed"]
        elif r.action == "case.opened":
            got["cases.opened"] += 1
            got[f"cases.by_source.{d['source']}"] += 1
            got[f"cases.by_severity.{d['severity']}"] += 1
        elif r.action == "case.decided":
            got["decisions.decided"] += 1
            got[f"decisions.by_outcome.{d['outcome']}"] += 1
            if d["seconds_to_decide"] is not None:
                decide.append(d["seconds_to_decide"])
        elif r.action == "appeal.filed":
            got["appeals.filed"] += 1
        elif r.action == "appeal.decided":
            got["appeals.decided"] += 1
            got["appeals.upheld" if d["upheld"] else "appeals.rejected"] += 1
            got["appeals.wrong_match"] += d["wrong_match"]
            appeal.append(d["seconds_to_decide"])
        elif r.action == "content.restored":
            got["restorations.restored"] += 1
            got[f"restorations.by_via.{d['via']}"] += 1
        elif r.action == "proceeding.brought":
            got["proceedings.brought"] += 1
            got[f"proceedings.brought_by_party.{d['party']}"] += 1
        elif r.action == "proceeding.decided":
            got["proceedings.decided"] += 1
            got[f"proceedings.by_outcome.{d['outcome']}"] += 1
            if d["party"] == "hosting_provider":
                got[f"proceedings.hosting_provider_by_outcome.{d['outcome']}"] += 1
            if d["reinstatement_required"]:
                got["proceedings.reinstatements"] += 1
                got[f"proceedings.reinstatements_by_party.{d['party']}"] += 1
        elif r.action in ("incident.declared", "incident.concluded"):
            got[f"incidents.{r.action.split('.')[1]}"] += 1
    figures: dict[str, Any] = dict(got)
    figures["decisions.seconds_to_decide_median"] = (
        round(statistics.median(decide), 3) if decide else None
    )
    figures["decisions.seconds_to_decide_p90"] = _nearest_rank(decide, 0.9)
    figures["appeals.seconds_to_decide_p90"] = _nearest_rank(appeal, 0.9)
    decided = got["appeals.decided"]
    figures["appeals.overturn_rate"] = (
        round(got["appeals.upheld"] / decided, 4) if decided else None
    )
    figures["records.counted"] = len(records)
    figures["records.first_seq"] = records[0].seq
    figures["records.last_seq"] = records[-1].seq
    return figures


def _whole(container: Container) -> TransparencyReport:
    period = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))
    return container.transparency.report(period)


def test_a_day_of_traffic_gives_the_figures_the_records_and_the_stores_give(
    replay: Replay,
) -> None:
    container, truth = replay.container, replay.truth
    report = _whole(container)
    flat = flatten(report.figures)
    records = _all_records(container)

    # The traffic was varied enough to exercise every path.
    assert truth["uploads.matched"] >= 20 and truth["uploads.exempt_diversions"] >= 1
    assert truth["uploads.screened"] > truth["uploads.matched"]
    assert truth["uploads.negative_suppressed"] >= 1 and truth["cases.by_source.report"] >= 3
    assert truth["appeals.upheld"] >= 1 and truth["appeals.rejected"] >= 1
    assert truth["appeals.wrong_match"] >= 1
    assert truth["proceedings.reinstatements"] == truth["restorations.by_via.proceeding"] == 1

    # 1. What the test itself drove.
    for name, count in truth.items():
        if "." in name:
            assert flat[name] == count, name
    # 2. An independent recomputation from the raw records.
    for name, value in independent(records).items():
        assert flat[name] == value, name
    # 3. The stores' own counts, and the service's cross-check.
    cases = container.review.list_cases(limit=1000)
    appeals = container.review.list_appeals(limit=1000)
    assert flat["cases.opened"] == len(cases)
    for source in CaseSource:
        assert flat[f"cases.by_source.{source}"] == sum(c.source is source for c in cases)
    for state in (AppealState.UPHELD, AppealState.REJECTED):
        assert flat[f"appeals.{state}"] == sum(a.state is state for a in appeals)
    assert flat["appeals.filed"] == len(appeals)
    decisions = [d for c in cases for d in container.review.get(c.id).decisions if not d.on_appeal]
    for outcome in Outcome:
        assert flat[f"decisions.by_outcome.{outcome}"] == sum(
            d.outcome is outcome for d in decisions
        )
    assert flat["restorations.restored"] == sum(
        c.content_status is ContentStatus.RESTORED for c in cases
    )
    proceedings = container.proceedings.list_proceedings()
    assert flat["proceedings.brought"] == len(proceedings) == 2
    assert flat["proceedings.reinstatements"] == sum(p.reinstatement_required for p in proceedings)
    check = container.transparency.cross_check()
    assert check.ok and check.differences == () and len(check.compared) >= 27
    assert "proceedings.reinstatements" in check.compared
    assert store_figures(container.review)["cases.opened"] == len(cases)

    # Article 7(3)(e) and (f) equal the test's own count and the raw records'.
    points = article7_view(container.transparency.article7(year=datetime.now(UTC).year))["points"]
    e, f = points["e"]["figures"], points["f"]["figures"]
    assert "recorded" not in points["e"] and "recorded" not in points["f"]
    assert e["brought"] == truth["proceedings.brought_by_party.hosting_provider"] == 1
    assert e["decided_for_provider"] == truth["proceedings.hosting_provider_by_outcome.annulled"]
    assert e["decided_against_provider"] == 0 and e["decided"] == 1
    assert f["reinstated"] == truth["proceedings.reinstatements"] == 1
    raw = independent(records)
    assert e["brought"] == raw["proceedings.brought_by_party.hosting_provider"]
    assert f["reinstated"] == raw["proceedings.reinstatements"]

    # The chain and the range covered.
    assert report.chain.ok and report.chain.records == len(records)
    assert report.chain.last_hash == records[-1].hash
    assert flat["incidents.declared"] == flat["incidents.concluded"] == 1
    assert flat["incidents.by_activation.awareness"] == 1


def test_observers_never_see_refs_users_people_reasons_hashes_or_banks(day: Replay) -> None:
    container = day.container
    report = _whole(container)
    year = container.transparency.article7(year=datetime.now(UTC).year)
    texts = {
        "json": json.dumps(report_view(report)),
        "csv": report_csv(report),
        "html": render_report_html(report),
        "article7": json.dumps(article7_view(year)),
        "article7 html": render_article7_html(year),
    }
    assert len(day.secrets) > 50
    leaks = [(kind, s) for kind, text in texts.items() for s in day.secrets if s in text]
    assert leaks == []


def test_the_csv_has_one_row_per_figure(day: Replay) -> None:
    report = _whole(day.container)
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert list(rows[0]) == ["section", "figure", "key", "value"]
    figures = {
        ".".join(p for p in (r["section"], r["figure"], r["key"]) if p): r["value"] for r in rows
    }
    for name, value in flatten(report.figures).items():
        assert figures[name] == ("" if value is None else str(value)), name
    assert figures["chain.ok"] == "true" and figures["period.start"] == "2000-01-01T00:00:00Z"


def test_the_html_is_one_self_contained_page_with_charts(day: Replay) -> None:
    page = render_report_html(_whole(day.container))
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 5
    for outside in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert outside not in page
    assert "perpetrator livestream" in page and "Hash chain intact" in page


def test_article7_draws_each_point_from_the_figures(day: Replay) -> None:
    container = day.container
    year = datetime.now(UTC).year
    report = container.transparency.article7(year=year)
    view = article7_view(report)
    flat = flatten(report.figures)
    points = view["points"]
    assert view["year"] == year and view["regulation"].startswith("Regulation (EU) 2021/784")
    assert sorted(points) == list("abcdefg")
    assert points["a"]["figures"]["cases_opened"] == flat["cases.opened"]
    assert points["a"]["figures"]["uploads_screened"] == flat["uploads.screened"] > 0
    assert points["b"]["figures"]["blocked_reuploads"] == flat["uploads.by_content_status.blocked"]
    assert points["b"]["automated_tools"] is True
    assert points["d"]["figures"]["upheld"] == flat["appeals.upheld"]
    e = points["e"]["figures"]
    assert e["brought"] == flat["proceedings.brought_by_party.hosting_provider"]
    assert e["by_outcome"] == report.figures["proceedings"]["hosting_provider_by_outcome"]
    assert points["f"]["figures"]["reinstated"] == flat["proceedings.reinstatements"]
    assert points["g"]["figures"]["reinstated"] == flat["restorations.by_via.appeal"]
    page = render_article7_html(report)
    assert all(f"<h2>({letter})" in page for letter in "abcdefg")
    assert page.count("<svg") == 2


# -- the pure fold, on hand-made records -----------------------------------------------------


def _records(*rows: tuple[str, dict[str, Any]], at: datetime = NOW) -> list[AuditRecord]:
    """Records as a log would hold them (the hashes are not checked by ``recompute``)."""
    return [
        AuditRecord(
            seq=i,
            at=at + timedelta(minutes=i),
            actor="someone-zz",
            action=action,
            subject="thing:1",
            detail=detail,
            prev_hash=GENESIS_HASH,
            hash=GENESIS_HASH,
        )
        for i, (action, detail) in enumerate(rows, start=1)
    ]


LEGAL_AND_INCIDENTS = (
    ("order.received", {"authority": "auth-zz", "received_at": "x", "deadline": "y"}),
    ("order.received", {"authority": "auth-zz", "case_id": 3}),
    ("order.received", {"authority": "auth-zz", "case_id": 4}),
    ("order.complied", {"seconds_to_comply": 600.0, "within_deadline": True}),
    ("order.complied", {"seconds_to_comply": 5400, "within_deadline": False}),
    ("order.refused", {"state": "impossible", "authority": "auth-zz"}),
    ("order.refused", {"state": "Free text from someone", "authority": "auth-zz"}),
    ("order.escalated", {"minutes_left": 10}),
    ("hold.created", {"until": "2027-01-01", "source": "order"}),
    ("hold.created", {"until": "2027-01-01", "source": "match"}),
    ("hold.extended", {"until": "2027-06-01"}),
    ("hold.purged", {}),
    ("hold.released", {"source": "case"}),
    ("notice.sent", {"kind": "removal", "withheld": False}),
    ("notice.sent", {"kind": "removal", "withheld": True}),
    ("entry.quarantined", {"reason": "flood control"}),
    ("entry.released", {}),
    ("incident.declared", {"activation": "perpetrator_content", "org": "org-zz"}),
    ("incident.activated", {"approving": ["org-zz"]}),
    ("incident.hashes_submitted", {"count": 4, "entries": [[1, 4]]}),
    ("incident.variant_accepted", {"count": 1, "variant": 9}),
    ("incident.concluded", {"note": "note-zz"}),
    ("incident.debriefed", {}),
    ("bank.created", {"owner": "org-zz"}),
)


def test_orders_holds_notices_incidents_and_flood_control_are_counted() -> None:
    flat = flatten(recompute(_records(*LEGAL_AND_INCIDENTS)))
    assert {k: v for k, v in flat.items() if k.split(".")[0] in ("orders", "holds")} == {
        "orders.received": 3,
        "orders.complied": 2,
        "orders.within_deadline": 1,
        "orders.late": 1,
        "orders.refused": 2,
        "orders.refused_by_state.impossible": 1,
        "orders.refused_by_state.other": 1,
        "orders.escalated": 1,
        "orders.seconds_to_comply_median": 3000.0,
        "orders.seconds_to_comply_p90": 5400.0,
        "holds.created": 2,
        "holds.extended": 1,
        "holds.purged": 1,
        "holds.released": 1,
    }
    assert flat["notices.sent"] == flat["notices.withheld"] == 1
    assert flat["notices.by_kind.removal"] == 2
    assert flat["uploads.flood_quarantines"] == flat["uploads.flood_releases"] == 1
    assert [
        flat[f"incidents.{n}"] for n in ("declared", "activated", "concluded", "debriefed")
    ] == [
        1,
        1,
        1,
        1,
    ]
    assert flat["incidents.hashes_submitted"] == 4 and flat["incidents.variants_accepted"] == 1
    assert flat["records.counted"] == len(LEGAL_AND_INCIDENTS)


PROCEEDINGS = (
    ("proceeding.brought", {"order": 1, "party": "hosting_provider", "brought_at": "x"}),
    ("proceeding.brought", {"order": 2, "party": "hosting_provider"}),
    ("proceeding.brought", {"order": 3, "party": "content_provider"}),
    ("proceeding.brought", {"order": 4, "party": "A Court Of Free Text"}),
    ("proceeding.decided", {"party": "hosting_provider", "outcome": "annulled",
                            "reinstatement_required": True}),
    ("proceeding.decided", {"party": "hosting_provider", "outcome": "upheld",
                            "reinstatement_required": False}),
    ("proceeding.decided", {"party": "hosting_provider", "outcome": "varied"}),
    ("proceeding.decided", {"party": "content_provider", "outcome": "varied",
                            "reinstatement_required": True}),
    ("proceeding.decided", {"party": "content_provider", "outcome": "Quashed in part",
                            "reinstatement_required": "yes"}),
    ("content.restored", {"via": "proceeding", "proceeding": 1}),
)  # fmt: skip


def test_review_proceedings_are_counted_for_article7_e_and_f() -> None:
    figures = recompute(_records(*PROCEEDINGS))
    assert figures["proceedings"] == {
        "brought": 4,
        "brought_by_party": {"content_provider": 1, "hosting_provider": 2, "other": 1},
        "decided": 5,
        "by_outcome": {"annulled": 1, "other": 1, "upheld": 1, "varied": 2},
        "hosting_provider_by_outcome": {"annulled": 1, "upheld": 1, "varied": 1},
        "reinstatements": 2,
        "reinstatements_by_party": {"content_provider": 1, "hosting_provider": 1},
    }
    assert figures["restorations"]["by_via"]["proceeding"] == 1
    chain = AuditVerification(ok=True, records=0, last_seq=0, last_hash=GENESIS_HASH)
    report = TransparencyReport(year_period(2026, now=NOW), NOW, chain, figures, "platform")
    points = article7_view(report)["points"]
    assert points["e"]["figures"] == {
        "brought": 2,
        "decided": 3,
        "decided_for_provider": 2,
        "decided_against_provider": 1,
        "by_outcome": {"annulled": 1, "upheld": 1, "varied": 1},
    }
    assert points["f"]["figures"] == {
        "reinstated": 2,
        "reinstated_by_party": {"content_provider": 1, "hosting_provider": 1},
    }
    assert not any("Free Text" in k or "Quashed" in k for k in flatten(figures))


def test_a_log_without_the_legal_actions_gives_zeros_and_none() -> None:
    figures = recompute([])
    assert figures["orders"]["received"] == 0 and figures["orders"]["refused_by_state"] == {}
    assert figures["orders"]["seconds_to_comply_median"] is None
    assert figures["appeals"]["overturn_rate"] is None
    assert figures["records"] == {"counted": 0, "first_seq": None, "last_seq": None}


def test_only_records_in_the_period_count() -> None:
    records = _records(*LEGAL_AND_INCIDENTS[:5], at=NOW)
    period = Period(NOW + timedelta(minutes=2), NOW + timedelta(minutes=4))
    figures = recompute(records, period=period)
    assert figures["records"] == {"counted": 2, "first_seq": 2, "last_seq": 3}
    assert figures["orders"]["received"] == 2


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        # Free text, wrong types and unknown labels never become keys.
        (
            {
                "actions": ["block", "Do Something"],
                "labels": ["category:nope", "x y"],
                "signal_types": ["Free Text!", "pdq"],
                "content_status": "blocked",
                "exempt": "yes",
                "suppressed": "2",
            },
            {
                "uploads.by_action.block": 1,
                "uploads.by_signal_type.other": 1,
                "uploads.by_signal_type.pdq": 1,
                "uploads.exempt_diversions": 0,
                "uploads.negative_suppressed": 0,
                "uploads.by_content_status.blocked": 1,
            },
        ),
        # A record from before every upload was recorded (no "matched") was a match.
        ({}, {"uploads.screened": 1, "uploads.matched": 1, "uploads.acted": 0}),
        # An upload that matched nothing counts as screened, and nowhere else.
        (
            {"matched": False, "content_status": "visible"},
            {
                "uploads.screened": 1,
                "uploads.matched": 0,
                "uploads.by_content_status.visible": 0,
                "records.counted": 1,
            },
        ),
        ({"actions": "block"}, {"uploads.acted": 0, "uploads.by_action.block": 0}),
    ],
)
def test_malformed_details_never_break_the_fold_or_leak(
    detail: dict[str, Any], expected: dict[str, int]
) -> None:
    flat = flatten(recompute(_records(("upload.screened", detail))))
    assert {k: flat[k] for k in expected} == expected
    assert not any("Free" in k or "Do Something" in k or "nope" in k for k in flat)


def test_a_case_with_an_odd_severity_or_source_counts_as_other() -> None:
    flat = flatten(recompute(_records(("case.opened", {"severity": "12", "source": "Mail"}))))
    assert flat["cases.by_severity.other"] == 1 and flat["cases.by_source.other"] == 1


def test_article7_counts_orders_and_their_grounds() -> None:
    figures = recompute(_records(*LEGAL_AND_INCIDENTS))
    chain = AuditVerification(ok=True, records=0, last_seq=0, last_hash=GENESIS_HASH)
    report = TransparencyReport(year_period(2026, now=NOW), NOW, chain, figures, "platform")
    c = article7_view(report)["points"]["c"]["figures"]
    assert c["items_removed_following_orders"] == 2 and c["removed_within_one_hour"] == 1
    assert c["orders_not_acted_on"] == 2
    assert c["orders_not_acted_on_by_ground"] == {"impossible": 1, "other": 1}
    assert article7_view(report)["interim"] is True


# -- periods and paging --------------------------------------------------------------------


def _utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (_utc("2026-01-01"), NOW)),
        ("2026-01-01", "2026-02-01", (_utc("2026-01-01"), _utc("2026-02-01"))),
        (None, "2026-03-01", (_utc("2026-01-01"), _utc("2026-03-01"))),
        (None, "2026-01-01", (_utc("2025-01-01"), _utc("2026-01-01"))),
        ("2016-01-01", "2026-01-01", (_utc("2016-01-01"), _utc("2026-01-01"))),
        ("2026-05-01", None, (_utc("2026-05-01"), NOW)),
    ],
)
def test_periods(start: str | None, end: str | None, expected: tuple[datetime, datetime]) -> None:
    assert parse_period(start, end, now=NOW) == Period(*expected)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-02-01", "2026-01-01"),  # ends before it starts
        ("2026-01-01", "2026-01-01"),  # empty
        ("yesterday", None),
        ("2026-13-01", None),
        (None, "2026-02-30"),
        ("2000-01-01", "2011-01-01"),  # over ten years
        ("2027-01-01", None),  # starts after now
    ],
)
def test_bad_periods_are_refused(start: str | None, end: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(start, end, now=NOW)
    assert caught.value.code == "invalid_period"


@pytest.mark.parametrize("year", ["abc", "1999", "2027", "", 10**6])
def test_bad_years_are_refused(year: str | int) -> None:
    with pytest.raises(InvalidInput) as caught:
        year_period(year, now=NOW)
    assert caught.value.code == "invalid_period"


def test_the_report_reads_the_log_a_page_at_a_time() -> None:
    container = build(Settings(database_url="memory://"))
    try:
        for i in range(2345):
            container.audit.record(actor="x", action="hold.created", subject=f"hold:{i}")
        reads: list[tuple[int, int]] = []
        records = container.audit.records

        def spy(*, after: int = 0, limit: int = 100) -> list[AuditRecord]:
            reads.append((after, limit))
            return records(after=after, limit=limit)

        container.audit.records = spy  # type: ignore[method-assign]
        report = _whole(container)
        assert reads == [(0, 1000), (1000, 1000), (2000, 1000)]
        assert report.figures["holds"]["created"] == 2345
        assert report.figures["records"] == {"counted": 2345, "first_seq": 1, "last_seq": 2345}
        # A period long past stops at the first record beyond it (plus the clock slack).
        reads.clear()
        past = container.transparency.report(parse_period("2001-01-01", "2002-01-01", now=NOW))
        assert reads == [(0, 1000)] and past.figures["records"]["counted"] == 0
        assert past.chain.ok and past.chain.records == 2345
        assert len(list(audit_records(container.audit, last_seq=1500))) == 1500
    finally:
        container.close()


def test_every_figure_is_defined_in_the_docs() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "transparency.md").read_text()
    missing = [
        f"{section}.{name}"
        for section, named in recompute([]).items()
        for name in named
        if f"`{section}.{name}`" not in text
    ]
    assert missing == []
