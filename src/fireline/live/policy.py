"""What a watch may reach: http(s) URLs on public addresses, files under one directory.

A server that fetches URLs its clients name can be turned against its own network
(server-side request forgery): a watch of ``http://169.254.169.254/`` would read cloud
credentials, one of ``http://localhost:5432/`` probe a database. So, unless configured
otherwise, every URL a watch fetches (playlists, segments, each redirect, webhooks) must
resolve only to public (global) addresses, checked before every request; and local files
may be watched only under ``FIRELINE_WATCH_FILE_DIR``. The command line trusts its user
and allows both (``SourcePolicy.for_command_line``).

The check resolves the name, then the client connects by name: a DNS server that answers
differently the second time (rebinding) is not stopped here. Where that matters, also
deny private ranges at the egress firewall or proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fireline.domain import InvalidInput
from fireline.domain.watches import SourceKind
from fireline.services.text import check_text


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source a watch may follow: its kind and where it is (URL, or absolute path)."""

    kind: SourceKind
    location: str


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """Which URLs and files watches may reach."""

    #: Allow loopback, private, link-local and other non-public addresses.
    allow_private_addresses: bool = False
    #: Files may be watched under this directory only; None: no file sources at all.
    file_dir: Path | None = None
    #: Any readable file may be watched (the command line).
    any_file: bool = False

    @classmethod
    def for_command_line(cls) -> SourcePolicy:
        """The command line's policy: its user may already read any file and any address."""
        return cls(allow_private_addresses=True, any_file=True)

    def source(self, text: str) -> SourceSpec:
        """Parse and check a source: an http(s) URL of an HLS playlist, or a file path.

        A file is given as a path or a ``file://`` URL. Raises InvalidInput.
        """
        text = check_text(text, what="a source").strip()
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            self.check_url(text)
            return SourceSpec(SourceKind.HLS, text)
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise InvalidInput(
                    "a file:// URL must name a local file", code="unsupported_source"
                )
            return SourceSpec(SourceKind.FILE, str(self.check_file(Path(unquote(parts.path)))))
        if scheme and len(scheme) > 1:
            raise InvalidInput(
                f"cannot watch a {scheme}: URL: give an http(s) URL of an HLS playlist or a "
                "local file",
                code="unsupported_source",
            )
        if not text:
            raise InvalidInput("the source is empty", code="unsupported_source")
        return SourceSpec(SourceKind.FILE, str(self.check_file(Path(text))))

    def check_file(self, path: Path) -> Path:
        """The absolute path of a file a watch may read; InvalidInput otherwise."""
        if self.any_file:
            return path.absolute()
        if self.file_dir is None:
            raise InvalidInput(
                "file sources are turned off on this server (set FIRELINE_WATCH_FILE_DIR to "
                "allow files under one directory)",
                code="file_sources_disabled",
            )
        root = self.file_dir.resolve()
        resolved = (root / path).resolve()  # an absolute path replaces root
        if not resolved.is_relative_to(root):
            raise InvalidInput(
                "file sources must lie under FIRELINE_WATCH_FILE_DIR", code="file_not_allowed"
            )
        return resolved

    def check_url(self, url: str) -> None:
        """InvalidInput unless ``url`` is http(s) and its host resolves to allowed addresses."""
        parts = urlsplit(check_text(url, what="a URL"))
        if parts.scheme.lower() not in ("http", "https"):
            raise InvalidInput(
                f"only http and https URLs can be fetched; got {url[:100]!r}",
                code="unsupported_source",
            )
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise InvalidInput(
                f"the URL's port is not valid: {url[:100]!r}", code="bad_url"
            ) from None
        host = parts.hostname
        if not host:
            raise InvalidInput(f"the URL names no host: {url[:100]!r}", code="bad_url")
        if self.allow_private_addresses:
            return
        for address in _addresses(host, port):
            if not _public(address):
                raise InvalidInput(
                    f"{host} is a non-public address ({address}); watches may only fetch from "
                    "public addresses unless FIRELINE_WATCH_ALLOW_PRIVATE_URLS is set",
                    code="address_not_allowed",
                )


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"cannot resolve {host}: {exc}", code="source_unreachable") from None
    found = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        found.append(ipaddress.ip_address(raw))
    if not found:
        raise InvalidInput(f"{host} resolves to no address", code="source_unreachable")
    return found


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast
