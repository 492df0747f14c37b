"""Variant harvesting: uploads close to an incident's content become proposed variants.

A proposal carries an upload's hashes and the evidence (which incident entry it came
close to, how close, which segment). What happens to it:

- **known**: the upload is a near-identical copy of an entry already banked (its best
  evidence within ``fold_distance``): nothing new to share, nothing stored;
- **folded**: it shares a hash with a variant already proposed, or is near-identical to
  one: that variant counts one more proposal (and the proposer's organisation);
- **proposed**: a new variant waits for a responder;
- **accepted**: the rule accepts it at once: its evidence is within the match threshold
  (an edited copy that matched), or ``auto_accept_orgs`` organisations proposed it.

Accepted variants join the incident's bank, so they are shared at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from fireline.domain import Conflict, Entry, InvalidInput, Match, MatchResult, Signal
from fireline.domain.incidents import (
    OPEN_STATES,
    Evidence,
    IncidentEventKind,
    NewIncidentEvent,
    NewVariant,
    Variant,
    VariantState,
)
from fireline.services.incidents import SAVE_ATTEMPTS, Actor, IncidentService, incident_labels
from fireline.services.text import check_text
from fireline.signals import IndexKind, SignalRegistry
from fireline.store import IncidentStore

#: Most signals one proposal may carry, and evidence items one variant keeps.
MAX_SIGNALS = 32
MAX_EVIDENCE = 20
MAX_REASON = 2000
#: Variants a proposal is compared with for near-identity (the newest).
FOLD_WINDOW = 1000


class Outcome(StrEnum):
    KNOWN = "known"
    FOLDED = "folded"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a proposal did; ``variant`` is None when it was already known."""

    outcome: Outcome
    variant: Variant | None


@dataclass(frozen=True, slots=True)
class VariantRules:
    #: Evidence at or below this distance means a near-identical copy (any signal type).
    fold_distance: int = 10
    #: Accept a proposal at once when its evidence is within the match threshold.
    auto_accept_matches: bool = True
    #: Accept a proposal once this many organisations made it (0: never by count).
    auto_accept_orgs: int = 3


class VariantService:
    """Proposing, folding, accepting and rejecting an incident's variants."""

    def __init__(
        self,
        *,
        incidents: IncidentService,
        store: IncidentStore,
        registry: SignalRegistry,
        rules: VariantRules,
    ) -> None:
        self.incidents = incidents
        self.store = store
        self.registry = registry
        self.rules = rules
        # Proposals of one process fold one after another; other processes' races end in
        # the store's duplicate_variant conflict and are folded on the retry.
        self._lock = threading.Lock()

    def get(self, *, variant_id: int) -> Variant:
        return self.store.get_variant(variant_id)

    def all(self, *, incident_id: int, state: VariantState | None = None) -> list[Variant]:
        return self.store.list_variants(incident_id, state=state)

    def propose(
        self,
        *,
        incident_id: int,
        signals: Sequence[Signal],
        actor: Actor,
        evidence: Sequence[Evidence] = (),
    ) -> Proposal:
        """Propose an upload's hashes as a variant of the incident's content."""
        self.incidents.require_member(actor)
        incident = self.incidents.open_for_hashes(incident_id=incident_id)
        clean = self._signals(signals)
        proofs = self._evidence(evidence, org=actor.org)
        if proofs and min(e.distance for e in proofs) <= self.rules.fold_distance:
            return Proposal(Outcome.KNOWN, None)
        with self._lock:
            for _ in range(SAVE_ATTEMPTS):
                existing = self._fold_target(incident.id, clean)
                if existing is not None:
                    folded = self._fold(existing, actor=actor, evidence=proofs)
                    if folded is None:
                        continue  # changed meanwhile: look again
                    return self._maybe_accept(folded, Outcome.FOLDED)
                at = self.incidents.clock()
                try:
                    variant = self.store.add_variant(
                        NewVariant(
                            incident_id=incident.id,
                            signals=clean,
                            proposed_at=at,
                            proposed_by=actor.name,
                            org=actor.org,
                            evidence=proofs,
                        ),
                        event=NewIncidentEvent(
                            at=at,
                            kind=IncidentEventKind.VARIANT_PROPOSED,
                            actor=actor.name,
                            org=actor.org,
                            detail={
                                "signals": sorted({s.signal_type for s in clean}),
                                "best_distance": min((e.distance for e in proofs), default=None),
                            },
                        ),
                    )
                except Conflict as exc:
                    if exc.code != "duplicate_variant":
                        raise
                    continue  # another writer proposed it first: fold into theirs
                self.incidents.audit.record(
                    actor=actor.name,
                    action="variant.proposed",
                    subject=f"variant:{variant.id}",
                    detail={"org": actor.org, "incident": incident.id},
                )
                self.incidents.bell.ring()
                return self._maybe_accept(variant, Outcome.PROPOSED)
        raise Conflict("too many concurrent proposals; try again", code="stale")

    def accept(self, *, variant_id: int, actor: Actor, reason: str = "") -> Variant:
        """Accept a proposed variant: its hashes join the incident's bank, shared at once."""
        self.incidents.require_member(actor)
        return self._accept(self.store.get_variant(variant_id), actor, reason, automatic=False)

    def reject(self, *, variant_id: int, actor: Actor, reason: str = "") -> Variant:
        """Reject a proposed variant (not the incident's content); nothing is shared."""
        self.incidents.require_member(actor)
        variant = self.store.get_variant(variant_id)
        saved = self._decide(variant, VariantState.REJECTED, actor, _reason(reason))
        self.incidents.audit.record(
            actor=actor.name,
            action="variant.rejected",
            subject=f"variant:{variant.id}",
            detail={"org": actor.org, "incident": variant.incident_id, "reason": saved.reason},
        )
        return saved

    def _decide(
        self,
        variant: Variant,
        state: VariantState,
        actor: Actor,
        reason: str,
        *,
        automatic: bool = False,
    ) -> Variant:
        """Save the decision on a proposed variant, reading it again when a fold saved first.

        A rejection is an event of the timeline here; an acceptance is one once its hashes
        are banked (``record_hashes``).
        """
        for _ in range(SAVE_ATTEMPTS):
            variant = self._undecided(variant)
            at = self.incidents.clock()
            events = []
            if state is VariantState.REJECTED:
                events.append(
                    NewIncidentEvent(
                        at=at,
                        kind=IncidentEventKind.VARIANT_REJECTED,
                        actor=actor.name,
                        org=actor.org,
                        detail={"variant": variant.id, "reason": reason},
                    )
                )
            decided = replace(
                variant,
                state=state,
                decided_at=at,
                decided_by=actor.name,
                automatic=automatic,
                reason=reason,
            )
            try:
                return self.store.save_variant(decided, events=events)
            except Conflict as exc:
                if exc.code != "stale":
                    raise
                variant = self.store.get_variant(variant.id)
        raise Conflict(f"variant {variant.id} is changing too fast; try again", code="stale")

    # -- steps ----------------------------------------------------------------------------

    def _signals(self, signals: Sequence[Signal]) -> tuple[Signal, ...]:
        if not signals:
            raise InvalidInput("a variant needs at least one signal", code="missing_field")
        if len(signals) > MAX_SIGNALS:
            raise InvalidInput(
                f"a variant holds at most {MAX_SIGNALS} signals", code="too_many_signals"
            )
        out: dict[tuple[str, str], Signal] = {}
        for signal in signals:
            kind = self.registry.get(signal.signal_type)
            value = kind.validate(signal.value)
            quality = kind.validate_quality(signal.quality)
            if kind.too_low_quality(quality):
                continue
            out.setdefault((kind.name, value), Signal(kind.name, value, quality))
        if not out:
            raise InvalidInput(
                "every signal of this variant is too low in quality to match",
                code="low_quality",
            )
        return tuple(sorted(out.values(), key=lambda s: (s.signal_type, s.value)))

    def _evidence(self, evidence: Sequence[Evidence], *, org: str) -> tuple[Evidence, ...]:
        if len(evidence) > MAX_EVIDENCE:
            raise InvalidInput(
                f"at most {MAX_EVIDENCE} pieces of evidence", code="too_much_evidence"
            )
        out = []
        for item in evidence:
            self.registry.get(item.signal_type)
            if item.distance < 0 or item.threshold < 0:
                raise InvalidInput("distances are 0 or more", code="invalid_evidence")
            # A member speaks for itself only.
            out.append(replace(item, org=org))
        return tuple(sorted(out, key=lambda e: e.distance))

    def _fold_target(self, incident_id: int, signals: tuple[Signal, ...]) -> Variant | None:
        """The variant this proposal is a copy of: one sharing a hash, or a near one."""
        same = self.store.find_variants(incident_id, signals)
        if same:
            return same[0]
        fuzzy = [
            s for s in signals if self.registry.get(s.signal_type).index_kind is not IndexKind.EXACT
        ]
        if not fuzzy:
            return None
        recent = self.store.list_variants(incident_id)[-FOLD_WINDOW:]
        for variant in recent:
            if variant.state is VariantState.REJECTED:
                continue
            for mine in fuzzy:
                kind = self.registry.get(mine.signal_type)
                for theirs in variant.signals:
                    if theirs.signal_type == mine.signal_type and (
                        kind.compare(mine.value, theirs.value) <= self.rules.fold_distance
                    ):
                        return variant
        return None

    def _fold(
        self, variant: Variant, *, actor: Actor, evidence: tuple[Evidence, ...]
    ) -> Variant | None:
        kept = tuple(sorted((*variant.evidence, *evidence), key=lambda e: e.distance))
        orgs = variant.orgs if actor.org in variant.orgs else (*variant.orgs, actor.org)
        try:
            return self.store.save_variant(
                replace(
                    variant,
                    proposals=variant.proposals + 1,
                    orgs=orgs,
                    evidence=kept[:MAX_EVIDENCE],
                ),
                events=[],
            )
        except Conflict as exc:
            if exc.code != "stale":
                raise
            return None

    def _confident(self, variant: Variant) -> bool:
        if self.rules.auto_accept_matches and any(e.within_threshold for e in variant.evidence):
            return True
        return 0 < self.rules.auto_accept_orgs <= len(variant.orgs)

    def _maybe_accept(self, variant: Variant, outcome: Outcome) -> Proposal:
        if variant.state is not VariantState.PROPOSED or not self._confident(variant):
            return Proposal(outcome, variant)
        try:
            accepted = self._accept(variant, Actor("rule", variant.orgs[0]), "", automatic=True)
        except Conflict as exc:
            if exc.code not in ("variant_decided", "incident_not_open"):
                raise
            return Proposal(outcome, self.store.get_variant(variant.id))
        return Proposal(Outcome.ACCEPTED, accepted)

    def _undecided(self, variant: Variant) -> Variant:
        if variant.state is not VariantState.PROPOSED:
            raise Conflict(
                f"variant {variant.id} is already {variant.state}", code="variant_decided"
            )
        return variant

    def _accept(self, variant: Variant, actor: Actor, reason: str, *, automatic: bool) -> Variant:
        incident = self.incidents.open_for_hashes(incident_id=variant.incident_id)
        assert incident.bank is not None
        saved = self._decide(
            variant, VariantState.ACCEPTED, actor, _reason(reason), automatic=automatic
        )
        added = self.incidents.banks.add_signals(
            bank=incident.bank,
            signals=saved.signals,
            labels=incident_labels(incident.id, ()),
            contributor=saved.orgs[0],
            actor=actor.name,
        )
        self.incidents.record_hashes(
            incident.id,
            actor=actor,
            entry_ids=[e.id for e in added.added],
            variant=saved.id,
            automatic=automatic,
        )
        return saved


def _reason(reason: str) -> str:
    reason = check_text(reason.strip(), what="a reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters", code="text_too_long")
    return reason


class HarvestSink(Protocol):
    """Where harvested tallies and proposals go: this instance's incidents, or a hub's."""

    def open_banks(self) -> dict[int, int]:
        """Local bank ids of open incidents' banks, to the incidents' ids."""
        ...

    def tally(self, incident_id: int, *, minute: datetime, blocked: bool) -> None:
        """Count one upload that came close to the incident's content."""
        ...

    def propose(
        self, incident_id: int, *, signals: tuple[Signal, ...], evidence: list[Evidence]
    ) -> None:
        """Propose an upload's hashes as a variant."""
        ...


class LocalSink:
    """Harvest into the incidents this instance holds (it is the hub, or alone)."""

    def __init__(
        self,
        *,
        variants: VariantService,
        org: str,
        bank_ids: Callable[[Sequence[str]], dict[str, int]],
        refresh_seconds: float = 1.0,
    ) -> None:
        self.variants = variants
        self.org = org
        self.bank_ids = bank_ids
        self.refresh_seconds = refresh_seconds
        self._open: dict[int, int] = {}
        self._read_at = -1e9
        self._generation = -1
        self._lock = threading.Lock()

    def open_banks(self) -> dict[int, int]:
        """Read again after a change through this process's incident service, and every
        ``refresh_seconds`` for changes made by other processes."""
        incidents = self.variants.incidents
        with self._lock:
            stale = time.monotonic() - self._read_at >= self.refresh_seconds
            if stale or incidents.generation != self._generation:
                self._generation = incidents.generation
                found = incidents.all(states=sorted(OPEN_STATES), limit=1000)
                by_bank = {i.bank: i.id for i in found if i.bank is not None}
                ids = self.bank_ids(sorted(by_bank))
                self._open = {ids[name]: by_bank[name] for name in by_bank if name in ids}
                self._read_at = time.monotonic()
            return dict(self._open)

    def tally(self, incident_id: int, *, minute: datetime, blocked: bool) -> None:
        self.variants.store.add_tally(
            incident_id, org=self.org, minute=minute, matched=1, blocked=int(blocked)
        )

    def propose(
        self, incident_id: int, *, signals: tuple[Signal, ...], evidence: list[Evidence]
    ) -> None:
        try:
            self.variants.propose(
                incident_id=incident_id,
                signals=signals,
                actor=Actor("harvest", self.org),
                evidence=evidence,
            )
        except Conflict as exc:
            if exc.code != "incident_not_open":  # concluded a moment ago
                raise


class Harvester:
    """Watches this instance's match results for uploads close to an open incident.

    Each result touching an open incident's bank counts in that incident's tally of the
    minute (blocked when within the threshold) and, unless it is a near-identical copy of
    a banked entry (best evidence within ``fold_distance``), is proposed as a variant.
    """

    def __init__(
        self,
        *,
        sink: HarvestSink,
        org: str,
        uid_of: Callable[[Entry], str],
        fold_distance: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.sink = sink
        self.org = org
        self.uid_of = uid_of
        self.fold_distance = fold_distance
        self.clock = clock

    def candidate_banks(self) -> set[int]:
        return set(self.sink.open_banks())

    def observe(self, result: MatchResult) -> None:
        banks = self.sink.open_banks()
        if not banks:
            return
        touched: dict[int, list[Match]] = {}
        for match in (*result.matches, *result.candidates):
            incident = banks.get(match.entry.bank_id)
            if incident is not None:
                touched.setdefault(incident, []).append(match)
        minute = minute_of(self.clock())
        for incident_id, found in touched.items():
            blocked = any(m.distance <= m.threshold for m in found)
            self.sink.tally(incident_id, minute=minute, blocked=blocked)
            evidence = self.evidence(found)
            if min(e.distance for e in evidence) > self.fold_distance:
                self.sink.propose(incident_id, signals=result.signals, evidence=evidence)

    def evidence(self, found: Sequence[Match]) -> list[Evidence]:
        """The best match per signal type, as evidence."""
        best: dict[str, Match] = {}
        for m in found:
            if m.entry.signal_type not in best or m.distance < best[m.entry.signal_type].distance:
                best[m.entry.signal_type] = m
        out = []
        for signal_type, m in sorted(best.items()):
            segment = m.segments[0] if m.segments else None
            out.append(
                Evidence(
                    org=self.org,
                    signal_type=signal_type,
                    entry_uid=self.uid_of(m.entry),
                    distance=m.distance,
                    threshold=m.threshold,
                    query_start=segment.query_start if segment else None,
                    query_end=segment.query_end if segment else None,
                    reference_start=segment.reference_start if segment else None,
                    reference_end=segment.reference_end if segment else None,
                )
            )
        return out


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
