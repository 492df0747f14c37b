"""Records of the hash-sharing network: peers, subscriptions, opinions, batch heads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OpinionKind(StrEnum):
    """What a member thinks of an entry."""

    CONFIRM = "confirm"
    #: A false positive: the hash matches content that is not what its labels say.
    DISPUTE = "dispute"
    #: Worth investigating (a lead), without confirming it.
    INVESTIGATION_SEED = "investigation_seed"


@dataclass(frozen=True, slots=True)
class Opinion:
    """One organisation's opinion of one entry. The newest per organisation counts."""

    id: int
    entry_id: int
    org: str
    #: The fingerprint of the instance it came from ("" when recorded here).
    instance: str
    kind: OpinionKind
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Peer:
    """Another instance this one knows by its public key.

    A ``member`` may read the feeds of this instance's shared banks, and send
    contributions (entries, retractions, opinions) to them. ``url`` is where this
    instance reaches the peer to subscribe to its feeds (None: it only calls us).
    """

    id: int
    name: str
    public_key: str
    fingerprint: str
    url: str | None
    member: bool
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A local bank following a peer's bank: its feed comes in, our contributions go out."""

    id: int
    peer: str
    remote_bank: str
    bank: str
    created_at: datetime
    last_synced_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """A batch as a store keeps it: the signed canonical body and where it stands."""

    seq: int
    prev: str
    hash: str
    body: bytes
    signature: str
    created_at: datetime
    #: Outgoing batches: the local change-log and opinion positions they cover.
    change_seq: int = 0
    opinion_seq: int = 0
    acked: bool = False


@dataclass(frozen=True, slots=True)
class ReceivedRetraction:
    """Retract the bank's active entry with this uid (nothing when there is none)."""

    uid: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReceivedOpinion:
    """Record an opinion on the bank's entry with this uid (skipped when unknown)."""

    uid: str
    org: str
    instance: str
    kind: OpinionKind
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What applying one batch changed."""

    added: int = 0
    existing: int = 0
    retracted: int = 0
    opinions: int = 0
    #: Events about entries this instance does not hold (or its own, echoed back).
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class OutgoingOpinion:
    """An opinion to publish, with its position in the opinion log and its entry's uid."""

    seq: int
    opinion: Opinion
    uid: str
