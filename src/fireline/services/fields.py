"""The fields callers hand to the review and legal services: bounded text, times, pages.

Checked before anything is read or written, so bad input changes nothing. Both raise
InvalidInput with a code the API maps to 422 and the CLI to exit 3.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fireline.domain import InvalidInput
from fireline.services.text import check_text

#: The most records one page may ask for.
MAX_PAGE = 1000


def text_field(value: str, *, what: str, most: int, required: bool = False) -> str:
    """``value`` stripped, or InvalidInput naming ``what``.

    Codes: ``invalid_text`` (not text, a NUL, a lone surrogate), ``missing_field`` (empty
    when ``required``), ``text_too_long`` (over ``most`` characters).
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text", code="invalid_text")
    value = check_text(value.strip(), what=what)
    if required and not value:
        raise InvalidInput(f"{what} is required", code="missing_field")
    if len(value) > most:
        raise InvalidInput(f"{what} is at most {most} characters", code="text_too_long")
    return value


def check_page(after: int, limit: int) -> None:
    """InvalidInput unless ``after`` (a cursor: 0 or an id) and ``limit`` (1 to MAX_PAGE)
    are whole numbers in range: ``invalid_cursor``, ``invalid_limit``."""
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise InvalidInput("after is 0 or more", code="invalid_cursor")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is between 1 and {MAX_PAGE}", code="invalid_limit")


def time_field(value: object, *, what: str) -> datetime:
    """``value`` in UTC; InvalidInput (``invalid_time``) unless it is a time with a zone."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(f"{what} must be a time with a zone", code="invalid_time")
    return value.astimezone(UTC)


def check_duration(duration: timedelta, *, what: str, zero: bool = False) -> timedelta:
    """``duration`` if positive (or zero, when ``zero``); InvalidInput
    (``invalid_setting``) otherwise: a service configured with it could never work."""
    if duration < timedelta(0) or (duration == timedelta(0) and not zero):
        raise InvalidInput(f"{what} must be positive", code="invalid_setting")
    return duration
