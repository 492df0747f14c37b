"""GET /v1/transparency and /v1/transparency/article7 with an observer's key."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest

from fireline.domain import Role
from fireline.domain.review import CaseSource
from tests.web.support import Api

YEAR = datetime.now(UTC).year
SECRETS = ("post-web-zz", "user-web-zz", "rvw-web-zz", "rvw-two-zz", "why-web-zz")


@pytest.fixture
def observed(api: Api) -> Api:
    """An instance with a reported case, removed, appealed and restored."""
    review = api.container.review
    case = review.open_case(
        source=CaseSource.REPORT,
        content_ref="post-web-zz",
        uploader="user-web-zz",
        labels=["category:recruitment"],
    )
    review.decide(case.id, reviewer="rvw-web-zz", outcome="remove", reason="why-web-zz")
    appeal = review.file_appeal(case.id, appellant="user-web-zz", reason="why-web-zz")
    review.decide_appeal(appeal.id, reviewer="rvw-two-zz", upheld=True, reason="why-web-zz")
    return api


def _get(api: Api, path: str, **params: str) -> httpx.Response:
    return api.client.get(path, params=params, headers=api.roles[Role.OBSERVER])


def test_an_observer_reads_the_report_as_json(observed: Api) -> None:
    response = _get(observed, "/v1/transparency")
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "fireline.transparency/1"
    assert body["period"]["start"] == f"{YEAR}-01-01T00:00:00Z"
    figures = body["figures"]
    assert figures["cases"]["by_source"]["report"] == 1
    assert figures["appeals"] == {
        **figures["appeals"],
        "filed": 1,
        "decided": 1,
        "upheld": 1,
        "overturn_rate": 1.0,
    }
    assert figures["restorations"]["by_via"]["appeal"] == 1
    assert body["chain"]["ok"] is True and body["chain"]["records"] == body["chain"]["last_seq"]


FORMATS = [
    ("json", "application/json", '{"format"'),
    ("csv", "text/csv; charset=utf-8", "section,figure,key,value\n"),
    ("html", "text/html; charset=utf-8", "<!doctype html>"),
]


def test_each_format_has_its_content_type_and_no_secret(observed: Api) -> None:
    for fmt, content_type, start in FORMATS:
        response = _get(observed, "/v1/transparency", format=fmt, **{"from": f"{YEAR}-01-01"})
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert response.text.startswith(start)
        assert [s for s in SECRETS if s in response.text] == []


def test_the_csv_parses(observed: Api) -> None:
    text = _get(observed, "/v1/transparency", format="csv").text
    rows = {
        (r["section"], r["figure"], r["key"]): r["value"] for r in csv.DictReader(io.StringIO(text))
    }
    assert rows[("cases", "by_source", "report")] == "1"
    assert rows[("appeals", "overturn_rate", "")] == "1.0"
    assert rows[("chain", "ok", "")] == "true"


def test_the_html_page_has_inline_charts(observed: Api) -> None:
    page = _get(observed, "/v1/transparency", format="html").text
    assert page.count("<svg") == 5 and "<script" not in page


def test_article7_as_json_and_html(observed: Api) -> None:
    body = _get(observed, "/v1/transparency/article7", year=str(YEAR)).json()
    assert body["format"] == "fireline.tco_article7/1" and body["year"] == YEAR
    assert body["points"]["d"]["figures"]["upheld"] == 1
    assert body["points"]["g"]["figures"]["reinstated"] == 1
    # No review proceeding was recorded: (e) and (f) are real zeros, not placeholders.
    assert body["points"]["e"]["figures"]["brought"] == 0 and "recorded" not in body["points"]["e"]
    assert body["points"]["f"]["figures"] == {
        "reinstated": 0,
        "reinstated_by_party": {"content_provider": 0, "hosting_provider": 0},
    }
    page = _get(observed, "/v1/transparency/article7", year=str(YEAR), format="html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "(g) Content reinstated" in page.text
    assert [s for s in SECRETS if s in page.text] == []


def test_article7_defaults_to_last_year(api: Api) -> None:
    body = _get(api, "/v1/transparency/article7").json()
    assert body["year"] == YEAR - 1 and body["interim"] is False
    assert body["points"]["a"]["figures"]["cases_opened"] == 0


BAD_PERIODS = [
    ("/v1/transparency", {"from": "2026-02-01", "to": "2026-01-01"}),
    ("/v1/transparency", {"from": "2026-01-01", "to": "2026-01-01"}),
    ("/v1/transparency", {"from": "last week"}),
    ("/v1/transparency", {"to": "2026-02-30"}),
    ("/v1/transparency", {"from": "2000-01-01", "to": "2020-01-01"}),
    ("/v1/transparency/article7", {"year": "abc"}),
    ("/v1/transparency/article7", {"year": "1999"}),
    ("/v1/transparency/article7", {"year": str(YEAR + 1)}),
]


def test_bad_periods_answer_422_invalid_period(api: Api) -> None:
    # One app for every row: building one per row costs more than the calls.
    answers = [
        (path, params, (r := _get(api, path, **params)).status_code, r.json()["error"]["code"])
        for path, params in BAD_PERIODS
    ]
    assert [a for a in answers if a[2:] != (422, "invalid_period")] == []


def test_an_unknown_format_answers_422(api: Api) -> None:
    for path, fmt in (("/v1/transparency", "pdf"), ("/v1/transparency/article7", "csv")):
        response = _get(api, path, format=fmt)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"


def test_without_a_key_it_answers_401(api: Api) -> None:
    assert api.client.get("/v1/transparency").status_code == 401
