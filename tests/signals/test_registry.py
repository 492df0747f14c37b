"""The signal registry: built-ins and plugins both arrive through the entry point."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.domain import InvalidInput
from fireline.signals import ContentType, SignalRegistry, SignalType
from fireline.signals.digests import Md5Signal, Sha256Signal
from fireline.signals.pdq import PdqSignal

PLUGIN_GROUP = "fireline.signals.test_plugins"


def test_built_in_types_register_through_the_entry_point() -> None:
    registry = SignalRegistry.from_entry_points()
    assert {"md5", "pdq", "sha256"} <= set(registry.names())
    assert registry.get("pdq") is PdqSignal
    assert registry.names() == sorted(registry.names())


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (ContentType.PHOTO, [Md5Signal, PdqSignal, Sha256Signal]),
        (ContentType.FILE, [Md5Signal, Sha256Signal]),
    ],
)
def test_types_are_offered_for_their_content(
    content_type: ContentType, expected: list[type[SignalType]]
) -> None:
    registry = SignalRegistry([PdqSignal, Sha256Signal, Md5Signal])
    assert registry.for_content(content_type) == expected


@pytest.mark.parametrize(("name", "known"), [("pdq", True), ("md5", True), ("vpdq", False)])
def test_membership_by_name(name: str, known: bool) -> None:
    assert (name in SignalRegistry([PdqSignal, Md5Signal])) is known


def test_unknown_type_is_invalid_input_listing_known_ones() -> None:
    registry = SignalRegistry([PdqSignal, Md5Signal])
    with pytest.raises(InvalidInput) as caught:
        registry.get("photodna")
    assert caught.value.code == "unknown_signal_type"
    assert "md5, pdq" in caught.value.message


def test_two_types_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="two signal types are named 'pdq'"):
        SignalRegistry([PdqSignal, PdqSignal])


def test_an_empty_group_gives_an_empty_registry() -> None:
    assert SignalRegistry.from_entry_points(group="fireline.signals.nobody").names() == []


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path where a test installs a plugin distribution."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("fireline_test_plugin", None)


def install_plugin(root: Path, entry_points: str) -> None:
    """Lay out an installed distribution (dist-info and module) under ``root``."""
    dist_info = root / "fireline_test_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fireline-test-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(entry_points)
    (root / "fireline_test_plugin.py").write_text(PLUGIN_MODULE)


PLUGIN_MODULE = textwrap.dedent(
    """
    from fireline.signals.base import ContentType, IndexKind, SignalType


    class UrlSignal(SignalType):
        name = "test_url"
        content_types = frozenset({ContentType.FILE})
        index_kind = IndexKind.EXACT

        @classmethod
        def validate(cls, value):
            return value.strip()

        @classmethod
        def compare(cls, a, b):
            return 0 if a == b else 1


    def not_a_signal_type():
        return None
    """
)


def test_third_party_plugin_is_loaded_like_a_built_in(site_dir: Path) -> None:
    install_plugin(site_dir, f"[{PLUGIN_GROUP}]\ntest_url = fireline_test_plugin:UrlSignal\n")
    registry = SignalRegistry.from_entry_points(group=PLUGIN_GROUP)
    assert registry.names() == ["test_url"]
    assert registry.for_content(ContentType.FILE)[0].validate(" x ") == "x"


def test_entry_point_that_is_not_a_signal_type_is_refused(site_dir: Path) -> None:
    install_plugin(site_dir, f"[{PLUGIN_GROUP}]\nbroken = fireline_test_plugin:not_a_signal_type\n")
    with pytest.raises(TypeError, match="'broken' is not a SignalType subclass"):
        SignalRegistry.from_entry_points(group=PLUGIN_GROUP)
