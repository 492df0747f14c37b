"""Matching signals and content against every bank.

The matcher keeps one in-memory index per signal type. It loads a snapshot of the
active entries on first use, then follows the store's change log before each query, so
an entry added or retracted by any process is reflected at the next query without a
rebuild.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from fireline.domain import (
    ChangeKind,
    EntryChange,
    InvalidInput,
    Match,
    MatchResult,
    Refusal,
    Segment,
    Signal,
)
from fireline.index import SegmentIndex, SignalIndex, index_for
from fireline.services.banking import LOW_QUALITY
from fireline.services.hashing import HashedContent, HashingService
from fireline.signals import ContentType, IndexKind, SignalRegistry, SignalType
from fireline.store import BankStore

log = logging.getLogger("fireline.matching")

MAX_SIGNALS_PER_QUERY = 1000
#: Change-log rows read per round trip while catching up.
CHANGE_PAGE = 10_000


class Matcher:
    """Finds banked entries that match query signals, respecting per-bank thresholds."""

    def __init__(
        self,
        *,
        store: BankStore,
        registry: SignalRegistry,
        hashing: HashingService,
        pdq_threshold: int = 31,
    ) -> None:
        self.store = store
        self.registry = registry
        self.hashing = hashing
        self.default_threshold = pdq_threshold
        self._lock = threading.Lock()
        self._indexes: dict[str, SignalIndex] | None = None
        self._seq = 0
        #: The entries among some ids that local policy suppresses (disputed); None: none.
        self.disputed: Callable[[Sequence[int]], set[int]] | None = None
        #: The ids of banks that collect near misses (active incidents' banks).
        self.candidate_banks: Callable[[], set[int]] | None = None
        #: How far beyond its threshold a near miss may be, per signal type: the distance
        #: at or below which an entry of a candidate bank is a candidate.
        self.candidate_distance: Mapping[str, int] = {}
        #: Called with every result (variant harvesting); an observer's failure is logged,
        #: never the caller's.
        self.observers: list[Callable[[MatchResult], None]] = []
        #: For the types others defer to (``SignalType.defers_to``): the banked items that
        #: have an active entry of the type, and each such entry's item.
        self._decisive_items: dict[str, dict[str, set[int]]] = {}
        self._item_of: dict[int, tuple[str, str]] = {}

    def refresh(self) -> int:
        """Apply changes logged since the last refresh; returns the change sequence reached."""
        with self._lock:
            self._refresh_locked()
            return self._seq

    def match_signals(
        self,
        signals: Sequence[Signal],
        *,
        banks: Sequence[str] | None = None,
        transformed: Sequence[tuple[Signal, str]] = (),
    ) -> MatchResult:
        """Match canonical signals (see services.signals_in.parse_signal).

        ``transformed`` holds hashes of transformed copies (signal, transform name), as
        ``match_content`` computes them from a file: each matches as that transform of the
        signal of its type, which must be among ``signals``. The result's signals, and so
        any variant harvested from it, are ``signals`` alone.
        """
        if len(signals) + len(transformed) > MAX_SIGNALS_PER_QUERY:
            raise InvalidInput(
                f"at most {MAX_SIGNALS_PER_QUERY} signals per query", code="too_many_signals"
            )
        originals = {s.signal_type: s for s in reversed(signals)}
        queries = [(s, "original", s) for s in signals]
        for signal, transform in transformed:
            original = originals.get(signal.signal_type)
            if original is None:
                raise InvalidInput(
                    f"a transformed {signal.signal_type} hash needs the {signal.signal_type} "
                    "hash of the upload itself among the signals",
                    code="transform_without_original",
                )
            if transform == "original":
                raise InvalidInput(
                    "a transform cannot be named 'original'", code="transform_without_original"
                )
            queries.append((signal, transform, original))
        return self._observed(self._match(tuple(signals), queries, banks=banks))

    def match_content(
        self,
        data: bytes,
        *,
        content_type: ContentType | None = None,
        dihedral: bool = True,
        banks: Sequence[str] | None = None,
        source: str = "",
    ) -> MatchResult:
        """Hash content and match it; with ``dihedral`` rotated and mirrored copies match too."""
        hashed = self.hashing.hash_content(data, content_type=content_type, variants=dihedral)
        return self.match_hashed(hashed, dihedral=dihedral, banks=banks, source=source)

    def match_text(
        self, text: str, *, banks: Sequence[str] | None = None, source: str = ""
    ) -> MatchResult:
        """Hash a text given as a string (a post) and match it, with the links it holds."""
        return self.match_hashed(self.hashing.hash_text(text), banks=banks, source=source)

    def match_url(
        self, url: str, *, banks: Sequence[str] | None = None, source: str = ""
    ) -> MatchResult:
        """Match a link against banked URLs and URL rules."""
        return self.match_hashed(self.hashing.hash_url(url), banks=banks, source=source)

    def match_hashed(
        self,
        hashed: HashedContent,
        *,
        dihedral: bool = True,
        banks: Sequence[str] | None = None,
        source: str = "",
    ) -> MatchResult:
        """Match content already hashed: its signals, their variants and a text's links."""
        queries: list[tuple[Signal, str, Signal]] = []
        for signal in hashed.signals:
            variants = hashed.variants.get(signal.signal_type)
            if dihedral and variants:
                queries.extend((v, transform, signal) for transform, v in variants.items())
            else:
                queries.append((signal, "original", signal))
        queries.extend((link, "original", link) for link in hashed.links)
        result = self._match((*hashed.signals, *hashed.links), queries, banks=banks)
        return self._observed(replace(result, source=source))

    def _observed(self, result: MatchResult) -> MatchResult:
        for observer in self.observers:
            try:
                observer(result)
            except Exception:
                log.exception("a match observer failed")
        return result

    def _match(
        self,
        signals: tuple[Signal, ...],
        queries: Sequence[tuple[Signal, str, Signal]],
        *,
        banks: Sequence[str] | None,
    ) -> MatchResult:
        bank_ids = {self.store.get_bank(name).id for name in banks} if banks else None
        thresholds = self.store.bank_thresholds()
        candidate_banks = self.candidate_banks() if self.candidate_banks else set()
        refused: list[Refusal] = []
        hits: dict[tuple[int, Signal], tuple[int, str, tuple[Segment, ...]]] = {}
        # Fallback types (costly, such as vorb) are asked only when nothing else matched.
        first: list[tuple[Signal, str, Signal]] = []
        rest: list[tuple[Signal, str, Signal]] = []
        for query in queries:
            (rest if self.registry.get(query[0].signal_type).fallback else first).append(query)
        self._collect(first, hits, refused, thresholds, candidate_banks)
        result = self._result(signals, hits, refused, thresholds, candidate_banks, bank_ids)
        if rest and not result.matches:
            self._collect(rest, hits, refused, thresholds, candidate_banks)
            result = self._result(signals, hits, refused, thresholds, candidate_banks, bank_ids)
        return result

    def _collect(
        self,
        queries: Sequence[tuple[Signal, str, Signal]],
        hits: dict[tuple[int, Signal], tuple[int, str, tuple[Segment, ...]]],
        refused: list[Refusal],
        thresholds: dict[int, int | None],
        candidate_banks: set[int],
    ) -> None:
        """Query the indexes; keep each (entry, upload signal)'s nearest hit in ``hits``."""
        with self._lock:
            self._refresh_locked()
            assert self._indexes is not None
            for query, transform, original in queries:
                kind = self.registry.get(query.signal_type)
                if kind.too_low_quality(query.quality):
                    if transform == "original":
                        refused.append(Refusal(query, LOW_QUALITY))
                    continue
                index = self._indexes.get(kind.name)
                if index is None:
                    continue
                limit = self._limit(kind, thresholds)
                if candidate_banks:
                    limit = max(limit, self.candidate_distance.get(kind.name, 0))
                for entry_id, distance, segments in _query(index, query.value, limit):
                    key = (entry_id, original)
                    if key not in hits or distance < hits[key][0]:
                        hits[key] = (distance, transform, segments)

    def _result(
        self,
        signals: tuple[Signal, ...],
        hits: dict[tuple[int, Signal], tuple[int, str, tuple[Segment, ...]]],
        refused: list[Refusal],
        thresholds: dict[int, int | None],
        candidate_banks: set[int],
        bank_ids: set[int] | None,
    ) -> MatchResult:
        """The matches and candidates among the hits, for entries still live and wanted."""
        entries = self.store.get_entries(sorted({entry_id for entry_id, _ in hits}))
        suppressed = self.disputed(list(entries)) if self.disputed and entries else set()
        matches: list[Match] = []
        candidates: list[Match] = []
        for (entry_id, original), (distance, transform, segments) in hits.items():
            entry = entries.get(entry_id)
            if entry is None or not entry.active or entry_id in suppressed:
                continue
            if bank_ids is not None and entry.bank_id not in bank_ids:
                continue
            threshold = self._threshold_for(entry.signal_type, entry.bank_id, thresholds)
            found = Match(original, entry, distance, threshold, transform, segments)
            if distance <= threshold:
                measures = self.registry.get(entry.signal_type).measures(
                    original.value, entry.value, segments
                )
                matches.append(replace(found, measures=tuple(sorted(measures.items()))))
            elif entry.bank_id in candidate_banks and distance <= self.candidate_distance.get(
                entry.signal_type, -1
            ):
                candidates.append(found)
        matches = self._overruled_removed(signals, matches)
        order = lambda m: (m.distance, m.entry.bank_name, m.entry.id)  # noqa: E731
        return MatchResult(
            signals=signals,
            matches=tuple(sorted(matches, key=order)),
            refused=tuple(refused),
            candidates=tuple(sorted(candidates, key=order)),
        )

    def _overruled_removed(self, signals: tuple[Signal, ...], matches: list[Match]) -> list[Match]:
        """Drop matches of a deferring type that the type it defers to contradicts."""
        given = {s.signal_type for s in signals}
        matched = {(m.entry.signal_type, m.entry.item) for m in matches}
        kept = []
        for found in matches:
            decisive = self.registry.get(found.entry.signal_type).defers_to
            item = found.entry.item
            if (
                decisive is not None
                and decisive in given
                and item
                and item in self._decisive_items.get(decisive, {})
                and (decisive, item) not in matched
            ):
                continue
            kept.append(found)
        return kept

    def _track_items(self, signal_type: str, added: Sequence[int], removed: Sequence[int]) -> None:
        """Follow which banked items have entries of a type others defer to."""
        items = self._decisive_items.get(signal_type)
        if items is None:
            return
        for entry_id in removed:
            known = self._item_of.pop(entry_id, None)
            if known is not None:
                holders = items.get(known[1], set())
                holders.discard(entry_id)
                if not holders:
                    items.pop(known[1], None)
        for start in range(0, len(added), 1000):
            for entry in self.store.get_entries(added[start : start + 1000]).values():
                if entry.item and entry.active:
                    items.setdefault(entry.item, set()).add(entry.id)
                    self._item_of[entry.id] = (signal_type, entry.item)

    def _limit(self, kind: type[SignalType], thresholds: dict[int, int | None]) -> int:
        """The widest threshold any bank uses for this kind: the index query's."""
        if kind.index_kind is IndexKind.EXACT:
            return 0
        if kind.index_kind in (IndexKind.SEGMENT, IndexKind.DISTANCE):
            return kind.default_threshold
        own = [t for t in thresholds.values() if t is not None]
        return max([self.default_threshold, *own])

    def _threshold_for(
        self, signal_type: str, bank_id: int, thresholds: dict[int, int | None]
    ) -> int:
        kind = self.registry.get(signal_type)
        if kind.index_kind is IndexKind.EXACT:
            return 0
        if kind.index_kind in (IndexKind.SEGMENT, IndexKind.DISTANCE):
            # A bank's threshold is a PDQ distance; these distances are their own scale.
            return kind.default_threshold
        own = thresholds.get(bank_id)
        return self.default_threshold if own is None else own

    def _refresh_locked(self) -> None:
        if self._indexes is None:
            self._load_snapshot()
            return
        while True:
            changes = self.store.changes_since(self._seq, limit=CHANGE_PAGE)
            self._apply(changes)
            if len(changes) < CHANGE_PAGE:
                return

    def _apply(self, changes: Sequence[EntryChange]) -> None:
        """Apply changes in order, adding runs of new entries in bulk (a big import)."""
        indexes = self._indexes
        assert indexes is not None
        pending: dict[str, tuple[list[int], list[str]]] = {}

        def flush(signal_type: str) -> None:
            ids, values = pending.pop(signal_type, ([], []))
            if ids:
                indexes[signal_type].add(ids, values)
                self._track_items(signal_type, ids, ())

        for change in changes:
            if change.signal_type in indexes:
                if change.kind is ChangeKind.ADDED:
                    ids, values = pending.setdefault(change.signal_type, ([], []))
                    ids.append(change.entry_id)
                    values.append(change.value)
                else:
                    flush(change.signal_type)  # an entry may be added, then retracted
                    indexes[change.signal_type].remove([change.entry_id])
                    self._track_items(change.signal_type, (), [change.entry_id])
            self._seq = change.seq
        for signal_type in list(pending):
            flush(signal_type)

    def _load_snapshot(self) -> None:
        # Read the log position first: changes after it are re-applied, and adds and
        # removals are idempotent, so nothing between the two reads is lost.
        seq = self.store.last_change()
        indexes: dict[str, SignalIndex] = {}
        decisive = {t.defers_to for t in self.registry.types() if t.defers_to}
        self._decisive_items = {name: {} for name in decisive if name in self.registry}
        self._item_of = {}
        for kind in self.registry.types():
            index = index_for(kind)
            if index is None:
                continue  # no index for this kind yet: its entries are not matched
            ids: list[int] = []
            values: list[str] = []
            for entry_id, value in self.store.active_signals(kind.name):
                ids.append(entry_id)
                values.append(value)
                if len(ids) >= 50_000:
                    index.add(ids, values)
                    self._track_items(kind.name, ids, ())
                    ids, values = [], []
            index.add(ids, values)
            self._track_items(kind.name, ids, ())
            index.prepare(self._limit(kind, self.store.bank_thresholds()))
            indexes[kind.name] = index
        self._indexes = indexes
        self._seq = seq
        self._refresh_locked()


def _query(
    index: SignalIndex, value: str, threshold: int
) -> list[tuple[int, int, tuple[Segment, ...]]]:
    """(entry id, distance, segments) within the threshold; segments only from segment indexes."""
    if isinstance(index, SegmentIndex):
        return index.query_segments(value, threshold)
    return [(entry_id, distance, ()) for entry_id, distance in index.query(value, threshold)]
