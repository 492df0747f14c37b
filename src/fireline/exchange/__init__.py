"""Exchange protocol v1: canonical JSON, Ed25519 identities, signed and chained batches.

Pure: no HTTP, no storage. ``fireline.services.exchange`` applies batches to the store;
``fireline.sync`` carries them between instances over HTTP. See docs/exchange.md.
"""

from fireline.exchange.canonical import canonical_json, parse_json
from fireline.exchange.chain import GENESIS, verify_chain, verify_next
from fireline.exchange.keys import (
    InstanceKey,
    fingerprint,
    parse_public_key,
    request_message,
    verify_signature,
)
from fireline.exchange.wire import (
    MAX_EVENTS,
    PROTOCOL,
    Batch,
    BatchKind,
    EntryAdded,
    EntryRetracted,
    Event,
    OpinionRecorded,
    ProvenanceWire,
    build_batch,
    parse_envelope,
)

__all__ = [
    "GENESIS",
    "MAX_EVENTS",
    "PROTOCOL",
    "Batch",
    "BatchKind",
    "EntryAdded",
    "EntryRetracted",
    "Event",
    "InstanceKey",
    "OpinionRecorded",
    "ProvenanceWire",
    "build_batch",
    "canonical_json",
    "fingerprint",
    "parse_envelope",
    "parse_json",
    "parse_public_key",
    "request_message",
    "verify_chain",
    "verify_next",
    "verify_signature",
]
