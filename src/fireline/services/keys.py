"""API keys: created with a random secret shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from fireline.domain import ApiKey, Conflict, Forbidden, InvalidInput, Role, Unauthenticated
from fireline.services.text import check_text
from fireline.store import ApiKeyStore

KEY_PREFIX = "flk_"


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret. Keys carry 256 random bits, so a slow KDF adds nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyService:
    def __init__(self, *, store: ApiKeyStore) -> None:
        self.store = store

    def create(self, *, name: str, role: Role, secret: str | None = None) -> tuple[ApiKey, str]:
        """Create a key; returns it with its secret, which is never retrievable again."""
        if not name or len(name) > 100:
            raise InvalidInput("a key name is 1-100 characters", code="invalid_key_name")
        check_text(name, what="a key name")
        if secret is None:
            secret = KEY_PREFIX + secrets.token_urlsafe(32)
        elif len(secret) < 24:
            raise InvalidInput("a key secret is at least 24 characters", code="weak_key")
        key = self.store.create_key(
            name=name, role=role, prefix=secret[:10], secret_hash=hash_secret(secret)
        )
        return key, secret

    def authenticate(self, secret: str | None) -> ApiKey:
        """The active key for ``secret``; Unauthenticated when missing or unknown."""
        if not secret:
            raise Unauthenticated("an API key is required (Authorization: Bearer <key>)")
        key = self.store.find_key(hash_secret(secret))
        if key is None:
            raise Unauthenticated("the API key is not valid or has been revoked")
        return key

    @staticmethod
    def require(key: ApiKey, role: Role) -> None:
        """Forbidden unless ``key`` holds ``role`` (admin holds every role)."""
        if key.role is not Role.ADMIN and key.role is not role:
            raise Forbidden(f"this action needs the {role.value} role; the key is {key.role.value}")

    def all(self) -> list[ApiKey]:
        return self.store.list_keys()

    def revoke(self, *, key_id: int) -> ApiKey:
        return self.store.revoke_key(key_id)

    def ensure_admin(self, *, configured: str | None) -> str | None:
        """Make sure an admin key exists; returns a secret only when one was just created.

        With ``configured`` (FIRELINE_ADMIN_KEY) that secret becomes the admin key if it is
        not stored yet; otherwise a random admin key is created when there are no keys.
        """
        if configured:
            if self.store.find_key(hash_secret(configured)) is None:
                try:
                    self.create(
                        name="admin (FIRELINE_ADMIN_KEY)", role=Role.ADMIN, secret=configured
                    )
                except Conflict:  # stored, so revoked: a revoked key stays revoked
                    raise Conflict(
                        "FIRELINE_ADMIN_KEY holds a key that was revoked; "
                        "set it to a new secret, or unset it",
                        code="revoked_admin_key",
                    ) from None
            return None
        if any(k.revoked_at is None for k in self.store.list_keys()):
            return None
        _, secret = self.create(name="admin (first run)", role=Role.ADMIN)
        return secret
