"""The ExchangeStore contract on memory, SQLite and PostgreSQL: identity, peers,
subscriptions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fireline.domain import Conflict, NotFound
from fireline.store import Store
from tests.store.exchange_support import KEY_A, KEY_B, add_peer, make_bank

# --- identity and peers ------------------------------------------------------------------


def test_the_identity_is_saved_once(store: Store) -> None:
    assert store.exchange.identity() is None
    first, second = b"\x01" * 32, b"\x02" * 32
    assert store.exchange.save_identity(first) == first
    assert store.exchange.save_identity(second) == first
    assert store.exchange.identity() == first


def test_a_peer_keeps_every_field(store: Store) -> None:
    peer = add_peer(store, url="http://127.0.0.1:1", member=True, fingerprint="0123456789abcdef")
    assert (peer.name, peer.public_key, peer.fingerprint, peer.url, peer.member) == (
        "hub",
        KEY_A,
        "0123456789abcdef",
        "http://127.0.0.1:1",
        True,
    )
    assert peer.active and peer.revoked_at is None and peer.created_at.tzinfo is not None
    assert store.exchange.get_peer("hub") == peer
    assert store.exchange.peer_by_key(KEY_A) == peer
    assert store.exchange.peer_by_key(KEY_B) is None


@pytest.mark.parametrize(
    ("name", "key"), [("hub", KEY_B), ("other", KEY_A)], ids=["same-name", "same-key"]
)
def test_a_duplicate_peer_is_a_conflict(store: Store, name: str, key: str) -> None:
    first = add_peer(store)
    with pytest.raises(Conflict) as raised:
        add_peer(store, name, key)
    assert raised.value.code == "duplicate_peer"
    assert store.exchange.list_peers() == [first]


def test_peers_are_listed_by_name_and_updated(store: Store) -> None:
    add_peer(store, "zeta", KEY_A)
    add_peer(store, "alpha", KEY_B)
    assert [p.name for p in store.exchange.list_peers()] == ["alpha", "zeta"]
    updated = store.exchange.update_peer("zeta", url="http://10.0.0.1", member=True)
    assert (updated.url, updated.member) == ("http://10.0.0.1", True)
    kept = store.exchange.update_peer("zeta", url=None, member=None)
    assert kept == updated == store.exchange.get_peer("zeta")
    assert store.exchange.update_peer("zeta", url=None, member=False).member is False


def test_revoking_a_peer_keeps_it_inactive(store: Store) -> None:
    add_peer(store)
    revoked = store.exchange.revoke_peer("hub")
    assert not revoked.active and revoked.revoked_at is not None
    assert store.exchange.revoke_peer("hub") == revoked  # again: the first time stays
    assert store.exchange.peer_by_key(KEY_A) == revoked


UNKNOWN_PEER_CALLS: list[tuple[str, Callable[[Store], object]]] = [
    ("get", lambda s: s.exchange.get_peer("nobody")),
    ("update", lambda s: s.exchange.update_peer("nobody", url="http://x", member=True)),
    ("revoke", lambda s: s.exchange.revoke_peer("nobody")),
    (
        "subscribe",
        lambda s: s.exchange.add_subscription(peer="nobody", remote_bank="t", bank="tvec"),
    ),
]


@pytest.mark.parametrize(
    "call", [c for _, c in UNKNOWN_PEER_CALLS], ids=[n for n, _ in UNKNOWN_PEER_CALLS]
)
def test_an_unknown_peer_is_not_found(store: Store, call: Callable[[Store], object]) -> None:
    make_bank(store)
    with pytest.raises(NotFound) as raised:
        call(store)
    assert raised.value.code == "peer_not_found"
    assert store.exchange.list_peers() == [] and store.exchange.list_subscriptions() == []


# --- subscriptions -----------------------------------------------------------------------


def test_a_subscription_links_a_peer_bank_to_a_local_bank(store: Store) -> None:
    make_bank(store, "local")
    add_peer(store)
    sub = store.exchange.add_subscription(peer="hub", remote_bank="tvec", bank="local")
    assert (sub.peer, sub.remote_bank, sub.bank) == ("hub", "tvec", "local")
    assert (sub.last_synced_at, sub.last_error) == (None, None)
    assert store.exchange.get_subscription(sub.id) == sub
    assert store.exchange.list_subscriptions() == [sub]


@pytest.mark.parametrize(
    ("peer", "bank", "error", "code"),
    [
        ("hub", "missing", NotFound, "bank_not_found"),
        ("nobody", "local", NotFound, "peer_not_found"),
        ("hub", "local", Conflict, "duplicate_subscription"),
    ],
    ids=["unknown-bank", "unknown-peer", "duplicate"],
)
def test_bad_subscriptions_are_refused(
    store: Store, peer: str, bank: str, error: type[Exception], code: str
) -> None:
    make_bank(store, "local")
    add_peer(store)
    first = store.exchange.add_subscription(peer="hub", remote_bank="tvec", bank="local")
    with pytest.raises(error) as raised:
        store.exchange.add_subscription(peer=peer, remote_bank="tvec", bank=bank)
    assert raised.value.code == code  # type: ignore[attr-defined]
    assert store.exchange.list_subscriptions() == [first]


@pytest.mark.parametrize("subscription_id", [0, 2, -1, 2**70])
def test_an_unknown_subscription_is_not_found(store: Store, subscription_id: int) -> None:
    make_bank(store)
    add_peer(store)
    store.exchange.add_subscription(peer="hub", remote_bank="tvec", bank="tvec")
    with pytest.raises(NotFound) as raised:
        store.exchange.get_subscription(subscription_id)
    assert raised.value.code == "subscription_not_found"


def test_record_sync_keeps_the_last_error_until_a_success(store: Store) -> None:
    make_bank(store)
    add_peer(store)
    sub = store.exchange.add_subscription(peer="hub", remote_bank="tvec", bank="tvec")
    store.exchange.record_sync(sub.id, error="bad_signature: no")
    failed = store.exchange.get_subscription(sub.id)
    assert (failed.last_error, failed.last_synced_at) == ("bad_signature: no", None)
    store.exchange.record_sync(sub.id, error=None)
    synced = store.exchange.get_subscription(sub.id)
    assert synced.last_error is None and synced.last_synced_at is not None
