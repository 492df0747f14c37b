"""Hashing content into signals: decode once under limits, then run every applicable hasher."""

from __future__ import annotations

from dataclasses import dataclass, field

from fireline.domain import InvalidInput, MediaTooLarge, Signal
from fireline.signals import (
    DEFAULT_FRAMES_PER_SECOND,
    AudioHasher,
    BytesHasher,
    ContentType,
    DecodedAudio,
    DecodedText,
    MediaLimits,
    PhotoHasher,
    SignalRegistry,
    TextHasher,
    UrlHasher,
    VideoHasher,
    check_size,
    decode_image,
    extract_text,
    find_urls,
    open_audio,
    open_soundtrack,
    open_video,
)
from fireline.signals.base import SignalType
from fireline.signals.sniff import sniff_content_type


@dataclass(frozen=True, slots=True)
class HashedContent:
    """The signals of one piece of content, and the photo hashes under each transform."""

    content_type: ContentType
    signals: tuple[Signal, ...]
    #: Per signal type (e.g. "pdq", "vpdq"): transform name -> signal, for matching
    #: rotated or mirrored copies.
    variants: dict[str, dict[str, Signal]] = field(default_factory=dict)
    size: int = 0
    #: The links a text holds (url signals): matched, so a known link in a post is found,
    #: but never banked with the text, whose links may be harmless.
    links: tuple[Signal, ...] = ()
    #: For text: the extracted text's format (text, html, pdf, docx).
    document_format: str | None = None


#: The content type name that asks fireline to tell for itself.
AUTO = "auto"


def parse_content_type(raw: str) -> ContentType | None:
    """Parse a content type name ("auto" is None), or raise InvalidInput listing them."""
    if raw == AUTO:
        return None
    try:
        return ContentType(raw)
    except ValueError:
        known = ", ".join([AUTO, *(c.value for c in ContentType)])
        raise InvalidInput(
            f"unknown content type {raw!r}; known: {known}", code="unknown_content_type"
        ) from None


def detect_content_type(data: bytes) -> ContentType:
    """Photo, video, audio or text (plain, HTML, PDF, DOCX), told from the header.

    Anything else is taken for a photo, so that it is refused as the photo decoder
    refuses it (415 ``not_an_image``): hashing any file's bytes is asked for explicitly,
    with content type ``file``.
    """
    detected = sniff_content_type(data)
    return ContentType.PHOTO if detected is ContentType.FILE else detected


class HashingService:
    """Turns bytes into signals with every registered hasher that accepts the content type."""

    def __init__(
        self,
        *,
        registry: SignalRegistry,
        limits: MediaLimits,
        video_frames_per_second: float = DEFAULT_FRAMES_PER_SECOND,
    ) -> None:
        self.registry = registry
        self.limits = limits
        self.video_frames_per_second = video_frames_per_second

    def hash_content(
        self,
        data: bytes,
        *,
        content_type: ContentType | None = None,
        variants: bool = False,
    ) -> HashedContent:
        """Hash ``data``; raises InvalidInput (or a subclass) for content that cannot be hashed.

        ``content_type`` None tells photos, videos and audio apart by their headers
        (``detect_content_type``).

        With ``variants``, photo hashes are also computed under every rotation and flip
        (seven more PDQ hashes: most of the cost), and video frame hashes mirrored, for
        matching.
        """
        check_size(data, self.limits)
        if content_type is None:
            content_type = detect_content_type(data)
        if content_type is ContentType.URL:
            return self.hash_url(_url_text(data))
        types = self.registry.for_content(content_type)
        if content_type is ContentType.TEXT:
            decoded = extract_text(data, self.limits)
            return self._hash_text(decoded, types, data=data)
        image = video = None
        if any(issubclass(t, PhotoHasher) for t in types):
            image = decode_image(data, self.limits)
        if any(issubclass(t, VideoHasher) for t in types):
            # Checks the header now, so bad input fails before any hasher runs.
            video = open_video(data, self.limits, frames_per_second=self.video_frames_per_second)
        audio: DecodedAudio | None = None
        if any(issubclass(t, AudioHasher) for t in types):
            # An audio file must have sound; a video without a soundtrack just has no
            # audio signals.
            if content_type is ContentType.AUDIO:
                audio = open_audio(data, self.limits)
            else:
                audio = open_soundtrack(data, self.limits)
        signals: list[Signal] = []
        by_type: dict[str, dict[str, Signal]] = {}
        for signal_type in types:
            if image is not None and issubclass(signal_type, PhotoHasher):
                if variants:
                    by_transform = signal_type.hash_image_dihedral(image)
                    by_type[signal_type.name] = by_transform
                    signals.append(by_transform["original"])
                else:
                    signals.append(signal_type.hash_image(image))
            elif video is not None and issubclass(signal_type, VideoHasher):
                if variants:
                    by_variant = signal_type.hash_video_variants(video)
                    by_type[signal_type.name] = by_variant
                    signals.append(by_variant["original"])
                else:
                    signals.append(signal_type.hash_video(video))
            elif audio is not None and issubclass(signal_type, AudioHasher):
                if content_type is ContentType.AUDIO:
                    signals.append(signal_type.hash_audio(audio))
                else:
                    soundtrack = _soundtrack_signal(signal_type, audio)
                    if soundtrack is not None:
                        signals.append(soundtrack)
            elif issubclass(signal_type, BytesHasher):
                signals.append(signal_type.hash_bytes(data))
        return HashedContent(
            content_type=content_type, signals=tuple(signals), variants=by_type, size=len(data)
        )

    def hash_text(self, text: str) -> HashedContent:
        """Hash a text given as a string (a post); InvalidInput when it is too short."""
        if len(text) > self.limits.max_text_chars:
            raise MediaTooLarge(
                f"the text is {len(text)} characters, over the limit of "
                f"{self.limits.max_text_chars}",
                code="too_much_text",
            )
        if not text.strip():
            raise InvalidInput("the text is empty", code="no_text")
        types = self.registry.for_content(ContentType.TEXT)
        return self._hash_text(DecodedText(text), types, data=text.encode("utf-8"))

    def hash_url(self, url: str) -> HashedContent:
        """Hash a link: its signals (the canonical URL); InvalidInput when it is malformed."""
        signals = [
            t.hash_url(url)
            for t in self.registry.for_content(ContentType.URL)
            if issubclass(t, UrlHasher)
        ]
        return HashedContent(
            content_type=ContentType.URL, signals=tuple(signals), size=len(url.encode("utf-8"))
        )

    def _hash_text(
        self, text: DecodedText, types: list[type[SignalType]], *, data: bytes
    ) -> HashedContent:
        signals: list[Signal] = []
        refusals: list[InvalidInput] = []
        for signal_type in types:
            if issubclass(signal_type, TextHasher):
                try:
                    signals.append(signal_type.hash_text(text))
                except MediaTooLarge:
                    raise
                except InvalidInput as exc:
                    # One hasher's minimum (TLSH's variety) must not refuse the text when
                    # another could hash it; with none, the text is refused.
                    refusals.append(exc)
        if not signals:
            raise (
                refusals[0]
                if refusals
                else InvalidInput("no signal type hashes text here", code="no_text_signal")
            )
        signals.extend(t.hash_bytes(data) for t in types if issubclass(t, BytesHasher))
        return HashedContent(
            content_type=ContentType.TEXT,
            signals=tuple(signals),
            size=len(data),
            links=self._links(text.text),
            document_format=text.format,
        )

    def _links(self, text: str) -> tuple[Signal, ...]:
        if "url" not in self.registry:
            return ()
        return tuple(Signal("url", link) for link in find_urls(text))


def _url_text(data: bytes) -> str:
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidInput("a URL must be UTF-8 text", code="malformed_url") from None


def _soundtrack_signal(signal_type: type[AudioHasher], audio: DecodedAudio) -> Signal | None:
    """A video's soundtrack signal; None when the soundtrack is damaged or too short.

    The video's picture was hashed, so its own signals still count: refusing the whole
    video for a broken soundtrack would lose them. Limits (too long, too slow) still
    refuse it.
    """
    try:
        return signal_type.hash_audio(audio)
    except MediaTooLarge:
        raise
    except InvalidInput:
        return None
