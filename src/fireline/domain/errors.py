"""The error hierarchy: one small family, mapped once to HTTP statuses and exit codes."""

from __future__ import annotations


class FirelineError(Exception):
    """Base of every error fireline raises on purpose.

    ``code`` is a stable machine-readable slug; the message is for people.
    """

    code = "error"
    http_status = 500
    #: 70 (EX_SOFTWARE), distinct from `fireline match`'s 1 for "matched".
    exit_code = 70

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(FirelineError):
    """The request or file is malformed: a bad hash, an unknown label, a missing field."""

    code = "invalid_input"
    http_status = 422
    exit_code = 3


class UnsupportedMedia(InvalidInput):
    """The content is not of a kind fireline can hash (not an image, corrupt, truncated)."""

    code = "unsupported_media"
    http_status = 415


class MediaTooLarge(InvalidInput):
    """The content exceeds a configured limit (bytes, pixels)."""

    code = "too_large"
    http_status = 413


class NotFound(FirelineError):
    """The named bank, entry or key does not exist."""

    code = "not_found"
    http_status = 404
    exit_code = 4


class Conflict(FirelineError):
    """The change clashes with what is stored (a duplicate bank name)."""

    code = "conflict"
    http_status = 409
    exit_code = 5


class ChainBroken(FirelineError):
    """A verified history (an exchange chain, the audit log) is incomplete or was altered."""

    code = "chain_broken"
    http_status = 409
    exit_code = 10


class Unauthenticated(FirelineError):
    """No credentials, or credentials that match no active key."""

    code = "unauthenticated"
    http_status = 401
    exit_code = 6


class Forbidden(FirelineError):
    """The credentials are valid but their role does not allow the action."""

    code = "forbidden"
    http_status = 403
    exit_code = 6


class MissingComponent(FirelineError):
    """A library the operation needs is not installed on this machine (nothing was done).

    Not the client's fault and not passing: the operator installs it.
    """

    code = "missing_component"
    http_status = 501
    exit_code = 9


class StorageError(FirelineError):
    """The store could not complete the operation; nothing was committed."""

    code = "storage_error"
    http_status = 503
    exit_code = 7
