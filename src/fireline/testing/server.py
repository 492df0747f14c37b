"""A real `fireline serve` process on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

#: `python -m fireline`, with the interpreter running the caller.
FIRELINE_MODULE = (sys.executable, "-m", "fireline")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A started server: its base URL, its process, and what it has printed so far."""

    base_url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "".join(self.output)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # loopback only
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = FIRELINE_MODULE,
    ready_path: str = "/readyz",
    start_timeout: float = 60,
) -> Iterator[RunningServer]:
    """Start ``command serve --port P *args``, wait until ``ready_path`` answers 200.

    The database must already be migrated. On exit the server gets SIGINT (a graceful
    stop) and is killed if it has not stopped within 30 seconds; ``process.returncode``
    then tells how it ended. RuntimeError, with the server's output, if it never answers.
    """
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), *args],
        env=None if env is None else dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = RunningServer(base_url=f"http://127.0.0.1:{port}", process=process)
    reader = threading.Thread(
        target=lambda: server.output.extend(process.stdout or ()), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(server.base_url + ready_path):
            if process.poll() is not None or time.monotonic() > deadline:
                reader.join(timeout=5)
                raise RuntimeError(f"the server did not start:\n{server.log}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
