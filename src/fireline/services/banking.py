"""Banks and their entries: create, add content or signals, retract, list, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from fireline.domain import (
    AddedEntries,
    AuditAction,
    Bank,
    Entry,
    InvalidInput,
    NewEntry,
    Refusal,
    SharingPolicy,
    Signal,
    parse_labels,
)
from fireline.services.audit import AuditLog, entry_id_ranges
from fireline.services.hashing import HashingService
from fireline.services.text import check_text
from fireline.signals import ContentType, SignalRegistry
from fireline.store import BankStore

_BANK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_NOTE = 2000
LOW_QUALITY = "too low quality to match"


def validate_bank_name(name: str) -> str:
    if not _BANK_NAME.fullmatch(name or ""):
        raise InvalidInput(
            f"bank name {name!r} must be 1-64 characters of letters, digits, '_', '.', '-', "
            "starting with a letter or digit",
            code="invalid_bank_name",
        )
    return name


def validate_threshold(threshold: int | None, *, bits: int = 256) -> int | None:
    if threshold is not None and not 0 <= threshold <= bits // 2:
        raise InvalidInput(
            f"a pdq threshold is between 0 and {bits // 2}; got {threshold}",
            code="invalid_threshold",
        )
    return threshold


def _note(note: str, *, what: str = "a note") -> str:
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"{what} is at most {MAX_NOTE} characters", code="note_too_long")
    return check_text(note, what=what)


class BankService:
    """Use cases on banks. Every change commits before the method returns.

    Every change is recorded in the audit log after it commits, naming ``actor``. For
    additions ``actor`` defaults to the contributor.
    """

    def __init__(
        self,
        *,
        store: BankStore,
        registry: SignalRegistry,
        hashing: HashingService,
        audit: AuditLog,
        instance_org: str = "local",
    ) -> None:
        self.store = store
        self.registry = registry
        self.hashing = hashing
        self.audit = audit
        self.instance_org = instance_org

    def create(
        self,
        *,
        name: str,
        description: str = "",
        owner: str | None = None,
        sharing: SharingPolicy = SharingPolicy.PRIVATE,
        pdq_threshold: int | None = None,
        actor: str = "local",
    ) -> Bank:
        """Create a bank owned by the organisation ``owner`` (default: the instance's)."""
        bank = self.store.create_bank(
            name=validate_bank_name(name),
            description=_note(description, what="a description"),
            owner=self.instance_org if owner is None else owner,
            sharing=sharing,
            pdq_threshold=validate_threshold(pdq_threshold),
        )
        self.audit.record(
            actor=actor,
            action=AuditAction.BANK_CREATED,
            subject=f"bank:{bank.name}",
            detail={
                "owner": bank.owner,
                "sharing": bank.sharing.value,
                "pdq_threshold": bank.pdq_threshold,
            },
        )
        return bank

    def get(self, *, name: str) -> Bank:
        return self.store.get_bank(name)

    def all(self) -> list[Bank]:
        return self.store.list_banks()

    def update(
        self,
        *,
        name: str,
        description: str | None = None,
        sharing: SharingPolicy | None = None,
        pdq_threshold: int | None = None,
        clear_pdq_threshold: bool = False,
        actor: str = "local",
    ) -> Bank:
        bank = self.store.update_bank(
            name,
            description=None if description is None else _note(description, what="a description"),
            sharing=sharing,
            pdq_threshold=validate_threshold(pdq_threshold),
            clear_pdq_threshold=clear_pdq_threshold,
        )
        changed: dict[str, object] = {"version": bank.version}
        if description is not None:
            changed["description"] = bank.description
        if sharing is not None:
            changed["sharing"] = bank.sharing.value
        if pdq_threshold is not None or clear_pdq_threshold:
            changed["pdq_threshold"] = bank.pdq_threshold
        self.audit.record(
            actor=actor,
            action=AuditAction.BANK_UPDATED,
            subject=f"bank:{bank.name}",
            detail=changed,
        )
        return bank

    def delete(self, *, name: str, actor: str = "local") -> None:
        """Delete a bank and its entries (the active ones are logged as retracted)."""
        bank = self.store.get_bank(name)
        self.store.delete_bank(name)
        self.audit.record(
            actor=actor,
            action=AuditAction.BANK_DELETED,
            subject=f"bank:{bank.name}",
            detail={"owner": bank.owner, "active_entries": bank.entry_count},
        )

    def add_content(
        self,
        *,
        bank: str,
        data: bytes,
        content_type: ContentType | None = None,
        labels: Sequence[str] = (),
        note: str = "",
        contributor: str = "local",
        actor: str | None = None,
    ) -> AddedEntries:
        """Hash content and bank every usable signal as one item (they share an item id)."""
        (result,) = self.add_contents(
            bank=bank,
            contents=[data],
            content_type=content_type,
            labels=labels,
            note=note,
            contributor=contributor,
            actor=actor,
        )
        return result

    def add_contents(
        self,
        *,
        bank: str,
        contents: Sequence[bytes],
        content_type: ContentType | None = None,
        labels: Sequence[str] = (),
        note: str = "",
        contributor: str = "local",
        sources: Sequence[str] = (),
        actor: str | None = None,
    ) -> list[AddedEntries]:
        """Hash several pieces of content, then bank them all in one transaction.

        Every piece is hashed before anything is stored: one bad file stores nothing, and
        the error names it by its entry in ``sources`` (file names) or its position.
        Returns one result per piece, in order.
        """
        clean_labels = parse_labels(tuple(labels))
        _note(note)
        self.store.get_bank(bank)
        prepared: list[tuple[list[NewEntry], list[Refusal]]] = []
        for position, data in enumerate(contents):
            try:
                hashed = self.hashing.hash_content(data, content_type=content_type)
                prepared.append(
                    self._prepare(hashed.signals, clean_labels, note, item=uuid.uuid4().hex)
                )
            except InvalidInput as exc:
                if len(contents) == 1 and not sources:
                    raise
                name = sources[position] if position < len(sources) else f"item {position + 1}"
                raise type(exc)(f"{name}: {exc.message}", code=exc.code) from None
        stored = self.store.add_entries(
            bank, [e for usable, _ in prepared for e in usable], contributor=contributor
        )
        self._record_added(bank, stored, actor=actor or contributor)
        added = {(e.signal_type, e.value): e for e in stored.added}
        existing = {(e.signal_type, e.value): e for e in stored.existing}
        results = []
        for usable, refused in prepared:
            keys = [(e.signal_type, e.value) for e in usable]
            results.append(
                AddedEntries(
                    added=tuple(added[k] for k in keys if k in added),
                    existing=tuple(existing[k] for k in keys if k in existing),
                    refused=tuple(refused),
                )
            )
        return results

    def add_signals(
        self,
        *,
        bank: str,
        signals: Sequence[Signal],
        labels: Sequence[str] = (),
        note: str = "",
        contributor: str = "local",
        actor: str | None = None,
    ) -> AddedEntries:
        """Bank signals given as strings; all are validated before any is stored."""
        clean_labels = parse_labels(tuple(labels))
        _note(note)
        checked = [self._checked(s) for s in signals]
        if not checked:
            raise InvalidInput("no signals to add", code="no_signals")
        usable, refused = self._prepare(checked, clean_labels, note, item=None)
        result = self.store.add_entries(bank, usable, contributor=contributor)
        self._record_added(bank, result, actor=actor or contributor)
        return AddedEntries(added=result.added, existing=result.existing, refused=tuple(refused))

    def add_entries(
        self,
        *,
        bank: str,
        entries: Sequence[NewEntry],
        contributor: str,
        actor: str | None = None,
    ) -> AddedEntries:
        """Bank fully formed entries (an import); validated first, stored atomically."""
        checked = [self.checked_entry(new) for new in entries]
        result = self.store.add_entries(bank, checked, contributor=contributor)
        self._record_added(bank, result, actor=actor or contributor)
        return result

    def _record_added(self, bank: str, result: AddedEntries, *, actor: str) -> None:
        # One record per call, naming the new entries by id (never their values); a call
        # that only met signals already banked changed nothing and records nothing.
        if not result.added:
            return
        self.audit.record(
            actor=actor,
            action=AuditAction.ENTRIES_ADDED,
            subject=f"bank:{bank}",
            detail={
                "count": len(result.added),
                "entry_id_ranges": entry_id_ranges([e.id for e in result.added]),
                "already_banked": len(result.existing),
            },
        )

    def checked_entry(self, new: NewEntry) -> NewEntry:
        """The entry in canonical form, or InvalidInput naming its first problem."""
        signal = self._checked(Signal(new.signal_type, new.value, new.quality))
        return NewEntry(
            signal_type=signal.signal_type,
            value=signal.value,
            quality=signal.quality,
            labels=parse_labels(tuple(new.labels)),
            note=_note(new.note),
            item=None if new.item is None else check_text(new.item, what="an item id"),
        )

    def retract(self, *, entry_id: int, reason: str = "", actor: str = "local") -> Entry:
        """Retract an entry (idempotent: retracting it again changes and records nothing)."""
        reason = _note(reason, what="a reason")
        current = self.store.get_entry(entry_id)
        if not current.active:
            return current
        entry = self.store.retract_entry(entry_id, reason=reason)
        self.audit.record(
            actor=actor,
            action=AuditAction.ENTRY_RETRACTED,
            subject=f"entry:{entry.id}",
            detail={"bank": entry.bank_name, "reason": entry.retraction_reason},
        )
        return entry

    def entry(self, *, entry_id: int) -> Entry:
        return self.store.get_entry(entry_id)

    def entries(
        self,
        *,
        bank: str,
        include_retracted: bool = False,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Entry]:
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit is between 1 and 10000", code="invalid_limit")
        return self.store.list_entries(
            bank, include_retracted=include_retracted, after_id=after_id, limit=limit
        )

    def _checked(self, signal: Signal) -> Signal:
        kind = self.registry.get(signal.signal_type)
        return Signal(kind.name, kind.validate(signal.value), kind.validate_quality(signal.quality))

    def _prepare(
        self, signals: Sequence[Signal], labels: tuple[str, ...], note: str, *, item: str | None
    ) -> tuple[list[NewEntry], list[Refusal]]:
        """Entries for the signals worth banking; InvalidInput when none is."""
        usable: list[NewEntry] = []
        refused: list[Refusal] = []
        for signal in signals:
            if self.registry.get(signal.signal_type).too_low_quality(signal.quality):
                refused.append(Refusal(signal, LOW_QUALITY))
                continue
            usable.append(
                NewEntry(
                    signal_type=signal.signal_type,
                    value=signal.value,
                    quality=signal.quality,
                    labels=labels,
                    note=note,
                    item=item,
                )
            )
        if not usable:
            reasons = "; ".join(f"{r.signal.signal_type}: {r.reason}" for r in refused)
            raise InvalidInput(f"nothing to bank ({reasons})", code="low_quality")
        return usable, refused
