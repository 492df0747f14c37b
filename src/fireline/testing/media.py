"""Synthetic, benign test media, generated deterministically from a seed.

Nothing here is real content and nothing is downloaded: every image is drawn from
gradients, shapes and noise, every video is a slow pan over such images, and every sound
is synthesised (chords, a melody, drums, tones, noise), all encoded with PyAV, so tests
and benchmarks can hash photos, videos and audio without holding any. The same seed
gives the same pixels and samples on every machine (numpy's PCG64 and Pillow's drawing
are deterministic), and the same file bytes with the same PyAV build.
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
from av.audio.stream import AudioStream
from av.container import OutputContainer
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


@functools.lru_cache(maxsize=128)
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


# -- audio ---------------------------------------------------------------------------

#: The sample rate ``synthetic_music`` renders at: enough for Chromaprint, which hears
#: only up to ~5.5 kHz, and half the cost of 44.1 kHz.
MUSIC_RATE = 22050


def synthetic_music(
    seed: int, seconds: float, *, rate: int = MUSIC_RATE
) -> npt.NDArray[np.float32]:
    """Benign synthetic music (mono samples in -1..1): chords, a melody and drums.

    A random tempo, key and timbre; every beat or so a new chord (three notes with a few
    harmonics, struck and decaying) under a melody note, a kick drum on the beat and a
    hiss of noise between beats. Chromaprint hears pitch classes changing over time, so
    this fingerprints like real music; distinct seeds are unrelated pieces. The same
    seed gives the same samples on every machine, and a longer render of a seed starts
    with exactly the samples of a shorter one, so excerpts line up.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be positive; got {seconds}")
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), dtype=np.float64)
    beat = 60.0 / rng.uniform(80, 150)
    key = int(rng.integers(40, 52))
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    # One period of the instrument's waveform: a few harmonics of random strengths.
    period = np.arange(_WAVETABLE) / _WAVETABLE
    wave = np.zeros(_WAVETABLE)
    for harmonic, weight in enumerate(rng.uniform(0.2, 0.9, size=5), start=1):
        wave += weight / harmonic * np.sin(2 * np.pi * harmonic * period)
    start = 0.0
    while start < seconds:
        length = beat * float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        root = key + int(rng.choice(scale[:7]))
        third = 3 if rng.random() < 0.5 else 4
        notes = [root, root + third, root + 7, key + 12 + int(rng.choice(scale))]
        decay = float(rng.uniform(1.5, 5.0))
        for number, note in enumerate(notes):
            frequency = 440.0 * 2 ** ((note - 69) / 12)
            _strike(out, rate, start, length, frequency, decay, 1.4 if number == 3 else 1.0, wave)
        start += length
    _drums(out, rate, beat, np.random.default_rng([seed, 1]))
    # A fixed gain, not the peak: a longer render must not change the earlier samples.
    return np.clip(0.2 * out, -1.0, 1.0).astype(np.float32)


#: Samples in one period of ``synthetic_music``'s instrument.
_WAVETABLE = 4096


def _strike(
    out: npt.NDArray[np.float64],
    rate: int,
    start: float,
    length: float,
    frequency: float,
    decay: float,
    loudness: float,
    wave: npt.NDArray[np.float64],
) -> None:
    first = int(start * rate)
    count = min(int(length * rate), len(out) - first)
    if count <= 0:
        return
    t = np.arange(count) / rate
    envelope = loudness * np.minimum(1.0, t / 0.01) * np.exp(-decay * t)
    phase = (np.arange(count) * (frequency * _WAVETABLE / rate)).astype(np.int64) % _WAVETABLE
    out[first : first + count] += envelope * wave[phase]


def _drums(out: npt.NDArray[np.float64], rate: int, beat: float, rng: np.random.Generator) -> None:
    kick_t = np.arange(int(0.12 * rate)) / rate
    kick = np.sin(2 * np.pi * (55 + 90 * np.exp(-30 * kick_t)) * kick_t) * np.exp(-25 * kick_t)
    hiss_t = np.arange(int(0.04 * rate)) / rate
    hiss = 0.3 * rng.standard_normal(len(hiss_t)) * np.exp(-80 * hiss_t)
    step = 0
    while step * beat * rate < len(out):
        for sound, at in ((kick, step * beat), (hiss, (step + 0.5) * beat)):
            first = int(at * rate)
            count = min(len(sound), len(out) - first)
            if count > 0:
                out[first : first + count] += sound[:count]
        step += 1


def tone(
    seconds: float, frequency: float = 440.0, *, rate: int = MUSIC_RATE
) -> npt.NDArray[np.float32]:
    """A steady sine tone (mono samples): sound with nothing for a fingerprint to hold on to."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def white_noise(seed: int, seconds: float, *, rate: int = MUSIC_RATE) -> npt.NDArray[np.float32]:
    """Steady white noise (mono samples): every stretch sounds, and fingerprints, alike."""
    rng = np.random.default_rng(seed)
    return (0.3 * rng.standard_normal(int(seconds * rate))).clip(-1, 1).astype(np.float32)


def encode_audio(
    samples: npt.NDArray[np.float32],
    *,
    rate: int = MUSIC_RATE,
    codec: str = "pcm_s16le",
    container: str = "wav",
    bit_rate: int | None = None,
    stereo: bool = False,
) -> bytes:
    """Mono samples (-1..1) encoded with PyAV: the same bytes for the same arguments.

    ``codec`` is an FFmpeg encoder (``pcm_s16le``, ``flac``, ``aac``, ``libmp3lame``,
    ``libopus``), ``container`` a muxer (``wav``, ``flac``, ``adts``, ``mp3``, ``ogg``,
    ``ipod`` for .m4a, ``matroska``, ``webm``). Samples are resampled to a rate the
    encoder takes (Opus: 48 kHz); ``stereo`` writes both channels alike. No samples give
    a file with a header and no sound (MP4 and FLAC; other muxers write nothing).
    """
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        stream = _audio_stream(output, codec, rate, bit_rate, stereo)
        _encode_audio(output, stream, samples, rate)
    return out.getvalue()


def _audio_stream(
    output: OutputContainer, codec: str, rate: int, bit_rate: int | None, stereo: bool
) -> AudioStream:
    rates = av.codec.Codec(codec, "w").audio_rates
    stream = output.add_stream(
        codec,
        rate=rate if not rates or rate in rates else max(rates),
        layout="stereo" if stereo else "mono",
    )
    assert isinstance(stream, AudioStream), f"{codec!r} is not an audio encoder"
    if bit_rate is not None:
        stream.bit_rate = bit_rate
    stream.codec_context.thread_count = 1
    return stream


def _encode_audio(
    output: OutputContainer, stream: AudioStream, samples: npt.NDArray[np.float32], rate: int
) -> None:
    context = stream.codec_context
    formats = context.codec.audio_formats
    assert formats, f"{context.name!r} names no sample format"
    resampler = av.AudioResampler(
        format=formats[0].name, layout=context.layout, rate=context.sample_rate
    )
    if len(samples) == 0:
        output.start_encoding()  # a header and no sound: a zero-length file
    block = 4096
    for first in range(0, len(samples), block):
        chunk = np.ascontiguousarray(samples[np.newaxis, first : first + block], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, first, Fraction(1, rate)
        for resampled in resampler.resample(frame):
            output.mux(stream.encode(resampled))
    for resampled in resampler.resample(None):
        output.mux(stream.encode(resampled))
    output.mux(stream.encode(None))


def video_with_soundtrack(
    seed: int,
    samples: npt.NDArray[np.float32],
    *,
    rate: int = MUSIC_RATE,
    fps: int = 5,
    size: tuple[int, int] = (160, 120),
    container: str = "mp4",
    audio_codec: str = "aac",
    bit_rate: int | None = 96_000,
) -> bytes:
    """A synthetic video (the pictures of ``synthetic_video(seed)``) carrying ``samples``.

    The picture lasts as long as the sound. Two calls with other seeds and the same
    samples give videos whose pictures have nothing in common and whose soundtracks are
    the same: a copy re-edited beyond recognition but for its sound.
    """
    width, height = size
    out = io.BytesIO()
    with av.open(out, mode="w", format=container, options=_BITEXACT) as output:
        video = output.add_stream("mpeg4", rate=fps)
        assert isinstance(video, av.VideoStream)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.thread_count = 1
        video.bit_rate = 500_000
        audio = _audio_stream(output, audio_codec, rate, bit_rate, False)
        # The muxer interleaves packets by time, whichever stream is written first.
        for n in range(max(1, round(len(samples) / rate * fps))):
            image = synthetic_frame(seed, n / fps, size)
            frame = av.VideoFrame.from_ndarray(np.asarray(image, dtype=np.uint8), format="rgb24")
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        _encode_audio(output, audio, samples, rate)
    return out.getvalue()
