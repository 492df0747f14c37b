"""Policy rules: what an upload's matches make a platform do.

A policy is a TOML file (docs/policy.md) of ordered rules. Each match takes the first rule
whose conditions all hold, or the policy's default actions; negative banks suppress,
flood control and exempt account classes turn automatic removal into human review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from fireline.domain.errors import InvalidInput


class PolicyAction(StrEnum):
    BLOCK = "block"  # refuse the upload
    REMOVE = "remove"  # take down content already up
    REVIEW = "review"  # hold for a person
    INTERSTITIAL = "interstitial"  # show behind a warning screen
    PRESERVE = "preserve"  # keep evidence (preservation hold)
    REPORT = "report"  # report to the competent authority
    NOTIFY = "notify"  # tell the uploader


class AccountClass(StrEnum):
    """Accounts whose uploads carry context: exempt from automatic removal by default."""

    NEWS = "news"
    RESEARCH = "research"
    ARCHIVE = "archive"  # a human-rights archive
    COUNTER_SPEECH = "counter_speech"


#: The ``contexts`` value for an ordinary account (no account class).
ORDINARY = "none"
#: The name ``Verdict.rules`` gives the policy's default actions.
DEFAULT_RULE = "default"
_AUTOMATIC = frozenset({PolicyAction.BLOCK, PolicyAction.REMOVE})
_ORDER = list(PolicyAction)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: conditions (empty or None: any) and the actions a matching fact takes."""

    name: str
    actions: tuple[PolicyAction, ...]
    signal_types: frozenset[str] = frozenset()
    #: The match's distance is at most this.
    max_distance: int | None = None
    #: Any of these labels (canonical taxonomy strings).
    labels: frozenset[str] = frozenset()
    banks: frozenset[str] = frozenset()
    #: True: only matches of an incident's bank; False: only others; None: either.
    incident: bool | None = None
    #: Account classes, or ``"none"`` for an ordinary account.
    contexts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.name or not self.actions:
            raise InvalidInput("a rule needs a name and at least one action", code="invalid_policy")

    def covers(self, fact: MatchFacts, context: UploadContext) -> bool:
        """Whether every condition of the rule holds for this match in this context."""
        return (
            (not self.signal_types or fact.signal_type in self.signal_types)
            and (self.max_distance is None or fact.distance <= self.max_distance)
            and (not self.labels or not self.labels.isdisjoint(fact.labels))
            and (not self.banks or fact.bank in self.banks)
            and (self.incident is None or self.incident == (fact.incident_id is not None))
            and (not self.contexts or context.key in self.contexts)
        )


@dataclass(frozen=True, slots=True)
class FloodControl:
    """When an entry matching far more than usual is quarantined (never blocks or removes).

    A runaway entry is usually a bad hash (a collision-prone image, a logo) rather than a
    flood of real copies; quarantine sends its matches to a person until it is released.
    """

    #: Quarantine when the current window's matches exceed this multiple of the baseline.
    multiple: float = 10.0
    window_seconds: int = 300
    #: The baseline is the mean matches per window over this many previous windows.
    baseline_windows: int = 12
    #: Never quarantine an entry with fewer matches than this in the current window.
    min_matches: int = 50
    #: An active incident's entries are expected to spike: never quarantined.
    incident_exempt: bool = True


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...] = ()
    negative_banks: frozenset[str] = frozenset()
    #: What a match no rule covers does.
    default_actions: tuple[PolicyAction, ...] = (PolicyAction.REVIEW,)
    exempt: frozenset[AccountClass] = frozenset(AccountClass)
    flood: FloodControl = field(default_factory=FloodControl)


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """What a rule may look at in one match."""

    entry_id: int
    bank: str
    signal_type: str
    distance: int
    labels: frozenset[str]
    incident_id: int | None
    #: The query signal's value: a negative bank suppresses matches of the same query.
    query_value: str


@dataclass(frozen=True, slots=True)
class UploadContext:
    account_class: AccountClass | None = None

    @property
    def key(self) -> str:
        """The context as rules name it: the account class, or ``"none"``."""
        return self.account_class.value if self.account_class else ORDINARY


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one upload, and why."""

    actions: frozenset[PolicyAction] = frozenset()
    #: The rules that fired, in order of first firing; ``"default"`` for the default.
    rules: tuple[str, ...] = ()
    #: The context was exempt and block/remove were turned into review.
    exempt: bool = False
    #: Entries whose matches a negative bank suppressed.
    suppressed: tuple[int, ...] = ()
    #: Entries under flood quarantine among this upload's matches.
    quarantined: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    #: Entries of negative banks that matched (they suppress, never act).
    negative: tuple[int, ...] = ()
    #: Entries this upload's matches put under quarantine (the service fills it).
    newly_quarantined: tuple[int, ...] = ()

    @property
    def blocks(self) -> bool:
        return PolicyAction.BLOCK in self.actions

    @property
    def needs_review(self) -> bool:
        return PolicyAction.REVIEW in self.actions


def acting_facts(policy: Policy, facts: Sequence[MatchFacts]) -> tuple[MatchFacts, ...]:
    """The facts that act: not of a negative bank and not suppressed by one."""
    return _partition(policy, facts)[2]


def _partition(
    policy: Policy, facts: Sequence[MatchFacts]
) -> tuple[list[MatchFacts], list[MatchFacts], tuple[MatchFacts, ...]]:
    """Facts of negative banks, facts they suppress (same signal type and query), the rest."""
    keys = {(f.signal_type, f.query_value) for f in facts if f.bank in policy.negative_banks}
    negative: list[MatchFacts] = []
    suppressed: list[MatchFacts] = []
    acting: list[MatchFacts] = []
    for f in facts:
        if f.bank in policy.negative_banks:
            negative.append(f)
        elif (f.signal_type, f.query_value) in keys:
            suppressed.append(f)
        else:
            acting.append(f)
    return negative, suppressed, tuple(acting)


def evaluate(
    policy: Policy,
    facts: Sequence[MatchFacts],
    context: UploadContext,
    *,
    quarantined: frozenset[int] = frozenset(),
) -> Verdict:
    """Apply the policy to one upload's matches (docs/policy.md, "Evaluation").

    ``quarantined``: the entries flood control holds; their block and remove become review.
    """
    negative, suppressed, acting = _partition(policy, facts)
    reasons = [
        f'entry {f.entry_id} of negative bank "{f.bank}" suppresses {f.signal_type} '
        "matches of the same hash"
        for f in negative
    ]
    reasons.extend(
        f'entry {f.entry_id} (bank "{f.bank}") suppressed: its {f.signal_type} hash '
        "matched a negative bank"
        for f in suppressed
    )

    actions: set[PolicyAction] = set()
    fired: list[str] = []
    for f in acting:
        rule = next((r for r in policy.rules if r.covers(f, context)), None)
        name = rule.name if rule else DEFAULT_RULE
        taken = rule.actions if rule else policy.default_actions
        where = f'entry {f.entry_id} (bank "{f.bank}", {f.signal_type} distance {f.distance})'
        if rule:
            reasons.append(f'{where} matched rule "{name}": {_names(taken)}')
        else:
            reasons.append(f"{where} matched no rule: default {_names(taken)}")
        if f.entry_id in quarantined and _AUTOMATIC.intersection(taken):
            held = [a for a in taken if a in _AUTOMATIC]
            taken = (*(a for a in taken if a not in _AUTOMATIC), PolicyAction.REVIEW)
            reasons.append(
                f"entry {f.entry_id} is under flood quarantine: {_names(held)} held for review"
            )
        actions.update(taken)
        if name not in fired:
            fired.append(name)

    exempt = False
    if context.account_class in policy.exempt and _AUTOMATIC & actions:
        exempt = True
        reasons.append(
            f"account class {context.key} is exempt: "
            f"{_names(sorted(_AUTOMATIC & actions, key=_ORDER.index))} turned into review"
        )
        actions = (actions - _AUTOMATIC) | {PolicyAction.REVIEW}

    return Verdict(
        actions=frozenset(actions),
        rules=tuple(fired),
        exempt=exempt,
        suppressed=tuple(sorted({f.entry_id for f in suppressed})),
        quarantined=tuple(sorted({f.entry_id for f in acting if f.entry_id in quarantined})),
        reasons=tuple(reasons),
        negative=tuple(sorted({f.entry_id for f in negative})),
    )


def _names(actions: Sequence[PolicyAction]) -> str:
    return ", ".join(a.value for a in actions)
