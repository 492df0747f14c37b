"""Free text that callers hand in (descriptions, notes, reasons, names), checked once.

Every store must be able to keep it: PostgreSQL refuses NUL characters in text, and no
database driver can encode a lone surrogate (which a JSON ``\\ud800`` escape or a
non-UTF-8 command-line argument produces). Both are refused up front, on every backend.
"""

from __future__ import annotations

from fireline.domain import InvalidInput


def check_text(value: str, *, what: str) -> str:
    """``value`` unchanged, or InvalidInput (``invalid_text``) naming ``what`` is wrong."""
    if "\x00" in value:
        raise InvalidInput(f"{what} must not contain NUL characters", code="invalid_text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"{what} is not valid Unicode text (it holds a lone surrogate)", code="invalid_text"
        ) from None
    return value
