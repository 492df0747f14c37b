"""In-memory twin of every store protocol: for tests, dry runs and `--memory` sessions."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from fireline.domain import (
    AddedEntries,
    ApiKey,
    Bank,
    ChangeKind,
    Conflict,
    Entry,
    EntryChange,
    EntryFigures,
    NewEntry,
    NotFound,
    Role,
    SharingPolicy,
)
from fireline.domain.figures import tally_entries
from fireline.store.memory_audit import MemoryAuditStore
from fireline.store.memory_exchange import MemoryExchangeStore
from fireline.store.memory_incidents import MemoryIncidentStore
from fireline.store.memory_orders import MemoryOrderStore
from fireline.store.memory_orgs import MemoryOrganisationStore
from fireline.store.memory_review import MemoryReviewStore
from fireline.store.memory_watches import MemoryWatchStore


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryBankStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._banks: dict[str, Bank] = {}
        self._entries: dict[int, Entry] = {}
        self._changes: list[EntryChange] = []
        self._next_bank = 1
        self._next_entry = 1

    def create_bank(
        self,
        *,
        name: str,
        description: str,
        owner: str,
        sharing: SharingPolicy,
        pdq_threshold: int | None,
    ) -> Bank:
        with self._lock:
            if name in self._banks:
                raise Conflict(f"a bank named {name!r} already exists", code="duplicate_bank")
            bank = Bank(
                id=self._next_bank,
                name=name,
                description=description,
                owner=owner,
                sharing=sharing,
                pdq_threshold=pdq_threshold,
                version=0,
                created_at=_now(),
            )
            self._next_bank += 1
            self._banks[name] = bank
            return bank

    def get_bank(self, name: str) -> Bank:
        with self._lock:
            bank = self._banks.get(name)
            if bank is None:
                raise NotFound(f"no bank named {name!r}", code="bank_not_found")
            count = sum(1 for e in self._entries.values() if e.bank_id == bank.id and e.active)
            return replace(bank, entry_count=count)

    def list_banks(self) -> list[Bank]:
        with self._lock:
            return [self.get_bank(name) for name in sorted(self._banks)]

    def bank_thresholds(self) -> dict[int, int | None]:
        with self._lock:
            return {bank.id: bank.pdq_threshold for bank in self._banks.values()}

    def update_bank(
        self,
        name: str,
        *,
        description: str | None = None,
        sharing: SharingPolicy | None = None,
        pdq_threshold: int | None = None,
        clear_pdq_threshold: bool = False,
    ) -> Bank:
        with self._lock:
            bank = self.get_bank(name)
            bank = replace(
                bank,
                description=bank.description if description is None else description,
                sharing=bank.sharing if sharing is None else sharing,
                pdq_threshold=None
                if clear_pdq_threshold
                else (bank.pdq_threshold if pdq_threshold is None else pdq_threshold),
                version=bank.version + 1,
            )
            self._banks[name] = bank
            return bank

    def delete_bank(self, name: str) -> None:
        with self._lock:
            bank = self.get_bank(name)
            for entry in list(self._entries.values()):
                if entry.bank_id != bank.id:
                    continue
                if entry.active:
                    self._log(entry, ChangeKind.RETRACTED)
                del self._entries[entry.id]
            del self._banks[name]

    def add_entries(
        self, bank_name: str, entries: Sequence[NewEntry], *, contributor: str
    ) -> AddedEntries:
        with self._lock:
            bank = self.get_bank(bank_name)
            active = {
                (e.signal_type, e.value): e
                for e in self._entries.values()
                if e.bank_id == bank.id and e.active
            }
            added: list[Entry] = []
            existing: list[Entry] = []
            now = _now()
            for new in entries:
                key = (new.signal_type, new.value)
                if key in active:
                    existing.append(active[key])
                    continue
                entry = Entry(
                    id=self._next_entry,
                    bank_id=bank.id,
                    bank_name=bank.name,
                    signal_type=new.signal_type,
                    value=new.value,
                    quality=new.quality,
                    labels=new.labels,
                    note=new.note,
                    item=new.item,
                    contributor=new.contributor or contributor,
                    created_at=now,
                    origin_uid=new.origin_uid,
                    provenance=new.provenance,
                )
                self._next_entry += 1
                self._entries[entry.id] = entry
                active[key] = entry
                added.append(entry)
                self._log(entry, ChangeKind.ADDED)
            if added:
                self._banks[bank.name] = replace(self._banks[bank.name], version=bank.version + 1)
            return AddedEntries(added=tuple(added), existing=tuple(existing))

    def get_entry(self, entry_id: int) -> Entry:
        with self._lock:
            entry = self._entries.get(entry_id)
            if entry is None:
                raise NotFound(f"no entry with id {entry_id}", code="entry_not_found")
            return entry

    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        with self._lock:
            return {i: self._entries[i] for i in entry_ids if i in self._entries}

    def list_entries(
        self,
        bank_name: str,
        *,
        include_retracted: bool = False,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Entry]:
        with self._lock:
            bank = self.get_bank(bank_name)
            rows = [
                e
                for e in sorted(self._entries.values(), key=lambda e: e.id)
                if e.bank_id == bank.id and e.id > after_id and (include_retracted or e.active)
            ]
            return rows[:limit]

    def retract_entry(self, entry_id: int, *, reason: str) -> Entry:
        with self._lock:
            entry = self.get_entry(entry_id)
            if not entry.active:
                return entry
            entry = replace(entry, retracted_at=_now(), retraction_reason=reason)
            self._entries[entry_id] = entry
            self._log(entry, ChangeKind.RETRACTED)
            bank = self._banks[entry.bank_name]
            self._banks[entry.bank_name] = replace(bank, version=bank.version + 1)
            return entry

    def last_change(self) -> int:
        with self._lock:
            return self._changes[-1].seq if self._changes else 0

    def changes_since(self, seq: int, *, limit: int = 10_000) -> list[EntryChange]:
        with self._lock:
            return [c for c in self._changes if c.seq > seq][:limit]

    def active_signals(self, signal_type: str) -> Iterator[tuple[int, str]]:
        with self._lock:
            rows = [
                (e.id, e.value)
                for e in self._entries.values()
                if e.signal_type == signal_type and e.active
            ]
        return iter(sorted(rows))

    def entry_figures(self) -> EntryFigures:
        with self._lock:
            sharing: dict[str, int] = {}
            for bank in self._banks.values():
                sharing[bank.sharing.value] = sharing.get(bank.sharing.value, 0) + 1
            entries = list(self._entries.values())
        return tally_entries(
            banks_by_sharing=sharing,
            retracted_entries=sum(1 for e in entries if not e.active),
            active=[(e.signal_type, e.labels, 1) for e in entries if e.active],
        )

    def _log(self, entry: Entry, kind: ChangeKind) -> None:
        self._changes.append(
            EntryChange(
                seq=len(self._changes) + 1,
                entry_id=entry.id,
                bank_id=entry.bank_id,
                kind=kind,
                signal_type=entry.signal_type,
                value=entry.value,
            )
        )


class MemoryApiKeyStore:
    def __init__(self, *, orgs: MemoryOrganisationStore) -> None:
        self._lock = threading.Lock()
        self._keys: dict[int, tuple[ApiKey, str]] = {}
        self._orgs = orgs

    def create_key(
        self, *, name: str, role: Role, org: str, prefix: str, secret_hash: str
    ) -> ApiKey:
        with self._lock:
            self._orgs.get_org(org)
            if any(stored == secret_hash for _, stored in self._keys.values()):
                raise Conflict("an API key with this secret exists", code="duplicate_key")
            key = ApiKey(
                id=len(self._keys) + 1,
                name=name,
                role=role,
                org=org,
                prefix=prefix,
                created_at=_now(),
            )
            self._keys[key.id] = (key, secret_hash)
            return key

    def find_key(self, secret_hash: str) -> ApiKey | None:
        with self._lock:
            for key, stored in self._keys.values():
                if stored == secret_hash and key.revoked_at is None:
                    return key
            return None

    def list_keys(self) -> list[ApiKey]:
        with self._lock:
            return [key for key, _ in self._keys.values()]

    def revoke_key(self, key_id: int) -> ApiKey:
        with self._lock:
            if key_id not in self._keys:
                raise NotFound(f"no API key with id {key_id}", code="key_not_found")
            key, secret_hash = self._keys[key_id]
            if key.revoked_at is None:
                key = replace(key, revoked_at=_now())
                self._keys[key_id] = (key, secret_hash)
            return key


class MemoryStore:
    """The whole store, in memory."""

    def __init__(self) -> None:
        self.banks = MemoryBankStore()
        self.orgs = MemoryOrganisationStore()
        self.keys = MemoryApiKeyStore(orgs=self.orgs)
        self.watches = MemoryWatchStore()
        self.audit = MemoryAuditStore()
        self.exchange = MemoryExchangeStore(self.banks)
        self.incidents = MemoryIncidentStore()
        self.review = MemoryReviewStore()
        self.orders = MemoryOrderStore(review=self.review)

    def close(self) -> None:
        return None
