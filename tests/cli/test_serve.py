"""`fireline serve`: first-run admin key, demo seeding, and a server that answers."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from fireline.services.demo import DEMO_BANK, DEMO_IMAGES
from fireline.testing.server import running_server
from tests.cli.conftest import Cli
from tests.cli.scripts import FIRELINE, fireline

KEY = re.compile(r"flk_[A-Za-z0-9_-]{20,}")


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, list[str]]]:
    """A running `fireline serve`; yields its base URL and its output lines so far.

    On exit it is stopped with SIGINT, which must end it with status 0.
    """
    with running_server(*args, command=[str(FIRELINE)], ready_path="/healthz") as server:
        yield server.base_url, server.output
    assert server.process.returncode == 0, server.log


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
