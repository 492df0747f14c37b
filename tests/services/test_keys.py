"""API keys: secrets shown once, stored hashed; roles."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container
from fireline.domain import Conflict, Forbidden, InvalidInput, Role, Unauthenticated
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
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.MATCHER, True),
        (Role.MATCHER, Role.MATCHER, True),
        (Role.MATCHER, Role.ADMIN, False),
    ],
)
def test_roles(container: Container, holder: Role, needed: Role, allowed: bool) -> None:
    key, _ = container.keys.create(name="k", role=holder)
    if allowed:
        container.keys.require(key, needed)
    else:
        with pytest.raises(Forbidden):
            container.keys.require(key, needed)


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
