"""URL lists over HTTP: `?format=urls` imports links and rules whole or not at all."""

from __future__ import annotations

import pytest

from tests.web.support import Api
from tests.web.test_banks import _count, _create

LIST = (
    "# takedown list\r\n"
    "https://Files.Example/manifesto.pdf?utm_source=feed\r\n"
    "https://files.example/manifesto/*\tcategory:attacker_manifesto\r\n"
    "*.example.com/*\r\n"
)


def test_a_url_list_is_imported_and_exported_over_http(api: Api) -> None:
    _create(api)
    response = api.client.post(
        "/v1/banks/bank1/import?format=urls&label=basis:member_policy",
        content=LIST.encode(),
        headers=api.admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 3
    exported = api.client.get("/v1/banks/bank1/export?format=urls", headers=api.reviewer)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/plain")
    assert exported.text.splitlines() == [
        "https://files.example/manifesto.pdf\tbasis:member_policy",
        "https://files.example/manifesto/*\tbasis:member_policy category:attacker_manifesto",
        "https://*.example.com/*\tbasis:member_policy",
    ]


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("data:text/html,hello", "malformed_url"),
        ("https://example.com/*?page=2", "malformed_url"),
        ("https://example.com/" + "x" * 9000, "url_too_long"),
    ],
)
def test_a_bad_line_among_ten_thousand_is_named_and_nothing_is_stored(
    api: Api, bad: str, code: str
) -> None:
    _create(api)
    lines = [f"https://example.org/{n}" for n in range(10_000)]
    lines[4_999] = bad
    response = api.client.post(
        "/v1/banks/bank1/import?format=urls", content="\n".join(lines).encode(), headers=api.admin
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"][:10]) == (code, "line 5000:")
    assert _count(api) == 0
    whole = api.client.post(
        "/v1/banks/bank1/import?format=urls",
        content="\n".join(lines[:4_999] + lines[5_000:]).encode(),
        headers=api.admin,
    )
    assert whole.json()["added"] == 9_999
    assert _count(api) == 9_999
