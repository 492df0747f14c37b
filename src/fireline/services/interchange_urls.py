"""URL lists: one link or rule per line, the form blocklists and takedown lists come in.

``urls``: each line a URL (``https://files.example/manifesto.pdf``) or a rule
(``https://files.example/manifesto/*``, ``https://*.example.com/*``), optionally followed
by a tab and the entry's labels separated by spaces. Blank lines and lines starting with
``#`` are ignored (a ``#`` later in a line belongs to the URL: it starts its fragment).
Values are validated by the ``url`` signal type when the import checks its records, so a
bad line is refused with its number and nothing is stored. An export writes the bank's
``url`` entries in the same form, their labels after a tab.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from fireline.domain import Entry, NewEntry
from fireline.services.interchange_formats import Record

URL_SIGNAL_TYPE = "url"


def read_url_list(lines: Iterable[str]) -> Iterator[Record]:
    """A record per URL or rule; labels after a tab. Validation is left to the import."""
    for line_no, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        value, _, labels = text.partition("\t")
        yield Record(
            f"line {line_no}",
            NewEntry(signal_type=URL_SIGNAL_TYPE, value=value, labels=tuple(labels.split())),
        )


def url_list_lines(
    entries: Iterable[Entry], *, left_out: Counter[str] | None = None
) -> Iterator[str]:
    """One line per ``url`` entry (its labels after a tab); other types counted in ``left_out``."""
    for entry in entries:
        if entry.signal_type != URL_SIGNAL_TYPE:
            if left_out is not None:
                left_out[entry.signal_type] += 1
            continue
        yield f"{entry.value}\t{' '.join(entry.labels)}" if entry.labels else entry.value
