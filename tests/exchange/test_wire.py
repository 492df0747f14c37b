"""Batches on the wire: built, signed, sent as an envelope and parsed back strictly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from fireline.domain import InvalidInput, OpinionKind
from fireline.exchange import (
    GENESIS,
    MAX_EVENTS,
    PROTOCOL,
    Batch,
    BatchKind,
    EntryAdded,
    EntryRetracted,
    Event,
    InstanceKey,
    OpinionRecorded,
    ProvenanceWire,
    build_batch,
    canonical_json,
    parse_envelope,
)

KEY = InstanceKey(b"\x01" * 32)  # fixed keys: the same test ids in every xdist worker
HUB = InstanceKey(b"\x02" * 32)
UID = f"{KEY.fingerprint}:1"
AT = "2026-11-23T10:00:00.000000Z"
LIMIT = 1024 * 1024

ADDED = EntryAdded(
    uid=UID,
    signal_type="pdq",
    value="f" * 64,
    quality=90,
    labels=("violent_attack", "caf\u00e9"),
    provenance=ProvenanceWire(
        org="A", instance=KEY.fingerprint, contributed_at=AT, relayed_by=(HUB.fingerprint,)
    ),
)
RETRACTED = EntryRetracted(uid=UID, reason="false positive", at=AT)
OPINION = OpinionRecorded(
    uid=UID, org="B", instance=HUB.fingerprint, kind=OpinionKind.DISPUTE, note="not it", at=AT
)


def batch(events: tuple[Event, ...] = (ADDED, RETRACTED, OPINION), **fields: Any) -> Batch:
    values: dict[str, Any] = {"kind": BatchKind.FEED, "bank": "tvec", "seq": 1, "prev": GENESIS}
    values.update(fields)
    return build_batch(KEY, events=events, **values)


def parse(data: bytes, *, max_bytes: int = LIMIT) -> Batch:
    return parse_envelope(data, max_bytes=max_bytes)


def mutated(change: Callable[[dict[str, Any]], object]) -> bytes:
    """A good envelope whose body ``change`` edits in place (the signature is kept)."""
    envelope = json.loads(batch().envelope())
    change(envelope["batch"])
    return canonical_json(envelope)


def event_of(body: dict[str, Any], number: int = 0) -> dict[str, Any]:
    event: dict[str, Any] = body["events"][number]
    return event


@pytest.mark.parametrize("kind", list(BatchKind))
@pytest.mark.parametrize("audience", [None, HUB.public_key], ids=["no-audience", "to-hub"])
def test_a_built_batch_round_trips_through_its_envelope(
    kind: BatchKind, audience: str | None
) -> None:
    built = batch(kind=kind, audience=audience, seq=7, prev="a" * 64)
    parsed = parse(built.envelope())
    assert parsed == built
    assert (parsed.kind, parsed.audience, parsed.seq, parsed.prev) == (kind, audience, 7, "a" * 64)
    assert parsed.events == (ADDED, RETRACTED, OPINION)
    assert parsed.publisher == KEY.public_key
    assert parsed.hash == hashlib.sha256(parsed.body).hexdigest()


def test_the_body_is_canonical_and_the_envelope_too() -> None:
    built = batch(created_at=AT)
    body = json.loads(built.body)
    assert built.body == canonical_json(body)
    assert body["protocol"] == PROTOCOL and body["created_at"] == AT
    assert body["events"][0]["type"] == "entry.added"
    assert built.envelope() == canonical_json({"batch": body, "signature": built.signature})


def test_an_envelope_with_other_spacing_and_key_order_still_verifies() -> None:
    built = batch()
    envelope = json.loads(built.envelope())
    loose = json.dumps(
        {"signature": envelope["signature"], "batch": envelope["batch"]}, indent=2
    ).encode()
    assert parse(loose) == built


def test_batch_hash_changes_with_any_field() -> None:
    first = batch(created_at=AT)
    assert batch(created_at=AT).hash == first.hash  # signing is deterministic: same bytes
    assert batch(created_at=AT, seq=2).hash != first.hash
    assert batch(created_at=AT, events=(RETRACTED,)).hash != first.hash


def setter(name: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda body: body.__setitem__(name, value)


def event_setter(name: str, value: object, number: int = 0) -> Callable[[dict[str, Any]], object]:
    return lambda body: event_of(body, number).__setitem__(name, value)


def provenance_setter(name: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda body: event_of(body)["provenance"].__setitem__(name, value)


INVALID = [
    ("missing-field", lambda body: body.pop("seq"), "invalid_batch"),
    ("missing-events", lambda body: body.pop("events"), "invalid_batch"),
    ("extra-field", setter("comment", "hi"), "invalid_batch"),
    ("wrong-protocol", setter("protocol", "fireline.exchange/2"), "unsupported_protocol"),
    ("no-protocol-text", setter("protocol", 1), "unsupported_protocol"),
    ("unknown-kind", setter("kind", "gossip"), "invalid_batch"),
    ("bad-publisher", setter("publisher", "ed25519:short"), "invalid_key"),
    ("bad-audience", setter("audience", "someone"), "invalid_key"),
    ("bank-not-a-name", setter("bank", "../etc"), "invalid_batch"),
    ("bank-not-text", setter("bank", 5), "invalid_batch"),
    ("seq-zero", setter("seq", 0), "invalid_batch"),
    ("seq-negative", setter("seq", -1), "invalid_batch"),
    ("seq-text", setter("seq", "1"), "invalid_batch"),
    ("seq-bool", setter("seq", True), "invalid_batch"),
    ("seq-huge", setter("seq", 2**62), "invalid_batch"),
    ("prev-short", setter("prev", "0" * 63), "invalid_batch"),
    ("prev-upper", setter("prev", "A" * 64), "invalid_batch"),
    ("prev-null", setter("prev", None), "invalid_batch"),
    ("time-without-zone", setter("created_at", "2026-11-23T10:00:00"), "invalid_batch"),
    ("time-not-a-time", setter("created_at", "yesterday"), "invalid_batch"),
    ("time-number", setter("created_at", 1700000000), "invalid_batch"),
    ("time-before-utc-year-1", setter("created_at", "0001-01-01T00:00:00+05:00"), "invalid_batch"),
    ("time-too-long", setter("created_at", AT + " " * 40), "invalid_batch"),
    ("no-events", setter("events", []), "invalid_batch"),
    ("events-not-a-list", setter("events", {}), "invalid_batch"),
    ("event-not-object", setter("events", ["entry.added"]), "invalid_batch"),
    ("unknown-event-type", event_setter("type", "entry.deleted"), "invalid_batch"),
    ("event-missing-field", lambda body: event_of(body).pop("labels"), "invalid_batch"),
    ("event-extra-field", event_setter("score", 3), "invalid_batch"),
    ("uid-no-fingerprint", event_setter("uid", "1"), "invalid_batch"),
    ("uid-short-fingerprint", event_setter("uid", "abc:1"), "invalid_batch"),
    ("uid-upper", event_setter("uid", KEY.fingerprint.upper() + ":1"), "invalid_batch"),
    ("uid-zero", event_setter("uid", f"{KEY.fingerprint}:0"), "invalid_batch"),
    ("uid-leading-zero", event_setter("uid", f"{KEY.fingerprint}:01"), "invalid_batch"),
    ("uid-too-long", event_setter("uid", f"{KEY.fingerprint}:{'1' * 20}"), "invalid_batch"),
    ("uid-missing", lambda body: event_of(body).pop("uid"), "invalid_batch"),
    ("quality-text", event_setter("quality", "90"), "invalid_batch"),
    ("quality-bool", event_setter("quality", True), "invalid_batch"),
    ("labels-not-list", event_setter("labels", "violent_attack"), "invalid_batch"),
    ("labels-too-many", event_setter("labels", ["x"] * 65), "invalid_batch"),
    ("label-too-long", event_setter("labels", ["x" * 201]), "invalid_batch"),
    ("value-not-text", event_setter("value", 5), "invalid_batch"),
    ("signal-type-too-long", event_setter("signal_type", "p" * 65), "invalid_batch"),
    ("provenance-not-object", event_setter("provenance", "A"), "invalid_batch"),
    ("provenance-missing", lambda b: event_of(b)["provenance"].pop("org"), "invalid_batch"),
    ("relayed-not-list", provenance_setter("relayed_by", "hub"), "invalid_batch"),
    ("relayed-too-many", provenance_setter("relayed_by", ["h"] * 17), "invalid_batch"),
    ("contributed-no-zone", provenance_setter("contributed_at", "2026-11-23"), "invalid_batch"),
    ("retraction-extra", event_setter("value", "f" * 64, number=1), "invalid_batch"),
    ("retraction-bad-time", event_setter("at", "soon", number=1), "invalid_batch"),
    ("retraction-reason-long", event_setter("reason", "r" * 2001, number=1), "invalid_batch"),
    ("opinion-kind", event_setter("kind", "like", number=2), "invalid_batch"),
    ("opinion-note-not-text", event_setter("note", None, number=2), "invalid_batch"),
    ("opinion-org-too-long", event_setter("org", "o" * 201, number=2), "invalid_batch"),
    ("lone-surrogate", event_setter("note", "\ud800", number=2), "invalid_batch"),
]


@pytest.mark.parametrize(
    ("change", "code"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID]
)
def test_schema_violations_are_refused_with_their_code(
    change: Callable[[dict[str, Any]], object], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(mutated(change))
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda body: body.pop("seq"), "missing fields ['seq'], unknown fields []"),
        (setter("comment", "hi"), "missing fields [], unknown fields ['comment']"),
    ],
    ids=["missing", "extra"],
)
def test_the_refusal_names_missing_and_unknown_fields(
    change: Callable[[dict[str, Any]], object], words: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(mutated(change))
    assert words in raised.value.message


def test_a_float_quality_is_refused() -> None:
    text = batch().envelope().replace(b'"quality":90', b'"quality":90.0')
    assert b"90.0" in text
    with pytest.raises(InvalidInput) as raised:
        parse(text)
    assert raised.value.code == "invalid_batch"


@pytest.mark.parametrize(("count", "accepted"), [(MAX_EVENTS, True), (MAX_EVENTS + 1, False)])
def test_a_batch_carries_at_most_max_events(count: int, accepted: bool) -> None:
    events = tuple(
        EntryRetracted(uid=f"{KEY.fingerprint}:{n}", reason="", at=AT) for n in range(1, count + 1)
    )
    if accepted:
        assert len(parse(batch(events=events).envelope()).events) == count
        return
    with pytest.raises(InvalidInput) as raised:
        batch(events=events)
    assert raised.value.code == "invalid_batch"
    with pytest.raises(InvalidInput) as raised:
        parse(mutated(setter("events", [json.loads(batch().body)["events"][1]] * count)))
    assert raised.value.code == "invalid_batch"


@pytest.mark.parametrize(("spare", "accepted"), [(0, True), (-1, False)])
def test_an_oversized_envelope_is_refused_before_parsing(spare: int, accepted: bool) -> None:
    data = batch().envelope()
    if accepted:
        assert parse(data, max_bytes=len(data) + spare).seq == 1
        return
    with pytest.raises(InvalidInput) as raised:
        parse(data, max_bytes=len(data) + spare)
    assert raised.value.code == "batch_too_large"
    with pytest.raises(InvalidInput) as raised:
        parse(b"x" * 100, max_bytes=10)  # not even JSON: the size is checked first
    assert raised.value.code == "batch_too_large"


def flip(data: bytes, at: int) -> bytes:
    """``data`` with the character at ``at`` replaced by another of the same class."""
    old = chr(data[at])
    new = {"f": "e", "A": "B", "a": "b", "0": "1"}.get(old, "A" if old.isalpha() else "0")
    return data[:at] + new.encode() + data[at + 1 :]


@pytest.mark.parametrize(
    "marker", [b'"value":"', b'"reason":"', b'"signature":"'], ids=["value", "reason", "signature"]
)
def test_one_flipped_character_breaks_the_signature(marker: bytes) -> None:
    data = batch().envelope()
    tampered = flip(data, data.index(marker) + len(marker))
    assert tampered != data and len(tampered) == len(data)
    with pytest.raises(InvalidInput) as raised:
        parse(tampered)
    assert raised.value.code == "bad_signature"


def test_a_batch_signed_by_another_key_than_its_publisher_is_refused() -> None:
    built = batch()
    forged = canonical_json({"batch": json.loads(built.body), "signature": HUB.sign(built.body)})
    with pytest.raises(InvalidInput) as raised:
        parse(forged)
    assert raised.value.code == "bad_signature"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff",
        b"[]",
        b'"batch"',
        b'{"batch":{}}',
        b'{"signature":"x"}',
        b'{"batch":{},"signature":"x","extra":1}',
        b'{"batch":[],"signature":"x"}',
        b'{"batch":{},"signature":5}',
    ],
    ids=[
        "empty",
        "words",
        "not-utf8",
        "list",
        "string",
        "no-signature",
        "no-batch",
        "extra-key",
        "batch-not-object",
        "signature-not-text",
    ],
)
def test_envelopes_that_are_not_envelopes_are_invalid(data: bytes) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(data)
    assert raised.value.code == "invalid_batch"
