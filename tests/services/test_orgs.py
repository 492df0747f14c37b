"""Organisations, the instance's own, and the aggregate figures observers see."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container, build
from fireline.domain import Conflict, InvalidInput, Signal
from fireline.services import instance_figures
from fireline.settings import Settings


def test_organisations_are_created_listed_and_recorded(container: Container) -> None:
    container.orgs.create(name="zeta", description="a hub", actor="cli:ann")
    container.orgs.create(name="acme")
    assert [(o.name, o.description) for o in container.orgs.all()] == [
        ("acme", ""),
        ("zeta", "a hub"),
    ]
    assert [(r.actor, r.action, r.subject) for r in container.audit.records()] == [
        ("cli:ann", "org.created", "org:zeta"),
        ("local", "org.created", "org:acme"),
    ]


@pytest.mark.parametrize("name", ["", "-lead", "has space", "x" * 65, "dé"])
def test_bad_names_are_refused(container: Container, name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        container.orgs.create(name=name)
    assert raised.value.code == "invalid_org_name"
    assert container.orgs.all() == [] and container.audit.records() == []


def test_a_taken_name_is_a_conflict(container: Container) -> None:
    container.orgs.create(name="acme")
    with pytest.raises(Conflict):
        container.orgs.create(name="acme")
    assert len(container.audit.records()) == 1


def test_the_instance_organisation_is_named_by_the_setting() -> None:
    built = build(Settings(database_url="memory://", org_name="hub.example"))
    try:
        assert built.keys.ensure_admin(configured=None)
        assert [o.name for o in built.orgs.all()] == ["hub.example"]
        assert built.keys.all()[0].org == "hub.example"
        assert built.banks.create(name="b").owner == "hub.example"
        assert built.orgs.ensure_instance().name == "hub.example"
        assert len(built.orgs.all()) == 1
    finally:
        built.close()


def test_figures_count_without_naming_anything(container: Container) -> None:
    container.orgs.create(name="acme")
    container.banks.create(name="a")
    value = "0" * 32
    container.banks.add_signals(
        bank="a", signals=[Signal("md5", value)], labels=["category:recruitment"]
    )
    figures = instance_figures(banks=container.store.banks, orgs=container.store.orgs)
    assert figures.organisations == 1
    assert figures.entries.banks == 1 and figures.entries.active_entries == 1
    assert figures.entries.active_by_category["recruitment"] == 1
    assert value not in repr(figures) and "'a'" not in repr(figures)
