"""The live incident view and the debrief report, both computed from the stored log.

Neither ever holds a hash value, a note on an entry or the name of a person's key: they
name organisations only. A debrief for the ``public`` names no organisation either
(members become "member 1", "member 2"... in order of first appearance) and keeps only
the counts of each event, for publication beside transparency reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader, select_autoescape
from markupsafe import Markup

from fireline.domain import NotFound
from fireline.domain.incidents import Incident, IncidentState, VariantState
from fireline.services.charts import bar_chart, step_chart
from fireline.services.incident_variants import VariantService
from fireline.services.incident_views import event_view, incident_view
from fireline.services.incidents import Actor, IncidentService
from fireline.services.views import View
from fireline.store import BankStore

REPORT_FORMAT = "fireline.incident_debrief/1"


class Audience(StrEnum):
    #: Organisations named, every event's detail (never hash values or people).
    MEMBERS = "members"
    #: Organisations pseudonymised, counts only.
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Debrief:
    json: View
    html: str


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ")


class IncidentReports:
    def __init__(
        self, *, incidents: IncidentService, variants: VariantService, banks: BankStore
    ) -> None:
        self.incidents = incidents
        self.variants = variants
        self.banks = banks

    def live(self, *, incident_id: int) -> View:
        """What a responder watches: variants over time, matches and blocks per member per
        minute, time from activation to first hash, the last new variant."""
        incident = self.incidents.get(incident_id=incident_id)
        variants = self.variants.all(incident_id=incident_id)
        tallies = self.variants.store.tallies(incident_id)
        by_state = Counter(str(v.state) for v in variants)
        accepted = sorted(
            v.decided_at
            for v in variants
            if v.state is VariantState.ACCEPTED and v.decided_at is not None
        )
        over_time: list[dict[str, Any]] = []
        for at in accepted:
            label = _minute(at)
            if over_time and over_time[-1]["minute"] == label:
                over_time[-1]["accepted"] += 1
            else:
                over_time.append({"minute": label, "accepted": 1})
        running = 0
        for row in over_time:
            running += row["accepted"]
            row["cumulative"] = running
        members: dict[str, dict[str, int]] = defaultdict(lambda: {"matched": 0, "blocked": 0})
        for t in tallies:
            members[t.org]["matched"] += t.matched
            members[t.org]["blocked"] += t.blocked
        return {
            "incident": incident_view(incident),
            "figures": {
                "seconds_to_activation": _seconds(incident.declared_at, incident.activated_at),
                "seconds_to_first_hash": _seconds(incident.activated_at, incident.first_hash_at),
                "entries": self._entries(incident),
                "variants": {
                    state: by_state.get(state, 0) for state in (s.value for s in VariantState)
                },
                "automatic": sum(1 for v in variants if v.automatic),
                "proposals": sum(v.proposals for v in variants),
                "matched": sum(t.matched for t in tallies),
                "blocked": sum(t.blocked for t in tallies),
                "last_variant_at": incident.last_variant_at.isoformat()
                if incident.last_variant_at
                else None,
            },
            "variants_over_time": over_time,
            "members": [{"org": org, **counts} for org, counts in sorted(members.items())],
            "per_minute": [
                {
                    "minute": _minute(t.minute),
                    "org": t.org,
                    "matched": t.matched,
                    "blocked": t.blocked,
                }
                for t in tallies
            ],
        }

    def debrief(
        self, *, incident_id: int, actor: Actor, audience: Audience = Audience.MEMBERS
    ) -> Debrief:
        """The debrief, from the log. A concluded incident is marked debriefed first, so
        the report shows it so; writing the report again later gives the same figures."""
        incident = self.incidents.get(incident_id=incident_id)
        if incident.state is IncidentState.CONCLUDED:
            incident = self.incidents.mark_debriefed(incident_id=incident_id, actor=actor)
        live = self.live(incident_id=incident_id)
        events = [event_view(e) for e in self.incidents.timeline(incident_id=incident_id)]
        for event in events:
            event.pop("actor")
        report: View = {
            "format": REPORT_FORMAT,
            "audience": str(audience),
            "interim": incident.state not in (IncidentState.CONCLUDED, IncidentState.DEBRIEFED),
            **live,
            "timeline": events,
            "event_counts": dict(sorted(Counter(e["kind"] for e in events).items())),
        }
        report["incident"].pop("declared_by")
        for approval in report["incident"]["approvals"]:
            approval.pop("actor")
        if audience is Audience.PUBLIC:
            report = _public(report)
        return Debrief(json=report, html=render_debrief(report))

    def _entries(self, incident: Incident) -> int:
        if incident.bank is None:
            return 0
        try:
            return self.banks.get_bank(incident.bank).entry_count
        except NotFound:
            return 0


def _public(report: View) -> View:
    """The report with organisations pseudonymised and event details reduced to counts."""
    names: dict[str, str] = {}

    def alias(org: str) -> str:
        return names.setdefault(org, f"member {len(names) + 1}")

    incident = report["incident"]
    incident["declared_org"] = alias(incident["declared_org"])
    for approval in incident["approvals"]:
        approval["org"] = alias(approval["org"])
    for event in report["timeline"]:
        event["org"] = alias(event["org"])
        event["detail"] = {
            k: v
            for k, v in event["detail"].items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "variant"
        }
    for row in report["members"]:
        row["org"] = alias(row["org"])
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"matched": 0, "blocked": 0})
    for row in report["per_minute"]:
        totals[row["minute"]]["matched"] += row["matched"]
        totals[row["minute"]]["blocked"] += row["blocked"]
    report["per_minute"] = [{"minute": m, **c} for m, c in sorted(totals.items())]
    return report


def render_debrief(report: View) -> str:
    """The debrief as one self-contained HTML page (charts are inline SVG)."""
    minutes = sorted({row["minute"] for row in report["per_minute"]})
    matched: dict[str, int] = Counter()
    blocked: dict[str, int] = Counter()
    for row in report["per_minute"]:
        matched[row["minute"]] += row["matched"]
        blocked[row["minute"]] += row["blocked"]
    charts = {
        "variants": step_chart(
            "Accepted variants over time (cumulative)",
            [(row["minute"][11:16], row["cumulative"]) for row in report["variants_over_time"]],
        ),
        "per_minute": bar_chart(
            "Matched and blocked uploads per minute, all members",
            [m[11:16] for m in minutes],
            [
                ("matched", [matched[m] for m in minutes]),
                ("blocked", [blocked[m] for m in minutes]),
            ],
        ),
        "members": bar_chart(
            "Blocked uploads per member",
            [row["org"] for row in report["members"]],
            [("blocked", [row["blocked"] for row in report["members"]])],
        ),
    }
    template = _environment().get_template("incident_debrief.html")
    return template.render(
        report=report, charts={name: Markup(svg) for name, svg in charts.items()}
    )


def _environment() -> Environment:
    source = resources.files("fireline.services").joinpath("templates")

    def load(name: str) -> str:
        return source.joinpath(name).read_text(encoding="utf-8")

    return Environment(loader=FunctionLoader(load), autoescape=select_autoescape(default=True))
