"""Crisis incidents: declare, approve, run, submit hashes, decide variants, report.

Reading needs ``read_incidents``; every change needs ``respond``. The acting organisation
is the key's: approvals count one per organisation, and an incident's entries name it as
their contributor.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from fireline.bootstrap import Container
from fireline.domain import ApiKey, NotFound, Signal
from fireline.domain.incidents import IncidentState, VariantState
from fireline.services import parse_content_type, parse_signal
from fireline.services.incident_report import Audience
from fireline.services.incident_variants import Outcome
from fireline.services.incidents import Actor
from fireline.sync.incidents import HubIncidents
from fireline.web.bodies import (
    content_type_query,
    dual_body,
    is_multipart,
    read_json,
    read_upload,
    require_body_kind,
)
from fireline.web.deps import ContainerDep, ReadIncidentsKey, RespondKey
from fireline.web.incident_schemas import (
    IncidentCreate,
    IncidentEventPublic,
    IncidentEventsPublic,
    IncidentHashesCreate,
    IncidentHashesCreated,
    IncidentHubPublic,
    IncidentLivePublic,
    IncidentPublic,
    IncidentsPublic,
    IncidentStateChange,
    IncidentUpdate,
    ProposalPublic,
    ReportFormat,
    VariantCreate,
    VariantDecision,
    VariantPublic,
    VariantsPublic,
)
from fireline.web.schemas import EntriesCreated, SignalIn, error_responses

router = APIRouter(prefix="/v1", tags=["incidents"])
_ERRORS = error_responses(401, 403, 404, 409, 422)
_HASH_FIELDS = {
    "label": {"type": "array", "items": {"type": "string"}},
    "note": {"type": "string"},
}
_REPORT_BODY = {"schema": {"type": "object"}}


def _actor(key: ApiKey) -> Actor:
    return Actor(name=key.actor, org=key.org)


def _signals(container: Container, signals: list[SignalIn]) -> list[Signal]:
    return [
        parse_signal(
            container.registry, signal_type=s.signal_type, value=s.value, quality=s.quality
        )
        for s in signals
    ]


@router.post(
    "/incidents",
    response_model=IncidentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def declare_incident(
    body: IncidentCreate, container: ContainerDep, key: RespondKey
) -> IncidentPublic:
    """Declare an incident; the key's organisation approves it by declaring it."""
    incident = container.incidents.declare(
        title=body.title,
        activation=body.activation,
        location=body.location,
        summary=body.summary,
        actor=_actor(key),
    )
    return IncidentPublic.from_domain(incident)


@router.get("/incidents", response_model=IncidentsPublic, responses=_ERRORS)
def list_incidents(
    container: ContainerDep,
    _key: ReadIncidentsKey,
    state: Annotated[
        list[IncidentState] | None, Query(description="Only these (repeatable)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> IncidentsPublic:
    incidents = container.incidents.all(states=state, limit=limit)
    return IncidentsPublic(incidents=[IncidentPublic.from_domain(i) for i in incidents])


# Declared before /incidents/{incident_id}, which would take "hub" for an id.
@router.get("/incidents/hub", response_model=IncidentHubPublic, responses=_ERRORS)
def incident_hub(container: ContainerDep, _key: ReadIncidentsKey) -> IncidentHubPublic:
    """On a member: whether its link to the hub's incidents has caught up (listing read,
    their banks followed, proposals and tallies sent). 404 ``no_incident_hub`` elsewhere."""
    sink = container.harvester.sink
    if not isinstance(sink, HubIncidents):
        raise NotFound(
            "this instance follows no incident hub (FIRELINE_INCIDENT_HUB is not set)",
            code="no_incident_hub",
        )
    return IncidentHubPublic.from_domain(sink.status())


@router.get("/incidents/{incident_id}", response_model=IncidentPublic, responses=_ERRORS)
def get_incident(
    incident_id: int, container: ContainerDep, _key: ReadIncidentsKey
) -> IncidentPublic:
    return IncidentPublic.from_domain(container.incidents.get(incident_id=incident_id))


@router.patch("/incidents/{incident_id}", response_model=IncidentPublic, responses=_ERRORS)
def update_incident(
    incident_id: int, body: IncidentUpdate, container: ContainerDep, key: RespondKey
) -> IncidentPublic:
    incident = container.incidents.update(
        incident_id=incident_id,
        title=body.title,
        location=body.location,
        summary=body.summary,
        actor=_actor(key),
    )
    return IncidentPublic.from_domain(incident)


@router.post("/incidents/{incident_id}/approvals", response_model=IncidentPublic, responses=_ERRORS)
def approve_incident(incident_id: int, container: ContainerDep, key: RespondKey) -> IncidentPublic:
    """Approve for the key's organisation; the approval completing the quorum activates."""
    incident = container.incidents.approve(incident_id=incident_id, actor=_actor(key))
    return IncidentPublic.from_domain(incident)


@router.post("/incidents/{incident_id}/state", response_model=IncidentPublic, responses=_ERRORS)
def change_incident_state(
    incident_id: int, body: IncidentStateChange, container: ContainerDep, key: RespondKey
) -> IncidentPublic:
    incident = container.incidents.change_state(
        incident_id=incident_id, state=body.state, note=body.note, actor=_actor(key)
    )
    return IncidentPublic.from_domain(incident)


@router.post(
    "/incidents/{incident_id}/hashes",
    response_model=IncidentHashesCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
    openapi_extra=dual_body(IncidentHashesCreate, extra_fields=_HASH_FIELDS),
)
async def submit_hashes(
    incident_id: int,
    request: Request,
    container: ContainerDep,
    key: RespondKey,
    content_type: Annotated[
        str,
        content_type_query(
            "For uploads: auto (default; told from the header), photo, video, audio or file"
        ),
    ] = "auto",
) -> IncidentHashesCreated:
    """Bank signals (JSON) or a file (multipart ``file``, hashed here) in the incident's
    bank, shared with every member at once."""
    require_body_kind(request)
    actor = _actor(key)
    if is_multipart(request):
        kind = parse_content_type(content_type)
        upload = await read_upload(request)
        results = await run_in_threadpool(
            lambda: container.incidents.submit(
                incident_id=incident_id,
                contents=[upload.data],
                content_type=kind,
                labels=upload.fields.get("label", []),
                note=upload.fields.get("note", [""])[-1],
                actor=actor,
            )
        )
    else:
        body = await read_json(request, IncidentHashesCreate)
        signals = _signals(container, body.signals)
        results = await run_in_threadpool(
            lambda: container.incidents.submit(
                incident_id=incident_id,
                signals=signals,
                labels=body.labels,
                note=body.note,
                actor=actor,
            )
        )
    return IncidentHashesCreated(results=[EntriesCreated.from_domain(r) for r in results])


@router.get(
    "/incidents/{incident_id}/timeline", response_model=IncidentEventsPublic, responses=_ERRORS
)
def incident_timeline(
    incident_id: int,
    container: ContainerDep,
    _key: ReadIncidentsKey,
    after: Annotated[int, Query(ge=0, description="Only events with a higher seq.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> IncidentEventsPublic:
    events = container.incidents.timeline(incident_id=incident_id, after=after, limit=limit)
    return IncidentEventsPublic(
        events=[IncidentEventPublic.from_domain(e) for e in events],
        next_after=events[-1].seq if events else after,
    )


@router.get("/incidents/{incident_id}/variants", response_model=VariantsPublic, responses=_ERRORS)
def list_variants(
    incident_id: int,
    container: ContainerDep,
    _key: ReadIncidentsKey,
    state: VariantState | None = None,
) -> VariantsPublic:
    variants = container.variants.all(incident_id=incident_id, state=state)
    return VariantsPublic(variants=[VariantPublic.from_domain(v) for v in variants])


@router.post(
    "/incidents/{incident_id}/variants",
    response_model=ProposalPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ProposalPublic, "description": "known or folded"}, **_ERRORS},
)
def propose_variant(
    incident_id: int,
    body: VariantCreate,
    response: Response,
    container: ContainerDep,
    key: RespondKey,
) -> ProposalPublic:
    """Propose an upload's hashes as a variant: 201 when it made a variant or banked one
    (proposed, accepted); 200 when it was known already or folded into another."""
    actor = _actor(key)
    proposal = container.variants.propose(
        incident_id=incident_id,
        signals=_signals(container, body.signals),
        evidence=[e.to_domain(org=actor.org) for e in body.evidence],
        actor=actor,
    )
    if proposal.outcome in (Outcome.KNOWN, Outcome.FOLDED):
        response.status_code = status.HTTP_200_OK
    return ProposalPublic.from_domain(proposal)


@router.post("/variants/{variant_id}/accept", response_model=VariantPublic, responses=_ERRORS)
def accept_variant(
    variant_id: int, container: ContainerDep, key: RespondKey, body: VariantDecision | None = None
) -> VariantPublic:
    """Accept a proposed variant: its hashes join the incident's bank, shared at once."""
    variant = container.variants.accept(
        variant_id=variant_id, reason=body.reason if body else "", actor=_actor(key)
    )
    return VariantPublic.from_domain(variant)


@router.post("/variants/{variant_id}/reject", response_model=VariantPublic, responses=_ERRORS)
def reject_variant(
    variant_id: int, container: ContainerDep, key: RespondKey, body: VariantDecision | None = None
) -> VariantPublic:
    """Reject a proposed variant; nothing is shared."""
    variant = container.variants.reject(
        variant_id=variant_id, reason=body.reason if body else "", actor=_actor(key)
    )
    return VariantPublic.from_domain(variant)


@router.get("/incidents/{incident_id}/live", response_model=IncidentLivePublic, responses=_ERRORS)
def live_view(
    incident_id: int, container: ContainerDep, _key: ReadIncidentsKey
) -> IncidentLivePublic:
    """Variants over time, matches and blocks per member per minute, response times."""
    return IncidentLivePublic.model_validate(
        container.incident_reports.live(incident_id=incident_id)
    )


@router.post(
    "/incidents/{incident_id}/report",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The debrief report (format fireline.incident_debrief/1), or the "
            "same as one self-contained HTML page",
            "content": {
                "application/json": _REPORT_BODY,
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **_ERRORS,
    },
)
def incident_report(
    incident_id: int,
    container: ContainerDep,
    key: RespondKey,
    audience: Audience = Audience.MEMBERS,
    format: ReportFormat = ReportFormat.JSON,
) -> Response:
    """The debrief report, from the log. A POST, not a GET: writing the report of a
    concluded incident marks it debriefed. Earlier it is an interim report (no change)."""
    debrief = container.incident_reports.debrief(
        incident_id=incident_id, audience=audience, actor=_actor(key)
    )
    if format is ReportFormat.HTML:
        return HTMLResponse(debrief.html)
    return JSONResponse(debrief.json)
