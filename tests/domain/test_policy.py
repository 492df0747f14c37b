"""Policy files and their evaluation: what an upload's matches make the platform do."""

from __future__ import annotations

from importlib import resources

import pytest

from fireline.domain import InvalidInput
from fireline.domain.policy import (
    AccountClass,
    FloodControl,
    MatchFacts,
    Policy,
    PolicyAction,
    Rule,
    UploadContext,
    evaluate,
)
from fireline.domain.policy_file import parse_policy

A = PolicyAction
BLOCK, REMOVE, REVIEW, PRESERVE, NOTIFY, INTERSTITIAL, REPORT = (
    A.BLOCK,
    A.REMOVE,
    A.REVIEW,
    A.PRESERVE,
    A.NOTIFY,
    A.INTERSTITIAL,
    A.REPORT,
)
LIVESTREAM = "category:perpetrator_livestream"
RECRUITMENT = "category:recruitment"

GOOD = """\
# a comment
negative_banks = ["known-benign"]
default_actions = ["review", "preserve"]
exempt = ["news", "archive"]

[flood]
multiple = 4
window_seconds = 60
baseline_windows = 24
min_matches = 20
incident_exempt = false

[[rule]]
name = "exact perpetrator"
signal_types = ["pdq", "md5"]
labels = ["Category:Perpetrator_Livestream"]
banks = ["tvec"]
incident = true
max_distance = 10
contexts = ["none", "research"]
actions = ["block", "preserve", "block"]

[[rule]]
name = "everything else"
actions = ["review"]
"""


def test_a_policy_file_reads_into_rules() -> None:
    policy = parse_policy(GOOD)
    assert policy == Policy(
        rules=(
            Rule(
                name="exact perpetrator",
                signal_types=frozenset({"pdq", "md5"}),
                labels=frozenset({LIVESTREAM}),
                banks=frozenset({"tvec"}),
                incident=True,
                max_distance=10,
                contexts=frozenset({"none", "research"}),
                actions=(BLOCK, PRESERVE),
            ),
            Rule(name="everything else", actions=(REVIEW,)),
        ),
        negative_banks=frozenset({"known-benign"}),
        default_actions=(REVIEW, PRESERVE),
        exempt=frozenset({AccountClass.NEWS, AccountClass.ARCHIVE}),
        flood=FloodControl(
            multiple=4.0,
            window_seconds=60,
            baseline_windows=24,
            min_matches=20,
            incident_exempt=False,
        ),
    )


def test_an_empty_file_is_the_defaults() -> None:
    assert parse_policy("") == Policy()
    assert Policy().default_actions == (REVIEW,)
    assert Policy().exempt == frozenset(AccountClass)
    assert Policy().flood == FloodControl(10.0, 300, 12, 50, True)


def test_the_shipped_default_parses() -> None:
    text = resources.files("fireline.services").joinpath("default_policy.toml").read_text()
    policy = parse_policy(text)
    assert policy.rules
    assert policy.exempt == frozenset(AccountClass)
    assert policy.default_actions == (REVIEW,)


RULE = '[[rule]]\nname = "r"\nactions = ["block"]\n'

# (file, the error's beginning: line and reason)
BAD_FILES = [
    pytest.param('a = 1\nb = [1,\nc = "x"\n', "policy.toml:3: not valid TOML", id="syntax"),
    pytest.param('[[rule]]\nname = "r\n', "policy.toml:2: not valid TOML", id="open-string"),
    pytest.param("a = 1\nb = ", "policy.toml:2: not valid TOML", id="syntax-at-end"),
    pytest.param(
        "negative_banks = []\nrules = []\n",
        'policy.toml:2: unknown key "rules" (did you mean "rule"?)',
        id="unknown-top-key",
    ),
    pytest.param(
        "[flood]\nmultiple = 3\nwindow = 60\n",
        'policy.toml:3: [flood]: unknown key "window" (did you mean "window_seconds"?)',
        id="unknown-flood-key",
    ),
    pytest.param(
        RULE + '\n[[rule]]\nname = "s"\nactions = ["review"]\nlabel = []\n',
        'policy.toml:8: rule "s": unknown key "label" (did you mean "labels"?)',
        id="unknown-rule-key",
    ),
    pytest.param(
        '[[rule]]\nname = "exact perpetrator"\n\nactions = ["block", "delete"]\n',
        'policy.toml:4: rule "exact perpetrator": unknown action "delete"; known: block, '
        "remove, review, interstitial, preserve, report, notify",
        id="unknown-action",
    ),
    pytest.param(
        '[[rule]]\nname = "r"\nactions = []\n',
        'policy.toml:3: rule "r": actions must name at least one action',
        id="empty-actions",
    ),
    pytest.param(
        '[[rule]]\nname = "r"\n',
        'policy.toml:1: rule "r": missing "actions"',
        id="missing-actions",
    ),
    pytest.param(
        RULE
        + RULE.replace('"r"', '"s"')
        + RULE.replace('"r"', '"t"')
        + 'labels = ["category:beheading"]\n',
        "policy.toml:10: rule \"t\": label 'category:beheading': unknown category",
        id="bad-label",
    ),
    pytest.param(
        RULE + 'labels = ["perpetrator_livestream"]\n',
        "policy.toml:4: rule \"r\": label 'perpetrator_livestream' must be written dimension:value",
        id="label-without-dimension",
    ),
    pytest.param(
        'exempt = ["news", "journalism"]\n',
        'policy.toml:1: unknown account class "journalism"; known: news, research, archive, '
        "counter_speech",
        id="unknown-account-class",
    ),
    pytest.param(
        RULE + 'contexts = ["ordinary"]\n',
        'policy.toml:4: rule "r": unknown context "ordinary"; known: news, research, archive, '
        "counter_speech, none",
        id="unknown-context",
    ),
    pytest.param(
        RULE + "\n" + RULE,
        'policy.toml:6: rule "r": duplicate name: rule #1 has it too',
        id="duplicate-rule-name",
    ),
    pytest.param(
        RULE + "max_distance = -1\n",
        'policy.toml:4: rule "r": max_distance must be at least 0, got -1',
        id="negative-max-distance",
    ),
    pytest.param(
        RULE + 'max_distance = "10"\n',
        'policy.toml:4: rule "r": max_distance must be an integer, got string "10"',
        id="wrong-type",
    ),
    pytest.param(
        RULE + "max_distance = true\n",
        'policy.toml:4: rule "r": max_distance must be an integer, got boolean true',
        id="boolean-is-not-integer",
    ),
    pytest.param(
        RULE + 'incident = "yes"\n',
        'policy.toml:4: rule "r": incident must be true or false, got string "yes"',
        id="incident-not-boolean",
    ),
    pytest.param(
        '[[rule]]\nactions = ["block"]\n',
        'policy.toml:1: rule #1: missing "name"',
        id="missing-name",
    ),
    pytest.param(
        '[[rule]]\nname = "default"\nactions = ["review"]\n',
        'policy.toml:2: rule #1: "default" is reserved',
        id="reserved-name",
    ),
    pytest.param(
        RULE + 'actions = "block"\n',
        "policy.toml:4: not valid TOML",
        id="key-twice",
    ),
    pytest.param(
        '[[rule]]\nname = "r"\nactions = "block"\n',
        'policy.toml:3: rule "r": actions must be an array of strings, got string "block"',
        id="actions-not-array",
    ),
    pytest.param(
        '[[rule]]\nname = "r"\nactions = [\n  "block",\n  3,\n]\n',
        'policy.toml:3: rule "r": actions must be an array of strings, got integer 3 in it',
        id="non-string-in-array",
    ),
    pytest.param(
        RULE + 'signal_types = ["PDQ"]\n',
        'policy.toml:4: rule "r": "PDQ" is not a signal type name',
        id="signal-type-not-slug",
    ),
    pytest.param(
        RULE + 'signal_types = [""]\n',
        'policy.toml:4: rule "r": "" is not a signal type name',
        id="empty-signal-type",
    ),
    pytest.param(
        'negative_banks = ["known benign"]\n',
        'policy.toml:1: "known benign" is not a bank name',
        id="bad-bank-name",
    ),
    pytest.param(
        "default_actions = []\n",
        "policy.toml:1: default_actions must name at least one action",
        id="empty-default-actions",
    ),
    pytest.param(
        "[flood]\nmultiple = 0.5\n",
        "policy.toml:2: [flood]: multiple must be a finite number of at least 1, got 0.5",
        id="flood-multiple-below-one",
    ),
    pytest.param(
        "[flood]\nmultiple = inf\n",
        "policy.toml:2: [flood]: multiple must be a finite number",
        id="flood-multiple-infinite",
    ),
    pytest.param(
        "[flood]\n\nwindow_seconds = 0\n",
        "policy.toml:3: [flood]: window_seconds must be at least 1, got 0",
        id="flood-zero-window",
    ),
    pytest.param(
        "[flood]\nmin_matches = -5\n",
        "policy.toml:2: [flood]: min_matches must be at least 1, got -5",
        id="flood-negative-min",
    ),
    pytest.param(
        "flood = 3\n",
        "policy.toml:1: flood must be a table ([flood]), got integer 3",
        id="flood-not-table",
    ),
    pytest.param(
        "[rule]\nname = 'r'\nactions = ['block']\n",
        "policy.toml:1: rule must be an array of tables: write each rule under [[rule]]",
        id="rule-not-array",
    ),
    pytest.param(
        RULE + "[rule.extra]\nx = 1\n",
        'policy.toml:4: rule "r": unknown key "extra"',
        id="sub-table-in-rule",
    ),
    pytest.param(
        'notes = """\n[[rule]]\nname = 1\n"""\n' + RULE,
        'policy.toml:1: unknown key "notes"',
        id="multi-line-string-skipped",
    ),
    pytest.param(
        'rule = [{name = "r", actions = ["x"]}]\n',
        'policy.toml:1: rule "r": unknown action "x"',
        id="inline-rules-point-at-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_a_bad_policy_file_names_its_line_and_reason(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_policy(text)
    assert raised.value.code == "invalid_policy"
    assert raised.value.message.startswith(expected), raised.value.message


def test_errors_name_the_source() -> None:
    with pytest.raises(InvalidInput, match=r"^/etc/fireline/policy\.toml:1: unknown key"):
        parse_policy("bogus = 1", source="/etc/fireline/policy.toml")


def test_a_syntax_error_keeps_the_column() -> None:
    with pytest.raises(InvalidInput, match=r"^policy\.toml:2: not valid TOML: .*\(column \d+\)"):
        parse_policy('a = 1\nb = "x\n')


# --- evaluation ---------------------------------------------------------------------------


def fact(
    entry_id: int,
    *,
    bank: str = "tvec",
    signal_type: str = "pdq",
    distance: int = 0,
    labels: tuple[str, ...] = (LIVESTREAM,),
    incident_id: int | None = None,
    query: str = "q1",
) -> MatchFacts:
    return MatchFacts(
        entry_id=entry_id,
        bank=bank,
        signal_type=signal_type,
        distance=distance,
        labels=frozenset(labels),
        incident_id=incident_id,
        query_value=query,
    )


POLICY = parse_policy(
    """\
negative_banks = ["benign"]
exempt = ["news", "research", "archive", "counter_speech"]

[[rule]]
name = "incident exact"
incident = true
max_distance = 10
actions = ["block", "preserve", "notify"]

[[rule]]
name = "incident edited"
incident = true
actions = ["review", "preserve"]

[[rule]]
name = "livestream md5"
signal_types = ["md5"]
labels = ["category:perpetrator_livestream"]
actions = ["remove", "report"]

[[rule]]
name = "recruitment in partner bank"
labels = ["category:recruitment", "category:instruction"]
banks = ["partner"]
actions = ["interstitial"]

[[rule]]
name = "ordinary accounts"
contexts = ["none"]
labels = ["category:glorification"]
actions = ["remove"]
"""
)

NONE = UploadContext()
NEWS = UploadContext(AccountClass.NEWS)

# (facts, context, quarantined, actions, rules fired, exempt, suppressed)
CASES = [
    pytest.param((), NONE, (), set(), (), False, (), id="no-facts"),
    pytest.param(
        (fact(1, incident_id=7, distance=4),),
        NONE,
        (),
        {BLOCK, PRESERVE, NOTIFY},
        ("incident exact",),
        False,
        (),
        id="first-rule",
    ),
    pytest.param(
        (fact(1, incident_id=7, distance=11),),
        NONE,
        (),
        {REVIEW, PRESERVE},
        ("incident edited",),
        False,
        (),
        id="distance-beyond-first-rule",
    ),
    pytest.param(
        (fact(1, incident_id=7, signal_type="md5"),),
        NONE,
        (),
        {BLOCK, PRESERVE, NOTIFY},
        ("incident exact",),
        False,
        (),
        id="first-rule-wins-over-later-match",
    ),
    pytest.param(
        (fact(1, signal_type="md5"), fact(2, bank="partner", labels=(RECRUITMENT,))),
        NONE,
        (),
        {REMOVE, REPORT, INTERSTITIAL},
        ("livestream md5", "recruitment in partner bank"),
        False,
        (),
        id="union-across-facts",
    ),
    pytest.param(
        (fact(1, labels=(RECRUITMENT,)),),
        NONE,
        (),
        {REVIEW},
        ("default",),
        False,
        (),
        id="bank-condition-fails-default",
    ),
    pytest.param(
        (fact(1, signal_type="md5", labels=()),),
        NONE,
        (),
        {REVIEW},
        ("default",),
        False,
        (),
        id="label-condition-fails-default",
    ),
    pytest.param(
        (fact(1, labels=("category:glorification",)),),
        NONE,
        (),
        {REMOVE},
        ("ordinary accounts",),
        False,
        (),
        id="context-none",
    ),
    pytest.param(
        (fact(1, labels=("category:glorification",)),),
        UploadContext(AccountClass.RESEARCH),
        (),
        {REVIEW},
        ("default",),
        False,
        (),
        id="context-condition-fails-for-research",
    ),
    pytest.param(
        (
            fact(1, query="a"),
            fact(2, bank="benign", query="a"),
            fact(3, signal_type="md5", query="a"),
            fact(4, query="b", incident_id=9),
        ),
        NONE,
        (),
        {REMOVE, REPORT, BLOCK, PRESERVE, NOTIFY},
        ("livestream md5", "incident exact"),
        False,
        (1,),
        id="negative-suppresses-same-type-and-query-only",
    ),
    pytest.param(
        (fact(1, incident_id=7), fact(2, bank="benign")),
        NONE,
        (),
        set(),
        (),
        False,
        (1,),
        id="all-suppressed",
    ),
    pytest.param(
        (fact(1, incident_id=7), fact(2, signal_type="md5")),
        NEWS,
        (),
        {REVIEW, PRESERVE, NOTIFY, REPORT},
        ("incident exact", "livestream md5"),
        True,
        (),
        id="exempt-turns-block-and-remove-into-review",
    ),
    pytest.param(
        (fact(1, bank="partner", labels=(RECRUITMENT,)),),
        NEWS,
        (),
        {INTERSTITIAL},
        ("recruitment in partner bank",),
        False,
        (),
        id="exempt-keeps-other-actions",
    ),
    pytest.param(
        (fact(1, incident_id=7), fact(2, signal_type="md5")),
        NONE,
        (1,),
        {REVIEW, PRESERVE, NOTIFY, REMOVE, REPORT},
        ("incident exact", "livestream md5"),
        False,
        (),
        id="quarantine-turns-only-its-fact-into-review",
    ),
]


@pytest.mark.parametrize(
    ("facts", "context", "quarantined", "actions", "rules", "exempt", "suppressed"), CASES
)
def test_evaluate(
    facts: tuple[MatchFacts, ...],
    context: UploadContext,
    quarantined: tuple[int, ...],
    actions: set[PolicyAction],
    rules: tuple[str, ...],
    exempt: bool,
    suppressed: tuple[int, ...],
) -> None:
    verdict = evaluate(POLICY, facts, context, quarantined=frozenset(quarantined))
    assert verdict.actions == actions
    assert verdict.rules == rules
    assert verdict.exempt is exempt
    assert verdict.suppressed == suppressed
    assert verdict.quarantined == quarantined
    assert len(verdict.reasons) >= len(facts)


def test_a_verdict_explains_itself() -> None:
    verdict = evaluate(
        POLICY,
        (fact(1, incident_id=7, distance=3), fact(2, bank="benign", query="q1")),
        UploadContext(),
    )
    assert verdict.actions == set()
    assert verdict.negative == (2,)
    assert verdict.suppressed == (1,)
    assert verdict.reasons == (
        'entry 2 of negative bank "benign" suppresses pdq matches of the same hash',
        'entry 1 (bank "tvec") suppressed: its pdq hash matched a negative bank',
    )
    verdict = evaluate(
        POLICY, (fact(1, incident_id=7, distance=3),), NEWS, quarantined=frozenset({1})
    )
    assert verdict.reasons == (
        'entry 1 (bank "tvec", pdq distance 3) matched rule "incident exact": '
        "block, preserve, notify",
        "entry 1 is under flood quarantine: block held for review",
    )
    assert verdict.exempt is False  # quarantine already held the block back


def test_blocks_and_needs_review() -> None:
    blocked = evaluate(POLICY, (fact(1, incident_id=7),), NONE)
    assert blocked.blocks and not blocked.needs_review
    held = evaluate(POLICY, (fact(1, incident_id=7),), NEWS)
    assert held.needs_review and not held.blocks
    assert held.reasons[-1] == "account class news is exempt: block turned into review"


def test_a_context_not_listed_as_exempt_is_acted_on() -> None:
    policy = parse_policy('exempt = ["archive"]\n' + RULE)
    assert evaluate(policy, (fact(1),), NEWS).actions == {BLOCK}
    assert evaluate(policy, (fact(1),), UploadContext(AccountClass.ARCHIVE)).actions == {REVIEW}


def test_a_rule_needs_a_name_and_actions() -> None:
    with pytest.raises(InvalidInput):
        Rule(name="r", actions=())
