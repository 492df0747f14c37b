"""What every live source shares: one reader at a time, and a close() from any thread.

A source reads under a lock; ``close()`` marks it closed and releases its resources at
once when no read is under way, or leaves them to the reader, which releases them as it
finishes. A read that fails, or finds the end, releases them too.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import ClassVar

from fireline.signals.live import Chunk, SourceClosed


class GuardedSource(ABC):
    """Base of the live sources: ``_next_chunk`` reads, ``_release`` frees what it holds."""

    #: Errors a read raises because the source was closed under it: they become
    #: SourceClosed once it is closed.
    closed_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self) -> None:
        self._closed = threading.Event()
        self._busy = threading.Lock()  # held while reading: close() leaves release to the reader

    def _guarded_next(self) -> Chunk | None:
        with self._busy:
            try:
                chunk = self._next_chunk()
            except BaseException as exc:
                self._release()
                if isinstance(exc, self.closed_errors) and self._closed.is_set():
                    raise SourceClosed from None
                raise
            if chunk is None:
                self._release()
            return chunk

    def close(self) -> None:
        self._closed.set()
        if self._busy.acquire(blocking=False):
            try:
                self._release()
            finally:
                self._busy.release()

    @abstractmethod
    def _next_chunk(self) -> Chunk | None: ...

    @abstractmethod
    def _release(self) -> None: ...
