"""API keys: created with a random secret shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from fireline.domain import (
    ApiKey,
    AuditAction,
    Conflict,
    Forbidden,
    InvalidInput,
    Permission,
    Role,
    Unauthenticated,
    allows,
)
from fireline.services.audit import AuditLog
from fireline.services.orgs import OrganisationService
from fireline.services.text import check_text
from fireline.store import ApiKeyStore

KEY_PREFIX = "flk_"


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret. Keys carry 256 random bits, so a slow KDF adds nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyService:
    """API keys of organisations; every change is recorded in the audit log."""

    def __init__(self, *, store: ApiKeyStore, orgs: OrganisationService, audit: AuditLog) -> None:
        self.store = store
        self.orgs = orgs
        self.audit = audit

    def create(
        self,
        *,
        name: str,
        role: Role,
        org: str | None = None,
        secret: str | None = None,
        actor: str = "local",
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it with its secret, which is never retrievable again.

        ``org`` names an existing organisation (NotFound otherwise); without it the key
        belongs to the instance's own, created on first use.
        """
        if not name or len(name) > 100:
            raise InvalidInput("a key name is 1-100 characters", code="invalid_key_name")
        check_text(name, what="a key name")
        if secret is None:
            secret = KEY_PREFIX + secrets.token_urlsafe(32)
        elif len(secret) < 24:
            raise InvalidInput("a key secret is at least 24 characters", code="weak_key")
        owner = self.orgs.ensure_instance(actor=actor).name if org is None else org
        key = self.store.create_key(
            name=name, role=role, org=owner, prefix=secret[:10], secret_hash=hash_secret(secret)
        )
        self.audit.record(
            actor=actor,
            action=AuditAction.KEY_CREATED,
            subject=f"key:{key.id}",
            detail={"name": key.name, "role": key.role.value, "org": key.org},
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
    def require(key: ApiKey, permission: Permission) -> None:
        """Forbidden unless ``key``'s role grants ``permission`` (see ROLE_PERMISSIONS)."""
        if not allows(key.role, permission):
            raise Forbidden(
                f"this action needs the {permission.value} permission, which the "
                f"{key.role.value} role of this key does not have"
            )

    def all(self) -> list[ApiKey]:
        return self.store.list_keys()

    def revoke(self, *, key_id: int, actor: str = "local") -> ApiKey:
        """Revoke a key (idempotent: revoking a revoked key changes and records nothing)."""
        was_active = any(k.id == key_id and k.revoked_at is None for k in self.store.list_keys())
        key = self.store.revoke_key(key_id)
        if was_active:
            self.audit.record(
                actor=actor,
                action=AuditAction.KEY_REVOKED,
                subject=f"key:{key.id}",
                detail={"name": key.name, "role": key.role.value, "org": key.org},
            )
        return key

    def ensure_admin(self, *, configured: str | None, actor: str = "local") -> str | None:
        """Make sure an admin key exists; returns a secret only when one was just created.

        With ``configured`` (FIRELINE_ADMIN_KEY) that secret becomes the admin key if it is
        not stored yet; otherwise a random admin key is created when there are no keys.
        The instance's own organisation is created too, if it is missing.
        """
        self.orgs.ensure_instance(actor=actor)
        if configured:
            if self.store.find_key(hash_secret(configured)) is None:
                try:
                    self.create(
                        name="admin (FIRELINE_ADMIN_KEY)",
                        role=Role.ADMIN,
                        secret=configured,
                        actor=actor,
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
        _, secret = self.create(name="admin (first run)", role=Role.ADMIN, actor=actor)
        return secret
