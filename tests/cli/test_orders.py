"""`fireline order` and `fireline notice` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

RECEIVE = (
    "order", "receive", "--authority", "BKA", "--reference", "TCO-1",
    "--content-ref", "post-1", "--reason", "glorifies an attack", "--uploader", "user-1",
)  # fmt: skip


def test_an_order_is_received_complied_with_held_and_purged(cli: Cli, tmp_path: Path) -> None:
    media = tmp_path / "evidence.png"
    media.write_bytes(b"\x89PNG\r\n\x1a\n synthetic")
    received = cli.ok(*RECEIVE, "--withhold-notice-days", "3", "--media", media)
    assert received.stdout.startswith("order 1 received: due ") and "case 1" in received.stdout
    assert "TCO-1" in cli.ok("order", "list").stdout
    assert [o["state"] for o in cli.json_lines("order", "list", "--json")] == ["received"]
    assert cli(*RECEIVE).exit_code == 5  # the same order twice
    complied = cli.ok("order", "comply", "1", "--confirmation", "removed at once")
    assert "within the deadline" in complied.stdout
    assert cli("order", "comply", "1", "--confirmation", "again").exit_code == 5
    shown = json.loads(cli.ok("order", "show", "1").stdout)
    assert shown["state"] == "complied" and shown["holds"][0]["has_media"] is True
    assert [n["withheld"] for n in cli.json_lines("notice", "list")] == [True]
    assert cli.json_lines("notice", "list", "--ready") == []
    (hold,) = cli.json_lines("order", "holds")
    extended = cli.ok(
        "order", "extend", str(hold["id"]), "--until", "2099-01-01T00:00:00+00:00",
        "--reason", "proceedings",
    )  # fmt: skip
    assert "2099-01-01" in extended.stdout
    assert cli.ok("order", "purge").stdout.strip() == "0 holds purged"
    # The order's hold already keeps the case's evidence.
    assert cli.ok("order", "preserve", "1").stdout.startswith("hold 1: case 1 kept until 2099")
    refused = cli("order", "release", str(hold["id"]), "--reason", "not needed")
    assert refused.exit_code == 5  # an order's evidence is kept its whole period
    cli.ok("case", "report", "--content-ref", "post-2")
    assert cli.ok("order", "preserve", "2").stdout.startswith("hold 2: case 2 kept until")
    assert cli.ok("order", "release", "2", "--reason", "not needed").stdout == "hold 2: released\n"
    assert [h["state"] for h in cli.json_lines("order", "holds", "--state", "released")] == [
        "released"
    ]
    sent = cli.ok(
        "notice", "send", "--kind", "restored", "--content-ref", "post-1",
        "--reason", "restored", "--case", "1",
    )  # fmt: skip
    assert sent.stdout.strip() == "notice 2 recorded"
    assert cli.ok("audit", "verify").stdout.startswith("audit log intact")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["order", "show", "9"], 4),
        (["order", "comply", "9", "--confirmation", "x"], 4),
        (["order", "refuse", "1", "--state", "complied", "--justification", "x"], 3),
        (["order", "refuse", "1", "--state", "lost", "--justification", "x"], 2),
        (["order", "extend", "1", "--until", "tomorrow", "--reason", "x"], 3),
        (["order", "release", "9", "--reason", "x"], 4),
        (["order", "release", "9", "--reason", " "], 3),
        (["order", "receive", "--authority", "", "--reference", "r", "--content-ref", "c",
          "--reason", "x"], 3),
        (["notice", "send", "--kind", "removed", "--content-ref", "c", "--reason", "r"], 3),
    ],
)  # fmt: skip
def test_order_exit_codes(cli: Cli, args: list[str], expected: int) -> None:
    cli.ok(*RECEIVE)
    result = cli(*args)
    assert result.exit_code == expected, result.output


def test_a_proceeding_is_brought_and_decided_reinstating_the_content(cli: Cli) -> None:
    cli.ok(*RECEIVE, "--received-at", "2026-03-15T14:00:00+00:00")
    cli.ok("order", "comply", "1", "--confirmation", "removed")
    brought = cli.ok(
        "order", "proceeding", "1", "--party", "hosting_provider",
        "--body", "Verwaltungsgericht Wiesbaden", "--reference", "6 K 17/26",
        "--brought-at", "2026-03-20T09:00:00+00:00",
    )  # fmt: skip
    assert brought.stdout == "proceeding 1 brought against order 1 by the hosting_provider\n"
    decided = cli.ok("order", "decide-proceeding", "1", "--outcome", "annulled", "--reinstate")
    assert decided.stdout == "proceeding 1: order annulled, content reinstated\n"
    (shown,) = cli.json_lines("order", "proceedings", "1")
    assert (shown["state"], shown["outcome"], shown["reinstatement_required"]) == (
        "decided",
        "annulled",
        True,
    )
    assert shown["brought_at"].startswith("2026-03-20T09:00:00")
    assert json.loads(cli.ok("order", "show", "1").stdout)["proceedings"] == [shown]
    case = json.loads(cli.ok("case", "show", "1").stdout)
    assert case["content_status"] == "restored"
    again = cli("order", "decide-proceeding", "1", "--outcome", "upheld")
    assert again.exit_code == 5 and "already decided" in again.output
    assert cli.ok("audit", "verify").stdout.startswith("audit log intact")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["order", "proceeding", "9", "--party", "content_provider", "--body", "b",
          "--reference", "r"], 4),
        (["order", "proceeding", "1", "--party", "me", "--body", "b", "--reference", "r"], 2),
        (["order", "proceeding", "1", "--party", "content_provider", "--body", " ",
          "--reference", "r"], 3),
        (["order", "proceeding", "1", "--party", "content_provider", "--body", "b",
          "--reference", "r", "--brought-at", "2026-03-20T09:00:00"], 3),
        (["order", "proceedings", "9"], 4),
        (["order", "decide-proceeding", "9", "--outcome", "annulled"], 4),
        (["order", "decide-proceeding", "1", "--outcome", "quashed"], 2),
        (["order", "decide-proceeding", "1", "--outcome", "upheld", "--reinstate"], 3),
        (["order", "decide-proceeding", "1", "--outcome", "annulled",
          "--decided-at", "2026-01-01T00:00:00+00:00"], 3),
        # The order was refused: its content was never removed.
        (["order", "decide-proceeding", "1", "--outcome", "varied", "--reinstate"], 5),
    ],
)  # fmt: skip
def test_proceeding_exit_codes(cli: Cli, args: list[str], expected: int) -> None:
    cli.ok(*RECEIVE)
    cli.ok("order", "refuse", "1", "--state", "refused", "--justification", "manifest error")
    cli.ok(
        "order", "proceeding", "1", "--party", "content_provider", "--body", "court",
        "--reference", "ref-1",
    )  # fmt: skip
    result = cli(*args)
    assert result.exit_code == expected, result.output
    (pending,) = cli.json_lines("order", "proceedings", "1")
    assert pending["state"] == "pending"
