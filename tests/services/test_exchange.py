"""The hash-sharing network: entries, retractions and opinions travel from member to hub
to member; feed batches that are tampered with, misdirected or replayed are refused.

See tests/services/exchange_network.py for the network (H, A, B) and how batches move.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fireline.domain import (
    Conflict,
    FirelineError,
    Forbidden,
    InvalidInput,
    OpinionKind,
)
from fireline.exchange import BatchKind, EntryRetracted, InstanceKey, parse_envelope
from fireline.services.exchange import envelope_of
from tests.services.exchange_network import (
    AT,
    Instances,
    Network,
    bank,
    count,
    entry_event,
    matched,
    pdq,
    signed,
)

# --- entries, retractions and opinions travel ------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_hash_banked_on_a_member_reaches_the_hub_then_every_member(
    instances: Instances, backend: str
) -> None:
    net = instances.network(backend)
    value = pdq()
    bank(net.a.node, value)
    assert matched(net.b.node, value) == []

    net.contribute(net.a)
    assert [e.value for e in matched(net.hub, value)] == [value]
    net.pull(net.b)
    assert [e.value for e in matched(net.b.node, value)] == [value]

    net.pull(net.a)  # A's own entry comes back in H's feed: skipped, not banked twice
    assert count(net.a.node) == 1 and net.a.node.exchange.cursor(net.a.sub) == 1
    assert net.a.node.exchange.outbox(net.a.sub) == []


def test_a_relayed_entry_keeps_its_provenance(net: Network) -> None:
    value = pdq()
    entry = bank(net.a.node, value)
    net.sync()
    a, hub = net.a.node.exchange.key, net.hub.exchange.key
    (at_hub,) = matched(net.hub, value)
    (copy,) = matched(net.b.node, value)
    assert copy.origin_uid == at_hub.origin_uid == f"{a.fingerprint}:{entry.id}"
    assert copy.provenance is not None and at_hub.provenance is not None
    assert (copy.provenance.org, copy.provenance.instance) == ("A", a.fingerprint)
    assert copy.provenance.contributed_at == at_hub.provenance.contributed_at
    assert hub.fingerprint in copy.provenance.relayed_by
    assert at_hub.provenance.relayed_by == ()
    assert copy.contributor == "A"


def test_a_retraction_on_the_contributor_stops_the_match_everywhere(net: Network) -> None:
    value, kept = pdq(), pdq()
    entry = bank(net.a.node, value)
    bank(net.a.node, kept)
    net.sync()
    assert matched(net.b.node, value)

    net.a.node.banks.retract(entry_id=entry.id, reason="false positive")
    net.sync()
    assert matched(net.hub, value) == [] and matched(net.b.node, value) == []
    assert [e.value for e in matched(net.b.node, kept)] == [kept]
    (retracted,) = net.b.node.banks.entries(bank="tvec", include_retracted=True)[:1]
    assert retracted.retraction_reason == "false positive"


def test_a_dispute_on_one_member_reaches_the_contributor(net: Network) -> None:
    value = pdq()
    entry = bank(net.a.node, value)
    net.sync()
    (copy,) = matched(net.b.node, value)

    net.b.node.exchange.opine(entry_id=copy.id, kind=OpinionKind.DISPUTE, note="a cartoon")
    net.sync()
    (opinion,) = net.a.node.exchange.opinions(entry_id=entry.id)
    assert (opinion.org, opinion.kind, opinion.note) == ("B", OpinionKind.DISPUTE, "a cartoon")
    assert opinion.instance == net.b.node.exchange.key.fingerprint
    assert [o.org for o in net.b.node.exchange.opinions(entry_id=copy.id)] == ["B"]  # once
    assert matched(net.a.node, value)  # disputes do not suppress matches by default


def test_disputes_suppress_a_match_where_the_setting_says_so(instances: Instances) -> None:
    net = instances.network(exchange_suppress_disputes=1)
    value = pdq()
    bank(net.a.node, value)
    net.sync()
    (copy,) = matched(net.b.node, value)
    assert matched(net.a.node, value)

    net.b.node.exchange.opine(entry_id=copy.id, kind=OpinionKind.DISPUTE)
    net.sync()
    assert matched(net.a.node, value) == []
    assert matched(net.b.node, value)  # B keeps the default: disputes never suppress


# --- feeds that are refused ------------------------------------------------------------


def publish_one_entry(net: Network) -> None:
    """Bank one entry on A and send it to H: H's feed then holds one batch, not applied on B."""
    bank(net.a.node, pdq())
    net.contribute(net.a)
    assert len(net.hub.exchange.feed(peer=net.b.at_hub, bank="tvec", after=0)) == 1


def tampered(net: Network) -> bytes:
    data = envelope_of(net.hub.exchange.feed(peer=net.b.at_hub, bank="tvec", after=0)[0])
    at = data.index(b'"value":"') + len(b'"value":"')
    return data[:at] + (b"0" if data[at : at + 1] != b"0" else b"1") + data[at + 1 :]


def hub_key(net: Network) -> InstanceKey:
    return net.hub.exchange.key


FEEDS: list[tuple[str, Callable[[Network], bytes], type[FirelineError], str]] = [
    ("flipped-character", tampered, InvalidInput, "bad_signature"),
    (
        "signed-by-a-member",
        lambda n: signed(n.a.node.exchange.key, (entry_event(f"{'a' * 16}:1"),)),
        Forbidden,
        "wrong_publisher",
    ),
    (
        "signed-by-a-stranger",
        lambda n: signed(InstanceKey.generate(), (entry_event(f"{'a' * 16}:1"),)),
        Forbidden,
        "wrong_publisher",
    ),
    (
        "a-contribution",
        lambda n: signed(hub_key(n), (entry_event(f"{'a' * 16}:1"),), kind=BatchKind.CONTRIBUTION),
        InvalidInput,
        "wrong_channel",
    ),
    (
        "another-bank",
        lambda n: signed(hub_key(n), (entry_event(f"{'a' * 16}:1"),), bank="other"),
        InvalidInput,
        "wrong_channel",
    ),
    (
        "a-gap",
        lambda n: signed(hub_key(n), (entry_event(f"{'a' * 16}:1"),), seq=2, prev="1" * 64),
        Conflict,
        "out_of_order",
    ),
    (
        "not-a-pdq",
        lambda n: signed(hub_key(n), (entry_event(f"{'a' * 16}:1", "nothex"),)),
        InvalidInput,
        "invalid_batch",
    ),
    ("not-json", lambda n: b"<html>", InvalidInput, "invalid_batch"),
]


@pytest.mark.parametrize(
    ("make", "error", "code"), [row[1:] for row in FEEDS], ids=[row[0] for row in FEEDS]
)
def test_a_refused_feed_batch_applies_nothing(
    net: Network, make: Callable[[Network], bytes], error: type[FirelineError], code: str
) -> None:
    publish_one_entry(net)
    data = make(net)
    with pytest.raises(error) as raised:
        net.b.node.exchange.apply_feed(net.b.sub, data)
    assert raised.value.code == code
    assert count(net.b.node) == 0 and net.b.node.exchange.cursor(net.b.sub) == 0
    last_error = net.b.node.exchange.subscription(subscription_id=net.b.sub.id).last_error
    assert last_error is not None and last_error.startswith(code)
    net.pull(net.b)  # the genuine feed still applies afterwards
    assert count(net.b.node) == 1


def test_a_batch_sent_again_is_harmless_and_a_different_one_is_refused(net: Network) -> None:
    publish_one_entry(net)
    net.pull(net.b)
    (first,) = net.hub.exchange.feed(peer=net.b.at_hub, bank="tvec", after=0)
    # What is stored is sent byte for byte as the canonical envelope.
    assert envelope_of(first) == parse_envelope(envelope_of(first), max_bytes=2**20).envelope()
    again = net.b.node.exchange.apply_feed(net.b.sub, envelope_of(first))
    assert (again.seq, again.report) == (1, None)

    rewritten = signed(hub_key(net), (EntryRetracted(uid=f"{'a' * 16}:1", reason="", at=AT),))
    with pytest.raises(Conflict) as raised:
        net.b.node.exchange.apply_feed(net.b.sub, rewritten)
    assert raised.value.code == "replayed_batch"
    assert count(net.b.node) == 1 and net.b.node.exchange.cursor(net.b.sub) == 1
