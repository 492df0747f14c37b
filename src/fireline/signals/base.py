"""What a signal type is: a small declarative class plus capability mixins.

A signal type names itself (the storage key), validates and canonicalises its string
form, and offers a brute-force comparison. Hashing capabilities are mixins, so that a
type that only compares strings (a hash list imported from elsewhere) is still a type.
The fast index for a type lives in ``fireline.index``; it is checked against
``compare`` by the contract tests in ``fireline.testing``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import StrEnum
from typing import ClassVar

from fireline.domain import InvalidInput, Segment, Signal
from fireline.signals.audio import DecodedAudio
from fireline.signals.media import DecodedImage
from fireline.signals.text_extract import DecodedText
from fireline.signals.video import DecodedVideo


class ContentType(StrEnum):
    """The kinds of content a hasher accepts."""

    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    #: Text and documents: plain text, HTML, PDF, DOCX (their text is hashed).
    TEXT = "text"
    #: A link: the URL itself is the content.
    URL = "url"
    FILE = "file"


class IndexKind(StrEnum):
    """How an index finds candidates for a signal type."""

    EXACT = "exact"
    HAMMING = "hamming"
    #: Per-frame hashes matched as aligned segments in time (video, audio), or passages
    #: of text.
    SEGMENT = "segment"
    #: A distance of the type's own (TLSH), judged against the type's default threshold;
    #: the type names its index in ``fireline.index.NAMED_INDEXES``.
    DISTANCE = "distance"


class SignalType(ABC):
    """A signal type: a name, a canonical string form, a distance, a default threshold."""

    name: ClassVar[str]
    content_types: ClassVar[frozenset[ContentType]]
    index_kind: ClassVar[IndexKind]
    #: Distance at or below which two signals match, unless a bank says otherwise.
    default_threshold: ClassVar[int] = 0
    #: For Hamming types: the hash length in bits.
    bits: ClassVar[int] = 0
    #: A costly type the matcher asks only when no other signal of the upload matched
    #: (its banked entries are still matched on their own, and still shared).
    fallback: ClassVar[bool] = False
    #: A more precise type hashed from the same content, whose verdict this type's defers
    #: to: when an upload has a signal of that type and the banked item an entry of it, a
    #: match of this type counts only if that type matched the same item too.
    defers_to: ClassVar[str | None] = None

    @classmethod
    @abstractmethod
    def validate(cls, value: str) -> str:
        """Return the canonical form of ``value`` or raise InvalidInput."""

    @classmethod
    @abstractmethod
    def compare(cls, a: str, b: str) -> int:
        """Brute-force distance between two canonical signals (0 means identical)."""

    @classmethod
    def validate_quality(cls, quality: int | None) -> int | None:
        """Return the quality unchanged, or raise InvalidInput if it is out of range.

        A quality is a score from 0 to 100 for every type; types without one take None.
        """
        if quality is not None and not 0 <= quality <= 100:
            raise InvalidInput(
                f"{cls.name} quality is 0-100; got {quality}", code="malformed_signal"
            )
        return quality

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        """Whether a signal of this quality must not be matched or banked."""
        return False

    @classmethod
    def measures(cls, query: str, reference: str, segments: Sequence[Segment]) -> dict[str, float]:
        """Figures a match of this type reports beside its distance (text: Jaccard, containment).

        ``segments`` are the ones the index found, so the figures need not compare again.
        None by default; called only for matches.
        """
        return {}


class BytesHasher(ABC):
    """Capability: hashes raw bytes of any file."""

    @classmethod
    @abstractmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        """Hash the bytes as they are."""


class PhotoHasher(ABC):
    """Capability: hashes a decoded photo."""

    @classmethod
    @abstractmethod
    def hash_image(cls, image: DecodedImage) -> Signal:
        """Hash the decoded pixels."""

    @classmethod
    @abstractmethod
    def hash_image_dihedral(cls, image: DecodedImage) -> dict[str, Signal]:
        """Hash the image under each of the 8 rotations and flips, keyed by transform."""


class VideoHasher(ABC):
    """Capability: hashes a decoded video from its sampled frames."""

    @classmethod
    @abstractmethod
    def hash_video(cls, video: DecodedVideo) -> Signal:
        """Hash the video; ``video.frames()`` decodes it (under its limits) on each call."""

    @classmethod
    def hash_video_variants(cls, video: DecodedVideo) -> dict[str, Signal]:
        """The video's signal as it is ("original") and under the edits worth querying.

        For matching: a type whose hashes change under mirroring returns the mirrored
        video's signal too ("flip_horizontal"). By default, only the original.
        """
        return {"original": cls.hash_video(video)}


class AudioHasher(ABC):
    """Capability: hashes decoded audio (an audio file, or a video's soundtrack)."""

    @classmethod
    @abstractmethod
    def hash_audio(cls, audio: DecodedAudio) -> Signal:
        """Hash the audio; ``audio.pcm(rate)`` decodes it (under its limits) on each call."""


class TextHasher(ABC):
    """Capability: hashes the text of a document (plain text, HTML, PDF, DOCX)."""

    @classmethod
    @abstractmethod
    def hash_text(cls, text: DecodedText) -> Signal:
        """Hash the extracted text; raises InvalidInput when it is too short to mean anything."""


class UrlHasher(ABC):
    """Capability: hashes a link (the URL is the content)."""

    @classmethod
    @abstractmethod
    def hash_url(cls, url: str) -> Signal:
        """The URL's signal (its canonical form); raises InvalidInput for a malformed URL."""
