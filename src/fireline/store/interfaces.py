"""The narrow storage protocols services depend on. Each has an in-memory twin and a SQL one.

Every method that changes state commits before it returns: when it returns, the change is
durable; when it raises, nothing changed.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from fireline.domain import (
    AddedEntries,
    ApiKey,
    AuditRecord,
    Bank,
    Entry,
    EntryChange,
    EntryFigures,
    NewEntry,
    Organisation,
    Role,
    SharingPolicy,
)
from fireline.domain.watches import (
    EventKind,
    SourceKind,
    Watch,
    WatchEvent,
    WatchProgress,
    WatchStatus,
)
from fireline.store.exchange_interface import ExchangeStore
from fireline.store.incident_interface import IncidentStore
from fireline.store.order_interface import OrderStore
from fireline.store.review_interface import ReviewStore


class BankStore(Protocol):
    """Banks and their append-only entries, with the change log matchers follow."""

    def create_bank(
        self,
        *,
        name: str,
        description: str,
        owner: str,
        sharing: SharingPolicy,
        pdq_threshold: int | None,
    ) -> Bank:
        """Create a bank; Conflict if the name is taken."""
        ...

    def get_bank(self, name: str) -> Bank:
        """The bank named ``name``; NotFound otherwise."""
        ...

    def list_banks(self) -> list[Bank]: ...

    def bank_thresholds(self) -> dict[int, int | None]:
        """Each bank's own pdq threshold by bank id (None: the instance default)."""
        ...

    def update_bank(
        self,
        name: str,
        *,
        description: str | None = None,
        sharing: SharingPolicy | None = None,
        pdq_threshold: int | None = None,
        clear_pdq_threshold: bool = False,
    ) -> Bank: ...

    def delete_bank(self, name: str) -> None:
        """Delete a bank and its entries; its active entries leave the change log as retracted."""
        ...

    def add_entries(
        self, bank_name: str, entries: Sequence[NewEntry], *, contributor: str
    ) -> AddedEntries:
        """Add entries atomically. An active entry with the same signal is kept, not doubled."""
        ...

    def get_entry(self, entry_id: int) -> Entry: ...

    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        """The entries that exist among ``entry_ids`` (missing ids are left out)."""
        ...

    def list_entries(
        self,
        bank_name: str,
        *,
        include_retracted: bool = False,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Entry]:
        """Entries in id order, a page at a time (``after_id`` is the cursor)."""
        ...

    def retract_entry(self, entry_id: int, *, reason: str) -> Entry:
        """Mark an entry retracted (idempotent) and log the change."""
        ...

    def last_change(self) -> int:
        """The sequence number of the newest change (0 when none)."""
        ...

    def changes_since(self, seq: int, *, limit: int = 10_000) -> list[EntryChange]:
        """Changes with a sequence number above ``seq``, oldest first."""
        ...

    def active_signals(self, signal_type: str) -> Iterator[tuple[int, str]]:
        """(entry id, value) of every active entry of one signal type."""
        ...

    def entry_figures(self) -> EntryFigures:
        """Counts of banks and entries (see EntryFigures); nothing that names an entry."""
        ...


class ApiKeyStore(Protocol):
    """API keys, stored by the hash of their secret."""

    def create_key(
        self, *, name: str, role: Role, org: str, prefix: str, secret_hash: str
    ) -> ApiKey:
        """Create a key of the organisation named ``org``; NotFound if there is none."""
        ...

    def find_key(self, secret_hash: str) -> ApiKey | None:
        """The active key with this secret hash, or None."""
        ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key_id: int) -> ApiKey: ...


class OrganisationStore(Protocol):
    """Organisations, by their unique name."""

    def create_org(self, *, name: str, description: str) -> Organisation:
        """Create an organisation; Conflict if the name is taken."""
        ...

    def get_org(self, name: str) -> Organisation:
        """The organisation named ``name``; NotFound otherwise."""
        ...

    def list_orgs(self) -> list[Organisation]:
        """Every organisation, by name."""
        ...


class AuditStore(Protocol):
    """The audit log: records chained by hash, numbered 1, 2, 3... without gaps.

    Appends from any number of threads and processes land one after another: each takes
    the newest record's seq and hash inside its transaction and retries if another writer
    took that seq first.
    """

    def append(
        self, *, actor: str, action: str, subject: str, detail: Mapping[str, Any]
    ) -> AuditRecord:
        """Append a record (detail: JSON values) after the newest one, and return it."""
        ...

    def list(self, *, after: int = 0, limit: int = 100) -> builtins.list[AuditRecord]:
        """Records with seq above ``after``, oldest first."""
        ...

    def last(self) -> AuditRecord | None:
        """The newest record; None when the log is empty."""
        ...


class WatchStore(Protocol):
    """Watches of live streams and their numbered events.

    Any process may read a watch; the one running it writes its heartbeat, progress and
    events. Event numbers run 1, 2, 3... per watch, with no gaps, even with several writers.
    """

    def create_watch(
        self,
        *,
        source: str,
        kind: SourceKind,
        banks: Sequence[str],
        webhook: str | None,
        created_by: str,
    ) -> Watch:
        """Record a new watch, status running."""
        ...

    def get_watch(self, watch_id: int) -> Watch:
        """The watch; NotFound otherwise."""
        ...

    def list_watches(
        self, *, status: WatchStatus | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[Watch]:
        """Watches newest first; ``before_id`` is the cursor for the next page."""
        ...

    def add_event(self, watch_id: int, kind: EventKind, data: Mapping[str, Any]) -> WatchEvent:
        """Append an event (data: JSON values) with the watch's next number."""
        ...

    def list_events(self, watch_id: int, *, after: int = 0, limit: int = 100) -> list[WatchEvent]:
        """Events numbered above ``after``, in order; NotFound when there is no such watch."""
        ...

    def heartbeat(self, watch_id: int, progress: WatchProgress) -> bool:
        """Record progress and that the watch is alive; returns whether a stop was requested."""
        ...

    def request_stop(self, watch_id: int) -> Watch:
        """Ask the process running the watch to stop it (idempotent)."""
        ...

    def finish_watch(
        self,
        watch_id: int,
        *,
        status: WatchStatus,
        progress: WatchProgress,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> Watch:
        """Record how the watch ended; a watch that already finished is left as it is."""
        ...


class Store(Protocol):
    """Everything a running instance stores."""

    @property
    def banks(self) -> BankStore: ...

    @property
    def keys(self) -> ApiKeyStore: ...

    @property
    def watches(self) -> WatchStore: ...

    @property
    def orgs(self) -> OrganisationStore: ...

    @property
    def audit(self) -> AuditStore: ...

    @property
    def exchange(self) -> ExchangeStore: ...

    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def review(self) -> ReviewStore: ...

    @property
    def orders(self) -> OrderStore: ...

    def close(self) -> None: ...
