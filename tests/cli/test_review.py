"""`fireline policy`, `fireline case` and `fireline appeal` on the command line."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

ME = f"cli:{getpass.getuser()}"


def test_policy_check_accepts_a_valid_file_and_show_prints_the_default(
    cli: Cli, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('negative_banks = ["benign"]\n[[rule]]\nname = "all"\nactions = ["review"]\n')
    assert cli.ok("policy", "check", policy).stdout.startswith(f"{policy}: valid, 1 rules")
    checked = cli.json_lines("policy", "check", policy, "--json")[0]
    assert checked["negative_banks"] == ["benign"] and checked["rules"][0]["name"] == "all"
    shown = json.loads(cli.ok("policy", "show").stdout)
    assert shown["default_actions"] == ["review"] and len(shown["rules"]) >= 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nname = "x"\nactions = ["delete"]\n', ':3: rule "x": unknown action "delete"'),
        ("[[rule]\n", ":1: "),
        ('exempt = ["vip"]\n', ":1: "),
    ],
)
def test_policy_check_names_the_line_and_exits_3(
    cli: Cli, tmp_path: Path, text: str, message: str
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(text)
    result = cli("policy", "check", policy)
    assert result.exit_code == 3
    assert f"{policy}{message}" in result.stderr


def test_a_missing_policy_file_exits_3(cli: Cli, tmp_path: Path) -> None:
    result = cli("policy", "check", tmp_path / "absent.toml")
    assert result.exit_code == 3 and "absent.toml" in result.stderr


def test_a_report_is_decided_appealed_and_restored(cli: Cli) -> None:
    opened = cli.ok(
        "case", "report", "--content-ref", "post-1", "--note", "violent",
        "--label", "category:perpetrator_livestream",
    )  # fmt: skip
    assert opened.stdout.startswith("case 1 opened (severity 5)")
    assert [c["id"] for c in cli.json_lines("case", "queue", "--json")] == [1]
    assert "post-1" in cli.ok("case", "list").stdout
    decided = cli.ok("case", "decide", "1", "--outcome", "remove", "--reason", "a copy")
    assert decided.stdout.strip() == "case 1: remove, content removed"
    assert cli("case", "decide", "1", "--outcome", "keep", "--reason", "x").exit_code == 5
    assert cli.ok("appeal", "file", "1", "--appellant", "user-1").stdout.startswith("appeal 1")
    own = cli("appeal", "decide", "1", "--uphold", "--reason", "news")
    assert own.exit_code == 6 and "own decision" in own.stderr
    cli.ok("appeal", "decide", "1", "--uphold", "--reason", "news", "--reviewer", "cli:other")
    shown = json.loads(cli.ok("case", "show", "1").stdout)
    assert shown["content_status"] == "restored"
    assert [d["reviewer"] for d in shown["decisions"]] == [ME, "cli:other"]
    assert [a["state"] for a in cli.json_lines("appeal", "list")] == ["upheld"]
    assert cli.ok("audit", "verify").stdout.startswith("audit log intact")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["case", "show", "99"], 4),
        (["case", "decide", "99", "--outcome", "remove", "--reason", "x"], 4),
        (["case", "decide", "1", "--outcome", "erase", "--reason", "x"], 2),
        (["case", "report", "--content-ref", ""], 3),
        (["case", "report", "--content-ref", "p", "--label", "category:nope"], 3),
        (["appeal", "decide", "99", "--reject", "--reason", "x"], 4),
    ],
)
def test_case_exit_codes(cli: Cli, args: list[str], expected: int) -> None:
    result = cli(*args)
    assert result.exit_code == expected, result.output
