"""HTTP for watches: GET and POST under the source policy, with size and time limits.

Redirects are followed by hand, at most ``MAX_REDIRECTS``, and every hop is checked
against the policy before it is requested. Bodies are read up to a byte limit and no
further.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from fireline import __version__
from fireline.domain import InvalidInput, MediaTooLarge
from fireline.live.policy import SourcePolicy

MAX_REDIRECTS = 5
USER_AGENT = f"fireline/{__version__} (watch)"


class FetchFailed(InvalidInput):
    """A request failed: unreachable, timed out, or an HTTP error status."""

    code = "source_unreachable"

    def __init__(self, message: str, *, code: str, status: int | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status

    @property
    def transient(self) -> bool:
        """Worth trying again: the network, a timeout, or a server error (5xx, 429)."""
        return self.status is None or self.status >= 500 or self.status == 429


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    content: bytes


def where(url: str) -> str:
    """The URL for messages: without credentials, query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    number = _port(url)
    port = f":{number}" if number else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


class Fetcher:
    """An HTTP client bound to a policy. Safe to share between threads."""

    def __init__(self, *, policy: SourcePolicy, timeout: float = 10.0) -> None:
        self.policy = policy
        self._client = httpx.Client(
            verify=_tls(),
            follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": USER_AGENT},
        )

    def get(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """The body at ``url`` (``what`` names it in errors: "the playlist").

        Raises FetchFailed, MediaTooLarge (over ``max_bytes``) or InvalidInput (policy).
        """
        for _ in range(MAX_REDIRECTS + 1):
            self.policy.check_url(url)
            try:
                with self._client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchFailed(
                            f"{what} at {where(url)} answered HTTP {response.status_code}",
                            code="source_http_error",
                            status=response.status_code,
                        )
                    return Fetched(url=url, content=_read(response, max_bytes, what))
            except httpx.TimeoutException:
                raise FetchFailed(
                    f"{what} at {where(url)} did not answer in time", code="source_timeout"
                ) from None
            except httpx.HTTPError as exc:
                raise FetchFailed(
                    f"cannot fetch {what} at {where(url)}: {exc or type(exc).__name__}",
                    code="source_unreachable",
                ) from None
        raise FetchFailed(
            f"{what} at {where(url)} redirected more than {MAX_REDIRECTS} times",
            code="too_many_redirects",
        )

    def post_json(self, url: str, body: bytes, *, headers: dict[str, str]) -> int:
        """POST a JSON body (no redirects followed); returns the status. Raises FetchFailed."""
        self.policy.check_url(url)
        try:
            response = self._client.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.TimeoutException:
            raise FetchFailed(
                f"{where(url)} did not answer in time", code="source_timeout"
            ) from None
        except httpx.HTTPError as exc:
            raise FetchFailed(
                f"cannot reach {where(url)}: {exc or type(exc).__name__}",
                code="source_unreachable",
            ) from None
        return response.status_code

    def close(self) -> None:
        self._client.close()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA certificates takes a good 0.1 s."""
    return ssl.create_default_context()


def _read(response: httpx.Response, max_bytes: int, what: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(what, max_bytes)
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > max_bytes:
            raise _too_large(what, max_bytes)
    return bytes(body)


def _too_large(what: str, max_bytes: int) -> MediaTooLarge:
    return MediaTooLarge(f"{what} is over the limit of {max_bytes:,} bytes", code="too_many_bytes")
