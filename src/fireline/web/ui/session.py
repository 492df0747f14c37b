"""Web UI logins: a person signs in with their API key and gets a signed session cookie.

The cookie names the key's id and an expiry, signed with HMAC-SHA256; it never holds the
key's secret. The key is looked up again on every page, so a revoked key's sessions end
at once and a role change applies at the next click. The cookie is HttpOnly and
SameSite=Strict: another site cannot ride on it to post a decision.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fireline.domain import ApiKey

COOKIE = "fireline_session"


class Sessions:
    """Signs and checks session cookies."""

    def __init__(self, secret: str | None, *, hours: int) -> None:
        self._secret = (secret or secrets.token_urlsafe(32)).encode()
        self.seconds = hours * 3600

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, key: ApiKey, *, now: float | None = None) -> str:
        """A cookie value for ``key``, valid for the configured hours."""
        expires = int((now or time.time()) + self.seconds)
        body = f"{key.id}.{expires}"
        return f"{body}.{self._sign(body)}"

    def key_id(self, cookie: str | None, *, now: float | None = None) -> int | None:
        """The key id a valid, unexpired cookie names; None otherwise."""
        if not cookie or cookie.count(".") != 2:
            return None
        key_id, expires, signature = cookie.split(".")
        if not (key_id.isdigit() and expires.isdigit()):
            return None
        if not hmac.compare_digest(signature, self._sign(f"{key_id}.{expires}")):
            return None
        if int(expires) < (now or time.time()):
            return None
        return int(key_id)
