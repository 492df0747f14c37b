"""The audit log: read it a page at a time, verify its hash chain. Needs read_audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from fireline.web.deps import AuditKey, ContainerDep
from fireline.web.oversight_schemas import (
    AuditRecordPublic,
    AuditRecordsPublic,
    AuditVerificationPublic,
)
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["audit"])
_ERRORS = error_responses(401, 403, 422)


@router.get("/audit", response_model=AuditRecordsPublic, responses=_ERRORS)
def list_audit(
    container: ContainerDep,
    _key: AuditKey,
    after: Annotated[int, Query(ge=0, description="Only records with seq above this.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditRecordsPublic:
    records = container.audit.records(after=after, limit=limit)
    return AuditRecordsPublic(
        data=[AuditRecordPublic.from_domain(r) for r in records],
        count=len(records),
        next_after=records[-1].seq if records else after,
    )


@router.get("/audit/verify", response_model=AuditVerificationPublic, responses=_ERRORS)
async def verify_audit(container: ContainerDep, _key: AuditKey) -> AuditVerificationPublic:
    """Walk the whole chain and report the first record that is missing, unlinked or altered."""
    result = await run_in_threadpool(container.audit.verify)
    return AuditVerificationPublic.from_domain(result)
