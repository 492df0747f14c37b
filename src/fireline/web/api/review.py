"""Screening uploads, user reports, cases, the review queue, appeals and flood quarantine.

A platform's pipeline (``screen``) screens uploads and files reports and appeals on its
users' behalf; reviewers (``review``) read and decide cases and appeals. The reviewer a
decision names is the key's actor: a key cannot decide an appeal of its own decision.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fireline.domain import InvalidInput, NotFound
from fireline.domain.review import AppealState, CaseSource, CaseState
from fireline.services import parse_content_type, parse_signal
from fireline.services.review_views import (
    appeal_view,
    case_file_view,
    case_view,
    exposure_view,
    screening_view,
)
from fireline.services.screening import Upload
from fireline.web.bodies import (
    content_type_query,
    dual_body,
    is_multipart,
    problems,
    read_json,
    read_upload,
    require_body_kind,
)
from fireline.web.deps import ContainerDep, ReviewKey, ScreenKey
from fireline.web.review_schemas import (
    AppealCreate,
    AppealDecisionCreate,
    AppealPublic,
    AppealsPublic,
    CaseDecisionCreate,
    CaseFilePublic,
    CasePublic,
    CasesPublic,
    ExposurePublic,
    QuarantinePublic,
    ReportCreate,
    ScreeningPublic,
    UploadFields,
    UploadScreen,
)
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["review"])
_ERRORS = error_responses(401, 403, 404, 409, 422)
_UPLOAD_FIELDS: dict[str, Any] = {
    "content_ref": {"type": "string"},
    "uploader": {"type": "string"},
    "account_class": {"type": "string", "enum": ["news", "research", "archive", "counter_speech"]},
}


def _upload(fields: UploadFields) -> Upload:
    return Upload(
        content_ref=fields.content_ref,
        uploader=fields.uploader,
        account_class=fields.account_class,
    )


def _form_fields(fields: dict[str, list[str]]) -> UploadFields:
    given = {k: v[0] for k, v in fields.items() if k in UploadFields.model_fields and v}
    try:
        return UploadFields.model_validate(given)
    except ValidationError as exc:
        raise InvalidInput(
            f"invalid upload fields: {problems(exc.errors())}", code="invalid_body"
        ) from None


@router.post(
    "/uploads",
    response_model=ScreeningPublic,
    responses=error_responses(401, 403, 413, 415, 422),
    openapi_extra=dual_body(UploadScreen, extra_fields=_UPLOAD_FIELDS),
)
async def screen_upload(
    request: Request,
    container: ContainerDep,
    key: ScreenKey,
    content_type: Annotated[
        str, content_type_query("For uploads: auto (default), photo, video, audio or file")
    ] = "auto",
) -> ScreeningPublic:
    """Screen an upload (multipart ``file`` + fields, or JSON signals) against the policy.

    ``blocked`` says to refuse it; ``case_id`` names the case a reviewer (or the user's
    appeal) will decide. The file is kept with its case, on this instance only.
    """
    require_body_kind(request)
    if is_multipart(request):
        kind = parse_content_type(content_type)
        upload = await read_upload(request)
        fields = _form_fields(upload.fields)
        screening = await run_in_threadpool(
            lambda: container.screening.screen_content(
                upload.data,
                upload=_upload(fields),
                actor=key.actor,
                content_type=kind,
                dihedral=container.settings.match_dihedral,
            )
        )
    else:
        body = await read_json(request, UploadScreen)
        registry = container.registry
        signals = [
            parse_signal(registry, signal_type=s.signal_type, value=s.value, quality=s.quality)
            for s in body.signals
        ]
        transformed = [
            (parse_signal(registry, signal_type=t.signal_type, value=t.value), t.transform)
            for t in body.transforms
        ]
        screening = await run_in_threadpool(
            lambda: container.screening.screen_signals(
                signals, upload=_upload(body), actor=key.actor, transformed=transformed
            )
        )
    return ScreeningPublic.model_validate(screening_view(screening))


@router.post(
    "/reports", response_model=CasePublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
def report(body: ReportCreate, container: ContainerDep, key: ScreenKey) -> CasePublic:
    """Open a case from a user's report; the content stays visible until a reviewer decides."""
    case = container.review.open_case(
        source=CaseSource.REPORT,
        content_ref=body.content_ref,
        uploader=body.uploader,
        account_class=body.account_class,
        labels=body.labels,
        note=body.note,
        actor=key.actor,
    )
    return CasePublic.model_validate(case_view(case))


@router.get("/queue", response_model=CasesPublic, responses=_ERRORS)
def queue(
    container: ContainerDep,
    _key: ReviewKey,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasesPublic:
    """Open cases and cases with a pending appeal, most urgent first."""
    return CasesPublic(
        cases=[CasePublic.model_validate(case_view(c)) for c in container.review.queue(limit=limit)]
    )


@router.get("/cases", response_model=CasesPublic, responses=_ERRORS)
def list_cases(
    container: ContainerDep,
    _key: ReviewKey,
    state: Annotated[list[CaseState] | None, Query(description="Only these states.")] = None,
    source: CaseSource | None = None,
    incident: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int, Query(ge=0, description="Only cases with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CasesPublic:
    """Cases oldest first, page on with ``after``."""
    found = container.review.list_cases(
        states=state, source=source, incident_id=incident, after=after, limit=limit
    )
    return CasesPublic(cases=[CasePublic.model_validate(case_view(c)) for c in found])


@router.get("/cases/{case_id}", response_model=CaseFilePublic, responses=_ERRORS)
def get_case(case_id: int, container: ContainerDep, _key: ReviewKey) -> CaseFilePublic:
    """A case with its decisions and appeals."""
    return CaseFilePublic.model_validate(case_file_view(container.review.get(case_id)))


@router.get(
    "/cases/{case_id}/media",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def case_media(case_id: int, container: ContainerDep, _key: ReviewKey) -> Response:
    """The media the case holds (404 if it holds none). Reveal it with ``/reveal``."""
    case = container.review.get(case_id).case
    if case.media_sha256 is None:
        raise NotFound(f"case {case_id} holds no media", code="no_media")
    data = container.evidence.get(case.media_sha256)
    return Response(
        content=data,
        media_type=sniff_media_type(data),
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/cases/{case_id}/reveal", response_model=ExposurePublic, responses=_ERRORS)
def reveal(case_id: int, container: ContainerDep, key: ReviewKey) -> ExposurePublic:
    """Record that this reviewer revealed the case's media; returns their exposure."""
    today = container.review.reveal(case_id, reviewer=key.actor)
    days = container.review.exposure_days(key.actor)
    return ExposurePublic.model_validate(exposure_view(key.actor, today, days))


@router.get("/exposure", response_model=ExposurePublic, responses=_ERRORS)
def exposure(container: ContainerDep, key: ReviewKey) -> ExposurePublic:
    """How much media this reviewer revealed today and on each of the last 7 days."""
    review = container.review
    return ExposurePublic.model_validate(
        exposure_view(key.actor, review.exposure(key.actor), review.exposure_days(key.actor))
    )


@router.post("/cases/{case_id}/decision", response_model=CaseFilePublic, responses=_ERRORS)
def decide_case(
    case_id: int, body: CaseDecisionCreate, container: ContainerDep, key: ReviewKey
) -> CaseFilePublic:
    """Decide an open case: remove, keep or interstitial, with a reason."""
    container.review.decide(case_id, reviewer=key.actor, outcome=body.outcome, reason=body.reason)
    return CaseFilePublic.model_validate(case_file_view(container.review.get(case_id)))


@router.post(
    "/cases/{case_id}/appeals",
    response_model=AppealPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def file_appeal(
    case_id: int, body: AppealCreate, container: ContainerDep, key: ScreenKey
) -> AppealPublic:
    """File the affected user's appeal; a reviewer other than the case's will decide it."""
    appeal = container.review.file_appeal(
        case_id, appellant=body.appellant, reason=body.reason, actor=key.actor
    )
    return AppealPublic.model_validate(appeal_view(appeal))


@router.get("/appeals", response_model=AppealsPublic, responses=_ERRORS)
def list_appeals(
    container: ContainerDep,
    _key: ReviewKey,
    state: AppealState | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AppealsPublic:
    """Appeals oldest first (``state=pending``: those waiting for a reviewer)."""
    found = container.review.list_appeals(state=state, after=after, limit=limit)
    return AppealsPublic(appeals=[AppealPublic.model_validate(appeal_view(a)) for a in found])


@router.get("/appeals/{appeal_id}", response_model=AppealPublic, responses=_ERRORS)
def get_appeal(appeal_id: int, container: ContainerDep, _key: ReviewKey) -> AppealPublic:
    return AppealPublic.model_validate(appeal_view(container.review.get_appeal(appeal_id)))


@router.post("/appeals/{appeal_id}/decision", response_model=AppealPublic, responses=_ERRORS)
def decide_appeal(
    appeal_id: int, body: AppealDecisionCreate, container: ContainerDep, key: ReviewKey
) -> AppealPublic:
    """Uphold (restore the content) or reject an appeal; 403 for the case's own reviewer."""
    appeal = container.review.decide_appeal(
        appeal_id,
        reviewer=key.actor,
        upheld=body.upheld,
        reason=body.reason,
        wrong_match=body.wrong_match,
    )
    return AppealPublic.model_validate(appeal_view(appeal))


@router.get("/quarantine", response_model=QuarantinePublic, responses=_ERRORS)
def quarantine(container: ContainerDep, _key: ReviewKey) -> QuarantinePublic:
    """Entries flood control holds: their matches go to review instead of acting."""
    return QuarantinePublic(entries=list(container.policy.flood.quarantined()))


@router.post(
    "/quarantine/{entry_id}/release", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS
)
def release(entry_id: int, container: ContainerDep, key: ReviewKey) -> Response:
    """Let a quarantined entry act again (404 when it is not quarantined)."""
    container.screening.release(entry_id, actor=key.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


#: Leading bytes of the media kinds fireline hashes, for the media route's Content-Type.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF8", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftyp", 4, "video/mp4"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm"),
    (b"OggS", 0, "audio/ogg"),
    (b"RIFF", 0, "audio/wav"),
    (b"ID3", 0, "audio/mpeg"),
)


def sniff_media_type(data: bytes) -> str:
    """The media type the bytes start like, or application/octet-stream."""
    for magic, offset, media_type in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return media_type
    return "application/octet-stream"
