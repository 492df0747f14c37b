"""Delivering watch events to a webhook: JSON POSTs from a thread of their own.

``deliver`` only queues, so a slow or dead receiver never holds up matching. Each event
is POSTed with a 5-second timeout and tried three times (waiting 0.5 s, then 1 s); a
2xx answer is success. A failure is logged and reported to ``on_failure``; it never
stops the watch. At most ``QUEUE_SIZE`` events wait; more are dropped, and logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from fireline.domain import InvalidInput
from fireline.live.fetch import Fetcher, where
from fireline.live.policy import SourcePolicy

log = logging.getLogger("fireline.watch")

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)
QUEUE_SIZE = 1000

FailureCallback = Callable[[Mapping[str, Any], str], None]


class WebhookSink:
    """An AlertSink that POSTs each event to one URL."""

    def __init__(
        self,
        url: str,
        *,
        policy: SourcePolicy,
        on_failure: FailureCallback | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        policy.check_url(url)
        self.url = url
        self.on_failure = on_failure
        self._fetcher = Fetcher(policy=policy, timeout=timeout)
        self._queue: queue.Queue[Mapping[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def deliver(self, event: Mapping[str, Any]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._send_all, name="webhook", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failed += 1
            log.warning("webhook %s: %d events waiting; event dropped", where(self.url), QUEUE_SIZE)

    def close(self, timeout: float = 15.0) -> None:
        """Send what is queued (waiting at most ``timeout`` seconds), then stop."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=timeout)
            thread.join(timeout)
        self._stopping.set()
        self._fetcher.close()

    def _send_all(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            self._send(event)

    def _send(self, event: Mapping[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
        headers = {"X-Fireline-Event": str(event.get("kind", ""))}
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt and self._stopping.wait(BACKOFF_SECONDS[min(attempt, 2) - 1]):
                break
            try:
                status = self._fetcher.post_json(self.url, body, headers=headers)
            except InvalidInput as exc:
                problem = exc.message
                continue
            if 200 <= status < 300:
                self.delivered += 1
                return
            problem = f"{where(self.url)} answered HTTP {status}"
        self.failed += 1
        log.warning("webhook delivery of event %s failed: %s", event.get("number"), problem)
        if self.on_failure is not None:
            try:
                self.on_failure(event, problem)
            except Exception:  # reporting must never take the sender down
                log.exception("recording a webhook failure failed")
