"""Hashing content into signals: decode once under limits, then run every applicable hasher."""

from __future__ import annotations

from dataclasses import dataclass, field

from fireline.domain import InvalidInput, Signal
from fireline.signals import (
    DEFAULT_FRAMES_PER_SECOND,
    BytesHasher,
    ContentType,
    MediaLimits,
    PhotoHasher,
    SignalRegistry,
    VideoHasher,
    check_size,
    decode_image,
    open_video,
)


@dataclass(frozen=True, slots=True)
class HashedContent:
    """The signals of one piece of content, and the photo hashes under each transform."""

    content_type: ContentType
    signals: tuple[Signal, ...]
    #: For photos: transform name -> signal, per photo signal type (e.g. "pdq").
    variants: dict[str, dict[str, Signal]] = field(default_factory=dict)
    size: int = 0


def parse_content_type(raw: str) -> ContentType:
    """Parse a content type name, or raise InvalidInput listing the known ones."""
    try:
        return ContentType(raw)
    except ValueError:
        known = ", ".join(c.value for c in ContentType)
        raise InvalidInput(
            f"unknown content type {raw!r}; known: {known}", code="unknown_content_type"
        ) from None


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
        content_type: ContentType = ContentType.PHOTO,
        variants: bool = False,
    ) -> HashedContent:
        """Hash ``data``; raises InvalidInput (or a subclass) for content that cannot be hashed.

        With ``variants``, photo hashes are also computed under every rotation and flip
        (seven more PDQ hashes: most of the cost), for matching.
        """
        check_size(data, self.limits)
        types = self.registry.for_content(content_type)
        image = video = None
        if any(issubclass(t, PhotoHasher) for t in types):
            image = decode_image(data, self.limits)
        if any(issubclass(t, VideoHasher) for t in types):
            # Checks the header now, so bad input fails before any hasher runs.
            video = open_video(data, self.limits, frames_per_second=self.video_frames_per_second)
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
                signals.append(signal_type.hash_video(video))
            elif issubclass(signal_type, BytesHasher):
                signals.append(signal_type.hash_bytes(data))
        return HashedContent(
            content_type=content_type, signals=tuple(signals), variants=by_type, size=len(data)
        )
