"""The ApiKeyStore contract, run identically on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fireline.domain import Conflict, NotFound, Role
from fireline.store import Store

#: The organisation every key here belongs to.
ORG = "acme"


@pytest.fixture(autouse=True)
def _org(store: Store) -> None:
    store.orgs.create_org(name=ORG, description="")


def test_created_keys_are_found_by_their_secret_hash(store: Store) -> None:
    admin = store.keys.create_key(
        org=ORG, name="ops", role=Role.ADMIN, prefix="fl_abc", secret_hash="h1"
    )
    matcher = store.keys.create_key(
        org=ORG, name="uploads", role=Role.MATCHER, prefix="fl_def", secret_hash="h2"
    )
    assert (admin.name, admin.role, admin.org, admin.prefix, admin.revoked_at) == (
        "ops",
        Role.ADMIN,
        ORG,
        "fl_abc",
        None,
    )
    assert admin.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - admin.created_at) < timedelta(minutes=5)
    assert store.keys.find_key("h1") == admin
    assert store.keys.find_key("h2") == matcher
    assert store.keys.find_key("unknown") is None


@pytest.mark.parametrize("role", list(Role))
def test_every_role_round_trips(store: Store, role: Role) -> None:
    key = store.keys.create_key(org=ORG, name="k", role=role, prefix="p", secret_hash="h")
    found = store.keys.find_key("h")
    assert found is not None and found.role is role
    assert found == key


def test_list_keys_includes_revoked_keys_in_creation_order(store: Store) -> None:
    assert store.keys.list_keys() == []
    first = store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    second = store.keys.create_key(
        org=ORG, name="b", role=Role.MATCHER, prefix="p", secret_hash="h2"
    )
    revoked = store.keys.revoke_key(first.id)
    assert store.keys.list_keys() == [revoked, second]


def test_a_revoked_key_is_no_longer_found(store: Store) -> None:
    key = store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    revoked = store.keys.revoke_key(key.id)
    assert revoked.revoked_at is not None and revoked.revoked_at.tzinfo is not None
    assert (revoked.id, revoked.name, revoked.created_at) == (key.id, key.name, key.created_at)
    assert store.keys.find_key("h1") is None


def test_revoking_twice_keeps_the_first_revocation(store: Store) -> None:
    key = store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    first = store.keys.revoke_key(key.id)
    assert store.keys.revoke_key(key.id) == first


@pytest.mark.parametrize("key_id", [999, 0, -1, 2**31, 2**63, 2**70])
def test_revoking_an_unknown_key_is_not_found(store: Store, key_id: int) -> None:
    store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    with pytest.raises(NotFound) as raised:
        store.keys.revoke_key(key_id)
    assert raised.value.code == "key_not_found"
    assert [k.revoked_at for k in store.keys.list_keys()] == [None]


def test_a_secret_hash_is_stored_once_even_after_revocation(store: Store) -> None:
    key = store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    store.keys.revoke_key(key.id)
    with pytest.raises(Conflict) as raised:
        store.keys.create_key(org=ORG, name="b", role=Role.ADMIN, prefix="p", secret_hash="h1")
    assert raised.value.code == "duplicate_key"
    assert store.keys.find_key("h1") is None
    assert len(store.keys.list_keys()) == 1


@pytest.mark.parametrize("org", ["nobody", "", "bad\x00name", "\ud800"])
def test_a_key_of_an_unknown_organisation_is_not_found(store: Store, org: str) -> None:
    with pytest.raises(NotFound) as raised:
        store.keys.create_key(name="k", role=Role.ADMIN, org=org, prefix="p", secret_hash="h1")
    assert raised.value.code == "org_not_found"
    assert store.keys.list_keys() == []


def test_keys_of_several_organisations_carry_their_names(store: Store) -> None:
    store.orgs.create_org(name="other", description="")
    mine = store.keys.create_key(org=ORG, name="a", role=Role.ADMIN, prefix="p", secret_hash="h1")
    theirs = store.keys.create_key(
        org="other", name="a", role=Role.MATCHER, prefix="p", secret_hash="h2"
    )
    assert [(k.id, k.org) for k in store.keys.list_keys()] == [(mine.id, ORG), (theirs.id, "other")]
    found = store.keys.find_key("h2")
    assert found is not None and found.org == "other"
