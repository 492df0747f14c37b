"""Who may send what to a hub: members' contributions (their own entries, to banks shared
with members, addressed to this hub, signed by them) and signed peer requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.domain import (
    Conflict,
    FirelineError,
    Forbidden,
    InvalidInput,
    NotFound,
    SharingPolicy,
    Unauthenticated,
)
from fireline.exchange import BatchKind, EntryRetracted, Event, InstanceKey, request_message
from fireline.services.exchange import feed_channel
from tests.services.exchange_network import (
    AT,
    Network,
    bank,
    count,
    entry_event,
    matched,
    pdq,
    signed,
)

# --- contributions that are refused ------------------------------------------------------


def contribution(net: Network, events: tuple[Event, ...], **fields: Any) -> bytes:
    values: dict[str, Any] = {
        "kind": BatchKind.CONTRIBUTION,
        "audience": net.hub.exchange.key.public_key,
    }
    values.update(fields)
    return signed(net.a.node.exchange.key, events, **values)


def a_uid(net: Network) -> str:
    return f"{net.a.node.exchange.key.fingerprint}:1"


def b_uid(net: Network) -> str:
    return f"{net.b.node.exchange.key.fingerprint}:1"


CONTRIBUTIONS: list[tuple[str, Callable[[Network], bytes], type[FirelineError], str]] = [
    (
        "someone-elses-entry",
        lambda n: contribution(n, (entry_event(a_uid(n)), entry_event(b_uid(n)))),
        InvalidInput,
        "not_contributors_entry",
    ),
    (
        "someone-elses-retraction",
        lambda n: contribution(n, (EntryRetracted(uid=b_uid(n), reason="", at=AT),)),
        InvalidInput,
        "not_contributors_entry",
    ),
    (
        "addressed-elsewhere",
        lambda n: contribution(
            n, (entry_event(a_uid(n)),), audience=InstanceKey.generate().public_key
        ),
        InvalidInput,
        "wrong_audience",
    ),
    (
        "addressed-to-nobody",
        lambda n: contribution(n, (entry_event(a_uid(n)),), audience=None),
        InvalidInput,
        "wrong_audience",
    ),
    (
        "a-feed",
        lambda n: contribution(n, (entry_event(a_uid(n)),), kind=BatchKind.FEED),
        InvalidInput,
        "wrong_channel",
    ),
    (
        "signed-by-b",
        lambda n: signed(
            n.b.node.exchange.key,
            (entry_event(b_uid(n)),),
            kind=BatchKind.CONTRIBUTION,
            audience=n.hub.exchange.key.public_key,
        ),
        Forbidden,
        "wrong_publisher",
    ),
    (
        "out-of-order",
        lambda n: contribution(n, (entry_event(a_uid(n)),), seq=2, prev="1" * 64),
        Conflict,
        "out_of_order",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "code"),
    [row[1:] for row in CONTRIBUTIONS],
    ids=[row[0] for row in CONTRIBUTIONS],
)
def test_a_refused_contribution_applies_nothing(
    net: Network, make: Callable[[Network], bytes], error: type[FirelineError], code: str
) -> None:
    with pytest.raises(error) as raised:
        net.hub.exchange.accept_contribution(peer=net.a.at_hub, bank="tvec", data=make(net))
    assert raised.value.code == code
    assert count(net.hub) == 0
    assert net.hub.store.exchange.head(feed_channel(net.hub.banks.get(name="tvec"))) is None
    value = pdq()
    bank(net.a.node, value)
    net.contribute(net.a)  # A's genuine seq 1 is still welcome
    assert [e.value for e in matched(net.hub, value)] == [value]


@pytest.mark.parametrize(
    ("bank_name", "sharing"),
    [("secret", SharingPolicy.PRIVATE), ("totals", SharingPolicy.AGGREGATE_ONLY), ("nope", None)],
)
def test_only_banks_shared_with_members_take_contributions_and_give_feeds(
    net: Network, bank_name: str, sharing: SharingPolicy | None
) -> None:
    if sharing is not None:
        net.hub.banks.create(name=bank_name, sharing=sharing)
    data = contribution(net, (entry_event(a_uid(net)),), bank=bank_name)
    with pytest.raises(NotFound) as raised:
        net.hub.exchange.accept_contribution(peer=net.a.at_hub, bank=bank_name, data=data)
    assert raised.value.code == "bank_not_found"
    with pytest.raises(NotFound):
        net.hub.exchange.feed(peer=net.a.at_hub, bank=bank_name, after=0)
    if sharing is not None:
        assert net.hub.banks.get(name=bank_name).entry_count == 0


def test_a_peer_that_is_not_a_member_is_forbidden(net: Network) -> None:
    outsider = InstanceKey.generate()
    peer = net.hub.exchange.add_peer(name="outsider", public_key=outsider.public_key)
    data = signed(
        outsider,
        (entry_event(f"{outsider.fingerprint}:1"),),
        kind=BatchKind.CONTRIBUTION,
        audience=net.hub.exchange.key.public_key,
    )
    with pytest.raises(Forbidden) as raised:
        net.hub.exchange.accept_contribution(peer=peer, bank="tvec", data=data)
    assert raised.value.code == "not_a_member"
    with pytest.raises(Forbidden) as raised:
        net.hub.exchange.feed(peer=peer, bank="tvec", after=0)
    assert raised.value.code == "not_a_member"
    assert count(net.hub) == 0


# --- who is talking ------------------------------------------------------------------------


def signed_request(key: InstanceKey, *, date: str, body: bytes = b"{}") -> dict[str, Any]:
    target = "/exchange/v1/banks/tvec/contributions"
    return {
        "public_key": key.public_key,
        "date": date,
        "signature": key.sign(request_message("POST", target, date, body)),
        "method": "POST",
        "target": target,
        "body": body,
    }


def now() -> str:
    return datetime.now(UTC).isoformat()


def test_a_signed_request_names_its_peer(net: Network) -> None:
    peer = net.hub.exchange.authenticate(**signed_request(net.a.node.exchange.key, date=now()))
    assert peer == net.a.at_hub


REQUESTS: list[tuple[str, Callable[[Network], dict[str, Any]], str]] = [
    ("unknown-key", lambda n: signed_request(InstanceKey.generate(), date=now()), "unknown_peer"),
    (
        "unsigned",
        lambda n: {**signed_request(n.a.node.exchange.key, date=now()), "signature": None},
        "unsigned_request",
    ),
    (
        "not-a-key",
        lambda n: {**signed_request(n.a.node.exchange.key, date=now()), "public_key": "x"},
        "unknown_peer",
    ),
    (
        "old-date",
        lambda n: signed_request(n.a.node.exchange.key, date="2020-01-01T00:00:00+00:00"),
        "stale_request",
    ),
    ("no-zone", lambda n: signed_request(n.a.node.exchange.key, date=now()[:19]), "stale_request"),
    (
        "other-body",
        lambda n: {**signed_request(n.a.node.exchange.key, date=now()), "body": b"{ }"},
        "bad_signature",
    ),
    (
        "signed-by-b-as-a",
        lambda n: {
            **signed_request(n.b.node.exchange.key, date=now()),
            "public_key": n.a.node.exchange.key.public_key,
        },
        "bad_signature",
    ),
]


@pytest.mark.parametrize(
    ("make", "code"), [row[1:] for row in REQUESTS], ids=[row[0] for row in REQUESTS]
)
def test_requests_that_do_not_prove_a_peer_are_unauthenticated(
    net: Network, make: Callable[[Network], dict[str, Any]], code: str
) -> None:
    with pytest.raises(Unauthenticated) as raised:
        net.hub.exchange.authenticate(**make(net))
    assert raised.value.code == code


def test_a_revoked_peer_is_no_longer_recognised(net: Network) -> None:
    net.hub.exchange.revoke_peer(name="A")
    with pytest.raises(Unauthenticated) as raised:
        net.hub.exchange.authenticate(**signed_request(net.a.node.exchange.key, date=now()))
    assert raised.value.code == "unknown_peer"
