"""Links as signals: a canonical URL, matched exactly or by host and path-prefix rules.

A banked ``url`` value is one URL in canonical form (``fireline.signals.url_canonical``)
or a **rule** covering many: ``https://files.example/manifesto/*`` (any URL on that host
whose path starts with ``/manifesto/``), ``https://*.example.com/*`` (the host and every
subdomain, any path), ``https://*.example.com/files/*`` (both). Queries are never rules.
``compare(query, reference)`` is 0 when the reference is the query or a rule covering it,
else 1; http and https are the same resource. ``find_urls`` finds the links in a post.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import ContentType, IndexKind, SignalType, UrlHasher
from fireline.signals.url_canonical import (
    MAX_URL_BYTES,
    TRACKING_PARAMETERS,
    canonical_rule_or_url,
    canonical_url,
)

#: How many distinct link-like strings ``find_urls`` examines in one text at most, so
#: that a text stuffed with junk links costs a bounded time (about 40 µs each).
MAX_LINK_CANDIDATES = 10_000


@dataclass(frozen=True, slots=True)
class UrlParts:
    """A canonical URL or rule taken apart (``parse_canonical``): what ``covers`` compares.

    ``host`` is bracketed for IPv6; ``port`` is "" for the scheme's default. A rule has
    ``path_prefix`` (its path is a prefix) and maybe ``any_subdomain``; a URL has neither.
    """

    scheme: str
    host: str
    port: str
    path: str
    query: str
    any_subdomain: bool = False
    path_prefix: bool = False

    @property
    def is_rule(self) -> bool:
        return self.path_prefix

    def covers(self, url: UrlParts) -> bool:
        """Whether this rule covers the URL ``url`` (any scheme of the two, any query)."""
        if not self.path_prefix or url.path_prefix or self.port != url.port:
            return False
        if url.host != self.host and not (
            self.any_subdomain and url.host.endswith("." + self.host)
        ):
            return False
        return url.path.startswith(self.path)


def parse_canonical(value: str) -> UrlParts:
    """Take a canonical URL or rule apart without checking it (it must be canonical)."""
    scheme, _, rest = value.partition("://")
    slash = rest.find("/")
    authority, target = rest[:slash], rest[slash:]
    path, _, query = target.partition("?")
    any_subdomain = authority.startswith("*.")
    if any_subdomain:
        authority = authority[2:]
    if authority.startswith("["):
        end = authority.index("]") + 1
        host, port = authority[:end], authority[end + 1 :]
    else:
        host, _, port = authority.partition(":")
    prefix = path.endswith("*")  # a canonical URL's own "*" is escaped
    return UrlParts(
        scheme=scheme,
        host=host,
        port=port,
        path=path[:-1] if prefix else path,
        query=query,
        any_subdomain=any_subdomain,
        path_prefix=prefix,
    )


def scheme_free(value: str) -> str:
    """A canonical URL or rule without its scheme: http and https are one resource."""
    return value.partition("://")[2]


class UrlSignal(SignalType, UrlHasher):
    """A link: its canonical URL (python-threatexchange's ``url``), or a rule covering many.

    ``compare(query, reference)`` is directional: 0 when the reference is the query
    (http and https alike) or a rule covering it, else 1. A rule covers URLs, not rules.
    """

    name: ClassVar[str] = "url"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.URL})
    index_kind: ClassVar[IndexKind] = IndexKind.EXACT
    default_threshold: ClassVar[int] = 0

    @classmethod
    def validate(cls, value: str) -> str:
        return canonical_rule_or_url(value)

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        if scheme_free(a) == scheme_free(b):
            return 0
        reference = parse_canonical(b)
        if not reference.is_rule:
            return 1
        return 0 if reference.covers(parse_canonical(a)) else 1

    @classmethod
    def hash_url(cls, url: str) -> Signal:
        return Signal(cls.name, canonical_url(url))


# Whatever follows "http(s)://" or "www." up to a space, a quote, an angle bracket or CJK
# punctuation (a link in Chinese or Japanese text has no space around it). Not after an
# ASCII letter, digit, dot or dash ("xhttp://", "awww."). One greedy character class and
# no nesting: linear time on any text.
_LINK = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?:https?://|www\.)"
    r"[^\s<>\"'`\u3001\u3008-\u3011\u3014-\u301f\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f]+",
    re.IGNORECASE,
)
# Punctuation that ends a sentence or wraps a link rather than belonging to it.
_TRAILING = frozenset(".,;:!?*'\"")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def find_urls(text: str, *, limit: int = 100) -> list[str]:
    """The http(s) links in a text (bare "www." hosts too), canonical, de-duplicated in order.

    At most ``limit``; malformed links are skipped. Punctuation around a link ("(see
    https://x.example/a).") is not part of it. Linear in the text's length; past
    ``MAX_LINK_CANDIDATES`` distinct link-like strings the rest of the text is not searched.
    """
    found: dict[str, None] = {}
    seen: set[str] = set()
    if limit < 1:
        return []
    for match in _LINK.finditer(text):
        if match.end() - match.start() > MAX_URL_BYTES:
            continue
        candidate = _trim(match.group())
        if candidate in seen:
            continue
        if len(seen) >= MAX_LINK_CANDIDATES:
            break
        seen.add(candidate)
        if len(candidate) <= 4:  # "www." and nothing after it
            continue
        try:
            url = canonical_url(candidate)
        except InvalidInput:
            continue
        found[url] = None
        if len(found) >= limit:
            break
    return list(found)


def _trim(candidate: str) -> str:
    """The candidate without the punctuation that ends a sentence or closes a bracket around it.

    A closing bracket stays when the link opened it (a Wikipedia page "Foo_(bar)").
    """
    unmatched = {
        closer: candidate.count(closer) - candidate.count(opener)
        for closer, opener in _CLOSERS.items()
    }
    end = len(candidate)
    while end:
        char = candidate[end - 1]
        if char in _CLOSERS:
            if unmatched[char] <= 0:
                break
            unmatched[char] -= 1
        elif char not in _TRAILING and not (
            not char.isascii() and unicodedata.category(char).startswith("P")
        ):
            break
        end -= 1
    return candidate[:end]


__all__ = [
    "MAX_LINK_CANDIDATES",
    "MAX_URL_BYTES",
    "TRACKING_PARAMETERS",
    "UrlParts",
    "UrlSignal",
    "canonical_rule_or_url",
    "canonical_url",
    "find_urls",
    "parse_canonical",
    "scheme_free",
]
