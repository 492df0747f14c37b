"""The JSON forms of cases, decisions, appeals and screenings (API, `--json`, the UI)."""

from __future__ import annotations

from fireline.domain.policy import Verdict
from fireline.domain.review import Appeal, Case, CaseFile, Decision, Exposure
from fireline.services.screening import Screening
from fireline.services.views import View, match_result_view, time_view


def case_view(case: Case) -> View:
    return {
        "id": case.id,
        "source": str(case.source),
        "state": str(case.state),
        "severity": case.severity,
        "content_ref": case.content_ref,
        "uploader": case.uploader,
        "account_class": case.account_class,
        "incident_id": case.incident_id,
        "labels": list(case.labels),
        "signal_types": list(case.signal_types),
        "entry_ids": list(case.entry_ids),
        "actions": list(case.actions),
        "content_status": str(case.content_status),
        "note": case.note,
        "evidence": dict(case.evidence),
        "has_media": case.media_sha256 is not None,
        "created_at": time_view(case.created_at),
        "decided_at": time_view(case.decided_at),
        "reviewer": case.reviewer,
        "outcome": str(case.outcome) if case.outcome else None,
        "reason": case.reason,
    }


def decision_view(decision: Decision) -> View:
    return {
        "id": decision.id,
        "case_id": decision.case_id,
        "reviewer": decision.reviewer,
        "outcome": str(decision.outcome),
        "reason": decision.reason,
        "at": time_view(decision.at),
        "on_appeal": decision.on_appeal,
    }


def appeal_view(appeal: Appeal) -> View:
    return {
        "id": appeal.id,
        "case_id": appeal.case_id,
        "appellant": appeal.appellant,
        "reason": appeal.reason,
        "filed_at": time_view(appeal.filed_at),
        "state": str(appeal.state),
        "reviewer": appeal.reviewer,
        "decision_reason": appeal.decision_reason,
        "decided_at": time_view(appeal.decided_at),
        "wrong_match": appeal.wrong_match,
    }


def case_file_view(found: CaseFile) -> View:
    return {
        **case_view(found.case),
        "decisions": [decision_view(d) for d in found.decisions],
        "appeals": [appeal_view(a) for a in found.appeals],
    }


def exposure_view(reviewer: str, today: int, days: list[Exposure]) -> View:
    return {
        "reviewer": reviewer,
        "today": today,
        "days": [{"day": e.day.isoformat(), "views": e.views} for e in days],
    }


def verdict_view(verdict: Verdict) -> View:
    return {
        "actions": sorted(a.value for a in verdict.actions),
        "rules": list(verdict.rules),
        "exempt": verdict.exempt,
        "suppressed": list(verdict.suppressed),
        "negative": list(verdict.negative),
        "quarantined": list(verdict.quarantined),
        "reasons": list(verdict.reasons),
    }


def screening_view(screening: Screening) -> View:
    return {
        "blocked": screening.blocked,
        "content_status": str(screening.content_status),
        "case_id": screening.case.id if screening.case else None,
        "verdict": verdict_view(screening.verdict),
        **match_result_view(screening.result),
    }
