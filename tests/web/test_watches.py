"""The watch API: admins start watches, anyone with a key reads them; alerts arrive."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fireline.bootstrap import migrate
from fireline.domain import Role
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.testing.live import HlsServer, WebhookReceiver
from tests.backends import SQL_BACKENDS, backend_url
from tests.live_media import hls, reference_video
from tests.web.support import Api, make_api


@pytest.fixture(params=SQL_BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The API with loopback URLs allowed, files under tmp_path/watched, an empty bank."""
    (tmp_path / "watched").mkdir()
    settings = Settings(
        database_url=backend_url(request, request.param, migrated=True),
        watch_allow_private_urls=True,
        watch_file_dir=tmp_path / "watched",
        watch_stall_seconds=1.5,
        max_watches=2,
    )
    migrate(settings)
    for made in make_api(settings):
        made.container.banks.create(name="crisis")
        yield made


@pytest.fixture
def banked(api: Api) -> Api:
    """The API with the reference video in bank ``crisis``."""
    api.container.banks.add_content(
        bank="crisis", data=reference_video(), content_type=ContentType.VIDEO
    )
    return api


def wait_until_finished(api: Api, watch_id: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        watch = api.client.get(f"/v1/watches/{watch_id}", headers=api.matcher).json()
        if watch["status"] not in ("running", "lost"):
            return dict(watch)
        time.sleep(0.1)
    raise AssertionError(f"watch {watch_id} still running after {timeout} s")


def test_a_watch_alerts_through_events_and_the_webhook_and_banks_nothing(banked: Api) -> None:
    api = banked
    recording = hls("matching")
    before = api.client.get("/v1/banks/crisis", headers=api.matcher).json()["entry_count"]
    with HlsServer(recording) as server, WebhookReceiver() as hook:
        server.publish(3)
        server.publish_every(0.1)
        body = {"source": server.url, "webhook": hook.url, "banks": ["crisis"]}
        created = api.client.post("/v1/watches", json=body, headers=api.admin)
        assert created.status_code == 201, created.text
        watch = created.json()
        assert watch["status"] == "running" and watch["banks"] == ["crisis"]
        assert watch["webhook"] == hook.url.rsplit("/", 1)[0] + "/..."
        # Long-poll the events until the alert comes.
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not any(e["kind"] == "alert" for e in seen) and time.monotonic() < deadline:
            after = seen[-1]["number"] if seen else 0
            page = api.client.get(
                f"/v1/watches/{watch['id']}/events",
                params={"after": after, "wait": 5},
                headers=api.matcher,
            ).json()
            assert page["next_after"] == (page["data"][-1]["number"] if page["data"] else after)
            seen.extend(page["data"])
        alert = next(e for e in seen if e["kind"] == "alert")
        assert alert["data"]["bank"] == "crisis"
        hooked = hook.wait_for(lambda e: e["kind"] == "alert", timeout=30)
        assert hooked["data"]["entry_id"] == alert["data"]["entry_id"]
        assert hooked["number"] == alert["number"] and hooked["watch_id"] == watch["id"]
        finished = wait_until_finished(api, watch["id"])
        hook.wait_for(lambda e: e["kind"] == "ended", timeout=30)
    assert finished["status"] == "ended" and finished["error"] is None
    # 20 s of stream at FIRELINE_WATCH_FRAMES_PER_SECOND (2 by default).
    assert finished["progress"]["alerts"] == 1 and finished["progress"]["frames"] == 40
    listed = api.client.get("/v1/watches", headers=api.matcher).json()
    assert [w["id"] for w in listed["data"]] == [watch["id"]]
    after = api.client.get("/v1/banks/crisis", headers=api.matcher).json()["entry_count"]
    assert after == before


def test_a_watch_of_a_missing_playlist_fails_with_its_error(api: Api) -> None:
    with HlsServer(hls("clean")) as server:
        url = server.base_url + "/nothing.m3u8"
        watch = api.client.post("/v1/watches", json={"source": url}, headers=api.admin).json()
        finished = wait_until_finished(api, watch["id"])
    assert finished["status"] == "failed"
    assert finished["error"]["code"] == "source_http_error"
    assert "HTTP 404" in finished["error"]["message"]


def test_deleting_a_watch_stops_it(api: Api) -> None:
    with HlsServer(hls("clean")) as server:
        server.publish(2)  # and never more, nor an end: the watch would wait for the stall
        watch = api.client.post("/v1/watches", json={"source": server.url}, headers=api.admin)
        watch_id = watch.json()["id"]
        stopped = api.client.delete(f"/v1/watches/{watch_id}", headers=api.admin)
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    events = api.client.get(f"/v1/watches/{watch_id}/events", headers=api.matcher).json()
    assert events["data"][-1]["kind"] == "stopped"
    again = api.client.delete(f"/v1/watches/{watch_id}", headers=api.admin)
    assert again.json()["status"] == "stopped"


def test_a_server_runs_at_most_its_limit_of_watches(api: Api) -> None:
    with HlsServer(hls("clean")) as server:
        server.publish(1)
        ids = [
            api.client.post("/v1/watches", json={"source": server.url}, headers=api.admin).json()[
                "id"
            ]
            for _ in range(2)
        ]
        third = api.client.post("/v1/watches", json={"source": server.url}, headers=api.admin)
        for watch_id in ids:
            api.client.delete(f"/v1/watches/{watch_id}", headers=api.admin)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "too_many_watches"


def test_a_file_under_the_watch_directory_can_be_watched(banked: Api, tmp_path: Path) -> None:
    api = banked
    path = tmp_path / "watched" / "rec.ts"
    path.write_bytes(b"".join(s.data for s in hls("matching").segments))
    watch = api.client.post("/v1/watches", json={"source": "rec.ts"}, headers=api.admin).json()
    assert watch["kind"] == "file" and watch["source"] == str(path.resolve())
    finished = wait_until_finished(api, watch["id"])
    assert finished["status"] == "ended" and finished["progress"]["alerts"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"source": "ftp://example.com/x.m3u8"}, 422, "unsupported_source"),
        ({"source": "/etc/passwd"}, 422, "file_not_allowed"),
        ({"source": "../outside.ts"}, 422, "file_not_allowed"),
        ({"source": "https://example.com/x.m3u8", "webhook": "gopher://x"}, 422, None),
        ({"source": "https://93.184.215.14/x.m3u8", "banks": ["nope"]}, 404, "bank_not_found"),
        ({"source": "x\u0000y"}, 422, "invalid_text"),
        ({"source": "https://93.184.215.14/x.m3u8", "extra": 1}, 422, "invalid_request"),
    ],
)
def test_bad_watch_requests_are_refused_and_record_nothing(
    api: Api, body: dict[str, Any], status: int, code: str | None
) -> None:
    response = api.client.post("/v1/watches", json=body, headers=api.admin)
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code
    assert api.client.get("/v1/watches", headers=api.admin).json()["count"] == 0


def test_private_addresses_and_files_are_refused_by_default(api: Api) -> None:
    settings = api.container.settings.model_copy(
        update={"watch_allow_private_urls": False, "watch_file_dir": None}
    )
    for made in make_api(settings):
        for source, code in (
            ("http://127.0.0.1:1/live.m3u8", "address_not_allowed"),
            ("http://169.254.169.254/latest/", "address_not_allowed"),
            ("rec.ts", "file_sources_disabled"),
        ):
            response = made.client.post("/v1/watches", json={"source": source}, headers=made.admin)
            assert response.status_code == 422
            assert response.json()["error"]["code"] == code
        webhook = {"source": "https://93.184.215.14/x.m3u8", "webhook": "http://10.0.0.1/hook"}
        response = made.client.post("/v1/watches", json=webhook, headers=made.admin)
        assert response.json()["error"]["code"] == "address_not_allowed"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.OBSERVER])
def test_watches_need_the_match_permission(api: Api, role: Role) -> None:
    # Matchers start, read and stop watches (the match permission); roles without it cannot.
    body = {"source": "https://93.184.215.14/x.m3u8"}
    assert api.client.post("/v1/watches", json=body).status_code == 401
    refused = api.client.post("/v1/watches", json=body, headers=api.roles[role])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert api.client.delete("/v1/watches/1", headers=api.roles[role]).status_code == 403
    assert api.client.get("/v1/watches", headers=api.roles[role]).status_code == 403
    assert api.client.get("/v1/watches", headers=api.matcher).status_code == 200
    assert api.client.delete("/v1/watches/1", headers=api.matcher).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/v1/watches/999", "/v1/watches/999/events", "/v1/watches/99999999999999999999"],
)
def test_unknown_watches_are_not_found(api: Api, path: str) -> None:
    response = api.client.get(path, headers=api.matcher)
    assert response.status_code in (404, 422)
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "watch_not_found"


def test_another_worker_reads_a_watch_and_stops_it(api: Api) -> None:
    # Two apps on one database: two worker processes, as far as either can tell. The
    # stall timeout is long, so only the stop request can end the watch.
    settings = api.container.settings.model_copy(update={"watch_stall_seconds": 60})
    with HlsServer(hls("clean")) as server:
        server.publish(2)  # then nothing: the watch waits
        for running in make_api(settings):
            created = running.client.post(
                "/v1/watches", json={"source": server.url}, headers=running.admin
            )
            watch_id = created.json()["id"]
            for other in make_api(settings):
                seen = other.client.get(
                    f"/v1/watches/{watch_id}/events", params={"wait": 10}, headers=other.matcher
                ).json()
                assert seen["data"][0]["kind"] == "started"
                asked = other.client.delete(f"/v1/watches/{watch_id}", headers=other.admin)
                assert asked.json()["stop_requested"] is True
            finished = wait_until_finished(running, watch_id)
            assert finished["status"] == "stopped"
            assert running.container.watch_runner.running() == []
