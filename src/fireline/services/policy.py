"""Acting on matches: the policy file, flood control, and a verdict for each upload.

The rules themselves are the domain's (``fireline.domain.policy``); this module loads
them, keeps the per-entry match rates flood control needs, and turns a MatchResult into
a Verdict. docs/policy.md describes the file and the semantics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from fireline.domain import InvalidInput, MatchResult
from fireline.domain.policy import (
    FloodControl,
    MatchFacts,
    Policy,
    UploadContext,
    Verdict,
    acting_facts,
    evaluate,
)
from fireline.domain.policy_file import parse_policy

log = logging.getLogger("fireline.policy")

#: The shipped policy, a file in this package.
DEFAULT_POLICY = "default_policy.toml"
#: Largest policy file read, in bytes: a policy is a few dozen rules.
MAX_POLICY_BYTES = 1024 * 1024
#: Entries whose match counts flood control keeps at most (least recently matched go first).
MAX_TRACKED_ENTRIES = 100_000


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the shipped default when None.

    A file that is not UTF-8 TOML or breaks a rule of the format raises InvalidInput (code
    ``invalid_policy``) whose message starts ``{path}:{line}: ``; one that cannot be read
    or is over MAX_POLICY_BYTES, ``{path}: ``.
    """
    if path is None:
        text = resources.files("fireline.services").joinpath(DEFAULT_POLICY).read_text("utf-8")
        return parse_policy(text, source=f"fireline/services/{DEFAULT_POLICY}")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput(
            f"{path}: cannot read the policy file: {reason}", code="invalid_policy"
        ) from None
    if len(data) > MAX_POLICY_BYTES:
        raise InvalidInput(
            f"{path}: the policy file is larger than {MAX_POLICY_BYTES} bytes",
            code="invalid_policy",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(f"{path}:{line}: not UTF-8 text", code="invalid_policy") from None
    return parse_policy(text, source=str(path))


@dataclass(frozen=True, slots=True)
class FloodObservation:
    """What one observation found: the observed entries under quarantine, and the new ones."""

    quarantined: frozenset[int] = frozenset()
    newly: frozenset[int] = frozenset()


class FloodGuard:
    """Counts matches per entry in fixed windows and quarantines entries that spike.

    An entry is quarantined when its matches in the current window are at least
    ``min_matches`` and more than ``multiple`` times its baseline: the mean per window
    over the previous ``baseline_windows`` windows (those since the guard started, when
    fewer), never taken below 1. No entry is quarantined in the guard's first window, for
    it has seen no baseline yet. Quarantine lasts until ``release``. In memory and per
    process: a restart forgets rates and quarantines alike.
    """

    def __init__(
        self,
        control: FloodControl | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_TRACKED_ENTRIES,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.control = control or FloodControl()
        self._now = now
        self._start = now()
        self._max_entries = max_entries
        self._lock = threading.Lock()
        #: entry id -> {window index: matches}, least recently matched first.
        self._counts: OrderedDict[int, dict[int, int]] = OrderedDict()
        self._quarantined: set[int] = set()
        self._swept = 0

    def observe(
        self, entry_ids: Iterable[int], *, incident_entries: Collection[int] = frozenset()
    ) -> frozenset[int]:
        """Record one match of each entry; return those of them now under quarantine."""
        return self.record(entry_ids, incident_entries=incident_entries).quarantined

    def record(
        self, entry_ids: Iterable[int], *, incident_entries: Collection[int] = frozenset()
    ) -> FloodObservation:
        """Like ``observe``, also saying which entries this observation quarantined."""
        control = self.control
        with self._lock:
            window = int((self._now() - self._start) // control.window_seconds)
            self._sweep(window)
            quarantined: set[int] = set()
            newly: set[int] = set()
            for entry_id in set(entry_ids):
                counts = self._count(entry_id, window)
                if control.incident_exempt and entry_id in incident_entries:
                    self._quarantined.discard(entry_id)
                    continue
                if entry_id not in self._quarantined and self._spiking(counts, window):
                    self._quarantined.add(entry_id)
                    newly.add(entry_id)
                    log.warning(
                        "entry %d quarantined: %d matches in this window", entry_id, counts[window]
                    )
                if entry_id in self._quarantined:
                    quarantined.add(entry_id)
            return FloodObservation(frozenset(quarantined), frozenset(newly))

    def release(self, entry_id: int) -> bool:
        """End an entry's quarantine (a person checked it); False if it was not quarantined.

        Its counts start afresh, so the spike that caused it does not quarantine it again.
        """
        with self._lock:
            self._counts.pop(entry_id, None)
            if entry_id not in self._quarantined:
                return False
            self._quarantined.discard(entry_id)
            return True

    def quarantined(self) -> tuple[int, ...]:
        """The entries under quarantine, in id order."""
        with self._lock:
            return tuple(sorted(self._quarantined))

    def tracked(self) -> int:
        """How many entries' counts are kept (bounded by ``max_entries``)."""
        with self._lock:
            return len(self._counts)

    def _count(self, entry_id: int, window: int) -> dict[int, int]:
        counts = self._counts.pop(entry_id, None)
        if counts is None:
            counts = {}
            while len(self._counts) >= self._max_entries:
                self._counts.popitem(last=False)
        self._counts[entry_id] = counts
        oldest = window - self.control.baseline_windows
        for stale in [w for w in counts if w < oldest]:
            del counts[stale]
        counts[window] = counts.get(window, 0) + 1
        return counts

    def _spiking(self, counts: dict[int, int], window: int) -> bool:
        control = self.control
        spans = min(window, control.baseline_windows)
        if spans == 0:
            return False
        current = counts[window]
        baseline = sum(n for w, n in counts.items() if w < window) / spans
        return current >= control.min_matches and current > control.multiple * max(baseline, 1.0)

    def _sweep(self, window: int) -> None:
        """Once per window, forget entries with no match in the baseline span."""
        if window == self._swept:
            return
        self._swept = window
        oldest = window - self.control.baseline_windows
        for entry_id in [e for e, c in self._counts.items() if max(c, default=oldest - 1) < oldest]:
            del self._counts[entry_id]


class PolicyService:
    """Turns an upload's matches into the policy's verdict, flood control included.

    ``incident_of_bank`` names the active incident whose bank a bank is (None: none).
    Without ``flood`` a guard is built from the policy's [flood] settings.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        incident_of_bank: Callable[[str], int | None],
        flood: FloodGuard | None = None,
    ) -> None:
        self.policy = policy
        self.incident_of = incident_of_bank
        self.flood = flood if flood is not None else FloodGuard(policy.flood)

    def facts(self, result: MatchResult) -> tuple[MatchFacts, ...]:
        """What the rules see of each match."""
        return tuple(
            MatchFacts(
                entry_id=m.entry.id,
                bank=m.entry.bank_name,
                signal_type=m.query.signal_type,
                distance=m.distance,
                labels=frozenset(m.entry.labels),
                incident_id=self.incident_of(m.entry.bank_name),
                query_value=m.query.value,
            )
            for m in result.matches
        )

    def verdict(self, result: MatchResult, context: UploadContext | None = None) -> Verdict:
        """The policy's verdict on one upload's matches; records them for flood control.

        ``newly_quarantined`` on the verdict lists entries this upload's matches put under
        quarantine, for the caller to audit.
        """
        context = context or UploadContext()
        facts = self.facts(result)
        acting = acting_facts(self.policy, facts)
        seen = self.flood.record(
            (f.entry_id for f in acting),
            incident_entries={f.entry_id for f in acting if f.incident_id is not None},
        )
        verdict = evaluate(self.policy, facts, context, quarantined=seen.quarantined)
        if not seen.newly:
            return verdict
        reasons = tuple(
            f"entry {entry_id} quarantined by flood control: it matched more than "
            f"{self.policy.flood.multiple:g} times its usual rate"
            for entry_id in sorted(seen.newly)
        )
        return replace(
            verdict,
            newly_quarantined=tuple(sorted(seen.newly)),
            reasons=reasons + verdict.reasons,
        )
