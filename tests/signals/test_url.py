"""URL signals: the contract, every canonicalisation rule, refusals, rules, links in text."""

from __future__ import annotations

import random

import pytest

from fireline.domain import InvalidInput, Signal
from fireline.signals import url as url_module
from fireline.signals.url import (
    MAX_LINK_CANDIDATES,
    MAX_URL_BYTES,
    UrlSignal,
    canonical_rule_or_url,
    canonical_url,
    find_urls,
    parse_canonical,
)
from fireline.testing import SignalTypeContract

HOSTS = ["example.com", "files.example", "a.example.com", "b.a.example.com", "example.org"]
SEGMENTS = ["manifesto", "files", "a", "b", "2019", "page.html", "x%20y", "%C3%A9t%C3%A9"]


class TestUrlContract(SignalTypeContract):
    signal_type = UrlSignal
    malformed_code = "malformed_url"
    compare_is_symmetric = False
    valid_cases = [
        ("https://example.com/", "https://example.com/"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("example.com/a?utm_source=x", "https://example.com/a"),
        ("https://Files.Example/manifesto/*", "https://files.example/manifesto/*"),
        ("*.Example.com/*", "https://*.example.com/*"),
        ("http://*.example.com:8080/files/*", "http://*.example.com:8080/files/*"),
        ("https://bücher.example/a*", "https://xn--bcher-kva.example/a*"),
    ]
    invalid_cases = [
        "",
        "   ",
        "javascript:alert(1)",
        "ftp://example.com/",
        "https://",
        "https://exa mple.com/",
        "https://example.com/*?q=1",
        "https://*.example.com/",
        "https://*.1.2.3.4/*",
        "https://ex*ample.com/",
    ]
    close_pairs = [
        ("https://example.com/a", "http://example.com/a"),
        ("https://example.com/manifesto/part1.pdf", "https://example.com/manifesto/*"),
        ("https://cdn.example.com/x", "https://*.example.com/*"),
    ]
    far_pairs = [
        ("https://example.com/a", "https://example.com/b"),
        ("https://example.com/a?id=1", "https://example.com/a"),
        ("https://example.com/manifesto/*", "https://example.com/manifesto/x"),
        ("https://notexample.com/x", "https://*.example.com/*"),
        ("https://example.com:8080/x", "https://example.com/*"),
    ]

    def random_signal(self, rng: random.Random) -> str:
        path = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 3)))
        query = rng.choice(["", "", "?id=1", "?v=abc&t=2"])
        scheme = rng.choice(["http", "https"])
        return canonical_url(f"{scheme}://{rng.choice(HOSTS)}/{path}{query}")

    def near_signal(self, value: str, rng: random.Random) -> str:
        """A rule covering the URL, the same link over the other scheme, or with trackers."""
        parts = parse_canonical(value)
        other = "http" if parts.scheme == "https" else "https"
        directories = [i + 1 for i, char in enumerate(parts.path) if char == "/"]
        cut = parts.path[: rng.choice(directories)] if directories else "/"
        labels = parts.host.split(".")
        domain = ".".join(labels[rng.randrange(len(labels) - 1) :]) if len(labels) > 1 else "x.y"
        choice = rng.randrange(4)
        if parts.is_rule or choice == 0:
            return canonical_rule_or_url(f"{parts.scheme}://*.{domain}{cut}*")
        if choice == 1:
            return canonical_rule_or_url(f"{parts.scheme}://{parts.host}{cut}*")
        if choice == 2:
            return canonical_url(f"{other}://{value.partition('://')[2]}")
        joiner = "&" if parts.query else "?"
        return canonical_url(f"{value}{joiner}utm_source=feed&fbclid=abc")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # Whitespace around, tab / CR / LF anywhere.
        ("  https://example.com/  ", "https://example.com/"),
        ("https://exa\tmple.com/pa\r\nth", "https://example.com/path"),
        # Scheme: lower case; none means https; slashes after it as browsers read them.
        ("HTTPS://example.com/", "https://example.com/"),
        ("example.com", "https://example.com/"),
        ("www.example.com/a", "https://www.example.com/a"),
        ("//example.com/a", "https://example.com/a"),
        ("http:example.com", "http://example.com/"),
        ("https:\\\\example.com\\a\\b", "https://example.com/a/b"),
        ("example.com:8080/a", "https://example.com:8080/a"),
        ("localhost:8080", "https://localhost:8080/"),
        # Userinfo is dropped: the host is what follows the last "@".
        ("http://good.com@evil.com/", "http://evil.com/"),
        ("http://user:pass@good.com@evil.com/x", "http://evil.com/x"),
        ("http://good.com\\@evil.com/", "http://good.com/@evil.com/"),
        ("http://good.com%2F@evil.com/", "http://evil.com/"),
        # Host: case, escapes, dots.
        ("https://WWW.Example.COM/", "https://www.example.com/"),
        ("https://%65xample%2Ecom/", "https://example.com/"),
        ("https://www.example.com.../", "https://www.example.com/"),
        ("https://..www..example...com./", "https://www.example.com/"),
        ("https://my_blog.example.com/", "https://my_blog.example.com/"),
        # IDNA: UTS46 mapping, then the xn-- form.
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://b%C3%BCcher.example/", "https://xn--bcher-kva.example/"),
        ("https://ＥＸＡＭＰＬＥ．ｃｏｍ/", "https://example.com/"),
        ("https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),
        # IPv4 in any form browsers accept; IPv6 bracketed and compressed.
        ("http://3279880203/blah", "http://195.127.0.11/blah"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://0300.0250.0.1/", "http://192.168.0.1/"),
        ("http://0xC0.0xA8.0x00.0x01/", "http://192.168.0.1/"),
        ("http://10.1/", "http://10.0.0.1/"),
        ("http://1.2.3.4./", "http://1.2.3.4/"),
        ("http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/", "http://168.188.99.26/"),
        ("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/"),
        ("http://[::FFFF:1.2.3.4]:8080/", "http://[::ffff:102:304]:8080/"),
        # Default ports dropped, others kept without leading zeros.
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com:/", "https://example.com/"),
        ("http://example.com:443/", "http://example.com:443/"),
        ("https://example.com:08080/", "https://example.com:8080/"),
        # Path: escapes undone (however deep), dots resolved, slashes collapsed, re-escaped.
        ("https://example.com", "https://example.com/"),
        ("http://host/%25%32%35", "http://host/%25"),
        ("http://host/%2525252525252525", "http://host/%25"),
        ("http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"),
        ("http://host/%2E%73ecure/%77ww", "http://host/.secure/www"),
        ("http://host/a%2Fb", "http://host/a/b"),
        ("http://host/a/./b/../c", "http://host/a/c"),
        ("http://host/blah/..", "http://host/"),
        ("http://host/a/b/.", "http://host/a/b/"),
        ("http://host/../../a", "http://host/a"),
        ("http://host/%2e%2E/a", "http://host/a"),
        ("http://host//a///b/", "http://host/a/b/"),
        ("http://host/a b", "http://host/a%20b"),
        ("http://host/café", "http://host/caf%C3%A9"),
        ("http://host/%e9t%e9", "http://host/%E9t%E9"),
        ("http://host/ab%23cd", "http://host/ab%23cd"),
        ("http://host/a%3Fb", "http://host/a%3Fb"),
        ("http://host/a%5Cb", "http://host/a%5Cb"),
        ("http://host/a*", "http://host/a%2A"),
        ("http://host/a%00b", "http://host/a%00b"),
        ("http://host/~user/a;b,c", "http://host/~user/a;b,c"),
        # Query: trackers dropped, sorted by (name, value), blanks kept, "?" only if needed.
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?&&", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&a=", "https://example.com/a?a=&a=1&b=2"),
        ("https://example.com/a?flag&b=1", "https://example.com/a?b=1&flag"),
        ("https://example.com/?utm_source=x&UTM_Medium=y&utm_campaign=", "https://example.com/"),
        (
            "https://example.com/watch?v=abc&si=share&fbclid=1&gclid=2&dclid=3&gbraid=4"
            "&wbraid=5&msclkid=6&mc_cid=7&mc_eid=8&igshid=9&yclid=10&twclid=11&ttclid=12"
            "&_ga=13&_gl=14",
            "https://example.com/watch?v=abc",
        ),
        ("https://example.com/?utm%5Fsource=x&id=1", "https://example.com/?id=1"),
        ("https://example.com/?q=a+b%2Bc%20d", "https://example.com/?q=a%20b%2Bc%20d"),
        ("https://example.com/?q=%2526", "https://example.com/?q=%26"),
        ("https://example.com/?q=x%3Dy", "https://example.com/?q=x%3Dy"),
        ("https://example.com/?q=a=b", "https://example.com/?q=a%3Db"),
        ("https://example.com/?q=caf\u00e9", "https://example.com/?q=caf%C3%A9"),
        ("https://example.com/a?b?c", "https://example.com/a?b?c"),
        # Fragment dropped.
        ("https://example.com/a#frag", "https://example.com/a"),
        ("https://example.com/a?x=1#f?y=2", "https://example.com/a?x=1"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical
    assert canonical_url(canonical) == canonical, "the canonical form is not stable"
    assert UrlSignal.validate(canonical) == canonical, "a canonical link reads as a rule"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://files.example/manifesto/*", "https://files.example/manifesto/*"),
        ("HTTPS://Files.Example/manifesto*", "https://files.example/manifesto*"),
        ("files.example/*", "https://files.example/*"),
        ("https://files.example*", None),
        ("https://*.Example.COM/*", "https://*.example.com/*"),
        ("*.example.com/files/*", "https://*.example.com/files/*"),
        ("https://*..example.com./a/../b/*", "https://*.example.com/b/*"),
        ("https://*.bücher.example/*", "https://*.xn--bcher-kva.example/*"),
        ("https://example.com/a%2A/*", "https://example.com/a%2A/*"),
        ("https://example.com/a*b/*", "https://example.com/a%2Ab/*"),
        ("https://example.com:443/x/*", "https://example.com/x/*"),
    ],
)
def test_canonical_rules(raw: str, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(InvalidInput) as refused:
            canonical_rule_or_url(raw)
        assert refused.value.code == "malformed_url"
        return
    assert canonical_rule_or_url(raw) == canonical
    assert canonical_rule_or_url(canonical) == canonical
    # A query is never a rule: its "*." is refused, its final "*" is a character.
    if "*." in canonical:
        with pytest.raises(InvalidInput):
            canonical_url(canonical)
    else:
        assert canonical_url(canonical) == canonical[:-1] + "%2A"


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("", "malformed_url", "empty"),
        (" \t\r\n ", "malformed_url", "empty"),
        ("https://exa\x00mple.com/", "malformed_url", "control character"),
        ("https://example.com/\x1b[31m", "malformed_url", "control character"),
        ("https://example.com/\x7f", "malformed_url", "control character"),
        ("javascript:alert(1)", "malformed_url", "javascript"),
        ("JavaScript:alert(1)", "malformed_url", "javascript"),
        ("data:text/html,<script>", "malformed_url", "data"),
        ("mailto:someone@example.com", "malformed_url", "mailto"),
        ("file:///etc/passwd", "malformed_url", "file"),
        ("ftp://example.com/file", "malformed_url", "ftp"),
        ("wss://example.com/socket", "malformed_url", "wss"),
        ("tel:+15555550100", "malformed_url", "tel"),
        ("about:blank", "malformed_url", "about"),
        ("https://", "malformed_url", "needs a host"),
        ("https://.../", "malformed_url", "needs a host"),
        ("https://user@/", "malformed_url", "needs a host"),
        ("https://exa mple.com/", "malformed_url", "cannot hold ' '"),
        ("https://exa<mple.com/", "malformed_url", "cannot hold '<'"),
        ("https://exa%2Fmple.com/", "malformed_url", "cannot hold '/'"),
        ("https://%zz.com/", "malformed_url", "cannot hold '%'"),
        ("https://%C3%28.com/", "malformed_url", "not UTF-8"),
        ("https://xn--zz.example/", "malformed_url", "not valid IDNA"),
        ("https://a\u200db.example/", "malformed_url", "not valid IDNA"),
        ("https://" + "a" * 64 + ".example/", "malformed_url", "at most 63"),
        ("https://" + "abcdefghi." * 26 + "example/", "malformed_url", "at most 253"),
        ("http://1.2.3.4.5/", "malformed_url", "not a valid IPv4"),
        ("http://256.1.1.1/", "malformed_url", "not a valid IPv4"),
        ("http://1.2.3.256/", "malformed_url", "not a valid IPv4"),
        ("http://4294967296/", "malformed_url", "not a valid IPv4"),
        ("http://08.1.1.1/", "malformed_url", "not a valid IPv4"),
        ("http://1_0.0.0.1/", "malformed_url", "not a valid IPv4"),
        ("http://example.123/", "malformed_url", "not a valid IPv4"),
        ("http://[::1/", "malformed_url", "closing ']'"),
        ("http://[::1]x/", "malformed_url", "after the IPv6 host"),
        ("http://[1:2:3]/", "malformed_url", "not a valid IPv6"),
        ("http://[fe80::1%25eth0]/", "malformed_url", "zone id"),
        ("https://example.com:99999/", "malformed_url", "0 to 65535"),
        ("https://example.com:8o/", "malformed_url", "0 to 65535"),
        ("https://example.com:-1/", "malformed_url", "0 to 65535"),
        ("https://example.com:1:2/", "malformed_url", "0 to 65535"),
        ("https://example.com/" + "%25" * 2 + "25" * 20, "malformed_url", "more than 16"),
        ("https://example.com/\ud800", "malformed_url", "surrogate"),
        ("https://example.com/" + "a" * MAX_URL_BYTES, "url_too_long", "at most 8192"),
        ("https://example.com/" + "é" * 4000, "url_too_long", "at most 8192"),
        ("https://example.com/" + "a b" * 2000, "url_too_long", "at most 8192"),
        # A domain rule is a banked value, never a link.
        ("https://*.example.com/*", "malformed_url", "cannot hold '*'"),
    ],
)
def test_malformed_urls_are_refused(raw: str, code: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        canonical_url(raw)
    assert refused.value.code == code
    assert words in refused.value.message
    assert UrlSignal.validate(canonical_url("https://example.com/")) == "https://example.com/"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("https://example.com/a/*?q=1", "drop the '?...'"),
        ("https://example.com/a/*#top", "drop the '?...'"),
        ("https://*.example.com/*?", "drop the '?...'"),
        ("https://*.example.com/", "must end its path with '*'"),
        ("*.example.com", "must end its path with '*'"),
        ("https://*.1.2.3.4/*", "not an IP address"),
        ("https://*.[::1]/*", "not a valid IPv6"),
        ("https://*.*.example.com/*", "cannot hold '*'"),
        ("https://ex*ample.com/*", "cannot hold '*'"),
    ],
)
def test_malformed_rules_are_refused(raw: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        canonical_rule_or_url(raw)
    assert refused.value.code == "malformed_url"
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("rule", "url", "matches"),
    [
        # Exact URLs: http and https are one resource; the query is part of the link.
        ("https://example.com/a", "https://example.com/a", True),
        ("http://example.com/a", "https://example.com/a", True),
        ("https://example.com/a", "https://example.com/a?id=1", False),
        ("https://example.com/a?id=1", "https://example.com/a?id=1&utm_source=x", True),
        ("https://example.com/a/", "https://example.com/a", False),
        ("https://example.com/a", "https://www.example.com/a", False),
        ("https://example.com/a", "https://example.com:8443/a", False),
        # Path-prefix rules: one host, any path starting with the prefix, any query.
        ("https://files.example/manifesto/*", "https://files.example/manifesto/", True),
        ("https://files.example/manifesto/*", "http://files.example/manifesto/p1.pdf", True),
        ("https://files.example/manifesto/*", "https://files.example/manifesto/a/b?x=1", True),
        ("https://files.example/manifesto/*", "https://files.example/manifesto", False),
        ("https://files.example/manifesto/*", "https://files.example/manifestos/", False),
        ("https://files.example/manifesto/*", "https://www.files.example/manifesto/", False),
        ("https://files.example/manifesto/*", "https://files.example:8080/manifesto/", False),
        ("https://files.example/manifesto*", "https://files.example/manifesto.pdf", True),
        ("https://files.example/manifesto*", "https://files.example/manifesto", True),
        ("https://files.example/*", "https://files.example/", True),
        ("https://files.example/*", "https://files.example/anything/at/all", True),
        ("https://files.example/a%20b/*", "https://files.example/a b/c", True),
        ("https://files.example/%C3%A9/*", "https://files.example/é/c", True),
        # Domain rules: the host and every subdomain, with a path prefix.
        ("https://*.example.com/*", "https://example.com/", True),
        ("https://*.example.com/*", "https://www.example.com/a?b=c", True),
        ("https://*.example.com/*", "http://a.b.c.example.com/x", True),
        ("https://*.example.com/*", "https://notexample.com/", False),
        ("https://*.example.com/*", "https://example.com.evil.net/", False),
        ("https://*.example.com/*", "https://example.org/", False),
        ("https://*.example.com/files/*", "https://cdn.example.com/files/x", True),
        ("https://*.example.com/files/*", "https://cdn.example.com/other/x", False),
        ("https://*.bücher.example/*", "https://www.xn--bcher-kva.example/", True),
        ("https://*.example.com:8443/*", "https://a.example.com:8443/", True),
        ("https://*.example.com:8443/*", "https://a.example.com/", False),
        # A rule covers links, not other rules (a query is never a rule).
        ("https://*.example.com/*", "https://*.example.com/files/*", False),
        ("https://*.example.com/*", "https://*.example.com/*", True),  # identical
        ("https://example.com/*", "https://example.com/a%2A", True),  # a literal "*"
    ],
)
def test_rules_cover_urls(rule: str, url: str, matches: bool) -> None:
    banked = UrlSignal.validate(rule)
    query = UrlSignal.validate(url) if "*" in url.replace("%2A", "") else canonical_url(url)
    assert (UrlSignal.compare(query, banked) == 0) is matches


def test_a_link_does_not_cover_a_rule_that_covers_it() -> None:
    rule, link = "https://example.com/*", "https://example.com/a"
    assert UrlSignal.compare(link, rule) == 0
    assert UrlSignal.compare(rule, link) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.com/a?utm_source=x#top", "https://example.com/a"),
        ("example.com", "https://example.com/"),
    ],
)
def test_hash_url_is_the_canonical_form(raw: str, expected: str) -> None:
    assert UrlSignal.hash_url(raw) == Signal("url", expected, None)


def test_hash_url_treats_a_star_as_a_character() -> None:
    assert UrlSignal.hash_url("https://example.com/a/*") == Signal(
        "url", "https://example.com/a/%2A"
    )
    with pytest.raises(InvalidInput) as refused:
        UrlSignal.hash_url("https://*.example.com/*")
    assert refused.value.code == "malformed_url"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nothing here", []),
        ("see https://Example.com/a.", ["https://example.com/a"]),
        ("(see https://example.com/a), then", ["https://example.com/a"]),
        ("https://en.wikipedia.org/wiki/Foo_(bar)!", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("[link](https://example.com/x) and <http://example.org/y>", None),
        ('"https://example.com/q?a=1&utm_source=x"', ["https://example.com/q?a=1"]),
        ("visit www.Example.com/page, or WWW.example.org", None),
        ("HTTPS://EXAMPLE.COM/ and https://example.com", ["https://example.com/"]),
        ("http://example.com/a https://example.com/a", None),
        ("链接：https://example.com/页面，谢谢。", None),
        ("a https://bücher.example/x b", ["https://xn--bcher-kva.example/x"]),
        ("javascript:alert(1) https://%zz/ http://[::1/ ok", []),
        ("xhttps://example.com/ awww.example.com/ mailto:a@www.example.com", None),
        ("**https://example.com/bold**", ["https://example.com/bold"]),
        ("www. www.. https:// http:///", []),
    ],
)
def test_find_urls(text: str, expected: list[str] | None) -> None:
    got = find_urls(text)
    if expected is None:  # the rows below have a shape worth spelling out
        expected = {
            "[link](https://example.com/x) and <http://example.org/y>": [
                "https://example.com/x",
                "http://example.org/y",
            ],
            "visit www.Example.com/page, or WWW.example.org": [
                "https://www.example.com/page",
                "https://www.example.org/",
            ],
            "http://example.com/a https://example.com/a": [
                "http://example.com/a",
                "https://example.com/a",
            ],
            "链接：https://example.com/页面，谢谢。": [
                "https://example.com/%E9%A1%B5%E9%9D%A2",
            ],
            "xhttps://example.com/ awww.example.com/ mailto:a@www.example.com": [
                "https://www.example.com/",
            ],
        }[text]
    assert got == expected


def test_find_urls_stops_at_the_limit_and_keeps_order() -> None:
    text = " ".join(f"https://example.com/{n} https://example.com/{n}" for n in range(50))
    assert find_urls(text, limit=3) == [f"https://example.com/{n}" for n in range(3)]
    assert len(find_urls(text)) == 50
    assert find_urls(text, limit=0) == []


@pytest.mark.parametrize(
    "text",
    [
        "https://" + "a" * 5_000_000,  # one endless link
        "http://" * 720_000,  # links inside links, no spaces
        "www." * 1_250_000,
        "https://example.com/" + ")" * 5_000_000,  # brackets to balance
        "https://x.example/" + "(" * 8000 + ")" * 8000 + " " + "a " * 2_500_000,
        " ".join(f"https://{n}.x%zz/" for n in range(400_000)),  # distinct malformed links
        ("https://example.com/a " * 250_000),  # one link, many times
        "h" * 5_000_000,
    ],
    ids=["endless", "nested", "www", "closers", "balanced", "junk", "repeated", "letters"],
)
def test_find_urls_is_bounded_on_5_mb_of_pathological_text(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No clock: the pattern is linear by construction (a catastrophic one would hang this
    # test for hours), and the costly step, canonicalising a candidate, is counted.
    calls: list[str] = []

    def counted(raw: str) -> str:
        calls.append(raw)
        return canonical_url(raw)

    monkeypatch.setattr(url_module, "canonical_url", counted)
    assert len(text) >= 5_000_000
    assert len(url_module.find_urls(text)) <= 100
    assert len(calls) <= MAX_LINK_CANDIDATES
    assert all(len(raw) <= MAX_URL_BYTES for raw in calls)


def test_find_urls_examines_a_bounded_number_of_candidates() -> None:
    junk = " ".join(f"https://{n}.x%zz/" for n in range(MAX_LINK_CANDIDATES))
    assert find_urls(f"https://first.example/ {junk} https://last.example/") == [
        "https://first.example/"
    ]
