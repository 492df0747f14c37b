"""Batches as they travel: strict parsing of the JSON shape, building and signing.

A batch body is a canonical JSON object (see docs/exchange.md)::

    {"protocol": "fireline.exchange/1", "kind": "feed" | "contribution",
     "publisher": "ed25519:...", "audience": null | "ed25519:...", "bank": "name",
     "seq": 1, "prev": "<64 hex>", "created_at": "<RFC 3339>", "events": [...]}

and travels in an envelope ``{"batch": <body>, "signature": "<base64url>"}``. Its hash
is the SHA-256 of the body's canonical bytes; the next batch's ``prev`` is that hash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fireline.domain import InvalidInput, OpinionKind
from fireline.exchange.canonical import canonical_json, parse_json
from fireline.exchange.keys import InstanceKey, parse_public_key, verify_signature

PROTOCOL = "fireline.exchange/1"
#: Events one batch carries at most; publishers split longer runs.
MAX_EVENTS = 1000
_UID = re.compile(r"[0-9a-f]{16}:[1-9][0-9]{0,18}")
_HASH = re.compile(r"[0-9a-f]{64}")
_BANK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BODY_KEYS = {"protocol", "kind", "publisher", "audience", "bank", "seq", "prev", "created_at"}


class BatchKind(StrEnum):
    #: A publisher's feed of one bank, read by every subscriber.
    FEED = "feed"
    #: A member's contributions (entries, retractions, opinions) to a peer's bank.
    CONTRIBUTION = "contribution"


@dataclass(frozen=True, slots=True)
class ProvenanceWire:
    """Who contributed an entry, when, and which instances relayed it since."""

    org: str
    instance: str
    contributed_at: str
    relayed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EntryAdded:
    uid: str
    signal_type: str
    value: str
    quality: int | None
    labels: tuple[str, ...]
    provenance: ProvenanceWire


@dataclass(frozen=True, slots=True)
class EntryRetracted:
    uid: str
    reason: str
    at: str


@dataclass(frozen=True, slots=True)
class OpinionRecorded:
    uid: str
    org: str
    instance: str
    kind: OpinionKind
    note: str
    at: str


Event = EntryAdded | EntryRetracted | OpinionRecorded


@dataclass(frozen=True, slots=True)
class Batch:
    """A parsed, self-consistent batch: its signature is the publisher key's."""

    kind: BatchKind
    publisher: str
    audience: str | None
    bank: str
    seq: int
    prev: str
    created_at: str
    events: tuple[Event, ...]
    signature: str
    #: The canonical bytes of the body: what was signed and hashed.
    body: bytes
    hash: str

    def envelope(self) -> bytes:
        """The batch as it is sent: canonical JSON of ``{"batch", "signature"}``."""
        return canonical_json({"batch": parse_json(self.body), "signature": self.signature})


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _event_json(event: Event) -> dict[str, Any]:
    if isinstance(event, EntryAdded):
        p = event.provenance
        return {
            "type": "entry.added",
            "uid": event.uid,
            "signal_type": event.signal_type,
            "value": event.value,
            "quality": event.quality,
            "labels": list(event.labels),
            "provenance": {
                "org": p.org,
                "instance": p.instance,
                "contributed_at": p.contributed_at,
                "relayed_by": list(p.relayed_by),
            },
        }
    if isinstance(event, EntryRetracted):
        return {"type": "entry.retracted", "uid": event.uid, "reason": event.reason, "at": event.at}
    return {
        "type": "opinion",
        "uid": event.uid,
        "org": event.org,
        "instance": event.instance,
        "kind": event.kind.value,
        "note": event.note,
        "at": event.at,
    }


def build_batch(
    key: InstanceKey,
    *,
    kind: BatchKind,
    bank: str,
    seq: int,
    prev: str,
    events: tuple[Event, ...],
    audience: str | None = None,
    created_at: str | None = None,
) -> Batch:
    """Sign a new batch with ``key``."""
    body = {
        "protocol": PROTOCOL,
        "kind": kind.value,
        "publisher": key.public_key,
        "audience": audience,
        "bank": bank,
        "seq": seq,
        "prev": prev,
        "created_at": created_at or now_text(),
        "events": [_event_json(e) for e in events],
    }
    raw = canonical_json(body)
    return _parsed(body, raw, key.sign(raw))


def parse_envelope(data: bytes, *, max_bytes: int) -> Batch:
    """Parse and check one envelope: shape, sizes, and the publisher's signature.

    InvalidInput (``invalid_batch``, ``batch_too_large``, ``bad_signature``) names the
    first problem. Whether the publisher is a known peer, and where the batch falls in
    its chain, is for the caller to check.
    """
    if len(data) > max_bytes:
        raise InvalidInput(
            f"the batch is {len(data)} bytes, over the limit of {max_bytes}",
            code="batch_too_large",
        )
    envelope = parse_json(data)
    if not isinstance(envelope, dict) or set(envelope) != {"batch", "signature"}:
        raise _invalid("an envelope is an object with exactly 'batch' and 'signature'")
    body, signature = envelope["batch"], envelope["signature"]
    if not isinstance(body, dict) or not isinstance(signature, str):
        raise _invalid("'batch' is an object and 'signature' a string")
    batch = _parsed(body, canonical_json(body), signature)
    if not verify_signature(batch.publisher, batch.body, signature):
        raise InvalidInput(
            f"batch {batch.seq} of {batch.bank!r}: the signature is not the publisher's",
            code="bad_signature",
        )
    return batch


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(f"malformed batch: {message}", code="invalid_batch")


def _parsed(body: dict[str, Any], raw: bytes, signature: str) -> Batch:
    if set(body) != _BODY_KEYS | {"events"}:
        missing = sorted((_BODY_KEYS | {"events"}) - set(body))
        extra = sorted(set(body) - _BODY_KEYS - {"events"})
        raise _invalid(f"missing fields {missing}, unknown fields {extra}")
    if body["protocol"] != PROTOCOL:
        raise InvalidInput(
            f"unsupported protocol {str(body['protocol'])[:40]!r}; this instance speaks {PROTOCOL}",
            code="unsupported_protocol",
        )
    try:
        kind = BatchKind(body["kind"])
    except ValueError:
        raise _invalid("kind is 'feed' or 'contribution'") from None
    publisher = parse_public_key(body["publisher"])
    audience = body["audience"]
    if audience is not None:
        audience = parse_public_key(audience)
    bank, seq, prev = body["bank"], body["seq"], body["prev"]
    if not isinstance(bank, str) or not _BANK.fullmatch(bank):
        raise _invalid("bank is a bank name")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**62:
        raise _invalid("seq is a positive integer")
    if not isinstance(prev, str) or not _HASH.fullmatch(prev):
        raise _invalid("prev is 64 lowercase hex digits")
    created_at = _time(body["created_at"], "created_at")
    events = body["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise _invalid(f"events is a list of 1 to {MAX_EVENTS} events")
    parsed = tuple(_event(i, e) for i, e in enumerate(events, start=1))
    return Batch(
        kind=kind,
        publisher=publisher,
        audience=audience,
        bank=bank,
        seq=seq,
        prev=prev,
        created_at=created_at,
        events=parsed,
        signature=signature,
        body=raw,
        hash=hashlib.sha256(raw).hexdigest(),
    )


def _time(value: Any, what: str) -> str:
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
            # It must also be a time in UTC, as stores keep it (year 1 at +05:00 is not).
            if parsed.tzinfo is not None:
                parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return value
    raise _invalid(f"{what} is an RFC 3339 time with a zone")


def _text(obj: dict[str, Any], name: str, number: int, *, most: int = 2000) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) > most:
        raise _invalid(f"event {number}: {name} is a string of at most {most} characters")
    return value


def _fields(obj: dict[str, Any], number: int, names: set[str]) -> None:
    if set(obj) != names:
        raise _invalid(f"event {number} ({obj.get('type')}): fields are {sorted(names)}")


def _event(number: int, obj: Any) -> Event:
    if not isinstance(obj, dict):
        raise _invalid(f"event {number} is not an object")
    kind = obj.get("type")
    uid = obj.get("uid")
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        raise _invalid(f"event {number}: uid is '<16 hex>:<entry id>'")
    if kind == "entry.added":
        _fields(
            obj, number, {"type", "uid", "signal_type", "value", "quality", "labels", "provenance"}
        )
        quality = obj["quality"]
        if quality is not None and (not isinstance(quality, int) or isinstance(quality, bool)):
            raise _invalid(f"event {number}: quality is an integer or null")
        labels = obj["labels"]
        if (
            not isinstance(labels, list)
            or len(labels) > 64
            or not all(isinstance(x, str) and len(x) <= 200 for x in labels)
        ):
            raise _invalid(f"event {number}: labels is a list of at most 64 strings")
        p = obj["provenance"]
        if not isinstance(p, dict) or set(p) != {"org", "instance", "contributed_at", "relayed_by"}:
            raise _invalid(
                f"event {number}: provenance has org, instance, contributed_at, relayed_by"
            )
        relayed = p["relayed_by"]
        if (
            not isinstance(relayed, list)
            or len(relayed) > 16
            or not all(isinstance(x, str) and len(x) <= 64 for x in relayed)
        ):
            raise _invalid(f"event {number}: relayed_by is a list of instance fingerprints")
        return EntryAdded(
            uid=uid,
            signal_type=_text(obj, "signal_type", number, most=64),
            value=_text(obj, "value", number, most=64 * 1024 * 1024),
            quality=quality,
            labels=tuple(labels),
            provenance=ProvenanceWire(
                org=_text(p, "org", number, most=200),
                instance=_text(p, "instance", number, most=64),
                contributed_at=_time(p["contributed_at"], f"event {number}: contributed_at"),
                relayed_by=tuple(relayed),
            ),
        )
    if kind == "entry.retracted":
        _fields(obj, number, {"type", "uid", "reason", "at"})
        return EntryRetracted(
            uid=uid, reason=_text(obj, "reason", number), at=_time(obj["at"], "at")
        )
    if kind == "opinion":
        _fields(obj, number, {"type", "uid", "org", "instance", "kind", "note", "at"})
        try:
            opinion = OpinionKind(obj["kind"])
        except ValueError:
            raise _invalid(
                f"event {number}: kind is one of {', '.join(k.value for k in OpinionKind)}"
            ) from None
        return OpinionRecorded(
            uid=uid,
            org=_text(obj, "org", number, most=200),
            instance=_text(obj, "instance", number, most=64),
            kind=opinion,
            note=_text(obj, "note", number),
            at=_time(obj["at"], "at"),
        )
    raise _invalid(f"event {number}: unknown type {str(kind)[:40]!r}")
