"""`fireline simulate christchurch`: a replay that cannot run is refused; a small one runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

#: A tiny day: 2 members, an hour, a handful of items and uploads.
TINY = [
    "--members", "2", "--hours", "1", "--variants", "3", "--benign-items", "1",
    "--uploads", "60", "--stream-seconds", "12", "--declare-minute", "4",
    "--approve-after", "1", "--quiet",
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--members", "1"], "members must be at least 2"),
        (["--benign-share", "1"], "benign_share"),
        (["--hours", "0.05"], "beyond the incident's activation"),
    ],
)
def test_a_replay_that_cannot_run_exits_3(cli: Cli, args: list[str], message: str) -> None:
    result = cli("simulate", "christchurch", *args)
    assert result.exit_code == 3
    assert message in result.output


def test_a_small_replay_prints_its_figures_and_writes_its_report(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "replay"
    result = cli.ok("simulate", "christchurch", *TINY, "--out", out)
    assert "declared at minute 4, active at minute 5" in result.stdout
    assert "benign uploads:" in result.stdout and "target" in result.stdout
    report = json.loads((out / "replay.json").read_text())
    assert report["format"] == "fireline.replay/1"
    summary = report["summary"]
    assert summary["minutes"]["first_hash"] == 5
    assert summary["benign"]["blocked"] == 0
    assert summary["hub_tallies"]["agree"]
    assert (out / "debrief.html").read_text().startswith("<!doctype html>")
