"""Synthetic videos for the video benchmark: sources, soundtracks, encoding and edits.

Everything is generated; nothing is downloaded and nothing real is depicted. A video is
drawn from a ``Recipe``: an FFmpeg lavfi source (Mandelbrot zooms, Conway's life,
rotating test bars, a zooming colour spectrum), a slideshow of still images with slow
pans and zooms and cross-fades (generated photos, or the Debian wallpapers that the
``desktop-base`` package installs, when present), ``fireline.testing.media``'s
``synthetic_frame`` scenes, or drifting noise textures. Its soundtrack is a tone
sequence, filtered noise bursts, or narration by ``espeak-ng`` when it is installed
(tones otherwise). The same recipe gives the same pixels and samples.

Sources are chosen to change at the pace of real footage: the frames one second apart
differ, frames a fraction of a second apart mostly do not. Sources that change
completely every frame (``testsrc2``, fast cellular automata) defeat any hash sampled
once a second unless the sampling happens to line up, so references never use them;
distractors may.

``make_query`` turns an encoded reference into an edited copy (excerpt, compilation,
mirror, crop, letterbox, caption, speed, low bitrate, picture-in-picture, screen
recording) and says where the copy is: which stretch of the query holds which stretch
of the reference, at what speed.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image

from fireline.testing.edits import WORDS, Captions, ScreenRecording, resampled
from fireline.testing.media import random_photo, synthetic_frame

Pixels = npt.NDArray[np.uint8]
#: A frame to encode: RGB pixels, or a frame already in the encoder's format (yuv420p),
#: which skips a costly colour conversion where nothing is drawn on it.
Picture = Pixels | av.VideoFrame
Samples = npt.NDArray[np.float32]

#: Soundtracks are mono at this rate (espeak-ng's own rate, which AAC takes as it is).
SAMPLE_RATE = 22_050
#: Where ``desktop-base`` keeps raster backgrounds (its wallpapers proper are SVG).
DEBIAN_IMAGES = ("/usr/share/desktop-base/*/grub/*.png", "/usr/share/desktop-base/*/login/*.jpg")
#: Cellular automaton rules with structure (not all white, not all noise).
CELLAUTO_RULES = (18, 22, 26, 30, 45, 54, 60, 73, 90, 105, 110, 126, 150, 182)


@dataclass(frozen=True)
class Recipe:
    """How to draw one video: its source kind, seed, length, size, frame rate and sound."""

    name: str
    kind: str
    seed: int
    seconds: float
    size: tuple[int, int] = (640, 360)
    fps: int = 25
    #: ``tones``, ``noise``, ``speech`` (espeak-ng, tones without it) or ``none``.
    audio: str = "tones"
    #: The lavfi filtergraph, for ``kind == "lavfi"``.
    graph: str = ""
    #: Seconds per slideshow or synthetic scene.
    scene_seconds: float = 6.0

    @property
    def frame_count(self) -> int:
        return round(self.seconds * self.fps)


@dataclass(frozen=True)
class Truth:
    """Where a query copies a reference: query and reference intervals, and the speed."""

    reference: str
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    speed: float


@dataclass(frozen=True)
class QuerySpec:
    """One edited copy to make: which edit of which stretch of which reference."""

    name: str
    edit: str
    reference: str
    reference_path: str
    output_path: str
    start: float
    seconds: float
    seed: int
    #: Unrelated videos the edit mixes in (compilation filler, picture-in-picture host).
    others: tuple[Recipe, ...] = field(default_factory=tuple)


# -- sources -------------------------------------------------------------------------


def frames(recipe: Recipe) -> Iterator[Pixels]:
    """The recipe's RGB frames (height x width x 3), ``recipe.frame_count`` of them."""
    for picture in pictures(recipe):
        yield picture if isinstance(picture, np.ndarray) else picture.to_ndarray(format="rgb24")


def pictures(recipe: Recipe) -> Iterator[Picture]:
    """The recipe's frames as cheaply as they come: lavfi's stay yuv420p ``VideoFrame``s."""
    if recipe.kind == "lavfi":
        yield from _lavfi_frames(recipe)
    elif recipe.kind in ("slideshow", "debian"):
        yield from _slideshow_frames(recipe)
    elif recipe.kind == "synthetic":
        for n in range(recipe.frame_count):
            image = synthetic_frame(
                recipe.seed, n / recipe.fps, recipe.size, scene_seconds=recipe.scene_seconds
            )
            yield np.asarray(image, dtype=np.uint8)
    elif recipe.kind == "noise":
        yield from _noise_frames(recipe)
    else:
        raise ValueError(f"unknown recipe kind {recipe.kind!r}")


def _lavfi_frames(recipe: Recipe) -> Iterator[av.VideoFrame]:
    width, height = recipe.size
    graph = f"{recipe.graph},scale={width}:{height},fps={recipe.fps},format=yuv420p"
    produced = 0
    with av.open(graph, format="lavfi") as container:
        for frame in container.decode(video=0):
            yield frame
            produced += 1
            if produced >= recipe.frame_count:
                return
    if produced < recipe.frame_count:
        raise RuntimeError(f"{recipe.name}: lavfi stopped after {produced} frames")


def debian_images() -> list[Path]:
    """The raster backgrounds ``desktop-base`` installs, if it is installed."""
    found: set[Path] = set()
    for pattern in DEBIAN_IMAGES:
        found.update(Path("/").glob(pattern.lstrip("/")))
    return sorted(found)


def _debian_stills(minimum_quality: int = 55) -> list[Path]:
    """The Debian backgrounds with enough texture to hash (most are smooth gradients)."""
    import pdqhash

    usable = []
    for path in debian_images():
        pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
        if pdqhash.compute(pixels)[1] >= minimum_quality:
            usable.append(path)
    return usable


class _Stills:
    """The slideshow's still for each scene, drawn (or loaded) when first shown."""

    def __init__(self, recipe: Recipe, canvas: tuple[int, int]) -> None:
        self.recipe = recipe
        self.canvas = canvas
        self.paths = _debian_stills() if recipe.kind == "debian" else []
        order = np.random.default_rng(recipe.seed).permutation(max(1, len(self.paths)))
        self.order = [int(n) for n in order]
        self.cache: dict[int, Image.Image] = {}

    def __getitem__(self, scene: int) -> Image.Image:
        if scene not in self.cache:
            if len(self.cache) > 2:
                self.cache.pop(min(self.cache))
            # Debian images alternate with generated ones, so none repeats too often.
            if self.paths and scene % 2 == 0:
                path = self.paths[self.order[(scene // 2) % len(self.paths)]]
                image = Image.open(path).convert("RGB").resize(self.canvas)
            else:
                image = random_photo(self.recipe.seed * 1_000 + scene, self.canvas)
            self.cache[scene] = image
        return self.cache[scene]


def _slideshow_frames(recipe: Recipe) -> Iterator[Pixels]:
    """Stills shown ``scene_seconds`` each, slowly panned and zoomed, cross-faded."""
    width, height = recipe.size
    canvas = (width * 3 // 2, height * 3 // 2)
    scenes = math.ceil(recipe.seconds / recipe.scene_seconds) + 1
    rng = np.random.default_rng(recipe.seed + 17)
    stills = _Stills(recipe, canvas)
    # Per scene: the crop window (x, y, scale) at its start and at its end.
    moves = [
        (rng.uniform(0, 0.33, 2), rng.uniform(0, 0.33, 2), rng.uniform(0.67, 0.95, 2))
        for _ in range(scenes)
    ]
    fade = min(0.5, recipe.scene_seconds / 4)

    def view(scene: int, into: float) -> Image.Image:
        xs, ys, scales = moves[scene]
        progress = min(1.0, max(0.0, into / recipe.scene_seconds))
        scale = scales[0] + (scales[1] - scales[0]) * progress
        box_w, box_h = canvas[0] * scale, canvas[1] * scale
        x = (xs[0] + (xs[1] - xs[0]) * progress) * (canvas[0] - box_w) / 0.33
        y = (ys[0] + (ys[1] - ys[0]) * progress) * (canvas[1] - box_h) / 0.33
        x, y = min(x, canvas[0] - box_w), min(y, canvas[1] - box_h)
        box = (x, y, x + box_w, y + box_h)
        return stills[scene].resize((width, height), Image.Resampling.BILINEAR, box=box)

    for n in range(recipe.frame_count):
        t = n / recipe.fps
        scene = int(t // recipe.scene_seconds)
        into = t - scene * recipe.scene_seconds
        image = view(scene, into)
        left = recipe.scene_seconds - into
        if left < fade and scene + 1 < scenes:
            image = Image.blend(image, view(scene + 1, 0.0), 1 - left / fade)
        yield np.asarray(image, dtype=np.uint8)


def _noise_frames(recipe: Recipe) -> Iterator[Pixels]:
    """A window drifting across a large coloured cloud texture; a new texture per scene."""
    width, height = recipe.size
    rng = np.random.default_rng(recipe.seed)
    speed = rng.uniform(1, 6, 2)  # pixels per second
    margin_x = int(speed[0] * recipe.scene_seconds) + 2
    margin_y = int(speed[1] * recipe.scene_seconds) + 2
    current = -1
    texture: Pixels | None = None
    for n in range(recipe.frame_count):
        t = n / recipe.fps
        scene = int(t // recipe.scene_seconds)
        if scene != current:
            current = scene
            image = random_photo(recipe.seed * 1_000 + scene, (width + margin_x, height + margin_y))
            texture = np.asarray(image, dtype=np.uint8)
        assert texture is not None
        into = t - scene * recipe.scene_seconds
        dx, dy = int(speed[0] * into), int(speed[1] * into)
        yield np.ascontiguousarray(texture[dy : dy + height, dx : dx + width])


# -- recipes -------------------------------------------------------------------------


def mandelbrot_centre(rng: np.random.Generator) -> tuple[float, float]:
    """A random point just outside the Mandelbrot set, where its detail never ends.

    Each video zooms into its own point: two zooms into the same famous spot would look
    alike, and would rightly match each other.
    """
    while True:
        c = complex(rng.uniform(-2.0, 0.5), rng.uniform(-1.2, 1.2))
        z = 0j
        for n in range(800):
            z = z * z + c
            if abs(z) > 2:
                # Escaping slowly means lying close to the set's boundary.
                if n >= 60:
                    return c.real, c.imag
                break


def mandelbrot_graph(rng: np.random.Generator, seconds: float, *, size: str, rate: float) -> str:
    x, y = mandelbrot_centre(rng)
    start = float(rng.uniform(0.002, 0.02))
    end = start * float(rng.uniform(0.01, 0.2))
    hue = int(rng.integers(0, 360))
    return (
        f"mandelbrot=size={size}:rate={rate:g}:start_x={x!r}:start_y={y!r}:"
        f"start_scale={start:.6f}:end_scale={end:.9f}:end_pts={seconds * rate:.0f}:"
        f"maxiter={int(rng.integers(500, 2000))},hue=h={hue}"
    )


def life_graph(rng: np.random.Generator, *, size: str, rate: float) -> str:
    colours = ["#" + "".join(f"{int(c):02x}" for c in rng.integers(0, 256, 3)) for _ in range(3)]
    return (
        f"life=size={size}:rate={rate:g}:seed={int(rng.integers(1, 2**31))}:"
        f"ratio={rng.uniform(0.2, 0.6):.2f}:mold={int(rng.integers(0, 40))}:"
        f"life_color={colours[0]}:death_color={colours[1]}:mold_color={colours[2]}"
    )


#: Sources that draw the same fixed picture whatever the seed, and what replaces each
#: after its first use.
FIXED_PATTERNS = {"bars": "synthetic", "spectrum": "slideshow"}


def reference_recipes(count: int, *, seed: int, long_seconds: float = 600.0) -> list[Recipe]:
    """``count`` varied references, 640x360 at 25 fps; the first one ``long_seconds`` long.

    The others last 1 to 5 minutes. Each source kind takes turns, with its own seed.
    """
    rng = np.random.default_rng(seed)
    cycle = (
        "slideshow",
        "mandelbrot",
        "life",
        "synthetic",
        "debian",
        "bars",
        "slideshow",
        "mandelbrot",
        "life",
        "spectrum",
    )
    lengths = (180, 120, 90, 60, 150, 120, 90, 60, 240, 90, 60, 120, 90, 60, 180, 90, 60)
    audios = ("tones", "speech", "noise")
    recipes = []
    for n in range(count):
        kind = cycle[n % len(cycle)]
        if n >= len(cycle) and kind in FIXED_PATTERNS:
            # A test card is the same picture in every video drawn from it: a second one
            # would rightly match the first, so later turns draw photos instead.
            kind = FIXED_PATTERNS[kind]
        seconds = long_seconds if n == 0 else float(lengths[(n - 1) % len(lengths)])
        own = int(rng.integers(1, 2**31))
        base = Recipe(
            name=f"ref{n:02d}-{kind}",
            kind=kind,
            seed=own,
            seconds=seconds,
            audio=audios[n % len(audios)],
        )
        recipes.append(_shaped(base, np.random.default_rng(own)))
    return recipes


def _shaped(recipe: Recipe, rng: np.random.Generator) -> Recipe:
    """Fill in the graph or scene length a recipe's kind needs, at a real-footage pace."""
    kind, seconds = recipe.kind, recipe.seconds
    if kind == "mandelbrot":
        graph = mandelbrot_graph(rng, seconds, size="320x180", rate=5)
        return replace(recipe, kind="lavfi", graph=graph)
    if kind == "life":
        # Coarse cells, blurred by the upscale, one generation a second: blobs that morph.
        graph = life_graph(rng, size="80x45", rate=1)
        return replace(recipe, kind="lavfi", graph=graph)
    if kind == "bars":
        turn = rng.uniform(0.02, 0.05) * rng.choice([-1, 1])
        graph = f"smptehdbars=size=640x360:rate=25,rotate=a={turn:.3f}*t:fillcolor=navy"
        return replace(recipe, kind="lavfi", graph=graph)
    if kind == "spectrum":
        graph = (
            "colorspectrum=size=640x360:rate=25:type=all,"
            f"zoompan=z=1+{rng.uniform(0.0005, 0.001):.5f}*on:d=1:s=640x360:fps=25"
        )
        return replace(recipe, kind="lavfi", graph=graph)
    if kind in ("slideshow", "debian", "synthetic", "noise"):
        return replace(recipe, scene_seconds=float(rng.uniform(4, 9)))
    raise ValueError(f"unknown kind {kind!r}")


def unrelated_recipe(
    seed: int,
    seconds: float,
    *,
    size: tuple[int, int] = (640, 360),
    fps: int = 25,
    kinds: Sequence[str] = ("slideshow", "mandelbrot", "life", "synthetic", "noise"),
) -> Recipe:
    """A video unrelated to any reference or distractor (a seed of its own), of one of
    ``kinds`` (lavfi's ``mandelbrot`` and ``life`` are the cheapest to encode)."""
    rng = np.random.default_rng(seed)
    kind = kinds[int(rng.integers(len(kinds)))]
    base = Recipe(f"unrelated-{seed}", kind, seed, seconds, size=size, fps=fps, audio="noise")
    return _shaped(base, rng)


def distractor_recipe(number: int, *, seed: int, seconds: float) -> Recipe:
    """A low-resolution, low-frame-rate distractor (160x90, 2 fps), distinct per number."""
    rng = np.random.default_rng([seed, number])
    kind = ("mandelbrot", "life", "cellauto", "slideshow", "noise", "life", "slideshow")[number % 7]
    name = f"distractor{number:04d}-{kind}"
    own = int(rng.integers(1, 2**31))
    base = Recipe(name, kind, own, seconds, size=(160, 90), fps=2, audio="none")
    if kind == "mandelbrot":
        graph = mandelbrot_graph(rng, seconds, size="160x90", rate=1)
        return replace(base, kind="lavfi", graph=graph)
    if kind == "life":
        cells = ("40x22", "80x45", "160x90")[int(rng.integers(3))]
        graph = life_graph(rng, size=cells, rate=float(rng.choice([0.5, 1, 2])))
        return replace(base, kind="lavfi", graph=graph)
    if kind == "cellauto":
        rule = CELLAUTO_RULES[int(rng.integers(len(CELLAUTO_RULES)))]
        graph = (
            f"cellauto=size=160x90:rate={float(rng.choice([1, 2])):g}:rule={rule}:"
            f"seed={int(rng.integers(1, 2**31))}:random_fill_ratio={rng.uniform(0.2, 0.8):.2f}:"
            f"scroll=1,hue=h={int(rng.integers(0, 360))}:s={rng.uniform(0.5, 3):.2f}"
        )
        return replace(base, kind="lavfi", graph=graph)
    return replace(base, scene_seconds=float(rng.uniform(4, 30)))


# -- sound ---------------------------------------------------------------------------


def soundtrack(recipe: Recipe) -> Samples | None:
    """The recipe's mono soundtrack at SAMPLE_RATE, as long as the video; None for none."""
    if recipe.audio == "none":
        return None
    count = round(recipe.seconds * SAMPLE_RATE)
    rng = np.random.default_rng(recipe.seed + 5)
    if recipe.audio == "speech":
        speech = narration(rng, recipe.seconds)
        if speech is not None:
            bed = 0.3 * _tones(rng, count)
            return np.clip(speech[:count] + bed, -1, 1).astype(np.float32)
    if recipe.audio == "noise":
        return _noise_bursts(rng, count)
    return _tones(rng, count)


def _tones(rng: np.random.Generator, count: int) -> Samples:
    """Notes of random pitch and length (0.15 to 1 s) with soft attacks and decays."""
    out = np.zeros(count, dtype=np.float32)
    position = 0
    while position < count:
        length = min(count - position, int(rng.uniform(0.15, 1.0) * SAMPLE_RATE))
        t = np.arange(length) / SAMPLE_RATE
        pitch = 110 * 2 ** (rng.integers(0, 36) / 12)
        note = np.sin(2 * np.pi * pitch * t) + 0.3 * np.sin(4 * np.pi * pitch * t)
        envelope = np.minimum(1, t / 0.02) * np.exp(-3 * t)
        out[position : position + length] = (0.25 * note * envelope).astype(np.float32)
        position += length
    return out


def _noise_bursts(rng: np.random.Generator, count: int) -> Samples:
    """Bursts of low-passed noise, 0.1 to 0.8 s, with silences between."""
    out = np.zeros(count, dtype=np.float32)
    position = 0
    while position < count:
        length = min(count - position, int(rng.uniform(0.1, 0.8) * SAMPLE_RATE))
        noise = rng.normal(0, 1, length)
        width = int(rng.integers(2, 40))
        smooth = np.convolve(noise, np.ones(width) / width, mode="same")
        out[position : position + length] = (0.3 * smooth / (smooth.std() + 1e-9)).astype(
            np.float32
        ) * 0.3
        position += length + int(rng.uniform(0.05, 0.5) * SAMPLE_RATE)
    return out


def narration(rng: np.random.Generator, seconds: float) -> Samples | None:
    """Benign words read by espeak-ng, repeated to ``seconds``; None without espeak-ng."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    words = " ".join(WORDS[int(i)] for i in rng.integers(0, len(WORDS), 120))
    with tempfile.TemporaryDirectory(prefix="fireline-espeak-") as tmp:
        path = Path(tmp) / "speech.wav"
        voice = ("en", "en-us", "en-gb-x-rp")[int(rng.integers(3))]
        speed = int(rng.integers(130, 180))
        result = subprocess.run(
            [espeak, "-v", voice, "-s", str(speed), "-w", str(path), words],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0 or not path.exists():
            return None
        with wave.open(str(path)) as wav:
            rate, raw = wav.getframerate(), wav.readframes(wav.getnframes())
    speech = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768
    if rate != SAMPLE_RATE:
        speech = resampled(speech, SAMPLE_RATE / rate)
    needed = round(seconds * SAMPLE_RATE)
    repeats = needed // max(1, len(speech)) + 1
    return np.tile(speech, repeats)[:needed]


# -- encoding and decoding -------------------------------------------------------------


def encode(
    pictures: Iterable[Picture],
    *,
    size: tuple[int, int],
    fps: int,
    audio: Samples | None = None,
    crf: int = 20,
    bit_rate: int | None = None,
) -> bytes:
    """MP4 bytes: H.264 (x264 ``ultrafast``, one thread) and, with ``audio``, AAC.

    ``bit_rate`` (bits per second) replaces the constant-quality ``crf`` when given.
    """
    width, height = size
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        assert isinstance(video, av.VideoStream)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.thread_count = 1
        if bit_rate is None:
            video.options = {"preset": "ultrafast", "crf": str(crf)}
        else:
            video.bit_rate = bit_rate
            video.options = {"preset": "ultrafast"}
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        written = 0
        for n, picture in enumerate(pictures):
            container.mux(video.encode(_video_frame(picture, n, size, fps)))
            if sound is not None and audio is not None:
                upto = min(len(audio), round((n + 1) / fps * SAMPLE_RATE))
                if upto > written:
                    container.mux(sound.encode(_audio_frame(audio[written:upto], written)))
                    written = upto
        container.mux(video.encode(None))
        if sound is not None:
            container.mux(sound.encode(None))
    return out.getvalue()


def _video_frame(picture: Picture, number: int, size: tuple[int, int], fps: int) -> av.VideoFrame:
    width, height = size
    if isinstance(picture, av.VideoFrame):
        if (picture.width, picture.height) != size:
            raise ValueError(f"frame {number} is {picture.width}x{picture.height}, not {size}")
        frame = picture
    else:
        if picture.shape != (height, width, 3):
            raise ValueError(f"frame {number} is {picture.shape}, not {(height, width, 3)}")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    frame.pts = number
    frame.time_base = Fraction(1, fps)
    return frame


def _audio_frame(samples: Samples, start: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.float32)[np.newaxis, :], format="fltp", layout="mono"
    )
    frame.sample_rate = SAMPLE_RATE
    frame.pts = start
    frame.time_base = Fraction(1, SAMPLE_RATE)
    return frame


def render(recipe: Recipe, **options: int) -> bytes:
    """Draw and encode a recipe, soundtrack included."""
    return encode(
        pictures(recipe), size=recipe.size, fps=recipe.fps, audio=soundtrack(recipe), **options
    )


def read_frames(data: bytes, start: float, seconds: float) -> Iterator[Pixels]:
    """Decoded RGB frames of an encoded video from ``start`` for ``seconds``."""
    for frame in read_pictures(data, start, seconds):
        yield frame.to_ndarray(format="rgb24")


def read_pictures(data: bytes, start: float, seconds: float) -> Iterator[av.VideoFrame]:
    """Decoded frames (as decoded: yuv420p) from ``start`` for ``seconds``, seeking first."""
    end = start + seconds
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start > 0 and stream.time_base is not None:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            t = frame.time or 0.0
            if t < start - 1e-3:
                continue
            if t >= end - 1e-3:
                return
            yield frame


def read_audio(data: bytes) -> Samples | None:
    """The whole soundtrack of an encoded video, mono at SAMPLE_RATE; None without one."""
    with av.open(io.BytesIO(data)) as container:
        if not container.streams.audio:
            return None
        chunks = [
            frame.to_ndarray().reshape(-1).astype(np.float32) for frame in container.decode(audio=0)
        ]
    return np.concatenate(chunks) if chunks else None


def video_info(data: bytes) -> tuple[tuple[int, int], int]:
    """(width, height) and the frame rate of an encoded video."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.base_rate or Fraction(25)
        return (stream.codec_context.width, stream.codec_context.height), round(float(rate))


# -- edits ---------------------------------------------------------------------------

EDITS = (
    "excerpt",
    "compilation",
    "mirror",
    "crop20",
    "letterbox",
    "caption",
    "speed2x",
    "speed0.5x",
    "lowbitrate",
    "pip",
    "screen",
)
#: Seconds of reference each edit copies (the excerpt draws its own, 20 to 60 s).
EDIT_SECONDS = {"compilation": 20.0, "speed2x": 40.0, "speed0.5x": 20.0}
DEFAULT_EDIT_SECONDS = 30.0
#: The compilation's frame size and length: a re-cut, re-encoded smaller.
COMPILATION_SIZE = (480, 270)
COMPILATION_SECONDS = 300.0


def make_query(spec: QuerySpec) -> tuple[str, Truth, float]:
    """Make the edited copy, write it to ``spec.output_path``; (name, truth, seconds long)."""
    data = Path(spec.reference_path).read_bytes()
    size, fps = video_info(data)
    audio = read_audio(data)
    rng = np.random.default_rng(spec.seed)
    first, last = round(spec.start * SAMPLE_RATE), round((spec.start + spec.seconds) * SAMPLE_RATE)
    clip = None if audio is None else audio[first:last]
    # Edits that draw on frames take them as RGB; the others pass decoded frames on as
    # they are, sparing two colour conversions per frame.
    source = read_frames(data, spec.start, spec.seconds)
    decoded = read_pictures(data, spec.start, spec.seconds)
    edit = spec.edit
    truth = Truth(
        reference=spec.reference,
        query_start=0.0,
        query_end=spec.seconds,
        reference_start=spec.start,
        reference_end=spec.start + spec.seconds,
        speed=1.0,
    )
    out_size, options = size, {}
    pictures: Iterable[Picture]
    if edit == "excerpt":
        pictures = decoded
    elif edit == "mirror":
        pictures = (np.ascontiguousarray(p[:, ::-1]) for p in source)
    elif edit == "crop20":
        dx, dy = _even(size[0] * 0.1), _even(size[1] * 0.1)
        out_size = (size[0] - 2 * dx, size[1] - 2 * dy)
        pictures = (np.ascontiguousarray(p[dy : size[1] - dy, dx : size[0] - dx]) for p in source)
    elif edit == "letterbox":
        out_size = (size[0], size[0])  # a square frame, bars above and below
        pictures = (_letterboxed(p, out_size) for p in source)
    elif edit == "caption":
        pictures = _captioned(source, rng, fps)
    elif edit == "speed2x":
        truth = replace(truth, query_end=spec.seconds / 2, speed=2.0)
        pictures = (p for n, p in enumerate(decoded) if n % 2 == 0)
        clip = None if clip is None else resampled(clip, 0.5)
    elif edit == "speed0.5x":
        truth = replace(truth, query_end=spec.seconds * 2, speed=0.5)
        pictures = (q for p in decoded for q in (p, p))
        clip = None if clip is None else resampled(clip, 2.0)
    elif edit == "lowbitrate":
        pictures = decoded
        options = {"bit_rate": 150_000}
    elif edit == "pip":
        (host,) = spec.others
        pictures = _picture_in_picture(source, frames(replace(host, size=size, fps=fps)), rng)
        if clip is not None:
            backing = soundtrack(host)
            if backing is not None:
                common = min(len(backing), len(clip))
                clip = 0.6 * backing[:common] + 0.5 * clip[:common]
    elif edit == "screen":
        # The sound's hiss is drawn before the screen's geometry, as it always was.
        if clip is not None:
            clip = (0.7 * clip + rng.normal(0, 0.02, len(clip))).astype(np.float32)
        pictures = _screen_recording(source, size, rng, fps)
    elif edit == "compilation":
        return _compilation(spec, decoded, clip, fps, truth)
    else:
        raise ValueError(f"unknown edit {edit!r}; known: {', '.join(EDITS)}")
    video = encode(
        pictures,
        size=out_size,
        fps=fps,
        audio=None if clip is None else clip.astype(np.float32),
        crf=23,
        **options,
    )
    Path(spec.output_path).write_bytes(video)
    return spec.name, truth, truth.query_end


def _even(value: float) -> int:
    return int(round(value / 2)) * 2


def _letterboxed(pixels: Pixels, size: tuple[int, int]) -> Pixels:
    width, height = size
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top = (height - pixels.shape[0]) // 2
    canvas[top : top + pixels.shape[0], : pixels.shape[1]] = pixels
    return canvas


def _captioned(source: Iterable[Pixels], rng: np.random.Generator, fps: int) -> Iterator[Pixels]:
    """A caption band over the lower fifth, new words every 4 s, and a corner watermark."""
    captions = Captions(rng)
    for n, pixels in enumerate(source):
        yield np.asarray(captions(Image.fromarray(pixels), n / fps))


def _picture_in_picture(
    source: Iterable[Pixels], host: Iterator[Pixels], rng: np.random.Generator
) -> Iterator[Pixels]:
    """The copy at 45% of the width, framed in white, in a corner of an unrelated video."""
    corner = int(rng.integers(4))
    for pixels, background in zip(source, host, strict=False):
        height, width = pixels.shape[:2]
        small_w, small_h = _even(width * 0.45), _even(height * 0.45)
        small = np.asarray(
            Image.fromarray(pixels).resize((small_w, small_h), Image.Resampling.BILINEAR)
        )
        out = background.copy()
        margin = 12
        x = margin if corner % 2 == 0 else width - small_w - margin
        y = margin if corner < 2 else height - small_h - margin
        out[y - 2 : y + small_h + 2, x - 2 : x + small_w + 2] = 255
        out[y : y + small_h, x : x + small_w] = small
        yield out


def _screen_recording(
    source: Iterable[Pixels], size: tuple[int, int], rng: np.random.Generator, fps: int
) -> Iterator[Pixels]:
    """A phone filming a monitor (``ScreenRecording``), frame by frame."""
    screen = ScreenRecording(size, rng, camera_fps=fps)
    for n, pixels in enumerate(source):
        yield np.asarray(screen(Image.fromarray(pixels), n / fps))


def _compilation(
    spec: QuerySpec,
    source: Iterable[av.VideoFrame],
    clip: Samples | None,
    fps: int,
    truth: Truth,
) -> tuple[str, Truth, float]:
    """Unrelated material, the excerpt, more unrelated material: one 480x270 re-cut."""
    size = COMPILATION_SIZE
    before_recipe, after_recipe = spec.others
    before = replace(before_recipe, size=size, fps=fps)
    after = replace(after_recipe, size=size, fps=fps)

    def resized(decoded: Iterable[av.VideoFrame]) -> Iterator[av.VideoFrame]:
        for frame in decoded:
            yield frame.reformat(width=size[0], height=size[1], interpolation="BILINEAR")

    def sound() -> Samples | None:
        if clip is None:
            return None
        parts = [soundtrack(before), clip, soundtrack(after)]
        lengths = (before.seconds, spec.seconds, after.seconds)
        return np.concatenate(
            [
                np.zeros(round(s * SAMPLE_RATE), np.float32) if p is None else p
                for p, s in zip(parts, lengths, strict=True)
            ]
        )

    def cut() -> Iterator[Picture]:
        yield from pictures(before)
        yield from resized(source)
        yield from pictures(after)

    video = encode(cut(), size=size, fps=fps, audio=sound(), crf=23)
    Path(spec.output_path).write_bytes(video)
    placed = replace(
        truth, query_start=before.seconds, query_end=before.seconds + spec.seconds, speed=1.0
    )
    return spec.name, placed, before.seconds + spec.seconds + after.seconds
