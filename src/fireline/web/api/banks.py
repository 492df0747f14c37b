"""Banks and entries: create, list, show, update, delete; add, list, retract; import, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from fireline.domain import InvalidInput
from fireline.services import ExchangeFormat, parse_content_type, parse_signal
from fireline.services.interchange import export_lines, import_lines, split_lines
from fireline.web.bodies import (
    content_type_query,
    dual_body,
    is_multipart,
    read_json,
    read_upload,
    require_body_kind,
)
from fireline.web.deps import ContainerDep, CurateKey, ReadBanksKey, ReadEntriesKey
from fireline.web.schemas import (
    BankCreate,
    BankPublic,
    BanksPublic,
    BankUpdate,
    EntriesCreate,
    EntriesCreated,
    EntriesPublic,
    EntryPublic,
    EntryRetract,
    ImportPublic,
    error_responses,
)

router = APIRouter(prefix="/v1", tags=["banks"])
_ERRORS = error_responses(401, 403, 404, 409, 413, 415, 422)
_ENTRY_FIELDS = {
    "label": {"type": "array", "items": {"type": "string"}},
    "note": {"type": "string"},
}


@router.get("/banks", response_model=BanksPublic, responses=_ERRORS)
def list_banks(container: ContainerDep, _key: ReadBanksKey) -> BanksPublic:
    banks = container.banks.all()
    return BanksPublic(data=[BankPublic.from_domain(b) for b in banks], count=len(banks))


@router.post(
    "/banks", response_model=BankPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
def create_bank(body: BankCreate, container: ContainerDep, key: CurateKey) -> BankPublic:
    """Create a bank, owned by the organisation of the key that creates it."""
    bank = container.banks.create(
        name=body.name,
        description=body.description,
        sharing=body.sharing,
        pdq_threshold=body.pdq_threshold,
        owner=key.org,
        actor=key.actor,
    )
    return BankPublic.from_domain(bank)


@router.get("/banks/{name}", response_model=BankPublic, responses=_ERRORS)
def get_bank(name: str, container: ContainerDep, _key: ReadBanksKey) -> BankPublic:
    return BankPublic.from_domain(container.banks.get(name=name))


@router.patch("/banks/{name}", response_model=BankPublic, responses=_ERRORS)
def update_bank(name: str, body: BankUpdate, container: ContainerDep, key: CurateKey) -> BankPublic:
    bank = container.banks.update(
        name=name,
        description=body.description,
        sharing=body.sharing,
        pdq_threshold=body.pdq_threshold,
        clear_pdq_threshold=body.clear_pdq_threshold,
        actor=key.actor,
    )
    return BankPublic.from_domain(bank)


@router.delete("/banks/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def delete_bank(name: str, container: ContainerDep, key: CurateKey) -> Response:
    container.banks.delete(name=name, actor=key.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/banks/{name}/entries", response_model=EntriesPublic, responses=_ERRORS)
def list_entries(
    name: str,
    container: ContainerDep,
    _key: ReadEntriesKey,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    include_retracted: bool = False,
) -> EntriesPublic:
    entries = container.banks.entries(
        bank=name, include_retracted=include_retracted, after_id=after_id, limit=limit
    )
    return EntriesPublic(
        data=[EntryPublic.from_domain(e) for e in entries],
        count=len(entries),
        next_after_id=entries[-1].id if len(entries) == limit else None,
    )


@router.post(
    "/banks/{name}/entries",
    response_model=EntriesCreated,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    openapi_extra=dual_body(EntriesCreate, extra_fields=_ENTRY_FIELDS),
)
async def add_entries(
    name: str,
    request: Request,
    container: ContainerDep,
    key: CurateKey,
    content_type: Annotated[
        str,
        content_type_query(
            "For uploads: auto (default; told from the header), photo, video, audio or file"
        ),
    ] = "auto",
) -> EntriesCreated:
    """Add content (multipart ``file``, hashed on the way in) or signals (JSON)."""
    require_body_kind(request)
    if is_multipart(request):
        kind = parse_content_type(content_type)
        upload = await read_upload(request)
        notes = upload.fields.get("note", [""])
        result = await run_in_threadpool(
            lambda: container.banks.add_content(
                bank=name,
                data=upload.data,
                content_type=kind,
                labels=upload.fields.get("label", []),
                note=notes[-1],
                contributor=key.name,
                actor=key.actor,
            )
        )
    else:
        body = await read_json(request, EntriesCreate)
        signals = [
            parse_signal(
                container.registry, signal_type=s.signal_type, value=s.value, quality=s.quality
            )
            for s in body.signals
        ]
        result = await run_in_threadpool(
            lambda: container.banks.add_signals(
                bank=name,
                signals=signals,
                labels=body.labels,
                note=body.note,
                contributor=key.name,
                actor=key.actor,
            )
        )
    return EntriesCreated.from_domain(result)


@router.get("/entries/{entry_id}", response_model=EntryPublic, responses=_ERRORS)
def get_entry(entry_id: int, container: ContainerDep, _key: ReadEntriesKey) -> EntryPublic:
    return EntryPublic.from_domain(container.banks.entry(entry_id=entry_id))


@router.post("/entries/{entry_id}/retract", response_model=EntryPublic, responses=_ERRORS)
def retract_entry(
    entry_id: int, container: ContainerDep, key: CurateKey, body: EntryRetract | None = None
) -> EntryPublic:
    """Retract an entry: it stops matching at once; the retraction is logged, not erased."""
    reason = body.reason if body else ""
    entry = container.banks.retract(entry_id=entry_id, reason=reason, actor=key.actor)
    return EntryPublic.from_domain(entry)


_EXPORT_BODY = {"schema": {"type": "string"}}


@router.get(
    "/banks/{name}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The bank, one entry per line (after a header row in CSV)",
            "content": {
                "application/x-ndjson": _EXPORT_BODY,
                "text/plain": _EXPORT_BODY,
                "text/csv": _EXPORT_BODY,
            },
        },
        **_ERRORS,
    },
)
def export_bank(
    name: str,
    container: ContainerDep,
    _key: ReadEntriesKey,
    format: ExchangeFormat = ExchangeFormat.JSONL,
    include_retracted: bool = False,
) -> StreamingResponse:
    """Stream the bank as JSONL (native), python-threatexchange lines or CSV, HMA bodies, URLs."""
    lines = export_lines(
        container.banks, bank=name, fmt=format, include_retracted=include_retracted
    )
    first = next(lines, None)  # raises NotFound before the response starts

    def body() -> object:
        if first is not None:
            yield first + "\n"
            for line in lines:
                yield line + "\n"

    return StreamingResponse(body(), media_type=format.media_type)  # type: ignore[arg-type]


@router.post("/banks/{name}/import", response_model=ImportPublic, responses=_ERRORS)
async def import_bank(
    name: str,
    request: Request,
    container: ContainerDep,
    key: CurateKey,
    format: ExchangeFormat = ExchangeFormat.JSONL,
    signal_type: Annotated[
        str | None, Query(description="For bare values in a threatexchange file")
    ] = None,
    label: Annotated[
        list[str] | None, Query(description="Labels added to every imported entry")
    ] = None,
) -> ImportPublic:
    """Import a JSONL, python-threatexchange, TAT or URL-list body; all records or none."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text", code="invalid_encoding") from None
    report = await run_in_threadpool(
        lambda: import_lines(
            container.banks,
            bank=name,
            lines=split_lines(text),
            fmt=format,
            labels=tuple(label or ()),
            default_signal_type=signal_type,
            contributor=key.name,
        )
    )
    return ImportPublic.from_domain(report)
