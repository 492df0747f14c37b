"""The domain's records. Plain frozen dataclasses: no framework, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Role lives with the permission table; re-exported here for callers that import it from
# this module.
from fireline.domain.roles import Role as Role


class SharingPolicy(StrEnum):
    """Who may receive a bank's signals when exchange arrives."""

    PRIVATE = "private"
    MEMBERS = "members"
    AGGREGATE_ONLY = "aggregate_only"


class ChangeKind(StrEnum):
    ADDED = "added"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class Signal:
    """One hash of one piece of content, in its signal type's canonical string form."""

    signal_type: str
    value: str
    quality: int | None = None


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    description: str
    owner: str
    sharing: SharingPolicy
    pdq_threshold: int | None
    version: int
    created_at: datetime
    entry_count: int = 0


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an entry received through the exchange came from.

    ``org`` contributed it from the instance with fingerprint ``instance`` at
    ``contributed_at``; ``relayed_by`` lists the instances (hubs) that passed it on.
    """

    org: str
    instance: str
    contributed_at: datetime
    relayed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One signal in one bank, with its labels and provenance. Never deleted, only retracted."""

    id: int
    bank_id: int
    bank_name: str
    signal_type: str
    value: str
    quality: int | None
    labels: tuple[str, ...]
    note: str
    item: str | None
    contributor: str
    created_at: datetime
    retracted_at: datetime | None = None
    retraction_reason: str = ""
    #: ``<instance fingerprint>:<entry id>`` on the instance that first banked it, for an
    #: entry received through the exchange; None for one banked here.
    origin_uid: str | None = None
    provenance: Provenance | None = None

    @property
    def active(self) -> bool:
        return self.retracted_at is None


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry as a caller proposes it, before the store gives it an id."""

    signal_type: str
    value: str
    quality: int | None = None
    labels: tuple[str, ...] = ()
    note: str = ""
    item: str | None = None
    origin_uid: str | None = None
    provenance: Provenance | None = None
    #: Who contributed it, when that is not the caller of the add (a relayed entry).
    contributor: str | None = None


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One row of the append-only change log that matchers follow."""

    seq: int
    entry_id: int
    bank_id: int
    kind: ChangeKind
    signal_type: str
    value: str


@dataclass(frozen=True, slots=True)
class Segment:
    """Where a query holds a copy of a banked file: aligned in time, or a text passage.

    For video and audio, times are seconds from each file's start (``unit`` "seconds");
    for text, offsets are characters of each text (``unit`` "characters", end exclusive).
    ``speed`` is reference seconds per query second (2.0: the copy plays twice as fast;
    1.0 for text). ``score`` is the share (0-100) of the query's sampled frames inside the
    segment that match the reference at the aligned time (for text: of the MinHash values
    its paired windows share); the coverages are the shares of each file's length (each
    text's words) the segment spans.
    """

    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    speed: float
    score: int
    matched_frames: int
    query_coverage: float
    reference_coverage: float
    unit: str = "seconds"


@dataclass(frozen=True, slots=True)
class Match:
    """One banked entry that one query signal matched.

    For time-based signals (video, audio) ``segments`` says where: the distance is then
    100 minus the best segment's score.
    """

    query: Signal
    entry: Entry
    distance: int
    threshold: int
    transform: str = "original"
    segments: tuple[Segment, ...] = ()
    #: Figures the signal type reports beside the distance, as (name, value) pairs: for
    #: text_minhash the texts' Jaccard similarity and the containment (the share of the
    #: banked text found in the query).
    measures: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """A query signal that was not matched, and why (for instance low PDQ quality)."""

    signal: Signal
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What one match query found: the signals tried, the matches, the refusals.

    ``candidates`` are near misses: entries of banks that collect them (an active
    incident's) beyond their threshold but within the wider candidate distance.
    """

    signals: tuple[Signal, ...]
    matches: tuple[Match, ...]
    refused: tuple[Refusal, ...] = ()
    source: str = ""
    candidates: tuple[Match, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.matches)


@dataclass(frozen=True, slots=True)
class Organisation:
    """A platform or body that holds keys and owns banks; each instance has its own."""

    id: int
    name: str
    description: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key of one organisation (``org``: the organisation's name)."""

    id: int
    name: str
    role: Role
    org: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def actor(self) -> str:
        """Who acted, as the audit log names a key: ``key:<name>@<org>``."""
        return f"key:{self.name}@{self.org}"


@dataclass(frozen=True, slots=True)
class AddedEntries:
    """What adding content or signals to a bank did."""

    added: tuple[Entry, ...]
    existing: tuple[Entry, ...] = ()
    refused: tuple[Refusal, ...] = field(default_factory=tuple)
