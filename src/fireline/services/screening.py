"""Screening an upload: hash, match, apply the policy, open a case, keep the evidence.

This is the call a platform's upload pipeline makes. The answer says what to do now
(``blocked``: refuse the upload) and, when a person must look or the user may appeal,
which case holds it. A match's media stay here, with the case (hashes, never content);
when the policy says ``preserve``, a preservation hold keeps them (services.holds).
Every upload screened is recorded in the audit log (``upload.screened``), so the number
screened, matched or not, can be recomputed from the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fireline.domain import InvalidInput, MatchResult, NotFound, Signal
from fireline.domain.orders import PreservationHold
from fireline.domain.policy import AccountClass, PolicyAction, UploadContext, Verdict
from fireline.domain.review import Case, CaseSource, ContentStatus
from fireline.services.audit import AuditLog
from fireline.services.holds import HoldService
from fireline.services.matching import Matcher
from fireline.services.policy import PolicyService
from fireline.services.review import ReviewService
from fireline.services.text import check_text
from fireline.signals import ContentType
from fireline.store.evidence import EvidenceStore

#: The audit action of every upload screened, matched or not.
UPLOAD_SCREENED = "upload.screened"
#: Longest platform reference (content id, user id) a case keeps.
MAX_REF = 200
#: Actions that put the upload in front of a person, or let its uploader appeal; and
#: ``preserve``, whose hold keeps evidence for a case (so a person sees why it is kept).
_CASE_ACTIONS = frozenset(
    {
        PolicyAction.BLOCK,
        PolicyAction.REMOVE,
        PolicyAction.REVIEW,
        PolicyAction.INTERSTITIAL,
        PolicyAction.PRESERVE,
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """The platform's upload: its own id for it, who posted it, and the account's class."""

    content_ref: str
    uploader: str = ""
    account_class: AccountClass | None = None


@dataclass(frozen=True, slots=True)
class Screening:
    """What the policy made of one upload's matches: the case it opened, if any, and the
    hold that keeps its evidence when the policy said ``preserve``."""

    result: MatchResult
    verdict: Verdict
    content_status: ContentStatus
    case: Case | None = None
    hold: PreservationHold | None = None

    @property
    def blocked(self) -> bool:
        return self.content_status is ContentStatus.BLOCKED


def check_upload(upload: Upload) -> None:
    """InvalidInput, before any work, for an upload the case could not hold."""
    if not upload.content_ref.strip() or len(upload.content_ref) > MAX_REF:
        raise InvalidInput(
            f"content_ref must be 1 to {MAX_REF} characters", code="invalid_content_ref"
        )
    if len(upload.uploader) > MAX_REF:
        raise InvalidInput(f"uploader is at most {MAX_REF} characters", code="invalid_uploader")
    check_text(upload.content_ref, what="content_ref")
    check_text(upload.uploader, what="uploader")


def content_status(verdict: Verdict) -> ContentStatus:
    """What becomes of the content at once: blocked, removed, behind a warning, or visible.

    ``review`` alone leaves the content as it is: a person decides, and an exempt
    account's post is never taken down by automation.
    """
    if PolicyAction.BLOCK in verdict.actions:
        return ContentStatus.BLOCKED
    if PolicyAction.REMOVE in verdict.actions:
        return ContentStatus.REMOVED
    if PolicyAction.INTERSTITIAL in verdict.actions:
        return ContentStatus.INTERSTITIAL
    return ContentStatus.VISIBLE


class ScreeningService:
    """Turns an upload's matches into the policy's actions and, when needed, a case."""

    def __init__(
        self,
        *,
        matcher: Matcher,
        policy: PolicyService,
        review: ReviewService,
        holds: HoldService,
        evidence: EvidenceStore,
        audit: AuditLog,
    ) -> None:
        self.matcher = matcher
        self.policy = policy
        self.review = review
        self.holds = holds
        self.evidence = evidence
        self.audit = audit

    def screen_content(
        self,
        data: bytes,
        *,
        upload: Upload,
        actor: str,
        content_type: ContentType | None = None,
        dihedral: bool = True,
    ) -> Screening:
        """Hash and match an uploaded file, then act on it; the file is kept with its case."""
        check_upload(upload)
        result = self.matcher.match_content(
            data, content_type=content_type, dihedral=dihedral, source=upload.content_ref
        )
        return self._act(result, upload=upload, actor=actor, data=data)

    def screen_signals(
        self,
        signals: Sequence[Signal],
        *,
        upload: Upload,
        actor: str,
        transformed: Sequence[tuple[Signal, str]] = (),
    ) -> Screening:
        """Match signals the platform hashed itself, then act (no media are kept)."""
        check_upload(upload)
        result = self.matcher.match_signals(signals, transformed=transformed)
        return self._act(result, upload=upload, actor=actor, data=None)

    def release(self, entry_id: int, *, actor: str) -> None:
        """Let an entry held by flood control act again; NotFound if it is not held."""
        if not self.policy.flood.release(entry_id):
            raise NotFound(f"entry {entry_id} is not quarantined", code="not_quarantined")
        self.audit.record(actor=actor, action="entry.released", subject=f"entry:{entry_id}")

    def _act(
        self, result: MatchResult, *, upload: Upload, actor: str, data: bytes | None
    ) -> Screening:
        verdict = self.policy.verdict(result, UploadContext(account_class=upload.account_class))
        if not result.matches:
            # The fact of screening and its outcome only: what matched nothing says nothing
            # about its uploader, so neither they nor the upload's hashes are recorded.
            self.audit.record(
                actor=actor,
                action=UPLOAD_SCREENED,
                subject=f"content:{upload.content_ref}",
                detail={"matched": False, "content_status": ContentStatus.VISIBLE.value},
            )
            return Screening(result=result, verdict=verdict, content_status=ContentStatus.VISIBLE)
        status = content_status(verdict)
        case = hold = None
        idle = {*verdict.suppressed, *verdict.negative}
        acting = [m for m in result.matches if m.entry.id not in idle]
        for entry_id in verdict.newly_quarantined:
            self.audit.record(
                actor="policy",
                action="entry.quarantined",
                subject=f"entry:{entry_id}",
                detail={"reason": "flood control: match rate beyond its baseline"},
            )
        if verdict.actions & _CASE_ACTIONS:
            media = self.evidence.put(data) if data is not None else None
            case = self.review.open_case(
                source=CaseSource.MATCH,
                content_ref=upload.content_ref,
                uploader=upload.uploader,
                account_class=upload.account_class,
                labels=sorted({label for m in acting for label in m.entry.labels}),
                signal_types=sorted({m.query.signal_type for m in acting}),
                entry_ids=sorted({m.entry.id for m in acting}),
                incident_id=next(
                    (i for i in (self.policy.incident_of(m.entry.bank_name) for m in acting) if i),
                    None,
                ),
                actions=sorted(a.value for a in verdict.actions),
                content_status=status,
                evidence=_evidence(result, verdict),
                media_sha256=media,
                actor=actor,
            )
            if PolicyAction.PRESERVE in verdict.actions:
                hold = self.holds.preserve_case(case.id, actor=actor)
        self.audit.record(
            actor=actor,
            action=UPLOAD_SCREENED,
            subject=f"case:{case.id}" if case else f"content:{upload.content_ref}",
            detail={
                "matched": True,
                "actions": sorted(a.value for a in verdict.actions),
                "rules": list(verdict.rules),
                "signal_types": sorted({m.query.signal_type for m in acting}),
                "labels": sorted({label for m in acting for label in m.entry.labels}),
                "banks": sorted({m.entry.bank_name for m in acting}),
                "exempt": verdict.exempt,
                "suppressed": len(verdict.suppressed),
                "quarantined": list(verdict.quarantined),
                "content_status": status.value,
            },
        )
        return Screening(
            result=result, verdict=verdict, content_status=status, case=case, hold=hold
        )


def _evidence(result: MatchResult, verdict: Verdict) -> dict[str, object]:
    """What a reviewer needs to judge the match: entries, distances, segments, rules."""
    return {
        "matches": [
            {
                "entry_id": m.entry.id,
                "bank": m.entry.bank_name,
                "signal_type": m.query.signal_type,
                "distance": m.distance,
                "threshold": m.threshold,
                "transform": m.transform,
                "labels": list(m.entry.labels),
                "suppressed": m.entry.id in verdict.suppressed,
                "negative": m.entry.id in verdict.negative,
                "segments": [
                    {
                        "query_start": s.query_start,
                        "query_end": s.query_end,
                        "reference_start": s.reference_start,
                        "reference_end": s.reference_end,
                        "score": s.score,
                    }
                    for s in m.segments
                ],
            }
            for m in result.matches
        ],
        "rules": list(verdict.rules),
        "reasons": list(verdict.reasons),
        "exempt": verdict.exempt,
        "quarantined": list(verdict.quarantined),
    }
