"""The Christchurch replay on a real hub and members: a hand-made day, replayed twice.

Each upload's fate is known from the edits (see tests/testing/test_edits.py): an excerpt
is a copy of the recording; a muted copy blurred, captioned and turned is a near miss
(its keypoints agree on too few frames: beyond the threshold, within the candidate
radius, so it is proposed, then accepted by a responder); a
second camera's recording of the same attack, muted, matches nothing until a user
reports it and its platform submits it; benign video never matches.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fireline.simulate import ReplayParams, simulate_christchurch
from fireline.simulate.catalogue import Catalogue, build_catalogue
from fireline.simulate.report import summarise, summary_lines
from fireline.simulate.scenario import Item, Scenario, Upload

PARAMS = ReplayParams(
    members=3,
    hours=0.25,
    stream_seconds=16,
    stream_minutes=1,
    declare_minute=2,
    approve_after=1,
    variants=3,
    benign_items=1,
    uploads=10,
    responder_every=1,
    responder_delay=1,
    report_probability=1.0,
    report_delay=(2, 2),
)


def _item(key: str, edits: tuple[str, ...], *, tvec: bool = True, seed: int = PARAMS.seed) -> Item:
    """An edit of the recording (``seed``: another recording, not an edit of it)."""
    return Item(
        key=key,
        tvec=tvec,
        base="livestream" if tvec else "benign",
        base_seed=seed if tvec else 99,
        parent="original" if tvec and edits and seed == PARAMS.seed else None,
        edits=edits,
        born=0,
        weight=1.0,
    )


ITEMS = {
    "original": _item("original", ()),
    "excerpt": _item("excerpt", ("excerpt",)),
    "tilted_cut": _item("tilted_cut", ("mute", "blur", "captions", "rotate")),
    "other_camera": _item("other_camera", ("mute",), seed=PARAMS.seed + 1),
    "benign": _item("benign", (), tvec=False),
}
# (minute, member, item, blocked): the day and what must happen to each upload.
DAY = [
    (1, 1, "original", False),  # before the incident: nothing to match yet
    (4, 2, "original", True),  # shared at activation (minute 3)
    (4, 0, "excerpt", True),
    (5, 1, "tilted_cut", False),  # a near miss: proposed; a responder accepts at minute 6
    (6, 2, "tilted_cut", True),
    (6, 0, "other_camera", False),  # matches nothing; reported, submitted at minute 8
    (10, 2, "other_camera", True),
    (10, 1, "benign", False),
    (12, 0, "benign", False),
]


def _scenario() -> Scenario:
    return Scenario.of(PARAMS, ITEMS, [Upload(m, member, item) for m, member, item, _ in DAY])


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return build_catalogue(_scenario(), workers=2)


def test_a_day_replays_the_same_twice_on_real_instances(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    result = simulate_christchurch(
        PARAMS, runs=2, catalogue=catalogue, scenario=_scenario(), out=tmp_path
    )

    assert result.agree, [s["digest"] for s in result.summaries]
    log = result.logs[0]
    assert [(o.minute, o.member, o.item, o.blocked) for o in log.outcomes] == DAY
    assert (log.declared_minute, log.activated_minute, log.first_hash_minute) == (2, 3, 3)
    assert log.reports == [(8, 0, "other_camera")]
    accepted = [v for v in log.hub_variants if v["state"] == "accepted"]
    assert len(accepted) == 1 and not accepted[0]["automatic"]
    assert catalogue.owner(_signals(accepted[0])) == "tilted_cut"
    assert [(d.minute, d.item, d.accepted) for d in log.decisions] == [(6, "tilted_cut", True)]

    summary = result.summaries[0]
    after = summary["reuploads"]["after_first_minute_of_sharing"]
    assert (after["attempts"], after["blocked"]) == (6, 4)
    assert summary["benign"] == {"uploads": 2, "blocked": 0, "items_blocked": []}
    assert summary["hub_tallies"]["agree"]
    assert summary["reuploads"]["missed_after_sharing"] == [
        {"item": "tilted_cut", "edits": ["mute", "blur", "captions", "rotate"], "misses": 1},
        {"item": "other_camera", "edits": ["mute"], "misses": 1},
    ]
    assert not summary["target"]["met"]  # 4 of 6 is below 99%
    assert any("4 of 6" in line for line in summary_lines(summary))
    assert (tmp_path / "replay.json").exists()
    debrief = (tmp_path / "debrief.html").read_text()
    assert "<svg" in debrief and catalogue.signals["original"][0].value not in debrief


def test_the_summary_counts_from_the_first_minute_after_sharing(catalogue: Catalogue) -> None:
    from fireline.simulate.replay import ReplayLog, UploadOutcome

    log = ReplayLog(
        outcomes=[
            UploadOutcome(3, 0, "original", True, False),  # the minute of sharing: not counted
            UploadOutcome(4, 0, "original", True, True),
            UploadOutcome(70, 1, "other_camera", True, False),
            UploadOutcome(71, 1, "benign", False, False),
        ],
        declared_minute=2,
        activated_minute=3,
        first_hash_minute=3,
    )
    summary = summarise(_scenario(), log)
    assert summary["reuploads"]["after_first_minute_of_sharing"] == {
        "attempts": 2,
        "blocked": 1,
        "fraction_blocked": 0.5,
    }
    per_hour = {row["hour"]: row for row in summary["reuploads"]["per_hour"]}
    assert per_hour[0]["attempts"] == 2 and per_hour[0]["attempts_counted"] == 1
    assert per_hour[1]["fraction_blocked"] == 0.0
    other = summarise(_scenario(), replace(log, outcomes=log.outcomes[:-1]))
    assert other["digest"] != summary["digest"]


def _signals(variant: dict[str, object]) -> list:  # type: ignore[type-arg]
    from fireline.domain import Signal

    return [Signal(s["signal_type"], s["value"], s["quality"]) for s in variant["signals"]]  # type: ignore[attr-defined,index]
