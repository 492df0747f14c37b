"""A real `fireline serve` process on a free loopback port, talked to over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fireline.testing.media import edited, encode, random_photo
from fireline.testing.server import running_server

ADMIN = "flk_server_test_admin_key_0123456789"


def _fireline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fireline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **os.environ,
        "FIRELINE_DATA_DIR": str(tmp_path / "var"),
        "FIRELINE_ADMIN_KEY": ADMIN,
    }
    upgraded = _fireline("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    with running_server("--seed-demo", env=env) as running:
        yield running.base_url, env


def test_served_api_matches_the_seeded_demo_bank(server: tuple[str, dict[str, str]]) -> None:
    base, _ = server
    headers = {"Authorization": f"Bearer {ADMIN}"}
    banks = httpx.get(f"{base}/v1/banks", headers=headers).json()
    assert [b["name"] for b in banks["data"]] == ["demo"]
    assert banks["data"][0]["entry_count"] > 0
    # The demo bank holds generated images random_photo(0..7); an edited copy matches.
    copy = encode(edited(random_photo(3), "jpeg"), "JPEG")
    result = httpx.post(f"{base}/v1/match", files={"file": ("q.jpg", copy)}, headers=headers)
    assert result.status_code == 200
    assert [m["bank"] for m in result.json()["matches"]] == ["demo"]
    assert httpx.get(f"{base}/v1/banks", timeout=5).status_code == 401
    assert httpx.get(f"{base}/docs", timeout=5).status_code == 200


def test_an_entry_added_by_the_cli_is_matched_by_the_server_at_once(
    server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = server
    photo = tmp_path / "new.png"
    photo.write_bytes(encode(random_photo(99)))
    headers = {"X-API-Key": ADMIN}

    def matched() -> bool:
        response = httpx.post(
            f"{base}/v1/match", files={"file": ("q.png", photo.read_bytes())}, headers=headers
        )
        return bool(response.json()["matched"])

    assert not matched()
    assert _fireline("bank", "create", "fresh", env=env).returncode == 0
    added = _fireline("bank", "add", "fresh", str(photo), env=env)
    assert added.returncode == 0, added.stderr
    assert matched()


def test_several_workers_serve_the_same_banks(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FIRELINE_DATA_DIR": str(tmp_path / "var"),
        "FIRELINE_ADMIN_KEY": ADMIN,
    }
    assert _fireline("db", "upgrade", env=env).returncode == 0
    headers = {"X-API-Key": ADMIN}
    with running_server("--workers", "2", env=env) as running:
        base = running.base_url
        signal = {"signal_type": "md5", "value": "5" * 32}
        created = httpx.post(f"{base}/v1/banks", json={"name": "w"}, headers=headers)
        assert created.status_code == 201
        added = httpx.post(
            f"{base}/v1/banks/w/entries", json={"signals": [signal]}, headers=headers
        )
        assert added.status_code == 201
        # Whichever worker answers, it has followed the change log to the new entry.
        for _ in range(20):
            response = httpx.post(f"{base}/v1/match", json={"signals": [signal]}, headers=headers)
            assert response.json()["matched"] is True


def test_workers_refuse_an_in_memory_store() -> None:
    env = {**os.environ, "FIRELINE_DATABASE_URL": "memory://"}
    result = _fireline("serve", "--workers", "2", env=env)
    assert result.returncode == 2
    assert "memory://" in result.stderr
