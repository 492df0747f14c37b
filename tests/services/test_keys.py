"""API keys: secrets shown once, stored hashed; roles."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container
from fireline.domain import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Permission,
    Role,
    Unauthenticated,
)
from fireline.services.keys import hash_secret


def test_secret_is_stored_only_as_a_hash(container: Container) -> None:
    key, secret = container.keys.create(name="k", role=Role.MATCHER)
    assert secret.startswith("flk_") and len(secret) > 40
    assert container.store.keys.find_key(hash_secret(secret)) == key
    assert container.store.keys.find_key(secret) is None
    assert key.prefix == secret[:10]


@pytest.mark.parametrize("secret", [None, "", "flk_unknown"])
def test_unknown_secrets_are_unauthenticated(container: Container, secret: str | None) -> None:
    with pytest.raises(Unauthenticated):
        container.keys.authenticate(secret)


@pytest.mark.parametrize(
    ("holder", "needed", "allowed"),
    [
        (Role.ADMIN, Permission.ADMIN, True),
        (Role.ADMIN, Permission.MATCH, True),
        (Role.MATCHER, Permission.MATCH, True),
        (Role.MATCHER, Permission.READ_ENTRIES, False),
        (Role.CURATOR, Permission.CURATE, True),
        (Role.CURATOR, Permission.ADMIN, False),
        (Role.OBSERVER, Permission.READ_FIGURES, True),
        (Role.OBSERVER, Permission.READ_BANKS, False),
    ],
)
def test_permissions(container: Container, holder: Role, needed: Permission, allowed: bool) -> None:
    key, _ = container.keys.create(name="k", role=holder)
    if allowed:
        container.keys.require(key, needed)
    else:
        with pytest.raises(Forbidden) as raised:
            container.keys.require(key, needed)
        assert needed.value in raised.value.message and holder.value in raised.value.message


def test_a_key_without_an_organisation_belongs_to_the_instance(container: Container) -> None:
    assert container.orgs.all() == []
    key, _ = container.keys.create(name="k", role=Role.MATCHER)
    assert key.org == container.settings.org_name == "local"
    assert [o.name for o in container.orgs.all()] == ["local"]
    again, _ = container.keys.create(name="k2", role=Role.MATCHER)
    assert again.org == "local" and len(container.orgs.all()) == 1


def test_a_key_of_another_organisation(container: Container) -> None:
    container.orgs.create(name="acme")
    key, secret = container.keys.create(name="k", role=Role.CURATOR, org="acme")
    assert key.org == "acme"
    assert container.keys.authenticate(secret).org == "acme"
    assert key.actor == "key:k@acme"


def test_a_key_of_an_unknown_organisation_is_not_found(container: Container) -> None:
    with pytest.raises(NotFound) as raised:
        container.keys.create(name="k", role=Role.CURATOR, org="nobody")
    assert raised.value.code == "org_not_found"
    assert container.keys.all() == []


def test_key_changes_are_audited_once(container: Container) -> None:
    key, _ = container.keys.create(name="k", role=Role.AUDITOR, actor="cli:ann")
    container.keys.revoke(key_id=key.id, actor="cli:bob")
    container.keys.revoke(key_id=key.id, actor="cli:bob")  # already revoked: nothing new
    records = [(r.actor, r.action, r.subject) for r in container.audit.records()]
    assert records == [
        ("cli:ann", "org.created", "org:local"),
        ("cli:ann", "key.created", f"key:{key.id}"),
        ("cli:bob", "key.revoked", f"key:{key.id}"),
    ]
    assert container.audit.records()[1].detail == {
        "name": "k",
        "role": "auditor",
        "org": "local",
    }


def test_first_run_creates_one_admin_key(container: Container) -> None:
    secret = container.keys.ensure_admin(configured=None)
    assert secret and container.keys.authenticate(secret).role is Role.ADMIN
    assert container.keys.ensure_admin(configured=None) is None


def test_configured_admin_key_is_installed_once(container: Container) -> None:
    configured = "x" * 40
    assert container.keys.ensure_admin(configured=configured) is None
    assert container.keys.ensure_admin(configured=configured) is None
    assert container.keys.authenticate(configured).role is Role.ADMIN
    assert len(container.keys.all()) == 1


def test_a_revoked_configured_admin_key_stays_revoked(container: Container) -> None:
    configured = "x" * 40
    container.keys.ensure_admin(configured=configured)
    container.keys.revoke(key_id=container.keys.authenticate(configured).id)
    with pytest.raises(Conflict) as raised:
        container.keys.ensure_admin(configured=configured)
    assert raised.value.code == "revoked_admin_key"
    assert "FIRELINE_ADMIN_KEY" in raised.value.message
    with pytest.raises(Unauthenticated):
        container.keys.authenticate(configured)
    assert len(container.keys.all()) == 1


def test_weak_chosen_secret_is_refused(container: Container) -> None:
    with pytest.raises(InvalidInput):
        container.keys.create(name="k", role=Role.ADMIN, secret="short")
