"""URL index: exact links, and the rules that cover a link, found by dictionary lookups.

As Safe Browsing looks a link up, a query is cut into the pieces a rule can name: its host
and each parent domain, and each directory of its path (``/``, ``/a/``, ``/a/b/``). Each
rule is filed under its host and the directory its path prefix lies in, so a query costs
one lookup per (host suffix, directory) that holds rules, however many are banked; every
rule found is then checked with ``UrlParts.covers``, the code ``UrlSignal.compare`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fireline.index.base import read_values, write_values
from fireline.signals.url import UrlParts, parse_canonical, scheme_free

# host -> directory -> ids of the rules filed there
_RuleTable = dict[str, dict[str, set[int]]]


class UrlRuleIndex:
    """For ``url`` signals: exact URLs (http and https alike) and rules covering a query."""

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}
        self._exact: dict[str, set[int]] = {}  # scheme-free value -> ids
        self._rules: dict[int, UrlParts] = {}
        self._hosts: _RuleTable = {}  # path-prefix rules, by their exact host
        self._domains: _RuleTable = {}  # domain rules ("*."), by the domain they cover

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        for entry_id, value in zip(ids, values, strict=True):
            self.remove([entry_id])
            self._by_id[entry_id] = value
            self._exact.setdefault(scheme_free(value), set()).add(entry_id)
            parts = parse_canonical(value)
            if parts.is_rule:
                self._rules[entry_id] = parts
                table = self._domains if parts.any_subdomain else self._hosts
                directory = _directory(parts.path)
                table.setdefault(parts.host, {}).setdefault(directory, set()).add(entry_id)

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            value = self._by_id.pop(entry_id, None)
            if value is None:
                continue
            _discard(self._exact, scheme_free(value), entry_id)
            parts = self._rules.pop(entry_id, None)
            if parts is not None:
                table = self._domains if parts.any_subdomain else self._hosts
                directories = table[parts.host]
                _discard(directories, _directory(parts.path), entry_id)
                if not directories:
                    del table[parts.host]

    def query(self, value: str, threshold: int = 0) -> list[tuple[int, int]]:
        if threshold < 0:
            return []
        found = set(self._exact.get(scheme_free(value), ()))
        url = parse_canonical(value)
        if url.is_rule or not self._rules:  # rules cover links, not other rules
            return [(entry_id, 0) for entry_id in sorted(found)]
        filed = [
            directories
            for table, host in self._hosts_to_look_up(url.host)
            if (directories := table.get(host)) is not None
        ]
        for directory in _directories(url.path) if filed else ():
            for directories in filed:
                for entry_id in directories.get(directory, ()):
                    if self._rules[entry_id].covers(url):
                        found.add(entry_id)
        return [(entry_id, 0) for entry_id in sorted(found)]

    def _hosts_to_look_up(self, host: str) -> list[tuple[_RuleTable, str]]:
        """The query's host in the path-prefix rules; it and each parent in the domain rules."""
        labels = host.split(".")
        suffixes = [".".join(labels[i:]) for i in range(len(labels))]
        return [(self._hosts, host), *((self._domains, suffix) for suffix in suffixes)]

    def prepare(self, threshold: int) -> None:
        """Nothing to build: the tables are kept up to date as entries come and go."""

    def __len__(self) -> int:
        return len(self._by_id)

    def save(self, path: Path) -> None:
        """Write the index as JSON (id -> canonical value); the tables are rebuilt on load."""
        write_values(path, self._by_id)

    @classmethod
    def load(cls, path: Path) -> UrlRuleIndex:
        index = cls()
        index.add(*read_values(path))
        return index


def _directory(path: str) -> str:
    """The path up to and including its last "/": where a prefix rule is filed."""
    return path[: path.rfind("/") + 1]


def _directories(path: str) -> list[str]:
    """Each directory of a query's path: "/", "/a/", "/a/b/" for "/a/b/c".

    Any rule whose prefix the path starts with is filed under one of them.
    """
    return [path[: i + 1] for i, char in enumerate(path) if char == "/"]


def _discard(table: dict[str, set[int]], key: str, entry_id: int) -> None:
    holders = table[key]
    holders.discard(entry_id)
    if not holders:
        del table[key]
