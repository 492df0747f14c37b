"""Importing a Tech Against Terrorism hash list: the shapes TAT serves, tolerantly read."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from threatexchange.exchanges.clients.techagainstterrorism.api import (
    TATHashListEntry,
    TATHashListResponse,
    TATIdeology,
)
from threatexchange.exchanges.impl.techagainstterrorism_api import TATSignalExchangeAPI

from fireline.bootstrap import Container
from fireline.domain import InvalidInput
from fireline.services import ExchangeFormat
from fireline.services.interchange import ImportReport, import_lines, split_lines
from fireline.services.interchange_tat import entity_slug

PDQ_A = "a5" * 32
PDQ_B = "5a" * 32
MD5_A = "a" * 32
MD5_B = "b" * 32
SHA256 = "c" * 64
SHA512 = "d" * 128
DESIGNATION = "basis:designation_list"


def tat(digest: str, algorithm: str, file_type: str = "jpg", **extra: Any) -> dict[str, Any]:
    """A record as TAT's Hash List API v2 serves it."""
    return {
        "hash_digest": digest,
        "algorithm": algorithm,
        "ideology": "far-right",
        "file_type": file_type,
        "deleted": False,
        "updated_on": 1704901040.25,
        "created_on": "2025-03-03T23:05:22.587000",
        "id": 2821,
        **extra,
    }


def page(*records: dict[str, Any]) -> dict[str, Any]:
    return {
        "count": len(records),
        "next": None,
        "previous": None,
        "checkpoint": "1724856487.709035,10594",
        "results": list(records),
    }


def _import(container: Container, text: str) -> ImportReport:
    container.banks.create(name="dst")
    return import_lines(
        container.banks, bank="dst", lines=split_lines(text), fmt=ExchangeFormat.TAT
    )


def _stored(container: Container) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(e.signal_type, e.value, e.labels) for e in container.banks.entries(bank="dst")}


V1_FILE = [  # the v1 daily file: a bare array, fewer fields
    {"hash_digest": PDQ_A, "algorithm": "PDQ", "ideology": "islamist", "file_type": "jpg"},
    {"hash_digest": MD5_A, "algorithm": "MD5", "ideology": "islamist", "file_type": "mp4"},
]


@pytest.mark.parametrize(
    ("document", "expected", "skipped"),
    [
        (
            json.dumps(V1_FILE),
            {("pdq", PDQ_A, (DESIGNATION,)), ("video_md5", MD5_A, (DESIGNATION,))},
            (0, 0),
        ),
        (
            json.dumps(page(tat(PDQ_A, "PDQ"), tat(MD5_A, "MD5", "webm"), tat(MD5_B, "MD5"))),
            {
                ("pdq", PDQ_A, (DESIGNATION,)),
                ("video_md5", MD5_A, (DESIGNATION,)),
                ("md5", MD5_B, (DESIGNATION,)),  # an MD5 of a picture is a file md5
            },
            (0, 0),
        ),
        (  # pages appended one after another, pretty-printed, as `curl >> list.json` leaves
            json.dumps(page(tat(PDQ_A, "PDQ")), indent=2)
            + "\n"
            + json.dumps(page(tat(SHA256, "SHA256"), tat(SHA512, "SHA512"))),
            {("pdq", PDQ_A, (DESIGNATION,)), ("sha256", SHA256, (DESIGNATION,))},
            (0, 1),
        ),
        (  # deleted upstream: skipped, counted as retracted
            json.dumps(page(tat(PDQ_A, "PDQ"), tat(PDQ_B, "PDQ", deleted=True))),
            {("pdq", PDQ_A, (DESIGNATION,))},
            (1, 0),
        ),
        (  # other spellings of the fields, and an entity that becomes a label
            json.dumps(
                [
                    {"hash": PDQ_A.upper(), "hash_type": "pdq", "group": "Al-Shabaab"},
                    {"value": SHA256, "type": "SHA-256", "organisation": "Ansar Ghazwat-ul-Hind"},
                    {"hash_digest": MD5_A, "algorithm": "md5", "content_type": "video/mp4"},
                    {"hash_digest": MD5_B, "algorithm": "video_md5", "entity": "ﺩﺍﻋﺶ"},
                ]
            ),
            {
                ("pdq", PDQ_A, (DESIGNATION, "entity:al-shabaab")),
                ("sha256", SHA256, (DESIGNATION, "entity:ansar-ghazwat-ul-hind")),
                ("video_md5", MD5_A, (DESIGNATION,)),
                ("video_md5", MD5_B, (DESIGNATION,)),  # no Latin letters: kept in the note
            },
            (0, 0),
        ),
        ("[]", set(), (0, 0)),
        (json.dumps(page()), set(), (0, 0)),
        (json.dumps(tat(PDQ_A, "PDQ")), {("pdq", PDQ_A, (DESIGNATION,))}, (0, 0)),
        (
            json.dumps([tat(SHA512, "SHA512"), tat(MD5_A, "SHA1"), tat(PDQ_A, "PhotoDNA")]),
            set(),
            (0, 3),
        ),
    ],
    ids=[
        "v1-file",
        "v2-page",
        "appended-pages",
        "deleted",
        "other-field-names",
        "empty-array",
        "empty-page",
        "one-record",
        "unsupported",
    ],
)
def test_tat_hash_lists_import(
    container: Container,
    document: str,
    expected: set[tuple[str, str, tuple[str, ...]]],
    skipped: tuple[int, int],
) -> None:
    report = _import(container, document)
    assert (report.added, report.skipped_retracted, report.skipped_unsupported) == (
        len(expected),
        *skipped,
    )
    assert _stored(container) == expected


def test_tat_provenance_goes_to_the_note_but_not_the_url(container: Container) -> None:
    record = tat(PDQ_A, "PDQ", id=2819, platform="example", url="https://example.org/post/1")
    _import(container, json.dumps(page(record)))
    (entry,) = container.banks.entries(bank="dst")
    assert entry.note.startswith("tat; tat id 2819; ideology far-right; file type jpg")
    assert "platform example" in entry.note
    assert "example.org" not in entry.note


def test_user_labels_are_added_to_tat_records(container: Container) -> None:
    container.banks.create(name="dst")
    import_lines(
        container.banks,
        bank="dst",
        lines=[json.dumps(V1_FILE)],
        fmt=ExchangeFormat.TAT,
        labels=("category:branded_publication",),
    )
    labels = {e.labels for e in container.banks.entries(bank="dst")}
    assert labels == {("basis:designation_list", "category:branded_publication")}


@pytest.mark.parametrize(
    ("document", "words", "code"),
    [
        ("", "empty", "malformed_document"),
        ("hash_digest,algorithm\nabc,PDQ", "not valid JSON at line 1", "malformed_document"),
        ('[{"hash_digest": "a"}', "not valid JSON", "malformed_document"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep", "malformed_document"),
        ('[{"id": ' + "9" * 5000 + "}]", "number too long", "malformed_document"),
        ('"just a string"', "expected a TAT hash list", "malformed_document"),
        ('{"count": 1}', "expected a TAT hash list", "malformed_document"),
        (json.dumps([tat(PDQ_A, "PDQ"), 7]), "record 2: expected a JSON object", None),
        (json.dumps([tat(PDQ_A, "PDQ"), {"algorithm": "PDQ"}]), "record 2: no hash value", None),
        (json.dumps([{"hash_digest": PDQ_A}]), "record 1: no hash algorithm", None),
        (json.dumps([tat(PDQ_A, "PDQ"), tat(MD5_A, "FUZZY9")]), "record 2: unknown", None),
        (json.dumps([tat(PDQ_A, "PDQ"), tat("xyz", "PDQ")]), "record 2: a pdq hash", None),
        (json.dumps([tat(PDQ_A, "PDQ"), tat(MD5_A, "SHA256")]), "record 2: a sha256", None),
        (json.dumps([tat(PDQ_A, "PDQ", deleted="no")]), "record 1: deleted", None),
        (json.dumps([tat(PDQ_A, "PDQ", entity=5)]), "record 1: the entity", None),
        (json.dumps([tat(PDQ_A, "PDQ", ideology="nul\u0000")]), "record 1: a note", None),
        (json.dumps(page(tat(PDQ_A, "PDQ"))) + "\n{oops", "not valid JSON at line 2", None),
    ],
)
def test_a_bad_tat_document_is_refused_and_nothing_is_stored(
    container: Container, document: str, words: str, code: str | None
) -> None:
    with pytest.raises(InvalidInput, match=words) as raised:
        _import(container, document)
    if code is not None:
        assert raised.value.code == code
    assert container.banks.get(name="dst").entry_count == 0


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Al-Shabaab", "al-shabaab"),
        ("al-Qaeda in the Arabian Peninsula (AQAP)", "al-qaeda-in-the-arabian-peninsula-aqap"),
        ("Jama'at Nusrat al-Islam wal Muslimin", "jama-at-nusrat-al-islam-wal-muslimin"),
        ("Société Écran", "societe-ecran"),
        ("  --Hurras al-Din--  ", "hurras-al-din"),
        ("ﺩﺍﻋﺶ", ""),
        ("x" * 150, "x" * 100),
    ],
)
def test_entity_names_become_label_slugs(name: str, slug: str) -> None:
    assert entity_slug(name) == slug


def test_we_read_a_tat_page_as_python_threatexchange_does(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = datetime.datetime(2025, 3, 3, 23, 5, 22)
    entries = [
        TATHashListEntry(PDQ_A, "PDQ", TATIdeology.islamist, "png", False, 1.0, created, 1),
        TATHashListEntry(MD5_A, "MD5", TATIdeology.far_right, "mp4", False, 1.0, created, 2),
        TATHashListEntry(PDQ_B, "PDQ", TATIdeology.islamist, "jpg", True, 1.0, created, 3),
    ]
    response = TATHashListResponse(1, None, None, "1.0,3", entries)

    class Client:
        def fetch_hashes_iter(self, checkpoint: str) -> list[TATHashListResponse]:
            return [response]

    exchange = TATSignalExchangeAPI("user", "password")
    monkeypatch.setattr(exchange, "get_client", Client)
    (delta,) = list(exchange.fetch_iter([], None))
    theirs = {key for key, metadata in delta.updates.items() if metadata is not None}

    document = page(*[{**vars(e), "ideology": e.ideology.value} for e in entries])
    report = _import(container, json.dumps(document, default=str))
    assert report.skipped_retracted == 1
    assert {(t, v) for t, v, _ in _stored(container)} == theirs
