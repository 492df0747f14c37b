"""Screening uploads: a policy's ``preserve`` puts the case's evidence under a preservation
hold (kept 183 days, then purged), and every upload screened is in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fireline.bootstrap import Container, build, migrate
from fireline.domain import AuditAction, AuditRecord, NotFound
from fireline.domain.orders import HoldSource, HoldState
from fireline.domain.review import ContentStatus
from fireline.services.screening import Upload
from fireline.settings import Settings
from fireline.testing.media import encode, random_photo
from tests.backends import BACKENDS, backend_url

PIPELINE = "key:pipeline@acme"
BANKED = encode(random_photo(31))
OTHER = encode(random_photo(32))
#: Only the first rule preserves: one bank's entries are kept as evidence, the other's not.
POLICY = """
[[rule]]
name = "preserved"
banks = ["kept"]
actions = ["preserve"]

[[rule]]
name = "reviewed"
actions = ["review"]
"""


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


def _container(url: str, tmp_path: Path, policy: str | None) -> Container:
    policy_file = None
    if policy is not None:
        policy_file = tmp_path / "policy.toml"
        policy_file.write_text(policy)
    settings = Settings(database_url=url, data_dir=tmp_path / "var", policy_file=policy_file)
    migrate(settings)
    return build(settings)


@pytest.fixture(params=BACKENDS)
def default(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    """A container with the shipped policy (perpetrator content: block, preserve, notify)."""
    built = _container(backend_url(request, request.param, migrated=True), tmp_path, None)
    built.banks.create(name="tvec")
    built.banks.add_content(bank="tvec", data=BANKED, labels=["category:perpetrator_livestream"])
    yield built
    built.close()


@pytest.fixture(params=BACKENDS)
def custom(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    """A container with POLICY: bank ``kept`` preserve only, anything else review only."""
    built = _container(backend_url(request, request.param, migrated=True), tmp_path, POLICY)
    for bank, data in (("kept", BANKED), ("seen", OTHER)):
        built.banks.create(name=bank)
        built.banks.add_content(bank=bank, data=data)
    yield built
    built.close()


def _records(container: Container, action: str) -> list[AuditRecord]:
    return [r for r in container.audit.records(limit=1000) if r.action == action]


def test_preserve_holds_the_cases_evidence_until_the_hold_expires_and_is_purged(
    default: Container,
) -> None:
    clock = Clock()
    default.holds.now = clock
    done = default.screening.screen_content(
        BANKED, upload=Upload("post-7", "user-7"), actor=PIPELINE
    )
    assert done.blocked and done.case is not None and done.hold is not None
    case, hold = done.case, done.hold
    assert "preserve" in case.actions and case.media_sha256 is not None
    assert (hold.source, hold.case_id, hold.media_sha256, hold.state) == (
        HoldSource.CASE,
        case.id,
        case.media_sha256,
        HoldState.ACTIVE,
    )
    assert hold.expires_at == clock.at + timedelta(days=183)
    assert default.holds.list_holds() == [hold]
    (record,) = _records(default, AuditAction.HOLD_CREATED)
    assert (record.actor, record.subject) == (PIPELINE, f"hold:{hold.id}")
    assert record.detail == {"until": hold.expires_at.isoformat(), "source": "case"}
    # The manual path finds the same hold rather than making another.
    assert default.holds.preserve_case(case.id, actor="cli:legal") == hold

    default.review.decide(case.id, reviewer="rvw-1", outcome="remove", reason="the stream")
    clock.at += timedelta(days=182)
    assert default.holds.purge_expired() == []
    assert default.evidence.get(case.media_sha256) == BANKED
    clock.at += timedelta(days=1)
    assert [h.id for h in default.holds.purge_expired()] == [hold.id]
    assert default.holds.get(hold.id).state is HoldState.PURGED
    with pytest.raises(NotFound):
        default.evidence.get(case.media_sha256)


def test_a_preserve_only_rule_opens_a_case_for_its_hold_and_other_rules_hold_nothing(
    custom: Container,
) -> None:
    kept = custom.screening.screen_content(BANKED, upload=Upload("post-1"), actor=PIPELINE)
    assert kept.verdict.actions == {"preserve"} and kept.case is not None
    assert kept.content_status is ContentStatus.VISIBLE
    assert kept.hold is not None and kept.hold.media_sha256 == kept.case.media_sha256
    seen = custom.screening.screen_content(OTHER, upload=Upload("post-2"), actor=PIPELINE)
    assert seen.case is not None and seen.hold is None
    assert [h.case_id for h in custom.holds.list_holds()] == [kept.case.id]
    assert len(_records(custom, AuditAction.HOLD_CREATED)) == 1


def test_hashes_screened_without_media_are_held_without_media(default: Container) -> None:
    signals = default.hashing.hash_content(BANKED).signals
    done = default.screening.screen_signals(signals, upload=Upload("post-9"), actor=PIPELINE)
    assert done.case is not None and done.case.media_sha256 is None
    assert done.hold is not None and done.hold.media_sha256 is None
    assert done.hold.case_id == done.case.id


def test_every_upload_screened_is_recorded_and_one_that_matched_nothing_compactly(
    default: Container,
) -> None:
    unmatched = encode(random_photo(33))
    nothing = default.screening.screen_content(
        unmatched, upload=Upload("post-3", "user-secret-3"), actor=PIPELINE
    )
    assert not nothing.result.matches and nothing.case is None
    hashes = default.screening.screen_signals(
        default.hashing.hash_content(unmatched).signals,
        upload=Upload("post-4", "user-secret-4"),
        actor=PIPELINE,
    )
    assert hashes.case is None
    matched = default.screening.screen_content(BANKED, upload=Upload("post-5"), actor=PIPELINE)
    assert matched.case is not None

    first, second, third = _records(default, "upload.screened")
    for record, ref in ((first, "post-3"), (second, "post-4")):
        # The fact, the content's id and the outcome: no uploader, no hash, no media.
        assert (record.actor, record.subject) == (PIPELINE, f"content:{ref}")
        assert record.detail == {"matched": False, "content_status": "visible"}
    assert third.subject == f"case:{matched.case.id}"
    assert third.detail["matched"] is True and third.detail["content_status"] == "blocked"
    text = repr([first, second])
    assert "user-secret" not in text
    assert not any(s.value in text for s in default.hashing.hash_content(unmatched).signals)
