"""URL lists: one link or rule per line, imported whole or not at all, exported the same way."""

from __future__ import annotations

from collections import Counter

import pytest

from fireline.bootstrap import Container
from fireline.domain import InvalidInput, Signal
from fireline.services import ExchangeFormat
from fireline.services.interchange import (
    ImportReport,
    export_lines,
    import_lines,
    iter_bank,
    split_lines,
)
from fireline.signals.url import canonical_url

URLS = ExchangeFormat.URLS


def _import(container: Container, text: str, *, labels: tuple[str, ...] = ()) -> ImportReport:
    return import_lines(
        container.banks, bank="dst", lines=split_lines(text), fmt=URLS, labels=labels
    )


def _stored(container: Container, bank: str = "dst") -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.signal_type, e.value, e.labels) for e in iter_bank(container.banks, bank=bank)]


def test_a_url_list_imports_links_and_rules_with_labels(container: Container) -> None:
    container.banks.create(name="dst")
    text = (
        "\ufeff# takedown list, 2019-03-15\r\n"
        "\r\n"
        "https://Files.Example/manifesto.pdf?utm_source=feed\r\n"
        "  https://files.example/manifesto/*\tcategory:attacker_manifesto basis:crisis_incident\r\n"
        "*.example.com/*\tentity:demo\r\n"
        "http://files.example/manifesto.pdf\r\n"  # the same link over http: its own entry
        "https://files.example/manifesto.pdf#page=2\r\n"  # the first link again
    )
    report = _import(container, text, labels=("basis:member_policy",))
    assert (report.added, report.existing) == (4, 1)
    assert _stored(container) == [
        ("url", "https://files.example/manifesto.pdf", ("basis:member_policy",)),
        (
            "url",
            "https://files.example/manifesto/*",
            ("basis:crisis_incident", "basis:member_policy", "category:attacker_manifesto"),
        ),
        ("url", "https://*.example.com/*", ("basis:member_policy", "entity:demo")),
        ("url", "http://files.example/manifesto.pdf", ("basis:member_policy",)),
    ]


def test_imported_rules_match_the_links_they_cover(container: Container) -> None:
    container.banks.create(name="dst")
    _import(container, "https://files.example/manifesto/*\nhttps://*.example.com/*\n")

    def matched(url: str) -> list[str]:
        result = container.matcher.match_signals([Signal("url", canonical_url(url))])
        return sorted(m.entry.value for m in result.matches)

    assert matched("http://FILES.example/manifesto/part-2.pdf?fbclid=1") == [
        "https://files.example/manifesto/*"
    ]
    assert matched("https://cdn.example.com/x") == ["https://*.example.com/*"]
    assert matched("https://files.example/other") == []


def test_ten_thousand_lines_import_in_one_go(container: Container) -> None:
    container.banks.create(name="dst")
    lines = [f"https://host{n % 97}.example/post/{n}?utm_medium=share" for n in range(10_000)]
    report = _import(container, "\n".join(lines) + "\n")
    assert (report.added, report.existing) == (10_000, 0)
    assert container.banks.get(name="dst").entry_count == 10_000
    again = _import(container, "\n".join(lines))
    assert (again.added, again.existing) == (0, 10_000)
    stored = [value for _, value, _ in _stored(container)]
    assert stored == [canonical_url(line) for line in lines]
    assert stored[-1] == f"https://host{9999 % 97}.example/post/9999"


@pytest.mark.parametrize(
    ("bad", "line", "code", "words"),
    [
        ("javascript:alert(1)", 9_999, "malformed_url", "only http and https"),
        ("https://exa mple.com/", 3, "malformed_url", "cannot hold ' '"),
        ("https://example.com/*?q=1", 10_000, "malformed_url", "drop the '?...'"),
        ("https://*.example.com/", 1, "malformed_url", "must end its path with '*'"),
        ("https://example.com/" + "a" * 9000, 5_000, "url_too_long", "at most 8192"),
        ("https://example.com/\tcategory:bogus", 42, None, "category:bogus"),
    ],
)
def test_one_bad_line_in_ten_thousand_stores_nothing(
    container: Container, bad: str, line: int, code: str | None, words: str
) -> None:
    container.banks.create(name="dst")
    lines = [f"https://example.org/{n}" for n in range(10_000)]
    lines[line - 1] = bad
    with pytest.raises(InvalidInput) as refused:
        _import(container, "\n".join(lines))
    assert refused.value.message.startswith(f"line {line}: ")
    assert words in refused.value.message
    if code is not None:
        assert refused.value.code == code
    assert container.banks.get(name="dst").entry_count == 0


def test_export_writes_the_url_entries_with_their_labels(container: Container) -> None:
    container.banks.create(name="src")
    _import_into = import_lines(
        container.banks,
        bank="src",
        lines=[
            "https://files.example/manifesto/*\tcategory:attacker_manifesto",
            "https://example.org/a?b=2&a=1",
        ],
        fmt=URLS,
    )
    assert _import_into.added == 2
    container.banks.add_signals(bank="src", signals=[Signal("md5", "1" * 32)])
    left_out: Counter[str] = Counter()
    lines = list(export_lines(container.banks, bank="src", fmt=URLS, left_out=left_out))
    assert lines == [
        "https://files.example/manifesto/*\tcategory:attacker_manifesto",
        "https://example.org/a?a=1&b=2",
    ]
    assert left_out == Counter({"md5": 1})

    container.banks.create(name="dst")
    report = import_lines(container.banks, bank="dst", lines=lines, fmt=URLS)
    assert (report.added, report.existing) == (2, 0)
    assert _stored(container, "dst") == [
        (kind, value, labels) for kind, value, labels in _stored(container, "src") if kind == "url"
    ]


def test_url_lists_travel_in_the_other_formats_too(container: Container) -> None:
    # Banked links and rules are ordinary url signals: jsonl and threatexchange carry them.
    container.banks.create(name="src")
    import_lines(
        container.banks,
        bank="src",
        lines=["https://*.example.com/files/*", "https://example.org/x y"],
        fmt=URLS,
    )
    for fmt in (ExchangeFormat.JSONL, ExchangeFormat.THREATEXCHANGE):
        lines = list(export_lines(container.banks, bank="src", fmt=fmt))
        container.banks.create(name=f"via-{fmt.value}")
        import_lines(container.banks, bank=f"via-{fmt.value}", lines=lines, fmt=fmt)
        assert _stored(container, f"via-{fmt.value}") == _stored(container, "src")
