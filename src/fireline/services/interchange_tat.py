"""Reading a Tech Against Terrorism (TCAP) hash list: import only.

The shapes read are the ones TAT's Hash List API serves, as python-threatexchange's TAT
client reads them: v1's daily file, a JSON array of records; v2's pages, objects whose
``results`` list holds the records (with ``count``, ``next``, ``checkpoint``). Several
pages one after another (``curl ... >> list.json``) are read as one list. A record holds
``hash_digest`` and ``algorithm`` (``PDQ``, ``MD5``, ``SHA256``, ``SHA512``), and may hold
``ideology``, ``file_type``, ``deleted``, ``id``, ``created_on``, ``updated_on``.

Beyond that, tolerantly: other names for the hash and its type, and an entity
(``entity``, ``group``, ``organisation``...) which becomes an ``entity:`` label. Every
entry gets ``basis:designation_list``: TCAP's hash list is built from content of entities
that democratic states or supranational bodies designate as terrorist (TCAP's inclusion
policy). Deleted records are skipped and counted; so are hash types fireline has no
signal type for (SHA512, SHA1, PhotoDNA); any other hash type is refused.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from fireline.domain import InvalidInput, NewEntry
from fireline.services.interchange_formats import Record, Skip, fit_note
from fireline.signals import SignalRegistry

DESIGNATION = "basis:designation_list"

_HASH_KEYS = ("hash_digest", "hash", "hash_value", "digest", "value", "signal_str")
_ALGORITHM_KEYS = ("algorithm", "hash_type", "algo", "signal_type", "type")
_ENTITY_KEYS = ("entity", "group", "organisation", "organization", "terrorist_group")
_LIST_KEYS = ("results", "hashes", "data", "items")
# Kept in the entry's note as provenance, in this order. A URL is not kept: it can point
# at live terrorist content or identify a user, and fireline shares hashes, not that.
_NOTE_KEYS = (
    ("id", "tat id"),
    ("ideology", "ideology"),
    ("file_type", "file type"),
    ("content_type", "content type"),
    ("platform", "platform"),
    ("created_on", "created"),
    ("date", "date"),
)
# Algorithm names with "-", "_" and spaces removed, upper case.
_ALGORITHMS = {"PDQ": "pdq", "MD5": "md5", "SHA256": "sha256", "VPDQ": "vpdq"}
_UNSUPPORTED = frozenset(
    {"SHA512", "SHA384", "SHA1", "PHOTODNA", "PDNA", "TMK", "TMKPDQF", "TLSH", "SSDEEP"}
)
# An MD5 of a video file is a video_md5 (as python-threatexchange's TAT exchange reads
# it), so that it is matched against videos; any other MD5 is a file md5.
_VIDEO_FILE_TYPES = frozenset(
    {"mp4", "mov", "m4v", "webm", "mkv", "avi", "flv", "wmv", "3gp", "mpeg", "mpg", "ogv", "ts"}
)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NOT_SLUG = re.compile(r"[^a-z0-9_.-]+")


def read_tat_hash_list(text: str, *, registry: SignalRegistry) -> Iterator[Record]:
    """Records of a TAT hash list document; InvalidInput names the bad record."""
    number = 0
    for document in _documents(text):
        for raw in _records_of(document):
            number += 1
            yield _tat_record(f"record {number}", raw, registry)


def _documents(text: str) -> Iterator[Any]:
    """Each JSON value of the text: one document, or pages written one after another."""
    decoder = json.JSONDecoder()
    position = _skip_blank(text, 0)
    if position == len(text):
        raise InvalidInput(
            "the document is empty; expected a TAT hash list (JSON)", code="malformed_document"
        )
    while position < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                code="malformed_document",
            ) from None
        except (ValueError, RecursionError):
            raise InvalidInput(
                "not valid JSON (a number too long, or nested too deep)",
                code="malformed_document",
            ) from None
        yield value
        position = _skip_blank(text, position)


def _skip_blank(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _records_of(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in _LIST_KEYS:
            if isinstance(document.get(key), list):
                return list(document[key])
        if any(key in document for key in _HASH_KEYS):
            return [document]
    raise InvalidInput(
        "expected a TAT hash list: a JSON array of hash records, or an object whose "
        '"results" list holds them',
        code="malformed_document",
    )


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def _tat_record(where: str, raw: Any, registry: SignalRegistry) -> Record:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: expected a JSON object", code="malformed_record")
    deleted = raw.get("deleted", False)
    if deleted not in (True, False, None, 0, 1):
        raise InvalidInput(f"{where}: deleted must be true or false", code="malformed_record")
    if deleted:
        return Record(where, skipped=Skip.RETRACTED)
    value = _first(raw, _HASH_KEYS)
    algorithm = _first(raw, _ALGORITHM_KEYS)
    if not isinstance(value, str):
        raise InvalidInput(
            f"{where}: no hash value (a string in hash_digest)", code="malformed_record"
        )
    if not isinstance(algorithm, str):
        raise InvalidInput(
            f"{where}: no hash algorithm (a string in algorithm: PDQ, MD5, SHA256...)",
            code="malformed_record",
        )
    signal_type = _signal_type(where, algorithm, raw, registry)
    if signal_type is None:
        return Record(where, skipped=Skip.UNSUPPORTED)
    labels = [DESIGNATION]
    entity = _first(raw, _ENTITY_KEYS)
    if entity is not None and not isinstance(entity, str):
        raise InvalidInput(f"{where}: the entity must be a string", code="malformed_record")
    slug = entity_slug(entity or "")
    if slug:
        labels.append(f"entity:{slug}")
    notes = [f"{name} {_scalar(raw.get(key))}" for key, name in _NOTE_KEYS if _scalar(raw.get(key))]
    if entity and not slug:
        notes.append(f"entity {entity[:200]}")
    entry = NewEntry(
        signal_type=signal_type,
        value=value,
        labels=tuple(labels),
        note=fit_note(["tat", *notes]),
    )
    return Record(where, entry)


def _signal_type(
    where: str, algorithm: str, raw: dict[str, Any], registry: SignalRegistry
) -> str | None:
    """fireline's signal type for the algorithm; None for a known one fireline lacks."""
    key = re.sub(r"[-_ ]", "", algorithm).upper()
    if key == "MD5" and _is_video(raw):
        return "video_md5"
    if key in _ALGORITHMS:
        return _ALGORITHMS[key]
    if algorithm.strip().lower() in registry:  # already a fireline name: audio_fp, video_md5
        return algorithm.strip().lower()
    if key in _UNSUPPORTED:
        return None
    raise InvalidInput(
        f"{where}: unknown hash algorithm {algorithm[:40]!r}; read: PDQ, MD5, SHA256, VPDQ "
        "and fireline's signal type names; skipped: SHA512, SHA1, PhotoDNA, TMK, TLSH",
        code="unknown_signal_type",
    )


def _is_video(raw: dict[str, Any]) -> bool:
    file_type = _scalar(raw.get("file_type")).lower().lstrip(".")
    kind = _scalar(raw.get("content_type") or raw.get("media_type")).lower()
    return file_type in _VIDEO_FILE_TYPES or kind.startswith("video")


def _scalar(value: Any) -> str:
    """A field as note text: strings and numbers, cut short; anything else is ignored."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()[:200]


def entity_slug(name: str) -> str:
    """An entity name as an ``entity:`` label value: "Al-Shabaab" -> "al-shabaab".

    Accents are dropped; a name with no Latin letters or digits gives "" (no label).
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_name.lower()).strip("-_.")[:100].rstrip("-_.")
