"""`fireline incident`: declare, approve to the quorum, share, harvest variants, debrief."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, PhotoFactory

PDQ = "f" * 32 + "0" * 32
VARIANT = "0f" * 32
#: One bit away from VARIANT: near-identical, so proposing it folds into VARIANT's.
NEAR_VARIANT = "1f" + "0f" * 31
UNRELATED = "5a" * 32


@pytest.fixture
def quorum_of(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Any:
    """Set FIRELINE_INCIDENT_QUORUM and create the member organisation `other`."""

    def set_quorum(quorum: int) -> None:
        monkeypatch.setenv("FIRELINE_INCIDENT_QUORUM", str(quorum))

    cli.ok("org", "create", "other")
    return set_quorum


def one(cli: Cli, *args: str | Path) -> dict[str, Any]:
    result = cli.ok(*args, "--json")
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def declare(cli: Cli, activation: str = "perpetrator_content") -> dict[str, Any]:
    return one(cli, "incident", "declare", "Attack at the market", "--activation", activation)


def active_incident(cli: Cli) -> int:
    incident_id: int = declare(cli)["id"]
    cli.ok("incident", "approve", str(incident_id), "--org", "other")
    return incident_id


def audit_count(cli: Cli) -> int:
    return len(cli.json_lines("audit", "list", "--json", "--limit", "1000"))


def test_an_incident_from_declaration_to_debrief(
    cli: Cli, quorum_of: Any, photo: PhotoFactory, tmp_path: Path
) -> None:
    quorum_of(2)
    declared = one(
        cli,
        "incident",
        "declare",
        "Attack at the market",
        "--activation",
        "perpetrator_content",
        "--location",
        "Springfield",
        "--summary",
        "A livestream of the attack is being re-uploaded.",
    )
    incident = str(declared["id"])
    assert (declared["state"], declared["quorum"], declared["bank"]) == ("proposed", 2, None)
    assert [a["org"] for a in declared["approvals"]] == ["local"]

    # One member alone cannot activate it; a second member's approval (by phone) does.
    approved = one(cli, "incident", "approve", incident, "--org", "other")
    assert approved["state"] == "active"
    assert [a["org"] for a in approved["approvals"]] == ["local", "other"]
    bank = approved["bank"]
    assert bank == f"incident-{incident}"

    # Hashes submitted are banked in the incident's bank, and match at once.
    upload = photo(1)
    submitted = cli.json_lines(
        "incident", "submit", incident, upload, "--signal", f"pdq:{PDQ}", "--json"
    )
    assert [s["source"] for s in submitted] == [str(upload), "--signal"]
    hashes = {e["value"] for s in submitted for e in s["added"]}
    assert len(hashes) == 4  # the photo's pdq, md5, sha256, and the raw pdq
    assert {tuple(e["labels"]) for s in submitted for e in s["added"]} == {
        (
            "basis:crisis_incident",
            "category:perpetrator_livestream",
            f"entity:incident-{incident}",
        )
    }
    matched = cli("match", "--json", upload, "--signal", f"pdq:{PDQ}")
    assert matched.exit_code == 1, matched.output
    for line in matched.stdout.splitlines():
        record = json.loads(line)
        assert record["matched"] and {m["bank"] for m in record["matches"]} == {bank}

    # Variants: proposed by a responder, folded when near-identical, accepted or rejected.
    proposed = one(cli, "incident", "propose", incident, "--signal", f"pdq:{VARIANT}")
    assert proposed["outcome"] == "proposed"
    variant = proposed["variant"]["id"]
    folded = one(
        cli, "incident", "propose", incident, "--signal", f"pdq:{NEAR_VARIANT}", "--org", "other"
    )
    assert (folded["outcome"], folded["variant"]["id"]) == ("folded", variant)
    assert folded["variant"]["orgs"] == ["local", "other"]
    assert cli("match", "--signal", f"pdq:{VARIANT}", "--bank", bank).exit_code == 0
    accepted = one(cli, "incident", "accept", str(variant), "--reason", "same footage, cropped")
    assert (accepted["state"], accepted["automatic"]) == ("accepted", False)
    assert cli("match", "--signal", f"pdq:{VARIANT}", "--bank", bank).exit_code == 1
    unrelated = one(cli, "incident", "propose", incident, "--signal", f"pdq:{UNRELATED}")
    rejected = one(cli, "incident", "reject", str(unrelated["variant"]["id"]), "--reason", "news")
    assert (rejected["state"], rejected["reason"]) == ("rejected", "news")
    listed = cli.json_lines("incident", "variants", incident, "--json")
    assert [(v["id"], v["state"], v["proposals"]) for v in listed] == [
        (variant, "accepted", 2),
        (rejected["id"], "rejected", 1),
    ]
    assert [
        v["id"]
        for v in cli.json_lines("incident", "variants", incident, "--state", "rejected", "--json")
    ] == [rejected["id"]]
    assert "accepted" in cli.ok("incident", "variants", incident).stdout

    # The live view counts what this instance matched, and what is banked.
    live = one(cli, "incident", "live", incident)
    figures = live["figures"]
    assert figures["entries"] == 5
    assert figures["variants"] == {"proposed": 0, "accepted": 1, "rejected": 1}
    assert figures["matched"] >= 2 and figures["blocked"] >= 2
    assert [m["org"] for m in live["members"]] == ["local"]
    assert figures["seconds_to_activation"] >= 0 and figures["seconds_to_first_hash"] >= 0
    screen = cli.ok("incident", "live", incident).stdout
    assert "Members" in screen and "local" in screen
    shown = one(cli, "incident", "show", incident)
    assert shown["incident"]["location"] == "Springfield" and shown["figures"] == figures
    assert "Springfield" in cli.ok("incident", "show", incident).stdout

    # Monitoring, back to active, an update, then the conclusion.
    assert (
        one(cli, "incident", "state", incident, "monitoring", "--note", "calmer")["state"]
        == "monitoring"
    )
    assert one(cli, "incident", "state", incident, "active")["state"] == "active"
    updated = one(
        cli, "incident", "update", incident, "--title", "Attack at the Springfield market"
    )
    assert updated["title"] == "Attack at the Springfield market"
    assert one(cli, "incident", "conclude", incident, "--note", "contained")["state"] == "concluded"

    kinds = [e["kind"] for e in cli.json_lines("incident", "timeline", incident, "--json")]
    assert kinds == [
        "declared",
        "approved",
        "approved",
        "activated",
        "hashes_submitted",  # the photo's
        "hashes_submitted",  # the raw signal
        "variant_proposed",
        "variant_accepted",
        "variant_proposed",
        "variant_rejected",
        "state_changed",
        "state_changed",
        "updated",
        "concluded",
    ]
    assert "hashes_submitted" in cli.ok("incident", "timeline", incident).stdout

    # The debrief: two files, the title in the page, no hash value anywhere.
    out = tmp_path / "reports"
    out.mkdir()
    written = cli.ok("incident", "report", incident, "--out", out).stdout.split()
    html, report = (
        out / f"incident-{incident}-debrief.html",
        out / f"incident-{incident}-debrief.json",
    )
    assert written == [str(html), str(report)]
    assert sorted(os.listdir(out)) == sorted([html.name, report.name])
    page, document = html.read_text(), report.read_text()
    assert "Attack at the Springfield market" in page
    assert json.loads(document)["figures"]["entries"] == 5
    for value in (*hashes, VARIANT, NEAR_VARIANT, UNRELATED):
        assert value not in page and value not in document
    debriefed = cli.json_lines("incident", "list", "--state", "debriefed", "--json")
    assert [i["id"] for i in debriefed] == [declared["id"]]


def test_the_public_debrief_names_no_organisation(cli: Cli, quorum_of: Any, tmp_path: Path) -> None:
    quorum_of(2)
    cli.ok("org", "create", "zephyr-platform")
    incident = str(declare(cli)["id"])
    cli.ok("incident", "approve", incident, "--org", "zephyr-platform")
    cli.ok("incident", "report", incident, "--out", tmp_path, "--audience", "public")
    document = json.loads((tmp_path / f"incident-{incident}-debrief.json").read_text())
    assert document["audience"] == "public" and document["interim"] is True
    text = json.dumps(document) + (tmp_path / f"incident-{incident}-debrief.html").read_text()
    assert "zephyr" not in text and "local" not in text
    assert [a["org"] for a in document["incident"]["approvals"]] == ["member 1", "member 2"]
    # An interim report leaves the incident as it was.
    assert one(cli, "incident", "show", incident)["incident"]["state"] == "active"


def test_a_report_that_cannot_be_written_leaves_no_file(
    cli: Cli, quorum_of: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quorum_of(1)
    incident = str(declare(cli)["id"])
    out = tmp_path / "reports"
    out.mkdir()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = cli("incident", "report", incident, "--out", out)
    assert result.exit_code == 3
    assert "cannot be written" in result.stderr
    assert os.listdir(out) == []


def test_a_report_into_a_missing_directory_changes_nothing(
    cli: Cli, quorum_of: Any, tmp_path: Path
) -> None:
    quorum_of(1)
    incident = str(declare(cli)["id"])
    cli.ok("incident", "conclude", incident)
    result = cli("incident", "report", incident, "--out", tmp_path / "missing")
    assert result.exit_code == 3
    assert one(cli, "incident", "show", incident)["incident"]["state"] == "concluded"


def test_lists_and_states(cli: Cli, quorum_of: Any) -> None:
    quorum_of(2)
    assert "no incidents yet" in cli.ok("incident", "list").stdout
    first = active_incident(cli)
    second = declare(cli, "awareness")["id"]
    by_state = {
        state: [i["id"] for i in cli.json_lines("incident", "list", "--state", state, "--json")]
        for state in ("active", "proposed")
    }
    assert by_state == {"active": [first], "proposed": [second]}
    both = cli.json_lines("incident", "list", "--state", "active", "--state", "proposed", "--json")
    assert sorted(i["id"] for i in both) == [first, second]
    table = cli.ok("incident", "list").stdout
    assert "Attack at the market" in table and "awareness" in table and "1 of 2" in table


def test_the_cli_acts_for_the_instance_org_created_on_first_use(cli: Cli, quorum_of: Any) -> None:
    quorum_of(2)
    assert [o["name"] for o in cli.json_lines("org", "list", "--json")] == ["other"]
    declared = one(
        cli, "incident", "declare", "Attack", "--activation", "content", "--org", "other"
    )
    assert declared["declared_org"] == "other"
    assert [o["name"] for o in cli.json_lines("org", "list", "--json")] == ["other"]
    approved = one(cli, "incident", "approve", str(declared["id"]))
    assert [a["org"] for a in approved["approvals"]] == ["other", "local"]
    # A content incident is activated, but has no bank: it shares no hashes.
    assert (approved["state"], approved["bank"]) == ("active", None)
    assert sorted(o["name"] for o in cli.json_lines("org", "list", "--json")) == ["local", "other"]


REFUSALS = [
    # (what, the refused command after one active and one concluded incident, exit, words)
    ("show unknown", ["incident", "show", "99"], 4, "no incident 99"),
    ("approve unknown", ["incident", "approve", "99"], 4, "no incident 99"),
    ("timeline unknown", ["incident", "timeline", "99"], 4, "no incident 99"),
    ("live unknown", ["incident", "live", "99"], 4, "no incident 99"),
    ("report unknown", ["incident", "report", "99"], 4, "no incident 99"),
    ("accept unknown", ["incident", "accept", "99"], 4, "no variant 99"),
    ("submit unknown", ["incident", "submit", "99", "--signal", f"pdq:{PDQ}"], 4, "no incident"),
    ("approve an active one", ["incident", "approve", "1"], 5, "only a proposed incident"),
    (
        "approve for a non-member",
        ["incident", "approve", "3", "--org", "nobody"],
        6,
        "not a member",
    ),
    (
        "submit after conclusion",
        ["incident", "submit", "2", "--signal", f"pdq:{PDQ}"],
        5,
        "takes no hashes",
    ),
    (
        "propose after conclusion",
        ["incident", "propose", "2", "--signal", f"pdq:{PDQ}"],
        5,
        "takes no hashes",
    ),
    ("update after conclusion", ["incident", "update", "2", "--title", "x"], 5, "concluded"),
    ("conclude twice", ["incident", "conclude", "2"], 5, "concluded"),
    ("activate without approvals", ["incident", "state", "3", "active"], 5, "through approvals"),
    ("state concluded", ["incident", "state", "1", "concluded"], 2, "Invalid value"),
    (
        "unknown activation",
        ["incident", "declare", "x", "--activation", "panic"],
        2,
        "Invalid value",
    ),
    ("no activation", ["incident", "declare", "x"], 2, "--activation"),
    ("empty title", ["incident", "declare", " ", "--activation", "content"], 3, "title"),
    ("update nothing", ["incident", "update", "1"], 2, "at least one of"),
    ("submit nothing", ["incident", "submit", "1"], 2, "at least one FILE"),
    ("propose nothing", ["incident", "propose", "1"], 2, "--signal"),
    ("malformed signal", ["incident", "submit", "1", "--signal", "pdq:abc"], 3, "pdq"),
    (
        "unknown label",
        ["incident", "submit", "1", "--signal", f"pdq:{PDQ}", "--label", "category:cats"],
        3,
        "cats",
    ),
    ("missing file", ["incident", "submit", "1", "nowhere.png"], 3, "nothing was added"),
    ("report audience", ["incident", "report", "1", "--audience", "press"], 2, "Invalid value"),
]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [pytest.param(args, code, words, id=what) for what, args, code, words in REFUSALS],
)
def test_refusals_exit_with_their_code_and_change_nothing(
    cli: Cli, quorum_of: Any, args: list[str], code: int, words: str
) -> None:
    quorum_of(2)
    active_incident(cli)  # 1
    cli.ok("incident", "conclude", str(active_incident(cli)))  # 2
    declare(cli)  # 3, proposed
    before = audit_count(cli)
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert words in result.stderr
    assert audit_count(cli) == before


def test_approving_twice_is_a_conflict(cli: Cli, quorum_of: Any) -> None:
    quorum_of(3)
    incident = str(declare(cli)["id"])
    cli.ok("incident", "approve", incident, "--org", "other")
    again = cli("incident", "approve", incident, "--org", "other")
    assert again.exit_code == 5
    assert "already approved" in again.stderr
    shown = one(cli, "incident", "show", incident)["incident"]
    assert (shown["state"], len(shown["approvals"])) == ("proposed", 2)


def test_a_decided_variant_cannot_be_decided_again(cli: Cli, quorum_of: Any) -> None:
    quorum_of(2)
    incident = str(active_incident(cli))
    variant = str(
        one(cli, "incident", "propose", incident, "--signal", f"pdq:{VARIANT}")["variant"]["id"]
    )
    assert "rejected variant" in cli.ok("incident", "reject", variant).stdout
    for verb in ("accept", "reject"):
        result = cli("incident", verb, variant)
        assert result.exit_code == 5 and "already rejected" in result.stderr


def test_a_file_that_cannot_be_hashed_submits_nothing(
    cli: Cli, quorum_of: Any, photo: PhotoFactory, tmp_path: Path
) -> None:
    quorum_of(2)
    incident = str(active_incident(cli))
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = cli("incident", "submit", incident, photo(1), text, "--signal", f"pdq:{PDQ}")
    assert result.exit_code == 3
    assert "nothing was added" in result.stderr
    assert one(cli, "incident", "live", incident)["figures"]["entries"] == 0


def test_an_awareness_incident_takes_no_hashes(cli: Cli, quorum_of: Any) -> None:
    quorum_of(1)
    incident = declare(cli, "awareness")
    assert (incident["state"], incident["bank"]) == ("active", None)
    result = cli("incident", "submit", str(incident["id"]), "--signal", f"pdq:{PDQ}")
    assert result.exit_code == 5 and "shares no hashes" in result.stderr
