"""The URL index: exact links and covering rules by lookup, agreeing with compare; JSON on disk."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fireline.index import NAMED_INDEXES, UrlRuleIndex, index_for
from fireline.signals.url import UrlParts, UrlSignal, canonical_url

BANKED = {
    1: "https://example.com/a",
    2: "http://example.com/a",  # the same resource over http
    3: "https://files.example/manifesto/*",
    4: "https://*.example.com/*",
    5: "https://*.example.com/files/*",
    6: "https://files.example/manifesto*",
    7: "https://example.com/a?id=1",
    8: "https://*.sub.example.com:8443/*",
}


def build(banked: dict[int, str]) -> UrlRuleIndex:
    index = UrlRuleIndex()
    index.add(list(banked), [UrlSignal.validate(v) for v in banked.values()])
    return index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("https://example.com/a", [1, 2, 4]),
        ("http://example.com/a?utm_source=x", [1, 2, 4]),
        ("https://example.com/a?id=1", [4, 7]),
        ("https://example.com/b", [4]),
        ("https://www.example.com/files/x", [4, 5]),
        ("https://example.com/files/", [4, 5]),
        ("https://files.example/manifesto/p.pdf", [3, 6]),
        ("https://files.example/manifesto", [6]),
        ("https://files.example/other", []),
        ("https://a.sub.example.com:8443/x", [8]),
        ("https://a.sub.example.com/x", [4]),
        ("https://example.org/a", []),
        ("https://notexample.com/a", []),
        ("https://[2001:db8::1]/a", []),
        ("https://1.2.3.4/a", []),
        # A rule query finds only itself: rules cover links.
        ("https://*.example.com/*", [4]),
        ("https://*.example.com/files/x/*", []),
    ],
)
def test_query_finds_links_and_covering_rules(query: str, expected: list[int]) -> None:
    index = build(BANKED)
    value = UrlSignal.validate(query) if "*" in query else canonical_url(query)
    got = index.query(value, 0)
    assert got == [(entry_id, 0) for entry_id in expected]
    brute = sorted(
        i for i, v in BANKED.items() if UrlSignal.compare(value, UrlSignal.validate(v)) == 0
    )
    assert [entry_id for entry_id, _ in got] == brute
    assert index.query(value, -1) == []


def test_a_query_looks_only_at_rules_filed_under_its_hosts_and_directories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20,000 rules on other hosts and in other directories: a query checks none of them.
    rng = random.Random(7)
    index = UrlRuleIndex()
    ids = list(range(1, 20_001))
    index.add(
        ids,
        [
            f"https://*.host{n}.example/*"
            if n % 2
            else f"https://example.com/dir{rng.randrange(10**6)}/{n}/*"
            for n in ids
        ],
    )
    index.add([0], ["https://example.com/dir/*"])
    checked: list[UrlParts] = []
    covers = UrlParts.covers

    def counting(self: UrlParts, url: UrlParts) -> bool:
        checked.append(self)
        return covers(self, url)

    monkeypatch.setattr(UrlParts, "covers", counting)
    assert index.query("https://www.example.com/dir/page", 0) == []
    assert index.query("https://example.com/dir/page", 0) == [(0, 0)]
    assert len(checked) == 1


def test_add_remove_and_re_add() -> None:
    index = build({1: "https://*.example.com/*", 2: "https://example.com/a/*"})
    query = canonical_url("https://example.com/a/b")
    assert index.query(query) == [(1, 0), (2, 0)]
    index.remove([1])
    assert index.query(query) == [(2, 0)]
    index.add([2], [canonical_url("https://example.com/a/b")])  # a rule becomes a link
    assert index.query(query) == [(2, 0)]
    assert index.query(canonical_url("https://example.com/a/c")) == []
    index.add([1, 1], ["https://example.org/*", "https://example.com/*"])  # the last wins
    assert index.query(query) == [(1, 0), (2, 0)]
    index.remove([5, -1, 1, 1])
    assert index.query(query) == [(2, 0)]
    index.remove([2])
    assert len(index) == 0 and index.query(query) == []
    assert not index._hosts and not index._domains and not index._exact  # nothing left over


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        UrlRuleIndex().add([1, 2], ["https://example.com/"])


def test_save_and_load_roundtrip_through_json(tmp_path: Path) -> None:
    index = build(BANKED)
    index.remove([8])
    path = tmp_path / "urls.json"
    index.save(path)
    saved = json.loads(path.read_text())
    assert saved == {str(k): UrlSignal.validate(v) for k, v in BANKED.items() if k != 8}
    loaded = UrlRuleIndex.load(path)
    assert len(loaded) == len(BANKED) - 1
    for query in ("https://example.com/a", "https://x.example.com/files/1", "https://a.b/"):
        value = canonical_url(query)
        assert loaded.query(value) == index.query(value)


def test_url_signals_get_the_rule_index() -> None:
    assert NAMED_INDEXES["url"] is UrlRuleIndex
    assert isinstance(index_for(UrlSignal), UrlRuleIndex)
