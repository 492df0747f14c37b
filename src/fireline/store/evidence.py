"""Evidence media: the uploads a case holds for review, kept by the platform that saw them.

Media never leave the instance (hashes, never content). They are addressed by their
SHA-256, so one file kept twice is stored once. A file store writes under a folder
through a temporary file, fsync and rename: a returned digest names a durable file.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Protocol

from fireline.domain import InvalidInput, NotFound, StorageError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _checked(digest: str) -> str:
    if not _DIGEST.match(digest):
        raise InvalidInput(f"{digest!r} is not a SHA-256 hex digest", code="invalid_digest")
    return digest


class EvidenceStore(Protocol):
    """Media by SHA-256: put, get, delete. ``get`` of an unknown digest raises NotFound."""

    def put(self, data: bytes) -> str:
        """Keep ``data``; returns its SHA-256 hex digest once it is durable."""
        ...

    def get(self, digest: str) -> bytes: ...

    def delete(self, digest: str) -> bool:
        """Forget the media; False if there was none."""
        ...


class MemoryEvidence:
    """The in-memory twin (for ``memory://`` instances and tests)."""

    def __init__(self) -> None:
        self._media: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._media[digest] = bytes(data)
        return digest

    def get(self, digest: str) -> bytes:
        with self._lock:
            found = self._media.get(_checked(digest))
        if found is None:
            raise NotFound(f"no evidence media {digest}")
        return found

    def delete(self, digest: str) -> bool:
        with self._lock:
            return self._media.pop(_checked(digest), None) is not None


class FileEvidence:
    """Media as files ``<folder>/<aa>/<digest>``; the folder is created when first used."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        tmp = path.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"could not keep evidence media: {exc}") from exc
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self._path(_checked(digest)).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no evidence media {digest}") from None
        except OSError as exc:
            raise StorageError(f"could not read evidence media: {exc}") from exc

    def delete(self, digest: str) -> bool:
        try:
            self._path(_checked(digest)).unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"could not delete evidence media: {exc}") from exc
