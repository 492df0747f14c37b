"""In-memory twin of the organisation store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from fireline.domain import Conflict, NotFound, Organisation


def org_not_found(name: str) -> NotFound:
    return NotFound(f"no organisation named {name!r}", code="org_not_found")


class MemoryOrganisationStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orgs: dict[str, Organisation] = {}

    def create_org(self, *, name: str, description: str) -> Organisation:
        with self._lock:
            if name in self._orgs:
                raise Conflict(f"an organisation named {name!r} exists", code="duplicate_org")
            org = Organisation(
                id=len(self._orgs) + 1,
                name=name,
                description=description,
                created_at=datetime.now(UTC),
            )
            self._orgs[name] = org
            return org

    def get_org(self, name: str) -> Organisation:
        with self._lock:
            org = self._orgs.get(name)
            if org is None:
                raise org_not_found(name)
            return org

    def list_orgs(self) -> list[Organisation]:
        with self._lock:
            return [self._orgs[name] for name in sorted(self._orgs)]
