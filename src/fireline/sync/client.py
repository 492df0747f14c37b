"""A peer's HTTP API as this instance sees it: signed requests for feeds and contributions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from fireline.domain import (
    Conflict,
    FirelineError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from fireline.exchange import InstanceKey, canonical_json, request_message

#: Seconds to connect and to wait between bytes (a push stream sends a comment every 15 s).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


class PeerUnavailable(FirelineError):
    """The peer could not be reached, or answered with an error; nothing was applied."""

    code = "peer_unavailable"
    http_status = 502
    exit_code = 7


class PeerClient:
    """Signed calls to one peer at ``base_url`` (no redirects followed)."""

    def __init__(self, base_url: str, key: InstanceKey, *, max_batch_bytes: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.max_batch_bytes = max_batch_bytes
        self._http = httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        date = datetime.now(UTC).isoformat()
        target = urlsplit(self.base_url).path + path
        signature = self.key.sign(request_message(method, target, date, body))
        return {
            "Fireline-Key": self.key.public_key,
            "Fireline-Date": date,
            "Fireline-Signature": signature,
        }

    def batches(self, bank: str, *, after: int, limit: int = 100) -> list[bytes]:
        """Envelopes of the peer's feed of ``bank`` after ``after``, oldest first."""
        path = f"/v1/exchange/feeds/{quote(bank)}/batches?" + urlencode(
            {"after": after, "limit": limit}
        )
        response = self._call("GET", path, b"")
        try:
            data = response.json()["data"]
            return [canonical_json(item) for item in data]
        except (ValueError, KeyError, TypeError, InvalidInput) as exc:
            raise PeerUnavailable(f"{self.base_url}: a malformed feed page ({exc})") from None

    def stream(self, bank: str, *, after: int) -> Iterator[bytes]:
        """Envelopes pushed by the peer as they are published; ends when it hangs up."""
        path = f"/v1/exchange/feeds/{quote(bank)}/stream?" + urlencode({"after": after})
        try:
            with self._http.stream(
                "GET", self.base_url + path, headers=self._headers("GET", path, b"")
            ) as response:
                _check(response, self.base_url, read=True)
                data: list[str] = []
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        data.append(line[5:].lstrip())
                        if sum(len(d) for d in data) > self.max_batch_bytes:
                            raise InvalidInput(
                                "a pushed batch is too large", code="batch_too_large"
                            )
                    elif not line and data:
                        yield "\n".join(data).encode("utf-8")
                        data = []
        except httpx.HTTPError as exc:
            raise PeerUnavailable(f"{self.base_url}: {type(exc).__name__}: {exc}") from None

    def contribute(self, bank: str, envelope: bytes) -> dict[str, Any]:
        """Send one contribution batch; the peer's answer when it applied it."""
        path = f"/v1/exchange/feeds/{quote(bank)}/contributions"
        response = self._call("POST", path, envelope, content_type="application/json")
        answer: dict[str, Any] = response.json()
        return answer

    # -- a hub's incidents (see web/api/exchange_incidents.py) ----------------------------

    def incidents(self, *, known: str = "", wait: float = 0) -> dict[str, Any]:
        """The hub's incidents and their token; with ``wait``, once they differ from ``known``."""
        path = "/v1/exchange/incidents?" + urlencode({"known": known, "wait": wait})
        answer: dict[str, Any] = self._call("GET", path, b"", remote_errors=True).json()
        return answer

    def incident_call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A signed JSON call to the hub's incident routes; the hub's refusals are raised as
        the same errors (NotFound, Conflict, Forbidden, InvalidInput) with its code."""
        answer: dict[str, Any] = self._call(
            method,
            "/v1/exchange/incidents" + path,
            canonical_json(body),
            content_type="application/json",
            remote_errors=True,
        ).json()
        return answer

    def _call(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        content_type: str | None = None,
        remote_errors: bool = False,
    ) -> httpx.Response:
        headers = self._headers(method, path, body)
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self._http.request(
                method, self.base_url + path, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise PeerUnavailable(f"{self.base_url}: {type(exc).__name__}: {exc}") from None
        if remote_errors and 400 <= response.status_code < 500:
            raise _remote_error(response, self.base_url)
        _check(response, self.base_url)
        return response


_REMOTE: dict[int, type[FirelineError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    415: InvalidInput,
    422: InvalidInput,
}


def _remote_error(response: httpx.Response, base_url: str) -> FirelineError:
    """The peer's refusal as our own error class, with its code and message."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return PeerUnavailable(f"{base_url} answered {response.status_code}")
    kind = _REMOTE.get(response.status_code)
    if kind is None:
        return PeerUnavailable(f"{base_url} answered {response.status_code} ({code}: {message})")
    return kind(f"the hub refused: {message}", code=code)


def _check(response: httpx.Response, base_url: str, *, read: bool = False) -> None:
    if response.status_code < 400:
        return
    if read:
        response.read()
    try:
        error = response.json()["error"]
        detail = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        detail = response.text[:200]
    raise PeerUnavailable(f"{base_url} answered {response.status_code} ({detail})")
