"""Following a local file that is still being written (a recorder's output).

The file is read from its start, then polled for new bytes. It has ended when it has not
grown for the stall timeout (the writer is done: there is no portable way to know that a
writer closed a file), or when it is removed. A file that stays empty for the stall
timeout is a stall error; one that shrinks or is replaced midway is an error.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from fireline.domain import InvalidInput
from fireline.domain.watches import StreamStalled
from fireline.live.guarded import GuardedSource
from fireline.signals.live import Chunk, SourceClosed

#: Bytes read at a time: about a second of a high-bitrate stream.
CHUNK_BYTES = 256 * 1024
#: Seconds between looks at a file that has not grown.
POLL_SECONDS = 0.1


class FileTail(GuardedSource):
    """A ChunkSource over a growing file."""

    def __init__(self, path: Path, *, stall_seconds: float, chunk_bytes: int = CHUNK_BYTES) -> None:
        super().__init__()
        self.path = path
        self._stall = stall_seconds
        self._chunk = chunk_bytes
        self._file: BinaryIO | None = None
        self._inode: tuple[int, int] | None = None
        self._offset = 0
        self._last_growth = time.monotonic()
        self._end_reason = ""
        self.container: str | None = None

    @property
    def end_reason(self) -> str:
        return self._end_reason

    def open(self) -> Mapping[str, object]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            raise InvalidInput(f"{self.path}: no such file", code="file_not_found") from None
        except IsADirectoryError:
            raise InvalidInput(f"{self.path}: is a directory", code="not_a_file") from None
        except PermissionError:
            raise InvalidInput(f"{self.path}: permission denied", code="file_unreadable") from None
        except OSError as exc:
            raise InvalidInput(
                f"{self.path}: cannot be read ({exc.strerror or exc})", code="file_unreadable"
            ) from None
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            handle.close()
            # A FIFO or device would block reads with no way to time them out.
            raise InvalidInput(f"{self.path}: not a regular file", code="not_a_file")
        self._file = handle
        self._inode = (info.st_dev, info.st_ino)
        self._last_growth = time.monotonic()
        return {"path": str(self.path), "bytes_at_start": info.st_size}

    def next_chunk(self) -> Chunk | None:
        return self._guarded_next()

    def _next_chunk(self) -> Chunk | None:
        handle = self._file
        if handle is None:
            raise SourceClosed
        while True:
            if self._closed.is_set():
                raise SourceClosed
            data = handle.read(self._chunk)
            now = time.monotonic()
            if data:
                start = self._offset
                self._offset += len(data)
                self._last_growth = now
                return Chunk(data, now, f"bytes {start}-{self._offset - 1}")
            if not self._still_there():
                self._end_reason = "the file was removed"
                return None
            if now - self._last_growth >= self._stall:
                if self._offset == 0:
                    raise StreamStalled(
                        f"the file stayed empty for {self._stall:g} s", code="stream_stalled"
                    )
                self._end_reason = f"the file did not grow for {self._stall:g} s"
                return None
            if self._closed.wait(POLL_SECONDS):
                raise SourceClosed

    def _release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _still_there(self) -> bool:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return False
        if (info.st_dev, info.st_ino) != self._inode or info.st_size < self._offset:
            raise InvalidInput(
                f"{self.path} was truncated or replaced while it was watched",
                code="file_truncated",
            )
        return True
