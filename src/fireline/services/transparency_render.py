"""Transparency reports as JSON, CSV and one self-contained HTML page, and the EU TCO
Article 7 report (Regulation (EU) 2021/784, Article 7(3)) as JSON and HTML.

Everything here is drawn from a ``TransparencyReport``'s figures and chain verification,
which hold counts and durations only.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader, select_autoescape
from markupsafe import Markup

from fireline.domain import AuditVerification
from fireline.services.charts import bar_chart
from fireline.services.transparency import (
    Figure,
    Period,
    TransparencyFigures,
    TransparencyReport,
    flatten,
)
from fireline.services.views import View

REPORT_FORMAT = "fireline.transparency/1"
ARTICLE7_FORMAT = "fireline.tco_article7/1"
REGULATION = "Regulation (EU) 2021/784, Article 7(3)"
#: Months drawn in the chart of matches per month, at most (the newest).
CHART_MONTHS = 36
#: Content categories as a chart's axis names them (the full names do not fit).
_SHORT = {
    "category:perpetrator_livestream": "livestream",
    "category:attacker_manifesto": "manifesto",
    "category:branded_publication": "publication",
    "category:imminent_credible_threat": "threat",
    "category:graphic_violence_defenceless": "violence",
}

SECTION_TITLES = {
    "records": "Audit records counted",
    "uploads": "Uploads screened, and those that matched a bank",
    "cases": "Cases opened for review",
    "decisions": "Review decisions",
    "appeals": "Appeals (complaints)",
    "restorations": "Content restored",
    "orders": "Removal orders",
    "holds": "Preservation holds",
    "notices": "Notices to users",
    "proceedings": "Review proceedings against removal orders",
    "incidents": "Crisis incidents",
}

MEASURES_TEXT = (
    "Uploads are hashed (perceptual and exact hashes of photos, video frames and audio) and "
    "matched against hash banks of confirmed terrorist content, shared between platforms. "
    "Policy rules turn a match into actions: near-exact copies of perpetrator content are "
    "blocked at upload; other matches, user reports and removal orders go to human "
    "reviewers. Uploads from news, research, human-rights archive and counter-speech "
    "accounts are never removed automatically: a person decides. Every decision can be "
    "appealed to a different reviewer."
)
REAPPEARANCE_TEXT = (
    "Automated tools: content removed once is banked as hashes, and every later upload is "
    "matched against the banks, including edited copies (cropped, mirrored, re-encoded). "
    "Exact and near-exact re-uploads are blocked before publication; hashes that match "
    "suspiciously often are quarantined, and banks of known benign content suppress false "
    "matches."
)
PROCEEDINGS_TEXT = (
    "Administrative or judicial review proceedings the provider brought against removal "
    "orders (Art. 9): brought this year, and those decided this year by outcome. An order "
    "annulled or varied is decided for the provider, one upheld against it."
)
REINSTATEMENT_TEXT = (
    "Proceedings decided this year that required the provider to reinstate content, "
    "whoever brought them (the provider or the content provider); the content was "
    "reinstated when the decision was recorded."
)


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def period_view(period: Period) -> View:
    return {"start": _time(period.start), "end": _time(period.end)}


def chain_view(chain: AuditVerification) -> View:
    """The chain's verification without its message (which quotes record hashes)."""
    return {
        "ok": chain.ok,
        "records": chain.records,
        "last_seq": chain.last_seq,
        "last_hash": chain.last_hash,
        "bad_seq": chain.bad_seq,
        "problem": None if chain.problem is None else chain.problem.value,
    }


def report_view(report: TransparencyReport) -> View:
    """The report as JSON (format ``fireline.transparency/1``)."""
    return {
        "format": REPORT_FORMAT,
        "provider": report.provider,
        "period": period_view(report.period),
        "generated_at": _time(report.generated_at),
        "chain": chain_view(report.chain),
        "figures": report.figures,
    }


def report_csv(report: TransparencyReport) -> str:
    """One row per figure, ``section,figure,key,value``: the report's own fields first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "figure", "key", "value"))
    rows: list[tuple[str, str, str, object]] = [
        ("report", "format", "", REPORT_FORMAT),
        ("report", "provider", "", report.provider),
        ("report", "generated_at", "", _time(report.generated_at)),
        ("period", "start", "", _time(report.period.start)),
        ("period", "end", "", _time(report.period.end)),
    ]
    rows.extend(("chain", name, "", value) for name, value in chain_view(report.chain).items())
    for name, value in flatten(report.figures).items():
        section, figure, *key = name.split(".", 2)
        rows.append((section, figure, key[0] if key else "", value))
    for row in rows:
        writer.writerow(row[:3] + (_cell(row[3]),))
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def article7_view(report: TransparencyReport) -> View:
    """The Article 7(3) report of one year (format ``fireline.tco_article7/1``)."""
    f = report.figures
    uploads, cases, decisions = f["uploads"], f["cases"], f["decisions"]
    appeals, restored, orders = f["appeals"], f["restorations"], f["orders"]
    proceedings = f["proceedings"]
    status = _table(uploads["by_content_status"])
    via = _table(restored["by_via"])
    provider = _table(proceedings["hosting_provider_by_outcome"])

    def point(title: str, figures: dict[str, Figure], text: str = "", **more: Any) -> View:
        return {"title": title, "text": text, "figures": figures, **more}

    return {
        "format": ARTICLE7_FORMAT,
        "regulation": REGULATION,
        "provider": report.provider,
        "year": report.period.start.year,
        "period": period_view(report.period),
        "interim": report.period.end > report.generated_at,
        "generated_at": _time(report.generated_at),
        "points": {
            "a": point(
                "Measures to identify and remove terrorist content or disable access to it",
                {
                    "uploads_screened": uploads["screened"],
                    "uploads_matched": uploads["matched"],
                    "blocked_at_upload": status.get("blocked", 0),
                    "removed_automatically": status.get("removed", 0),
                    "shown_behind_warning": status.get("interstitial", 0),
                    "cases_opened": cases["opened"],
                    "cases_by_source": cases["by_source"],
                    "decisions": decisions["decided"],
                    "decisions_by_outcome": decisions["by_outcome"],
                    "exempt_context_diversions": uploads["exempt_diversions"],
                },
                MEASURES_TEXT,
            ),
            "b": point(
                "Measures to address the reappearance of material previously removed",
                {
                    "blocked_reuploads": status.get("blocked", 0),
                    "matched_by_signal_type": uploads["by_signal_type"],
                    "negative_bank_suppressions": uploads["negative_suppressed"],
                    "flood_quarantines": uploads["flood_quarantines"],
                },
                REAPPEARANCE_TEXT,
                automated_tools=True,
            ),
            "c": point(
                "Items removed or disabled following removal orders or specific measures; "
                "removal orders not acted on, with the grounds",
                {
                    "removal_orders_received": orders["received"],
                    "items_removed_following_orders": orders["complied"],
                    "removed_within_one_hour": orders["within_deadline"],
                    "items_removed_by_specific_measures": status.get("blocked", 0)
                    + status.get("removed", 0)
                    + _number(decisions["removed_by_review"]),
                    "orders_not_acted_on": orders["refused"],
                    "orders_not_acted_on_by_ground": orders["refused_by_state"],
                },
            ),
            "d": point(
                "Complaints handled, and their outcome",
                {
                    "filed": appeals["filed"],
                    "decided": appeals["decided"],
                    "upheld": appeals["upheld"],
                    "rejected": appeals["rejected"],
                    "upheld_as_wrong_match": appeals["wrong_match"],
                    "seconds_to_decide_median": appeals["seconds_to_decide_median"],
                },
            ),
            "e": point(
                "Administrative or judicial review proceedings brought by the provider",
                {
                    "brought": _table(proceedings["brought_by_party"]).get("hosting_provider", 0),
                    "decided": sum(provider.values()),
                    "decided_for_provider": provider.get("annulled", 0) + provider.get("varied", 0),
                    "decided_against_provider": provider.get("upheld", 0),
                    "by_outcome": provider,
                },
                PROCEEDINGS_TEXT,
            ),
            "f": point(
                "Content reinstated as a result of administrative or judicial review proceedings",
                {
                    "reinstated": proceedings["reinstatements"],
                    "reinstated_by_party": proceedings["reinstatements_by_party"],
                },
                REINSTATEMENT_TEXT,
            ),
            "g": point(
                "Content reinstated following a complaint by the content provider",
                {
                    "reinstated": via.get("appeal", 0),
                    "reinstated_by_reviewers_without_complaint": via.get("decision", 0),
                },
            ),
        },
        "chain": chain_view(report.chain),
        "records": f["records"],
    }


def _table(value: Figure) -> dict[str, int]:
    return value if isinstance(value, dict) else {}


def _number(value: Figure) -> int:
    return value if isinstance(value, int) else 0


# -- HTML -------------------------------------------------------------------------------


def render_report_html(report: TransparencyReport) -> str:
    """The report as one self-contained HTML page: tables and inline SVG charts."""
    return (
        _environment()
        .get_template("transparency.html")
        .render(
            kind="report",
            report=report_view(report),
            sections=_sections(report.figures),
            titles=SECTION_TITLES,
            charts=_charts(report),
        )
    )


def render_article7_html(report: TransparencyReport) -> str:
    """The Article 7 report as one self-contained HTML page."""
    view = article7_view(report)
    charts = _charts(report)
    return (
        _environment()
        .get_template("transparency.html")
        .render(
            kind="article7",
            report=view,
            points=[(letter, p, _rows(p["figures"])) for letter, p in view["points"].items()],
            charts={name: charts[name] for name in ("orders", "appeals")},
        )
    )


def _label(name: str) -> str:
    return name.removeprefix("category:").replace("_", " ")


def _rows(figures: dict[str, Figure]) -> list[tuple[str, str, object]]:
    """(figure, key, value) rows for a table; ``-`` for a figure with nothing to measure."""
    rows: list[tuple[str, str, object]] = []
    for name, value in figures.items():
        if isinstance(value, dict):
            rows.extend((_label(name), _label(k), v) for k, v in value.items())
            if not value:
                rows.append((_label(name), "", "-"))
        else:
            rows.append((_label(name), "", "-" if value is None else value))
    return rows


def _sections(figures: TransparencyFigures) -> list[tuple[str, list[tuple[str, str, object]]]]:
    return [(section, _rows(named)) for section, named in figures.items()]


def _months(report: TransparencyReport) -> list[str]:
    """Every month of the period up to the report's time, the newest CHART_MONTHS."""
    end = min(report.period.end, max(report.generated_at, report.period.start))
    year, month = report.period.start.year, report.period.start.month
    months: list[str] = []
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-CHART_MONTHS:]


def _charts(report: TransparencyReport) -> dict[str, Markup]:
    f = report.figures
    uploads, appeals, orders = f["uploads"], f["appeals"], f["orders"]
    matched, blocked = _table(uploads["by_category"]), _table(uploads["blocked_by_category"])
    types = _table(uploads["by_signal_type"])
    per_month, blocked_month = _table(uploads["by_month"]), _table(uploads["blocked_by_month"])
    months = _months(report)
    rate = appeals["overturn_rate"]
    median, p90 = orders["seconds_to_comply_median"], orders["seconds_to_comply_p90"]
    charts = {
        "categories": bar_chart(
            "Matched and blocked uploads by content category",
            [_SHORT.get(c, _label(c)) for c in matched],
            [("matched", list(matched.values())), ("blocked", list(blocked.values()))],
        ),
        "signal_types": bar_chart(
            "Matched uploads by signal type", list(types), [("matched", list(types.values()))]
        ),
        "appeals": bar_chart(
            "Appeals: overturn rate "
            + ("-" if not isinstance(rate, float) else f"{rate:.1%}")
            + " of decided appeals",
            ["filed", "decided", "upheld", "rejected", "wrong match"],
            [
                (
                    "appeals",
                    [
                        _number(appeals[name])
                        for name in ("filed", "decided", "upheld", "rejected", "wrong_match")
                    ],
                )
            ],
        ),
        "orders": bar_chart(
            "Removal orders: time to comply, median "
            + _duration(median)
            + ", 90th percentile "
            + _duration(p90),
            ["received", "complied", "within one hour", "not acted on", "escalated"],
            [
                (
                    "orders",
                    [
                        _number(orders[name])
                        for name in (
                            "received",
                            "complied",
                            "within_deadline",
                            "refused",
                            "escalated",
                        )
                    ],
                )
            ],
        ),
        "months": bar_chart(
            "Matched and blocked uploads per month (UTC)",
            months,
            [
                ("matched", [per_month.get(m, 0) for m in months]),
                ("blocked", [blocked_month.get(m, 0) for m in months]),
            ],
        ),
    }
    return {name: Markup(svg) for name, svg in charts.items()}


def _duration(seconds: Figure) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _environment() -> Environment:
    source = resources.files("fireline.services").joinpath("templates")

    def load(name: str) -> str:
        return source.joinpath(name).read_text(encoding="utf-8")

    return Environment(loader=FunctionLoader(load), autoescape=select_autoescape(default=True))
