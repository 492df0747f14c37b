"""Texts, documents and links over HTTP: hash, bank, match; bad documents refused clearly."""

from __future__ import annotations

import random

import pytest

from fireline.signals.text_tlsh import TextTlshSignal
from fireline.testing.documents import (
    docx_bomb,
    docx_document,
    html_document,
    pdf_document,
    scanned_pdf,
)
from fireline.testing.prose import Prose, excerpt, homoglyphs, paragraphs
from tests.web.support import Api

_PROSE = Prose(31)
#: A banked document; its paragraphs are short enough for the PDF generator's lines.
REFERENCE = _PROSE.document(1500)


def _bank_document(api: Api, data: bytes, name: str = "manifesto.pdf") -> list[dict[str, object]]:
    api.client.post("/v1/banks", json={"name": "texts"}, headers=api.admin)
    response = api.client.post(
        "/v1/banks/texts/entries",
        files={"file": (name, data)},
        data={"label": ["category:attacker_manifesto"]},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    return response.json()["added"]  # type: ignore[no-any-return]


def _match(api: Api, body: dict[str, object]) -> dict[str, object]:
    response = api.client.post("/v1/match", json=body, headers=api.matcher)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("make", "document_format"),
    [
        (lambda ps: "\n\n".join(ps).encode(), "text"),
        (lambda ps: html_document(ps, title="t"), "html"),
        (lambda ps: pdf_document(ps), "pdf"),
        (lambda ps: docx_document(ps), "docx"),
    ],
    ids=["text", "html", "pdf", "docx"],
)
def test_documents_are_told_apart_and_hashed_as_text(
    api: Api, make: object, document_format: str
) -> None:
    data = make(paragraphs(REFERENCE)[:6])  # type: ignore[operator]
    response = api.client.post("/v1/hash", files={"file": ("d", data)}, headers=api.matcher)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["content_type"] == "text"
    assert body["document_format"] == document_format
    kinds = {s["signal_type"] for s in body["signals"]}
    assert {"text_minhash", "text_tlsh", "md5", "sha256"} <= kinds


def test_a_posted_text_and_a_link_are_hashed_from_json(api: Api) -> None:
    post = paragraphs(REFERENCE)[0] + " More at HTTP://Files.Example/m.pdf?utm_source=x"
    response = api.client.post("/v1/hash", json={"text": post}, headers=api.matcher)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {s["signal_type"] for s in body["signals"]} >= {"text_minhash", "text_tlsh"}
    assert body["links"] == [
        {"signal_type": "url", "value": "http://files.example/m.pdf", "quality": None}
    ]
    response = api.client.post(
        "/v1/hash", json={"url": "https://EXAMPLE.com:443/a/../b?fbclid=1"}, headers=api.matcher
    )
    assert response.json()["signals"] == [
        {"signal_type": "url", "value": "https://example.com/b", "quality": None}
    ]


def test_an_excerpt_in_a_post_matches_the_banked_document_with_its_passage(api: Api) -> None:
    _bank_document(api, pdf_document(paragraphs(REFERENCE)))
    rng = random.Random(5)
    post, taken = excerpt(REFERENCE, 3, _PROSE.document(600), rng)
    result = _match(api, {"text": homoglyphs(post, 0.3, rng)})
    assert result["matched"] is True
    [found] = [m for m in result["matches"] if m["signal_type"] == "text_minhash"]  # type: ignore[attr-defined,index]
    assert found["labels"] == ["category:attacker_manifesto"]
    assert found["distance"] <= found["threshold"]
    segment = found["segments"][0]
    assert segment["unit"] == "characters"
    assert segment["query_start"] <= post.index(taken) + 200
    assert 0.05 < found["measures"]["containment"] < 0.6
    assert 0 <= found["measures"]["jaccard"] < 0.5


def test_a_lightly_edited_copy_matches_by_tlsh_within_its_threshold(api: Api) -> None:
    _bank_document(api, REFERENCE.encode(), "manifesto.txt")
    edited = REFERENCE.replace(" the ", " a ", 3)
    result = _match(api, {"text": edited})
    [found] = [m for m in result["matches"] if m["signal_type"] == "text_tlsh"]  # type: ignore[attr-defined]
    assert 0 < found["distance"] <= found["threshold"] == 30


def test_unrelated_text_does_not_match(api: Api) -> None:
    _bank_document(api, docx_document(paragraphs(REFERENCE)), "m.docx")
    assert _match(api, {"text": _PROSE.document(3000)})["matched"] is False


def test_a_banked_link_or_rule_matches_links_and_posts_that_hold_them(api: Api) -> None:
    api.client.post("/v1/banks", json={"name": "links"}, headers=api.admin)
    response = api.client.post(
        "/v1/banks/links/entries",
        json={"signals": [{"signal_type": "url", "value": "https://*.files.example/manifesto/*"}]},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    assert _match(api, {"url": "http://cdn.FILES.example/manifesto/v2.pdf#p3"})["matched"] is True
    assert _match(api, {"url": "https://files.example/other/v2.pdf"})["matched"] is False
    post = (
        " ".join(_PROSE.sentence() for _ in range(5))
        + " get it: https://cdn.files.example/manifesto/x"
    )
    result = _match(api, {"text": post})
    assert [m["signal_type"] for m in result["matches"]] == ["url"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("files", "query", "status", "code"),
    [
        (
            {"file": ("a.pdf", pdf_document(["x"] * 3, encrypt="secret"))},
            "",
            415,
            "encrypted_document",
        ),
        ({"file": ("a.pdf", scanned_pdf())}, "", 422, "no_text_layer"),
        ({"file": ("a.docx", docx_bomb())}, "", 413, "document_bomb"),
        ({"file": ("a.pdf", b"%PDF-1.7\n1 0 obj garbage")}, "", 415, "corrupt_document"),
        ({"file": ("a.txt", bytes(range(256)) * 40)}, "?content_type=text", 415, "not_a_document"),
        ({"file": ("a.txt", b"three short words")}, "", 422, "text_too_short"),
        ({"file": ("a.url", b"javascript:alert(1)")}, "?content_type=url", 422, "malformed_url"),
    ],
    ids=["encrypted", "scanned", "docx-bomb", "corrupt-pdf", "junk-as-text", "short", "bad-url"],
)
def test_bad_documents_are_refused_clearly_and_change_nothing(
    api: Api, files: dict[str, tuple[str, bytes]], query: str, status: int, code: str
) -> None:
    api.client.post("/v1/banks", json={"name": "b"}, headers=api.admin)
    for route in (f"/v1/hash{query}", f"/v1/banks/b/entries{query}"):
        response = api.client.post(route, files=files, headers=api.admin)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert api.client.get("/v1/banks/b", headers=api.admin).json()["entry_count"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_body"),
        ({"text": "a b", "url": "https://x.example/"}, "invalid_body"),
        ({"text": "too short"}, "text_too_short"),
        ({"url": "mailto:someone@example.com"}, "malformed_url"),
        ({"url": "https://" + "a" * 9000 + ".example/"}, "url_too_long"),
    ],
)
def test_bad_json_texts_and_links_are_refused(api: Api, body: dict[str, object], code: str) -> None:
    for route in ("/v1/hash", "/v1/match"):
        response = api.client.post(route, json=body, headers=api.matcher)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code


def test_tlsh_defers_to_text_minhash_where_both_texts_have_passages(api: Api) -> None:
    """Long texts in one language come within TLSH's 30 of each other; passages decide."""
    rng = random.Random(4)
    texts = [_PROSE.document(rng.randint(4000, 5000)) for _ in range(16)]
    hashes = [
        api.client.post("/v1/hash", json={"text": t}, headers=api.matcher).json()["signals"]
        for t in texts
    ]
    tlsh = [next(s["value"] for s in h if s["signal_type"] == "text_tlsh") for h in hashes]
    close = [
        (a, b)
        for a in range(len(texts))
        for b in range(a + 1, len(texts))
        if TextTlshSignal.compare(tlsh[a], tlsh[b]) <= 30
    ]
    assert close, "no pair of unrelated long texts within TLSH 30: make more of them"
    a, b = close[0]
    _bank_document(api, texts[a].encode(), "a.txt")
    assert _match(api, {"text": texts[b]})["matched"] is False
    # A TLSH hash shared on its own (as HMA shares them) has no passages to defer to.
    api.client.post("/v1/banks", json={"name": "shared"}, headers=api.admin)
    api.client.post(
        "/v1/banks/shared/entries",
        json={"signals": [{"signal_type": "text_tlsh", "value": tlsh[a]}]},
        headers=api.admin,
    )
    found = _match(api, {"text": texts[b]})["matches"]
    assert [m["signal_type"] for m in found] == ["text_tlsh"]  # type: ignore[index]
