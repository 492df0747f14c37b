"""Banks and their entries: create, add content or signals, retract, list, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from fireline.domain import (
    AddedEntries,
    Bank,
    Entry,
    InvalidInput,
    NewEntry,
    Refusal,
    SharingPolicy,
    Signal,
    parse_labels,
)
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
    """Use cases on banks. Every change commits before the method returns."""

    def __init__(
        self, *, store: BankStore, registry: SignalRegistry, hashing: HashingService
    ) -> None:
        self.store = store
        self.registry = registry
        self.hashing = hashing

    def create(
        self,
        *,
        name: str,
        description: str = "",
        owner: str = "local",
        sharing: SharingPolicy = SharingPolicy.PRIVATE,
        pdq_threshold: int | None = None,
    ) -> Bank:
        return self.store.create_bank(
            name=validate_bank_name(name),
            description=_note(description, what="a description"),
            owner=owner,
            sharing=sharing,
            pdq_threshold=validate_threshold(pdq_threshold),
        )

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
    ) -> Bank:
        return self.store.update_bank(
            name,
            description=None if description is None else _note(description, what="a description"),
            sharing=sharing,
            pdq_threshold=validate_threshold(pdq_threshold),
            clear_pdq_threshold=clear_pdq_threshold,
        )

    def delete(self, *, name: str) -> None:
        self.store.delete_bank(name)

    def add_content(
        self,
        *,
        bank: str,
        data: bytes,
        content_type: ContentType | None = None,
        labels: Sequence[str] = (),
        note: str = "",
        contributor: str = "local",
    ) -> AddedEntries:
        """Hash content and bank every usable signal as one item (they share an item id)."""
        (result,) = self.add_contents(
            bank=bank,
            contents=[data],
            content_type=content_type,
            labels=labels,
            note=note,
            contributor=contributor,
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
    ) -> AddedEntries:
        """Bank signals given as strings; all are validated before any is stored."""
        clean_labels = parse_labels(tuple(labels))
        _note(note)
        checked = [self._checked(s) for s in signals]
        if not checked:
            raise InvalidInput("no signals to add", code="no_signals")
        return self._add(
            bank=bank, signals=checked, labels=clean_labels, note=note, contributor=contributor
        )

    def add_entries(
        self, *, bank: str, entries: Sequence[NewEntry], contributor: str
    ) -> AddedEntries:
        """Bank fully formed entries (an import); validated first, stored atomically."""
        checked = [self.checked_entry(new) for new in entries]
        return self.store.add_entries(bank, checked, contributor=contributor)

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

    def retract(self, *, entry_id: int, reason: str = "") -> Entry:
        return self.store.retract_entry(entry_id, reason=_note(reason, what="a reason"))

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

    def _add(
        self,
        *,
        bank: str,
        signals: Sequence[Signal],
        labels: tuple[str, ...],
        note: str,
        contributor: str,
    ) -> AddedEntries:
        usable, refused = self._prepare(signals, labels, note, item=None)
        result = self.store.add_entries(bank, usable, contributor=contributor)
        return AddedEntries(added=result.added, existing=result.existing, refused=tuple(refused))

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
