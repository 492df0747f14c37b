"""POST /v1/hash and POST /v1/match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from fireline.domain import Signal
from fireline.services import parse_content_type, parse_signal
from fireline.web.bodies import (
    content_type_query,
    dual_body,
    is_multipart,
    read_json,
    read_upload,
    require_body_kind,
)
from fireline.web.deps import ContainerDep, MatchKey
from fireline.web.schemas import (
    HashPublic,
    HashRequest,
    MatchesPublic,
    MatchRequest,
    SignalIn,
    error_responses,
)

router = APIRouter(prefix="/v1", tags=["hashing and matching"])
_ERRORS = error_responses(401, 403, 413, 415, 422)


@router.post(
    "/hash",
    response_model=HashPublic,
    responses=_ERRORS,
    openapi_extra=dual_body(HashRequest),
)
async def hash_content(
    request: Request,
    container: ContainerDep,
    _key: MatchKey,
    content_type: Annotated[
        str,
        content_type_query(
            "auto (default: photo, video, audio or text, told from the header), photo (PDQ + "
            "digests), video (vPDQ + video_md5 + audio_fp), audio (audio_fp), text (plain "
            "text, HTML, PDF or DOCX: text_minhash + text_tlsh + digests), url (a file "
            "holding one link) or file (digests)"
        ),
    ] = "auto",
) -> HashPublic:
    """Hash an uploaded file (multipart ``file``), or a text or link (JSON); nothing is stored."""
    require_body_kind(request)
    if is_multipart(request):
        kind = parse_content_type(content_type)
        upload = await read_upload(request)
        hashed = await run_in_threadpool(
            container.hashing.hash_content, upload.data, content_type=kind
        )
    else:
        body = await read_json(request, HashRequest)
        if body.text is not None:
            hashed = await run_in_threadpool(container.hashing.hash_text, body.text)
        else:
            hashed = await run_in_threadpool(container.hashing.hash_url, body.url or "")
    return HashPublic.from_domain(hashed)


@router.post(
    "/match",
    response_model=MatchesPublic,
    responses=error_responses(401, 403, 404, 413, 415, 422),
    openapi_extra=dual_body(MatchRequest),
)
async def match(
    request: Request,
    container: ContainerDep,
    _key: MatchKey,
    content_type: Annotated[
        str,
        content_type_query(
            "For uploads: auto (default; told from the header), photo, video, audio, text, "
            "url or file"
        ),
    ] = "auto",
    dihedral: Annotated[
        bool | None,
        Query(description="Also match rotated/mirrored copies (default: FIRELINE_MATCH_DIHEDRAL)"),
    ] = None,
    bank: Annotated[list[str] | None, Query(description="Only these banks (repeatable)")] = None,
) -> MatchesPublic:
    """Match an upload (multipart ``file``), or signals, a text or a link (JSON), against
    every bank."""
    require_body_kind(request)
    if is_multipart(request):
        kind = parse_content_type(content_type)
        upload = await read_upload(request)
        use_dihedral = container.settings.match_dihedral if dihedral is None else dihedral
        result = await run_in_threadpool(
            container.matcher.match_content,
            upload.data,
            content_type=kind,
            dihedral=use_dihedral,
            banks=bank,
            source=upload.filename,
        )
    else:
        body = await read_json(request, MatchRequest)
        banks = body.banks or bank
        if body.text is not None:
            text = body.text
            return MatchesPublic.from_domain(
                await run_in_threadpool(lambda: container.matcher.match_text(text, banks=banks))
            )
        if body.url is not None:
            link = body.url
            return MatchesPublic.from_domain(
                await run_in_threadpool(lambda: container.matcher.match_url(link, banks=banks))
            )

        def parsed(given: SignalIn) -> Signal:
            return parse_signal(
                container.registry,
                signal_type=given.signal_type,
                value=given.value,
                quality=given.quality,
            )

        signals = [parsed(s) for s in body.signals]
        transformed = [(parsed(t), t.transform) for t in body.transforms]
        result = await run_in_threadpool(
            lambda: container.matcher.match_signals(signals, banks=banks, transformed=transformed)
        )
    return MatchesPublic.from_domain(result)
