"""Canonical JSON: one byte string per value, so that a signature and a hash are stable.

Keys sorted, no insignificant whitespace, UTF-8 (not ASCII escapes), and only the JSON
types that serialise one way: objects, arrays, strings, integers, booleans and null.
Floats are refused: their text form differs between implementations.
"""

from __future__ import annotations

import json
from typing import Any

from fireline.domain import InvalidInput

#: Deepest nesting a received document may have (a batch needs 5).
MAX_DEPTH = 16


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput("the JSON is nested too deeply", code="invalid_batch")
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise InvalidInput("numbers in a batch are integers", code="invalid_batch")
    if isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("object keys are strings", code="invalid_batch")
            _check(item, depth + 1)
        return
    raise InvalidInput(f"{type(value).__name__} is not a JSON value", code="invalid_batch")


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of a JSON value; InvalidInput for floats or odd types."""
    _check(value, 0)
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("a string is not valid UTF-8", code="invalid_batch") from None


def parse_json(data: bytes) -> Any:
    """Parse received JSON; InvalidInput (never a crash) for anything malformed."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("the batch is not UTF-8", code="invalid_batch") from None
    except (ValueError, RecursionError):
        raise InvalidInput("the batch is not valid JSON", code="invalid_batch") from None
    _check(value, 0)
    return value
