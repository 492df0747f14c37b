"""The registry of signal types, filled from the ``fireline.signals`` entry point.

Built-in types register through the same entry point a third-party plugin uses, so the
extension point is exercised on every run. Nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

from fireline.domain import InvalidInput
from fireline.signals.base import ContentType, SignalType

ENTRY_POINT_GROUP = "fireline.signals"


class SignalRegistry:
    """The signal types this instance knows, by name."""

    def __init__(self, types: Iterable[type[SignalType]]) -> None:
        self._types: dict[str, type[SignalType]] = {}
        for signal_type in types:
            if signal_type.name in self._types:
                raise ValueError(f"two signal types are named {signal_type.name!r}")
            self._types[signal_type.name] = signal_type

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> SignalRegistry:
        """Load every signal type that installed packages register."""
        loaded = []
        for point in entry_points(group=group):
            signal_type = point.load()
            if not (isinstance(signal_type, type) and issubclass(signal_type, SignalType)):
                raise TypeError(f"entry point {point.name!r} is not a SignalType subclass")
            loaded.append(signal_type)
        return cls(sorted(loaded, key=lambda t: t.name))

    def get(self, name: str) -> type[SignalType]:
        """The type named ``name``, or InvalidInput listing the known ones."""
        try:
            return self._types[name]
        except KeyError:
            raise InvalidInput(
                f"unknown signal type {name!r}; known: {', '.join(self.names())}",
                code="unknown_signal_type",
            ) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def types(self) -> list[type[SignalType]]:
        return [self._types[name] for name in self.names()]

    def for_content(self, content_type: ContentType) -> list[type[SignalType]]:
        """Types whose hashers accept this kind of content."""
        return [t for t in self.types() if content_type in t.content_types]

    def __contains__(self, name: object) -> bool:
        return name in self._types
