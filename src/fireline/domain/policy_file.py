"""Reading policy files: TOML in, a validated Policy out, or an error naming the line.

tomllib gives no positions for values, so a small locator scans the raw text for table
headers and keys: an error in the third ``[[rule]]``'s ``actions`` names that line.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from typing import NoReturn

from fireline.domain.errors import InvalidInput
from fireline.domain.policy import (
    DEFAULT_RULE,
    ORDINARY,
    AccountClass,
    FloodControl,
    Policy,
    PolicyAction,
    Rule,
)
from fireline.domain.taxonomy import parse_label

_TOP_KEYS = ("negative_banks", "default_actions", "exempt", "flood", "rule")
# A rule's and [flood]'s keys are their fields' names.
_RULE_KEYS = tuple(f.name for f in fields(Rule))
_FLOOD_KEYS = tuple(f.name for f in fields(FloodControl))
_ACCOUNT_CLASSES = tuple(c.value for c in AccountClass)
_CONTEXTS = (*_ACCOUNT_CLASSES, ORDINARY)
_SIGNAL_TYPE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# The shape BankService accepts for a bank's name.
_BANK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_RULES = 1000
MAX_RULE_NAME = 100


def parse_policy(text: str, *, source: str = "policy.toml") -> Policy:
    """Parse and validate a policy file.

    Every problem raises InvalidInput (code ``invalid_policy``) whose message starts with
    ``{source}:{line}: `` and names what is wrong; nothing is half-applied.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, reason = _syntax_error(str(exc), text)
        raise InvalidInput(f"{source}:{line}: {reason}", code="invalid_policy") from None
    return _Reader(text, source).policy(data)


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _syntax_error(message: str, text: str) -> tuple[int, str]:
    found = _AT.search(message)
    reason = message[: found.start()] if found else message
    reason = f"not valid TOML: {reason[:1].lower()}{reason[1:]}"
    if found is None:
        return 1, reason
    if found.group(1):
        return int(found.group(1)), f"{reason} (column {found.group(2)})"
    return max(1, len(text.splitlines())), f"{reason} (at the end of the file)"


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a value sits: a table (None: the top level), which [[rule]], and its label."""

    table: str | None = None
    index: int | None = None
    label: str = ""


_TOP = _Place()


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.locate = _Locator(text)
        self.source = source

    def fail(self, place: _Place, key: str | None, reason: str) -> NoReturn:
        line = self.locate.line(place.table, place.index, key)
        prefix = f"{place.label}: " if place.label else ""
        raise InvalidInput(f"{self.source}:{line}: {prefix}{reason}", code="invalid_policy")

    def policy(self, data: dict[str, object]) -> Policy:
        self.known(data, _TOP_KEYS, _TOP)
        negative = self.names(data, "negative_banks", _TOP)
        default = self.actions(data, "default_actions", _TOP, required=False)
        exempt = self.choices(data, "exempt", _TOP, _ACCOUNT_CLASSES, "account class")
        return Policy(
            rules=self.rules(data.get("rule")),
            negative_banks=frozenset(negative),
            default_actions=default or (PolicyAction.REVIEW,),
            exempt=frozenset(
                AccountClass(c) for c in (_ACCOUNT_CLASSES if exempt is None else exempt)
            ),
            flood=self.flood(data.get("flood")),
        )

    def rules(self, value: object) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            self.fail(
                _TOP, "rule", "rule must be an array of tables: write each rule under [[rule]]"
            )
        if len(value) > MAX_RULES:
            self.fail(_TOP, "rule", f"at most {MAX_RULES} rules, got {len(value)}")
        seen: dict[str, int] = {}
        rules: list[Rule] = []
        for index, raw in enumerate(value):
            name = self.rule_name(raw, _Place("rule", index, f"rule #{index + 1}"))
            place = _Place("rule", index, f'rule "{name}"')
            if name in seen:
                self.fail(place, "name", f"duplicate name: rule #{seen[name] + 1} has it too")
            seen[name] = index
            self.known(raw, _RULE_KEYS, place)
            actions = self.actions(raw, "actions", place, required=True)
            assert actions is not None
            labels = self.strings(raw, "labels", place) or []
            canonical: set[str] = set()
            for label in labels:
                try:
                    canonical.add(parse_label(label))
                except InvalidInput as exc:
                    self.fail(place, "labels", exc.message)
            contexts = self.choices(raw, "contexts", place, _CONTEXTS, "context")
            rules.append(
                Rule(
                    name=name,
                    actions=actions,
                    signal_types=frozenset(self.signal_types(raw, place)),
                    max_distance=self.integer(raw, "max_distance", place, low=0),
                    labels=frozenset(canonical),
                    banks=frozenset(self.names(raw, "banks", place)),
                    incident=self.boolean(raw, "incident", place),
                    contexts=frozenset(contexts or ()),
                )
            )
        return tuple(rules)

    def rule_name(self, raw: dict[str, object], place: _Place) -> str:
        if "name" not in raw:
            self.fail(place, None, 'missing "name"')
        name = raw["name"]
        if not isinstance(name, str):
            self.fail(place, "name", f"name must be a string, got {_kind(name)}")
        name = name.strip()
        if not name or len(name) > MAX_RULE_NAME or any(ord(c) < 32 for c in name):
            self.fail(place, "name", f"name must be 1 to {MAX_RULE_NAME} printable characters")
        if name == DEFAULT_RULE:
            self.fail(place, "name", f'"{DEFAULT_RULE}" is reserved for the default actions')
        return name

    def flood(self, value: object) -> FloodControl:
        if value is None:
            return FloodControl()
        if not isinstance(value, dict):
            self.fail(_TOP, "flood", f"flood must be a table ([flood]), got {_kind(value)}")
        place = _Place("flood", None, "[flood]")
        self.known(value, _FLOOD_KEYS, place)
        default = FloodControl()
        multiple = value.get("multiple", default.multiple)
        if isinstance(multiple, bool) or not isinstance(multiple, int | float):
            self.fail(place, "multiple", f"multiple must be a number, got {_kind(multiple)}")
        if not math.isfinite(multiple) or multiple < 1:
            self.fail(
                place, "multiple", f"multiple must be a finite number of at least 1, got {multiple}"
            )
        window = self.integer(value, "window_seconds", place, low=1, high=86_400)
        baseline = self.integer(value, "baseline_windows", place, low=1, high=1000)
        least = self.integer(value, "min_matches", place, low=1)
        exempt = self.boolean(value, "incident_exempt", place)
        return FloodControl(
            multiple=float(multiple),
            window_seconds=default.window_seconds if window is None else window,
            baseline_windows=default.baseline_windows if baseline is None else baseline,
            min_matches=default.min_matches if least is None else least,
            incident_exempt=default.incident_exempt if exempt is None else exempt,
        )

    def known(self, data: dict[str, object], keys: tuple[str, ...], place: _Place) -> None:
        for key in data:
            if key not in keys:
                close = difflib.get_close_matches(key, keys, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                self.fail(place, key, f'unknown key "{key}"{hint}; known: {", ".join(keys)}')

    def strings(self, data: dict[str, object], key: str, place: _Place) -> list[str] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list):
            self.fail(place, key, f"{key} must be an array of strings, got {_kind(value)}")
        for item in value:
            if not isinstance(item, str):
                self.fail(place, key, f"{key} must be an array of strings, got {_kind(item)} in it")
        return value

    def actions(
        self, data: dict[str, object], key: str, place: _Place, *, required: bool
    ) -> tuple[PolicyAction, ...] | None:
        values = self.strings(data, key, place)
        if values is None:
            if required:
                self.fail(place, None, f'missing "{key}"')
            return None
        if not values:
            self.fail(place, key, f"{key} must name at least one action")
        actions: list[PolicyAction] = []
        for value in values:
            if value not in set(PolicyAction):
                known = ", ".join(PolicyAction)
                self.fail(place, key, f'unknown action "{value}"; known: {known}')
            if PolicyAction(value) not in actions:
                actions.append(PolicyAction(value))
        return tuple(actions)

    def choices(
        self, data: dict[str, object], key: str, place: _Place, known: tuple[str, ...], what: str
    ) -> list[str] | None:
        values = self.strings(data, key, place)
        for value in values or ():
            if value not in known:
                self.fail(place, key, f'unknown {what} "{value}"; known: {", ".join(known)}')
        return values

    def names(self, data: dict[str, object], key: str, place: _Place) -> list[str]:
        values = self.strings(data, key, place) or []
        for value in values:
            if not _BANK_NAME.fullmatch(value):
                self.fail(
                    place,
                    key,
                    f'"{value}" is not a bank name (1-64 letters, digits, "_", ".", "-")',
                )
        return values

    def signal_types(self, data: dict[str, object], place: _Place) -> list[str]:
        values = self.strings(data, "signal_types", place) or []
        for value in values:
            if not _SIGNAL_TYPE.fullmatch(value):
                self.fail(
                    place,
                    "signal_types",
                    f'"{value}" is not a signal type name '
                    '(1-64 lower-case letters, digits, "_", ".", "-")',
                )
        return values

    def integer(
        self,
        data: dict[str, object],
        key: str,
        place: _Place,
        *,
        low: int,
        high: int | None = None,
    ) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(place, key, f"{key} must be an integer, got {_kind(value)}")
        if value < low:
            self.fail(place, key, f"{key} must be at least {low}, got {value}")
        if high is not None and value > high:
            self.fail(place, key, f"{key} must be at most {high}, got {value}")
        return value

    def boolean(self, data: dict[str, object], key: str, place: _Place) -> bool | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, bool):
            self.fail(place, key, f"{key} must be true or false, got {_kind(value)}")
        return value


def _kind(value: object) -> str:
    """A TOML value as an error message names it: its TOML type, and short ones in full."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        return f'string "{shown}"'
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'float'} {value}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


# --- Finding the line of a value ------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")
_PART = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|[^.]+""")


@dataclass(slots=True)
class _Table:
    path: tuple[str, ...]
    array: bool
    line: int
    #: First component of each key written in the table -> its line.
    keys: dict[str, int] = field(default_factory=dict)


class _Locator:
    """Finds the line of a table or key in the raw text: tomllib keeps no positions.

    A scan of table headers and ``key =`` lines, good for the files people write; where it
    cannot tell, it falls back to the enclosing table's header, then to line 1.
    """

    def __init__(self, text: str) -> None:
        self.root = _Table((), False, 1)
        self.tables: list[_Table] = []
        current = self.root
        quote: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            if quote is not None:  # inside a multi-line string
                if raw.count(quote) % 2:
                    quote = None
                continue
            header = _HEADER.match(raw)
            if header:
                path = tuple(_unquote(p.strip()) for p in _PART.findall(header.group(2)))
                current = _Table(path, header.group(1) == "[[", number)
                self.tables.append(current)
                continue
            key = _KEY.match(raw)
            if key:
                current.keys.setdefault(_unquote(key.group(1)), number)
            quote = next((q for q in ('"""', "'''") if raw.count(q) % 2), None)

    def line(self, table: str | None, index: int | None, key: str | None) -> int:
        if table is None:
            if key is None:
                return 1
            if key in self.root.keys:
                return self.root.keys[key]
            return next((t.line for t in self.tables if t.path[:1] == (key,)), 1)
        found = self._find(table, index)
        if found is None:
            return self.root.keys.get(table, 1)
        position, header = found
        if key is None:
            return header.line
        if key in header.keys:
            return header.keys[key]
        for sub in self.tables[position + 1 :]:
            if sub.path == (table,):
                break
            if sub.path[:2] == (table, key):
                return sub.line
        return header.line

    def _find(self, table: str, index: int | None) -> tuple[int, _Table] | None:
        seen = 0
        for position, candidate in enumerate(self.tables):
            if candidate.path != (table,):
                continue
            if index is None:
                return position, candidate
            if candidate.array:
                if seen == index:
                    return position, candidate
                seen += 1
        return None


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part
