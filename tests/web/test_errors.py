"""Errors the framework raises itself, in fireline's one error shape, with the right status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.settings import Settings
from fireline.signals import ContentType
from tests.web.support import Api, make_api


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v2/nothing", 404, "not_found"),
        ("PUT", "/v1/banks", 405, "method_not_allowed"),
        ("OPTIONS", "/v1/keys", 405, "method_not_allowed"),
    ],
)
def test_unknown_routes_and_methods_answer_in_the_error_shape(
    api: Api, method: str, path: str, status: int, code: str
) -> None:
    response = api.client.request(method, path, headers=api.admin)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    if status == 405:
        assert response.headers["allow"]


# Bodies FastAPI itself parses (routes with a declared JSON model) and gives up on: it
# answered 400 {"detail": ...}; read_json answers the same bodies 422 invalid_json.
BAD_JSON = {
    "not-utf8": b"\xff\xfe\xfd{}",
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "long-number": b'{"name": "x", "pdq_threshold": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/banks"), ("PATCH", "/v1/banks/bank1"), ("POST", "/v1/keys")],
)
def test_unparseable_json_is_invalid_json_and_changes_nothing(
    api: Api, method: str, path: str, body: bytes
) -> None:
    api.client.post("/v1/banks", json={"name": "bank1"}, headers=api.admin)
    before = [api.client.get(p, headers=api.admin).json() for p in ("/v1/banks", "/v1/keys")]
    response = api.client.request(
        method, path, content=body, headers={**api.admin, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_json"
    after = [api.client.get(p, headers=api.admin).json() for p in ("/v1/banks", "/v1/keys")]
    assert after == before


@pytest.fixture
def small_api() -> Iterator[Api]:
    yield from make_api(Settings(database_url="memory://", max_upload_bytes=1000))


def _chunks(total: int, prefix: bytes) -> Iterator[bytes]:
    yield prefix
    for _ in range(total // 65536 + 1):
        yield b"a" * 65536


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("/v1/banks", b'{"name": "big", "description": "'),
        ("/v1/match", b'{"signals": [{"signal_type": "md5", "value": "'),
        ("/v1/banks/demo/import", b""),
    ],
)
def test_a_chunked_body_over_the_limit_is_413(small_api: Api, path: str, prefix: bytes) -> None:
    # No content-length: the limit is found while the body streams in. On routes where
    # FastAPI parses the JSON itself, that used to come back as 400 {"detail": ...}.
    response = small_api.client.post(
        path,
        content=_chunks(1_000_000, prefix),
        headers={**small_api.admin, "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    assert small_api.client.get("/v1/banks", headers=small_api.admin).json()["count"] == 0


def test_the_openapi_description_names_what_the_routes_answer(api: Api) -> None:
    # Schemathesis found /v1/match answering an undocumented 404 (an unknown ?bank=),
    # ?content_type= documented as any string, and exports documented as JSON.
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "404" in paths["/v1/match"]["post"]["responses"]
    export = paths["/v1/banks/{name}/export"]["get"]["responses"]["200"]["content"]
    assert sorted(export) == ["application/x-ndjson", "text/csv", "text/plain"]
    for path in ("/v1/hash", "/v1/match", "/v1/banks/{name}/entries"):
        (param,) = [p for p in paths[path]["post"]["parameters"] if p["name"] == "content_type"]
        assert param["schema"]["enum"] == ["auto", *(c.value for c in ContentType)]
