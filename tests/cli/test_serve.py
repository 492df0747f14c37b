"""`fireline serve`: first-run admin key, demo seeding, and a server that answers."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from fireline.services.demo import DEMO_BANK, DEMO_IMAGES
from tests.cli.conftest import Cli
from tests.cli.scripts import FIRELINE, fireline, free_port

KEY = re.compile(r"flk_[A-Za-z0-9_-]{20,}")


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, list[str]]]:
    """A running `fireline serve`; yields its base URL and its stderr lines so far."""
    port = free_port()
    process = subprocess.Popen(
        [str(FIRELINE), "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "".join(lines)
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        yield base, lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=30) == 0, "".join(lines)
        finally:
            process.kill()
            reader.join(timeout=5)


def test_first_run_prints_an_admin_key_once_and_seeds_the_demo(cli: Cli) -> None:
    with serving("--seed-demo") as (base, lines):
        output = "".join(lines)
        (secret,) = KEY.findall(output)
        assert "Admin API key" in output
        answer = httpx.get(f"{base}/v1/banks", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
        banks = {b["name"]: b for b in answer.json()["data"]}
        assert banks[DEMO_BANK]["entry_count"] == DEMO_IMAGES * 3
        assert httpx.get(f"{base}/v1/banks").status_code == 401

    # Second start on the same database: the key exists, so no new secret is printed.
    with serving("--seed-demo") as (_base, lines):
        assert KEY.findall("".join(lines)) == []
    assert cli.json_lines("key", "list", "--json")[0]["role"] == "admin"


def test_seed_demo_is_refused_in_production(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRELINE_ENV", "production")
    result = cli("serve", "--seed-demo")
    assert result.exit_code == 2
    assert "development only" in result.stderr


def test_a_busy_port_is_reported_with_exit_2(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = fireline("serve", "--port", str(port), timeout=60)
    assert done.returncode == 2
    assert done.stderr.rstrip().endswith(
        f"error: the HTTP server could not start on 127.0.0.1:{port} "
        "(see the log above; is the port in use?)"
    )
