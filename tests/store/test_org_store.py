"""The OrganisationStore contract, run identically on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from fireline.domain import Conflict, NotFound, Role
from fireline.store import Store
from fireline.store.sql import SqlStore, make_engine, upgrade
from fireline.store.sql.engine import writing


def test_a_fresh_store_has_no_organisations(store: Store) -> None:
    assert store.orgs.list_orgs() == []


def test_created_organisations_are_found_by_name_and_listed_by_name(store: Store) -> None:
    zeta = store.orgs.create_org(name="zeta", description="a hub")
    alpha = store.orgs.create_org(name="alpha", description="")
    assert (zeta.name, zeta.description) == ("zeta", "a hub")
    assert zeta.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - zeta.created_at) < timedelta(minutes=5)
    assert store.orgs.get_org("zeta") == zeta
    assert store.orgs.list_orgs() == [alpha, zeta]


def test_a_taken_name_is_a_conflict_and_changes_nothing(store: Store) -> None:
    first = store.orgs.create_org(name="acme", description="first")
    with pytest.raises(Conflict) as raised:
        store.orgs.create_org(name="acme", description="second")
    assert raised.value.code == "duplicate_org"
    assert store.orgs.list_orgs() == [first]


@pytest.mark.parametrize("name", ["nobody", "", "nul\x00", "\udc80"])
def test_an_unknown_organisation_is_not_found(store: Store, name: str) -> None:
    store.orgs.create_org(name="acme", description="")
    with pytest.raises(NotFound) as raised:
        store.orgs.get_org(name)
    assert raised.value.code == "org_not_found"


def test_the_migration_gives_existing_keys_an_organisation_named_local(
    database_url: str,
) -> None:
    # A database at 0002, with a key, as an instance upgraded from there has it.
    from alembic import command

    from fireline.store.sql.migrate import alembic_config

    engine = make_engine(database_url)
    try:
        with writing(engine) as conn:
            command.upgrade(alembic_config(conn), "0002")
            conn.execute(
                text(
                    "INSERT INTO api_keys (name, role, prefix, secret_hash, created_at) "
                    "VALUES ('old', 'matcher', 'flk_x', 'h-old', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()
    upgrade(database_url)
    store = SqlStore(database_url)
    try:
        (org,) = store.orgs.list_orgs()
        assert org.name == "local"
        (key,) = store.keys.list_keys()
        assert (key.name, key.role, key.org) == ("old", Role.MATCHER, "local")
    finally:
        store.close()


def test_a_fresh_migration_creates_no_organisation(sql_store: SqlStore) -> None:
    assert sql_store.orgs.list_orgs() == []
