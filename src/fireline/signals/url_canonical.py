"""The canonical form of a link, and of a rule covering many (see ``fireline.signals.url``).

Modelled on the canonicalisation Safe Browsing applies before it looks a URL up in a
blocklist: one spelling for every way of writing the same link (case, escapes, default
ports, dots, IP address forms, Unicode hosts), so that a banked link is found however a
post writes it. It differs where a canonical string must read back as itself (Safe
Browsing only hashes it): the path keeps ``?``, ``\\`` and ``*`` escaped, query
parameters are split before they are unescaped, and tracking parameters are dropped.
docs/signals.md#urls gives the whole recipe.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_to_bytes

import idna

from fireline.domain import InvalidInput

#: Longest URL accepted, in UTF-8 bytes, as written and once canonical (escapes grow it).
MAX_URL_BYTES = 8 * 1024
#: Passes of percent-unescaping before a value is refused: real links are escaped once,
#: sometimes twice; more is an attempt to hide a link, or to make us spin.
MAX_UNESCAPE_PASSES = 16

#: Query parameters that identify a click, a share or a campaign, never the resource:
#: dropped, compared in lower case. A trailing ``*`` means every name with that prefix.
TRACKING_PARAMETERS: tuple[str, ...] = (
    "utm_*",  # Google Analytics campaign tags (utm_source, utm_medium, ...)
    "fbclid",  # Facebook click id
    "gclid",  # Google Ads click ids
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",  # Microsoft Advertising click id
    "mc_cid",  # Mailchimp campaign and subscriber ids
    "mc_eid",
    "igshid",  # Instagram share ids (old and new)
    "igsh",
    "yclid",  # Yandex click id
    "twclid",  # X/Twitter click id, and the source tag on embedded tweets
    "ref_src",
    "ttclid",  # TikTok click id
    "li_fat_id",  # LinkedIn first-party ad id
    "epik",  # Pinterest click id
    "srsltid",  # Google Merchant Center click id
    "_ga",  # Google Analytics cross-domain linker
    "_gl",
    "_hsenc",  # HubSpot e-mail tracking
    "_hsmi",
    "mkt_tok",  # Marketo e-mail tracking
    "si",  # YouTube and Spotify share ids
)
_TRACKING_NAMES = frozenset(p for p in TRACKING_PARAMETERS if not p.endswith("*"))
_TRACKING_PREFIXES = tuple(p[:-1] for p in TRACKING_PARAMETERS if p.endswith("*"))

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Schemes that are always schemes, even where "name:digits" could read as host:port.
_OTHER_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "mailto", "file", "ftp", "ws", "wss", "tel", "blob"}
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_AFTER_COLON = re.compile(r"[0-9]*(?:[/\\?#]|$)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_LABEL = re.compile(r"[a-z0-9_-]+")
_IPV4_LAST = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_HEX = re.compile(r"[0-9a-f]+")
_OCTAL = re.compile(r"[0-7]+")
_DECIMAL = re.compile(r"[0-9]+")
_MAX_HOST = 253
_MAX_LABEL = 63


def _escape_table(extra: bytes) -> tuple[str, ...]:
    """Per byte: itself, or %XX (upper case) for controls, space, non-ASCII and ``extra``."""
    return tuple(
        f"%{b:02X}" if b <= 0x20 or b >= 0x7F or b in extra else chr(b) for b in range(256)
    )


# "?", "\" and "*" too: read back, they would start a query, split the path, make a rule.
_PATH_ESCAPES = _escape_table(b"#%?\\*")
# "&", "=" and "+" too: they delimit parameters, or mean a space.
_QUERY_ESCAPES = _escape_table(b"#%&=+")


def _malformed(message: str) -> InvalidInput:
    return InvalidInput(message, code="malformed_url")


def _unescape(data: bytes, what: str) -> bytes:
    """Percent-unescape until nothing changes (so double encoding is undone), boundedly."""
    for _ in range(MAX_UNESCAPE_PASSES):
        if b"%" not in data:
            return data
        decoded = unquote_to_bytes(data)
        if decoded == data:
            return data
        data = decoded
    if b"%" in data and unquote_to_bytes(data) != data:
        raise _malformed(f"the {what} is percent-encoded more than {MAX_UNESCAPE_PASSES} times")
    return data


def _escape(data: bytes, table: tuple[str, ...]) -> str:
    return "".join(map(table.__getitem__, data))


def canonical_url(raw: str) -> str:
    """The canonical form of one http(s) URL, or InvalidInput saying what is wrong with it.

    Codes: ``url_too_long`` (over ``MAX_URL_BYTES``), ``malformed_url`` (anything else:
    another scheme, a bad host or port, control characters). A missing scheme means
    https; userinfo, fragment and tracking parameters are dropped. A ``*`` is an ordinary
    character here (escaped in the path): only banked values are rules.
    """
    return _canonical(raw, rules=False)


def canonical_rule_or_url(raw: str) -> str:
    """The canonical form of a URL or of a rule (``*.`` before the host, ``*`` after the path).

    A rule takes no query string or fragment, and a domain rule (``*.``) must end its
    path with ``*``; both are refused with ``malformed_url``.
    """
    return _canonical(raw, rules=True)


def _clean(raw: str) -> str:
    if not isinstance(raw, str):
        raise _malformed("a URL must be a string")
    text = raw.strip()
    if len(text) > MAX_URL_BYTES:
        raise _too_long(len(text))
    text = text.replace("\t", "").replace("\r", "").replace("\n", "")
    if not text:
        raise _malformed("a URL cannot be empty")
    control = _CONTROL.search(text)
    if control is not None:
        raise _malformed(f"a URL cannot hold the control character {control.group()!r}")
    return text


def _too_long(size: int) -> InvalidInput:
    return InvalidInput(
        f"a URL is at most {MAX_URL_BYTES} bytes; this one is {size}", code="url_too_long"
    )


def _split_scheme(text: str) -> tuple[str, str]:
    """(scheme, the rest); without a scheme, https."""
    if text.startswith(("//", "\\\\")):
        return "https", text
    match = _SCHEME.match(text)
    if match is None:
        return "https", text
    name = match.group(1).lower()
    after = text[match.end() :]
    if name in _DEFAULT_PORTS:
        return name, after
    # "example.com:8080/x" and "localhost:8080" are a host and port with no scheme.
    is_host = "." in name or _PORT_AFTER_COLON.match(after) is not None
    if is_host and name not in _OTHER_SCHEMES and not after.startswith(("/", "\\")):
        return "https", text
    raise _malformed(f"only http and https links can be matched; got a {name}: URL")


def _canonical(raw: str, *, rules: bool) -> str:
    text = _clean(raw)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise _malformed("a URL must be valid Unicode text (it holds a lone surrogate)") from None
    if size > MAX_URL_BYTES:
        raise _too_long(size)
    scheme, rest = _split_scheme(text)
    rest, hashmark, _fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    # As browsers read http(s) links: "\" is "/", and any run of them starts the authority.
    rest = rest.replace("\\", "/").lstrip("/")
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    authority = authority.rpartition("@")[2]  # http://good.com@evil.com/ is evil.com
    host, port = _split_port(authority)
    any_subdomain = rules and host.startswith("*.")
    if any_subdomain:
        host = host[2:]
    path_prefix = rules and path.endswith("*")
    if path_prefix:
        path = path[:-1]
    if path_prefix or any_subdomain:
        if question or hashmark:
            raise _malformed(
                "a rule covers every query string and fragment: drop the '?...' or '#...'"
            )
        if any_subdomain and not path_prefix:
            raise _malformed(
                "a domain rule ('*.' before the host) must end its path with '*': "
                f"write {scheme}://*.{host}/* for every path"
            )
    canonical_host = _canonical_host(host)
    if any_subdomain and canonical_host.startswith("["):
        raise _malformed("a domain rule ('*.') needs a domain name, not an IP address")
    if any_subdomain and _IPV4_LAST.fullmatch(canonical_host.rpartition(".")[2]):
        raise _malformed("a domain rule ('*.') needs a domain name, not an IP address")
    canonical_port = _canonical_port(port, scheme)
    out = f"{scheme}://{'*.' if any_subdomain else ''}{canonical_host}"
    out += f":{canonical_port}" if canonical_port else ""
    out += _canonical_path(path) + ("*" if path_prefix else "")
    canonical_query = _canonical_query(query)
    out += f"?{canonical_query}" if canonical_query else ""
    if len(out) > MAX_URL_BYTES:
        raise _too_long(len(out))
    return out


def _split_port(authority: str) -> tuple[str, str]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _malformed("an IPv6 host needs its closing ']'")
        after = authority[end + 1 :]
        if after and not after.startswith(":"):
            raise _malformed(f"unexpected {after[:20]!r} after the IPv6 host")
        return authority[: end + 1], after[1:]
    host, _, port = authority.partition(":")
    return host, port


def _canonical_port(port: str, scheme: str) -> str:
    if not port:
        return ""
    if not port.isascii() or not port.isdigit() or len(port.lstrip("0")) > 5:
        raise _malformed(f"the port must be a number from 0 to 65535; got {port[:20]!r}")
    number = int(port)
    if number > 65535:
        raise _malformed(f"the port must be a number from 0 to 65535; got {number}")
    return "" if str(number) == _DEFAULT_PORTS[scheme] else str(number)


def _canonical_host(host: str) -> str:
    if host.startswith("["):
        return _ipv6(host[1:-1])
    try:
        name = _unescape(host.encode("utf-8"), "host").decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("the host's percent escapes are not UTF-8") from None
    if name.isascii():
        name = name.lower()
    else:
        try:
            # UTS46: case, width and compatibility mapping (fullwidth dots too).
            name = idna.uts46_remap(name, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError) as exc:
            raise _malformed(f"the host {name[:80]!r} is not a valid domain name ({exc})") from None
    labels = [label for label in name.split(".") if label]  # leading, trailing, runs of dots
    if not labels:
        raise _malformed("a URL needs a host")
    if _IPV4_LAST.fullmatch(labels[-1]):
        return _ipv4(labels)
    out = ".".join(_canonical_label(label) for label in labels)
    if len(out) > _MAX_HOST:
        raise _malformed(f"a host name is at most {_MAX_HOST} characters; got {len(out)}")
    return out


def _canonical_label(label: str) -> str:
    try:
        if label.isascii():
            if not _ASCII_LABEL.fullmatch(label):
                bad = next(c for c in label if not _ASCII_LABEL.fullmatch(c))
                raise _malformed(f"a host name cannot hold {bad!r}")
            if label.startswith("xn--"):
                label = idna.alabel(idna.ulabel(label)).decode("ascii")
        else:
            label = idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise _malformed(f"the host label {label[:80]!r} is not valid IDNA ({exc})") from None
    if len(label) > _MAX_LABEL:
        raise _malformed(f"a host label is at most {_MAX_LABEL} characters; got {len(label)}")
    return label


def _ipv4(parts: list[str]) -> str:
    """Dotted quad from any form browsers accept: 0x hex, 0 octal, fewer than four parts."""
    invalid = _malformed(f"the host {'.'.join(parts)[:80]!r} is not a valid IPv4 address")
    if len(parts) > 4:
        raise invalid
    numbers = []
    for part in parts:
        if len(part) > 40:
            raise invalid
        lowered = part.lower()
        if lowered.startswith("0x"):
            digits, base, allowed = lowered[2:] or "0", 16, _HEX
        elif len(part) > 1 and part.startswith("0"):
            digits, base, allowed = part[1:], 8, _OCTAL
        else:
            digits, base, allowed = part, 10, _DECIMAL
        if not allowed.fullmatch(digits):  # int() would take "1_0", "+1", " 1"
            raise invalid
        numbers.append(int(digits, base))
    last_limit = 256 ** (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= last_limit:
        raise invalid
    value = numbers[-1]
    for position, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - position))
    return str(ipaddress.IPv4Address(value))


def _ipv6(inner: str) -> str:
    if "%" in inner:
        raise _malformed("an IPv6 host cannot carry a zone id ('%')")
    try:
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        raise _malformed(f"the host [{inner[:80]}] is not a valid IPv6 address") from None
    return f"[{address.compressed}]"


def _canonical_path(path: str) -> str:
    data = _unescape(path.encode("utf-8"), "path")
    kept: list[bytes] = []
    segments = data.split(b"/")[1:]
    trailing = False
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment in (b"", b".", b".."):
            if segment == b".." and kept:
                kept.pop()
            trailing = last  # "/a/", "/a/." and "/a/b/.." all end in a slash
            continue
        kept.append(segment)
    if not kept:
        return "/"
    return "/" + "/".join(_escape(s, _PATH_ESCAPES) for s in kept) + ("/" if trailing else "")


def _canonical_query(query: str) -> str:
    params: list[tuple[str, bool, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        raw_name, equals, raw_value = piece.partition("=")
        name = _unescape(raw_name.replace("+", " ").encode("utf-8"), "query")
        if _is_tracking(name):
            continue
        value = _unescape(raw_value.replace("+", " ").encode("utf-8"), "query")
        params.append((_escape(name, _QUERY_ESCAPES), bool(equals), _escape(value, _QUERY_ESCAPES)))
    params.sort()
    return "&".join(f"{name}={value}" if equals else name for name, equals, value in params)


def _is_tracking(name: bytes) -> bool:
    lowered = name.decode("latin-1").lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)
