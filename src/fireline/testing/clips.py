"""Videos composed from pictures over time: compilations, excerpts, edited copies.

A clip is a function from seconds to a picture; ``render`` encodes one with PyAV. With
``synthetic_frame`` as the source, any excerpt, speed change or edit of a synthetic video
can be built frame-exactly, and the ground truth (which source second appears when) is
known by construction.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from fireline.testing.media import MUSIC_RATE, _audio_stream, _encode_audio, synthetic_frame

#: A picture as a function of time (seconds from the clip's start).
Picture = Callable[[float], Image.Image]


@dataclass(frozen=True, slots=True)
class Clip:
    """``seconds`` of a picture function."""

    picture: Picture
    seconds: float


def source(seed: int, seconds: float, size: tuple[int, int], scene_seconds: float = 3.0) -> Clip:
    """The synthetic video ``seed`` (``synthetic_frame``) as a clip."""
    return Clip(lambda t: synthetic_frame(seed, t, size, scene_seconds), seconds)


def excerpt(clip: Clip, start: float, seconds: float, *, speed: float = 1.0) -> Clip:
    """``seconds`` of the clip from ``start``, played at ``speed`` (2.0: twice as fast)."""
    return Clip(lambda t: clip.picture(start + speed * t), seconds / speed)


def transformed(clip: Clip, change: Callable[[Image.Image, float], Image.Image]) -> Clip:
    """Every picture of the clip changed by ``change(picture, t)``; as long as the clip."""
    return Clip(lambda t: change(clip.picture(t), t), clip.seconds)


def mirrored(clip: Clip) -> Clip:
    return transformed(clip, lambda image, _: ImageOps.mirror(image))


def letterboxed(clip: Clip, fraction: float = 0.75) -> Clip:
    """The picture shrunk to ``fraction`` of its height between black bars."""

    def picture(t: float) -> Image.Image:
        image = clip.picture(t)
        width, height = image.size
        inner = image.resize((width, int(height * fraction)), Image.Resampling.BILINEAR)
        canvas = Image.new("RGB", (width, height))
        canvas.paste(inner, (0, (height - inner.size[1]) // 2))
        return canvas

    return Clip(picture, clip.seconds)


def inset(
    clip: Clip,
    host: Clip,
    *,
    box: tuple[float, float, float],
    frame: tuple[int, int, int] | None = None,
) -> Clip:
    """The clip shrunk into ``host`` (picture-in-picture), as long as the shorter.

    ``box`` is (left, top, width) in fractions of the host's frame; the clip keeps its
    aspect ratio. ``frame`` draws a two-pixel outline of that colour around it.
    """
    left, top, fraction = box

    def picture(t: float) -> Image.Image:
        canvas = host.picture(t).convert("RGB")
        image = clip.picture(t)
        width = round(canvas.size[0] * fraction)
        height = round(width * image.size[1] / image.size[0])
        x, y = round(left * canvas.size[0]), round(top * canvas.size[1])
        if frame is not None:
            canvas.paste(frame, (x - 2, y - 2, x + width + 2, y + height + 2))
        canvas.paste(image.resize((width, height), Image.Resampling.BILINEAR), (x, y))
        return canvas

    return Clip(picture, min(clip.seconds, host.seconds))


def concatenated(clips: Sequence[Clip]) -> Clip:
    """The clips one after another."""
    starts = np.cumsum([0.0, *(c.seconds for c in clips)])

    def picture(t: float) -> Image.Image:
        position = int(np.searchsorted(starts, t, side="right")) - 1
        position = min(max(position, 0), len(clips) - 1)
        return clips[position].picture(t - float(starts[position]))

    return Clip(picture, float(starts[-1]))


def render(
    clip: Clip,
    *,
    fps: int = 2,
    container: str = "mp4",
    crf: int = 23,
    sound: npt.NDArray[np.float32] | None = None,
    rate: int = MUSIC_RATE,
) -> bytes:
    """Encode the clip with libx264 at ``fps`` frames per second: the same bytes each time.

    ``sound`` (mono samples at ``rate``) is encoded with AAC beside the picture; every
    picture must have the first one's size.
    """
    out = io.BytesIO()
    first = clip.picture(0.0)
    with av.open(out, mode="w", format=container, options={"fflags": "+bitexact"}) as output:
        stream = output.add_stream("libx264", rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = first.size[0], first.size[1], "yuv420p"
        stream.codec_context.thread_count = 1
        # x264's macroblock-tree rate control gives other bytes now and then for the same
        # frames (seen with its AVX-512 code); without it, on one thread, they never vary.
        stream.options = {
            "crf": str(crf),
            "preset": "veryfast",
            "x264-params": "threads=1:mbtree=0",
        }
        audio = None
        if sound is not None:
            audio = _audio_stream(output, "aac", rate, 64_000, False)
            # FFmpeg's default AAC search is slow; fingerprints need no more than this.
            audio.options = {"aac_coder": "fast"}
        for n in range(round(clip.seconds * fps)):
            image = first if n == 0 else clip.picture(n / fps)
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
            output.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        output.mux(stream.encode(None))
        if audio is not None and sound is not None:
            # The muxer interleaves the two streams' packets by time.
            _encode_audio(output, audio, sound, rate)
    return out.getvalue()
