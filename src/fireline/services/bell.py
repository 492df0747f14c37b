"""A bell that wakes waiting threads and coroutines when something new was committed.

Ringing is cheap and never blocks. Threads wait with ``wait``; coroutines (the push
streams) with ``wait_async``. Only this process hears it: work committed by another
process is found by the waiters' own polling.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from fireline.domain import AuditRecord
from fireline.store import AuditStore


class Bell:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._rings = 0
        self._async: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def rings(self) -> int:
        with self._cond:
            return self._rings

    def ring(self) -> None:
        with self._cond:
            self._rings += 1
            self._cond.notify_all()
            waiters = list(self._async)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop has closed
                continue

    def wait(self, seen: int, timeout: float) -> int:
        """Block until rung after ``seen`` rings (or ``timeout`` seconds); returns rings."""
        with self._cond:
            self._cond.wait_for(lambda: self._rings != seen, timeout)
            return self._rings

    async def wait_async(self, timeout: float) -> None:
        """Return at the next ring, or after ``timeout`` seconds."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._cond:
            self._async.add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._cond:
                self._async.discard(waiter)


class RingingAuditStore:
    """An audit store that rings the bell after each record: every change is recorded
    after it commits, so the exchange hears of changes made through any service."""

    def __init__(self, store: AuditStore, bell: Bell) -> None:
        self._store = store
        self._bell = bell

    def append(
        self, *, actor: str, action: str, subject: str, detail: Mapping[str, Any]
    ) -> AuditRecord:
        record = self._store.append(actor=actor, action=action, subject=subject, detail=detail)
        self._bell.ring()
        return record

    def list(self, *, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        return self._store.list(after=after, limit=limit)

    def last(self) -> AuditRecord | None:
        return self._store.last()
