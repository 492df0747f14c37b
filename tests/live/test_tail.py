"""Following a file that is still being written."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from fireline.domain import InvalidInput
from fireline.domain.watches import StreamStalled
from fireline.live import FileTail
from fireline.signals.live import SourceClosed


def write_slowly(path: Path, data: bytes, *, pieces: int, pause: float) -> threading.Thread:
    """Append ``data`` to ``path`` in ``pieces`` writes, ``pause`` seconds apart, from a thread."""
    size = -(-len(data) // pieces)

    def write() -> None:
        with path.open("ab") as handle:
            for start in range(0, len(data), size):
                handle.write(data[start : start + size])
                handle.flush()
                time.sleep(pause)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_growing_file_is_read_as_it_grows_and_ends_when_it_stops_growing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rec.ts"
    path.touch()
    data = os.urandom(100_000)
    tail = FileTail(path, stall_seconds=0.5, chunk_bytes=16_384)
    assert tail.open()["bytes_at_start"] == 0
    writer = write_slowly(path, data, pieces=5, pause=0.1)
    received = b""
    while (chunk := tail.next_chunk()) is not None:
        received += chunk.data
    writer.join()
    assert received == data
    assert tail.end_reason == "the file did not grow for 0.5 s"


def test_a_file_that_stays_empty_stalls(tmp_path: Path) -> None:
    path = tmp_path / "rec.ts"
    path.touch()
    tail = FileTail(path, stall_seconds=0.3)
    tail.open()
    with pytest.raises(StreamStalled):
        tail.next_chunk()


def test_a_file_cut_shorter_while_watched_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rec.ts"
    path.write_bytes(b"x" * 1000)
    tail = FileTail(path, stall_seconds=5)
    tail.open()
    assert tail.next_chunk() is not None
    path.write_bytes(b"x" * 10)
    with pytest.raises(InvalidInput) as caught:
        tail.next_chunk()
    assert caught.value.code == "file_truncated"


def test_a_file_removed_while_watched_has_ended(tmp_path: Path) -> None:
    path = tmp_path / "rec.ts"
    path.write_bytes(b"x" * 10)
    tail = FileTail(path, stall_seconds=5)
    tail.open()
    assert tail.next_chunk() is not None
    path.unlink()
    assert tail.next_chunk() is None
    assert tail.end_reason == "the file was removed"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: None, "file_not_found"),
        (lambda p: p.mkdir(), "not_a_file"),
        (lambda p: os.mkfifo(p), "not_a_file"),
    ],
    ids=["missing", "directory", "fifo"],
)
def test_what_is_not_a_regular_file_is_refused(tmp_path: Path, make: object, code: str) -> None:
    path = tmp_path / "rec.ts"
    make(path)  # type: ignore[operator]
    # A FIFO opens only once a writer comes: give it one that writes nothing.
    if path.is_fifo():
        threading.Thread(target=lambda: path.open("wb").close(), daemon=True).start()
    with pytest.raises(InvalidInput) as caught:
        FileTail(path, stall_seconds=1).open()
    assert caught.value.code == code


def test_closing_stops_a_waiting_reader(tmp_path: Path) -> None:
    path = tmp_path / "rec.ts"
    path.write_bytes(b"x")
    tail = FileTail(path, stall_seconds=60)
    tail.open()
    assert tail.next_chunk() is not None
    threading.Timer(0.2, tail.close).start()
    with pytest.raises(SourceClosed):
        tail.next_chunk()
