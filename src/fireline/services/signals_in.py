"""Validating signals that callers hand in as strings (API bodies, imports, CLI flags)."""

from __future__ import annotations

from fireline.domain import InvalidInput, Signal
from fireline.signals import SignalRegistry


def parse_signal(
    registry: SignalRegistry, *, signal_type: str, value: str, quality: int | None = None
) -> Signal:
    """Canonicalise one signal or raise InvalidInput naming the problem."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("a signal needs a non-empty value", code="malformed_signal")
    kind = registry.get(signal_type)
    return Signal(kind.name, kind.validate(value), kind.validate_quality(quality))


def parse_signal_line(registry: SignalRegistry, line: str, *, default_type: str | None) -> Signal:
    """Parse ``"<type> <value>"`` (python-threatexchange's form) or a bare value.

    As in python-threatexchange, the type ends at the first space: a value may hold
    spaces (a vpdq signal is a JSON list).
    """
    parts = line.split(None, 1)
    if len(parts) == 2:
        return parse_signal(registry, signal_type=parts[0], value=parts[1])
    if len(parts) == 1 and default_type:
        return parse_signal(registry, signal_type=default_type, value=parts[0])
    raise InvalidInput(
        f"expected '<signal type> <value>', got {line[:80]!r}", code="malformed_signal"
    )
