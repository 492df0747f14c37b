"""Synthetic, benign test media, generated deterministically from a seed.

Nothing here is real content and nothing is downloaded: every image is drawn from
gradients, shapes and noise, and every video is a slow pan over such images encoded with
PyAV, so tests and benchmarks can hash "photos" and "videos" without holding any. The
same seed gives the same pixels on every machine (numpy's PCG64 and Pillow's drawing are
both deterministic), and the same video bytes with the same PyAV build.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from fractions import Fraction
from typing import Literal, get_args

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

#: The simple edits ``edited`` can apply: the cheap variants re-uploaders make.
EditKind = Literal["jpeg", "resize", "crop", "mirror", "brighten", "darken"]
EDIT_KINDS: tuple[EditKind, ...] = get_args(EditKind)

ImageFormat = Literal["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def random_photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A textured RGB image: gradients, cloud texture, shapes, noise blocks; PDQ quality ~100.

    ``size`` is (width, height). Distinct seeds give visually unrelated images, far apart
    in PDQ distance; jpeg, resize and brightness edits stay within PDQ's match threshold.
    """
    width, height = size
    if width < 16 or height < 16:
        raise ValueError(f"random_photo needs at least 16x16 pixels; got {width}x{height}")
    rng = np.random.default_rng(seed)

    # Background: a linear gradient per channel over a shared "cloud" texture whose
    # spectrum falls off like a natural photo's, so PDQ's low frequencies carry structure
    # and its hash survives resizing and recompression.
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    xs /= width
    ys /= height
    clouds = _cloud_texture(rng, width, height)
    channels = []
    for _ in range(3):
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * xs + np.sin(angle) * ys
        own = _cloud_texture(rng, width, height)
        channels.append(128 + 50 * ramp + 35 * clouds + 20 * own + rng.uniform(-20, 20))
    background = np.clip(np.stack(channels, axis=2), 0, 255).astype(np.uint8)
    image = Image.fromarray(background, mode="RGB")

    # Shapes give hard edges at several scales.
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 8))):
        x0, x1 = sorted(rng.integers(0, width, size=2).tolist())
        y0, y1 = sorted(rng.integers(0, height, size=2).tolist())
        x1, y1 = max(x1, x0 + width // 10), max(y1, y0 + height // 10)
        colour = tuple(int(c) for c in rng.integers(30, 226, size=3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)

    # Noise blocks: coarse random tiles with hard edges, pasted in a few places.
    for _ in range(int(rng.integers(1, 4))):
        bw = int(rng.integers(width // 10, width // 4))
        bh = int(rng.integers(height // 10, height // 4))
        tiles = rng.integers(30, 226, size=(max(bh // 16, 2), max(bw // 16, 2), 3), dtype=np.uint8)
        block = Image.fromarray(tiles, mode="RGB").resize((bw, bh), Image.Resampling.NEAREST)
        x = int(rng.integers(0, width - bw + 1))
        y = int(rng.integers(0, height - bh + 1))
        image.paste(block, (x, y))
    return image


def _cloud_texture(rng: np.random.Generator, width: int, height: int) -> npt.NDArray[np.float64]:
    """Zero-mean, unit-variance noise with a 1/f^1.5 amplitude spectrum (random phases)."""
    fy = np.fft.fftfreq(height)[:, np.newaxis]
    fx = np.fft.rfftfreq(width)[np.newaxis, :]
    frequency = np.hypot(fx, fy)
    frequency[0, 0] = 1.0
    amplitude = frequency**-1.5
    amplitude[0, 0] = 0.0
    spectrum = amplitude * np.exp(2j * np.pi * rng.random(amplitude.shape))
    field = np.fft.irfft2(spectrum, s=(height, width))
    return np.asarray((field - field.mean()) / field.std(), dtype=np.float64)


def flat_image(size: tuple[int, int] = (320, 240), colour: int = 128) -> Image.Image:
    """A nearly featureless greyish RGB image: its PDQ quality is far below 50."""
    width, height = size
    pixels = np.full((height, width, 3), colour, dtype=np.uint8)
    # A one-level ripple in one corner, too faint for PDQ to find structure in.
    pixels[: height // 8, : width // 8, 0] = min(colour + 1, 255)
    return Image.fromarray(pixels, mode="RGB")


def encode(image: Image.Image, fmt: ImageFormat = "PNG", quality: int = 90) -> bytes:
    """The image as file bytes. ``quality`` applies to JPEG and WebP only.

    Modes a format cannot hold (alpha in JPEG) are converted to RGB first.
    """
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=quality)
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=quality)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    """Open file bytes as a fully loaded Pillow image (no limits: for trusted test data)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def edited(image: Image.Image, kind: EditKind) -> Image.Image:
    """A simple edit of the image, as a re-uploader might make it.

    ``jpeg``: re-encoded at quality 50; ``resize``: scaled to 60%; ``crop``: 1% trimmed
    from every side; ``mirror``: flipped left to right; ``brighten`` / ``darken``: 10%
    brighter or darker.
    """
    rgb = image.convert("RGB")
    width, height = rgb.size
    if kind == "jpeg":
        return decode(encode(rgb, "JPEG", quality=50))
    if kind == "resize":
        return rgb.resize(
            (max(1, width * 3 // 5), max(1, height * 3 // 5)), Image.Resampling.LANCZOS
        )
    if kind == "crop":
        dx, dy = max(1, width // 100), max(1, height // 100)
        return rgb.crop((dx, dy, width - dx, height - dy))
    if kind == "mirror":
        return ImageOps.mirror(rgb)
    if kind == "brighten":
        return ImageEnhance.Brightness(rgb).enhance(1.1)
    if kind == "darken":
        return ImageEnhance.Brightness(rgb).enhance(0.9)
    raise ValueError(f"unknown edit {kind!r}; known: {', '.join(EDIT_KINDS)}")


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` RGB pixels (a decompression bomb).

    The signature, IHDR, IDAT and IEND chunks are well formed with correct CRCs, but the
    IDAT holds only a few kilobytes of the first rows: the pixels are never allocated
    here, and a decoder that checks the header against its limits refuses the file before
    inflating anything. One that does not fails on the missing data.
    """
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise ValueError("PNG dimensions are 1 to 2**31 - 1")
    # Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Filter byte 0 then black pixels: at most four rows, and never more than 16 KiB.
    idat = zlib.compress(b"\x00" * min(4 * (1 + width * 3), 16 * 1024), 9)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG of ``random_photo(seed)`` cut off halfway through its scan data.

    The header is intact, so the file opens as a JPEG; decoding its pixels fails.
    """
    whole = encode(random_photo(seed, size), "JPEG", quality=90)
    return whole[: len(whole) // 2]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# -- video ---------------------------------------------------------------------------

#: Bars ``synthetic_video`` can add: letterbox (top and bottom) or pillarbox (the sides).
VideoBorder = Literal["letterbox", "pillarbox"]

#: Muxers such as Matroska's write a random segment id and the library version unless
#: told to be bit-exact; with it, the same arguments give the same bytes.
_BITEXACT = {"fflags": "+bitexact"}

#: How far the camera pans across each scene, in pixels per second (x, y). Slow enough
#: that frames half a second apart stay well within PDQ's match distance.
PAN_PER_SECOND = (2, 1)


def synthetic_frame(
    seed: int, timestamp: float, size: tuple[int, int] = (320, 240), scene_seconds: float = 3.0
) -> Image.Image:
    """The picture of ``synthetic_video(seed, ...)`` at ``timestamp``, before any edit.

    Scenes are ``random_photo`` images that change every ``scene_seconds``; within a
    scene the view pans slowly, so consecutive frames differ a little and scenes a lot.
    """
    width, height = size
    scene = int(timestamp // scene_seconds)
    into = timestamp - scene * scene_seconds
    dx, dy = int(PAN_PER_SECOND[0] * into), int(PAN_PER_SECOND[1] * into)
    return _scene(seed, scene, size, scene_seconds).crop((dx, dy, dx + width, dy + height))


@functools.lru_cache(maxsize=8)
def _scene(seed: int, scene: int, size: tuple[int, int], scene_seconds: float) -> Image.Image:
    # Cached: every frame of a scene is cut from the same canvas (crop copies it).
    margin_x = int(PAN_PER_SECOND[0] * scene_seconds) + 1
    margin_y = int(PAN_PER_SECOND[1] * scene_seconds) + 1
    return random_photo(seed * 7919 + scene, (size[0] + margin_x, size[1] + margin_y))


def synthetic_video(
    seed: int,
    seconds: float = 4.0,
    *,
    fps: int | Fraction = 10,
    size: tuple[int, int] = (320, 240),
    codec: str = "libx264",
    container: str = "mp4",
    border: VideoBorder | None = None,
    mirror: bool = False,
    scene_seconds: float = 3.0,
) -> bytes:
    """A benign synthetic video, encoded with PyAV: the same bytes for the same arguments.

    ``codec`` is an FFmpeg encoder (``libx264``, ``mpeg4``, ...), ``container`` an FFmpeg
    muxer (``mp4``, ``matroska``, ``mpegts``, ``h264`` for a raw stream). ``border`` shrinks
    the picture to 3/4 of the height (letterbox) or width (pillarbox) and fills the rest
    with black bars, keeping ``size``; ``mirror`` flips it left to right.
    """
    width, height = size
    frames = [
        _video_edit(synthetic_frame(seed, float(n / fps), size, scene_seconds), border, mirror)
        for n in range(round(seconds * fps))
    ]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        stream = output.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream), f"{codec!r} is not a video encoder"
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # One thread: encoders that split work across threads may not be bit-exact.
        stream.codec_context.thread_count = 1
        if codec == "libx264":
            stream.options = {"crf": "18", "preset": "veryfast"}
        else:
            stream.bit_rate = 2_000_000
        for image in frames:
            frame = av.VideoFrame.from_ndarray(np.asarray(image, dtype=np.uint8), format="rgb24")
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()


def _video_edit(image: Image.Image, border: VideoBorder | None, mirror: bool) -> Image.Image:
    if mirror:
        image = ImageOps.mirror(image)
    if border is None:
        return image
    width, height = image.size
    if border == "letterbox":
        inner = (width, height * 3 // 4)
    elif border == "pillarbox":
        inner = (width * 3 // 4, height)
    else:
        raise ValueError(f"unknown border {border!r}; known: letterbox, pillarbox")
    canvas = Image.new("RGB", (width, height))
    canvas.paste(
        image.resize(inner, Image.Resampling.BILINEAR),
        ((width - inner[0]) // 2, (height - inner[1]) // 2),
    )
    return canvas


def truncated_video(
    seed: int, seconds: float = 4.0, *, container: str = "matroska", keep: float = 0.5
) -> bytes:
    """``synthetic_video(seed, seconds)`` in ``container``, cut off after ``keep`` of its bytes.

    A cut MP4 loses its index (written last) and cannot be opened; a cut Matroska file
    opens and decodes up to the cut, but declares the full length.
    """
    whole = synthetic_video(seed, seconds, container=container)
    return whole[: int(len(whole) * keep)]


def long_video(seconds: float, *, container: str = "mp4") -> bytes:
    """A tiny video whose two frames lie ``seconds`` apart: a long duration in few bytes."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        stream = output.add_stream("mpeg4", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1)
        for n, pts in enumerate((0, int(seconds))):
            pixels = np.full((48, 64, 3), 60 + 120 * n, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()


def empty_video(*, container: str = "mp4") -> bytes:
    """A well-formed container that was opened for video and closed with no frame in it."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        stream = output.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        output.start_encoding()
    return out.getvalue()


def audio_only(seconds: float = 1.0, *, container: str = "mp4") -> bytes:
    """A container holding a sine tone and no video stream at all."""
    rate = 16000
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        stream = output.add_stream("aac", rate=rate, layout="mono")
        tone = np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)
        samples = (0.2 * tone).astype(np.float32)[np.newaxis, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = rate
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()
