"""Organisations: create and list them; the instance's own is created on first use."""

from __future__ import annotations

import re

from fireline.domain import AuditAction, Conflict, InvalidInput, NotFound, Organisation
from fireline.services.audit import AuditLog
from fireline.services.text import check_text
from fireline.store import OrganisationStore

_ORG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_DESCRIPTION = 2000


def validate_org_name(name: str) -> str:
    """``name`` unchanged, or InvalidInput: 1-64 letters, digits, '_', '.', '-'."""
    if not _ORG_NAME.fullmatch(name or ""):
        raise InvalidInput(
            f"organisation name {name!r} must be 1-64 characters of letters, digits, '_', "
            "'.', '-', starting with a letter or digit",
            code="invalid_org_name",
        )
    return name


class OrganisationService:
    """Use cases on organisations. ``instance_org`` names this instance's own."""

    def __init__(
        self, *, store: OrganisationStore, audit: AuditLog, instance_org: str = "local"
    ) -> None:
        self.store = store
        self.audit = audit
        self.instance_org = validate_org_name(instance_org)

    def create(self, *, name: str, description: str = "", actor: str = "local") -> Organisation:
        """Create an organisation; Conflict when the name is taken."""
        validate_org_name(name)
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput(
                f"a description is at most {MAX_DESCRIPTION} characters", code="note_too_long"
            )
        check_text(description, what="a description")
        org = self.store.create_org(name=name, description=description)
        self.audit.record(
            actor=actor,
            action=AuditAction.ORG_CREATED,
            subject=f"org:{org.name}",
            detail={"description": org.description},
        )
        return org

    def get(self, *, name: str) -> Organisation:
        return self.store.get_org(name)

    def all(self) -> list[Organisation]:
        return self.store.list_orgs()

    def ensure_instance(self, *, actor: str = "local") -> Organisation:
        """The instance's own organisation, created (and recorded) if it does not exist yet."""
        try:
            return self.store.get_org(self.instance_org)
        except NotFound:
            pass
        try:
            return self.create(
                name=self.instance_org, description="this instance's own", actor=actor
            )
        except Conflict:  # another process created it a moment ago
            return self.store.get_org(self.instance_org)
