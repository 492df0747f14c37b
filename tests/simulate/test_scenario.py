"""The replay's scenario: seeded, plausible, and refused when it cannot run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fireline.simulate import ReplayParams, build_scenario
from fireline.simulate.scenario import MAX_CHAIN, NESTING

SMALL = ReplayParams(members=4, hours=6, variants=40, benign_items=10, uploads=2_000)


def test_the_same_seed_plans_the_same_day() -> None:
    assert build_scenario(SMALL) == build_scenario(SMALL)


def test_another_seed_plans_another_day() -> None:
    other = build_scenario(replace(SMALL, seed=SMALL.seed + 1))
    assert other.uploads != build_scenario(SMALL).uploads


def test_variants_are_chains_of_edits_born_after_their_parents() -> None:
    scenario = build_scenario(SMALL)
    variants = [i for i in scenario.items.values() if i.tvec and i.key != "original"]
    assert len(variants) == SMALL.variants
    assert any(v.parent != "original" for v in variants), "no chains of edits"
    for variant in variants:
        assert variant.edits, variant
        assert variant.parent is not None
        assert scenario.items[variant.parent].born <= variant.born < SMALL.minutes
        chain = scenario.all_edits(variant.key)
        assert len(chain) <= MAX_CHAIN
        assert len(set(chain)) == len(chain)
        assert sum(e in NESTING for e in chain) <= 1
        assert scenario.chain(variant.key)[0].key == "original"


def test_uploads_are_of_items_already_made_on_known_members() -> None:
    scenario = build_scenario(SMALL)
    benign = [u for u in scenario.uploads if not scenario.items[u.item].tvec]
    assert abs(len(benign) / len(scenario.uploads) - SMALL.benign_share) < 0.05
    assert abs(len(scenario.uploads) - SMALL.uploads) < 0.1 * SMALL.uploads
    for upload in scenario.uploads:
        assert 0 <= upload.minute < SMALL.minutes
        assert 0 <= upload.member < SMALL.members
        assert scenario.items[upload.item].born <= upload.minute
    minutes = [u.minute for u in scenario.uploads]
    assert minutes == sorted(minutes)
    assert sum(len(v) for v in scenario.by_minute.values()) == len(scenario.uploads)


def test_benign_items_never_descend_from_the_stream() -> None:
    scenario = build_scenario(SMALL)
    for item in scenario.items.values():
        assert item.tvec == (item.base == "livestream")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"members": 1}, "members must be at least 2"),
        ({"hours": 0.5}, "beyond the incident's activation"),
        ({"benign_share": 1.0}, "benign_share"),
        ({"report_probability": 1.5}, "report_probability"),
        ({"uploads": 0}, "uploads >= 1"),
        ({"stream_seconds": 5}, "stream_seconds"),
        ({"report_delay": (10, 5)}, "report_delay"),
    ],
)
def test_a_replay_that_cannot_run_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_scenario(replace(SMALL, **change))  # type: ignore[arg-type]
