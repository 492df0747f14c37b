"""Aggregate figures: what an observer may see. Counts only, never a hash or an entry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fireline.domain.models import SharingPolicy
from fireline.domain.taxonomy import ContentCategory

_CATEGORY = "category:"


@dataclass(frozen=True, slots=True)
class EntryFigures:
    """Counts over the banks and their entries, as a BankStore computes them.

    ``active_by_category`` counts active entries per ``category:*`` label (an entry with
    two categories counts in both); ``uncategorised`` counts active entries with none.
    """

    banks: int
    banks_by_sharing: Mapping[str, int]
    active_entries: int
    retracted_entries: int
    active_by_signal_type: Mapping[str, int]
    active_by_category: Mapping[str, int]
    uncategorised: int


@dataclass(frozen=True, slots=True)
class Figures:
    """The instance's aggregate figures."""

    entries: EntryFigures
    organisations: int


def tally_entries(
    *,
    banks_by_sharing: Mapping[str, int],
    retracted_entries: int,
    active: Iterable[tuple[str, Sequence[str], int]],
) -> EntryFigures:
    """EntryFigures from bank counts and (signal type, labels, count) rows of active entries.

    Every sharing policy and content category is present, with 0 when none has it, so
    the shape of the figures does not depend on what is banked.
    """
    by_type: Counter[str] = Counter()
    by_category: Counter[str] = Counter({c.value: 0 for c in ContentCategory})
    uncategorised = 0
    for signal_type, labels, count in active:
        by_type[signal_type] += count
        categories = {
            label.removeprefix(_CATEGORY) for label in labels if label.startswith(_CATEGORY)
        }
        for category in categories:
            by_category[category] += count
        if not categories:
            uncategorised += count
    sharing = {policy.value: 0 for policy in SharingPolicy} | dict(banks_by_sharing)
    return EntryFigures(
        banks=sum(sharing.values()),
        banks_by_sharing=dict(sorted(sharing.items())),
        active_entries=sum(by_type.values()),
        retracted_entries=retracted_entries,
        active_by_signal_type=dict(sorted(by_type.items())),
        active_by_category=dict(sorted(by_category.items())),
        uncategorised=uncategorised,
    )
