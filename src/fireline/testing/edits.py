"""Synthetic videos with sound, and the edits people make to re-upload them.

A ``Media`` is a picture over time (a ``fireline.testing.clips.Clip``) and a mono
soundtrack. ``livestream`` draws one to stand for a recorded livestream, ``benign_video``
one that has nothing to do with it, and ``edit`` makes the copies a re-uploader would:
excerpts, speed changes, mirrored, cropped, rotated, captioned, filmed off a screen,
shown inside another video, recoloured, blurred, muted, re-scored, cut into a
compilation. Edits chain, draw their parameters from the ``rng`` they are given (and
only when called, never while rendering), and keep the picture's size, so any chain
renders with ``render_media``. Nothing real is depicted: every picture is
``random_photo`` scenes and every sound ``synthetic_music`` and noise.

``Captions`` and ``ScreenRecording`` draw one frame at a time, so the video benchmark
(``bench/video_media.py``) uses them on decoded frames too.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from fireline.testing import clips
from fireline.testing.clips import Clip
from fireline.testing.media import MUSIC_RATE, synthetic_music, white_noise

Samples = npt.NDArray[np.float32]

#: Soundtracks are mono samples at this rate.
SAMPLE_RATE = MUSIC_RATE

#: Benign words for captions, watermarks and narration.
WORDS = (
    "river",
    "mountain",
    "garden",
    "morning",
    "harbour",
    "lantern",
    "meadow",
    "orchard",
    "pebble",
    "quiet",
    "ribbon",
    "saffron",
    "thunder",
    "valley",
    "willow",
    "amber",
    "beacon",
    "canyon",
    "delta",
    "ember",
    "forest",
    "glacier",
    "horizon",
    "island",
    "jasmine",
    "kettle",
    "lagoon",
    "marble",
    "nectar",
    "ocean",
    "prairie",
    "quartz",
    "rain",
    "summit",
    "tundra",
)

#: A livestream's scenes last this long: a camera that moves on now and then.
LIVESTREAM_SCENE_SECONDS = 4.0
#: Benign videos cut more slowly, so their pictures differ in pace as well as content.
BENIGN_SCENE_SECONDS = 6.0


@dataclass(frozen=True, slots=True, eq=False)
class Media:
    """A video with sound, as functions of time.

    ``sound`` is mono samples at ``SAMPLE_RATE`` as long as the clip, or None (silent).
    Compared by identity: the samples are an array.
    """

    clip: Clip
    sound: Samples | None

    @property
    def seconds(self) -> float:
        return self.clip.seconds


def livestream(seed: int, seconds: float, *, size: tuple[int, int] = (320, 240)) -> Media:
    """A synthetic livestream: ``synthetic_frame`` scenes, ``synthetic_music`` and a hiss.

    A longer stream of a seed starts with exactly the pictures and samples of a shorter one.
    """
    count = _count(seconds)
    hiss = 0.01 * np.random.default_rng([seed, 2]).standard_normal(count)
    sound = _fitted(synthetic_music(seed, seconds), seconds) + hiss
    return Media(clips.source(seed, seconds, size, LIVESTREAM_SCENE_SECONDS), _clipped(sound))


def benign_video(seed: int, seconds: float, *, size: tuple[int, int] = (320, 240)) -> Media:
    """Unrelated content: other pictures and other music than any livestream's or seed's.

    Its seeds are drawn apart from livestreams' (a livestream and a benign video of the
    same seed are unrelated too).
    """
    picture_seed = _benign_seed(seed, 0)
    clip = clips.source(picture_seed, seconds, size, BENIGN_SCENE_SECONDS)
    return Media(clip, _benign_music(seed, seconds))


def _benign_music(seed: int, seconds: float) -> Samples:
    return _fitted(synthetic_music(_benign_seed(seed, 1), seconds), seconds)


def _benign_seed(seed: int, use: int) -> int:
    # Seeds of their own, above any a livestream is given in practice (small integers).
    state = np.random.SeedSequence([seed, 0xBE9161, use]).generate_state(1, dtype=np.uint32)
    return int(state[0]) + 2**32


def render_media(media: Media, *, fps: int = 2, crf: int = 23) -> bytes:
    """MP4 bytes: H.264 and, unless the media is silent, AAC; the same bytes each time.

    The frame size is the clip's picture size.
    """
    return clips.render(media.clip, fps=fps, crf=crf, sound=media.sound, rate=SAMPLE_RATE)


# -- edits ---------------------------------------------------------------------------

Edit = Callable[[Media, np.random.Generator], Media]


def edit(media: Media, name: str, rng: np.random.Generator) -> Media:
    """The media edited as ``name`` says, with parameters drawn from ``rng`` now.

    The same rng state gives the same edit; ``EDIT_NAMES`` lists the names, and any
    other raises ValueError. The picture keeps its size; the sound its clip's length.
    """
    try:
        change = _EDITS[name]
    except KeyError:
        raise ValueError(f"unknown edit {name!r}; known: {', '.join(EDIT_NAMES)}") from None
    return change(media, rng)


def _excerpt(media: Media, rng: np.random.Generator) -> Media:
    """A contiguous 30% to 80% of the media, from anywhere in it."""
    seconds = media.seconds * float(rng.uniform(0.3, 0.8))
    start = float(rng.uniform(0, media.seconds - seconds))
    clip = clips.excerpt(media.clip, start, seconds)
    if media.sound is None:
        return Media(clip, None)
    first = _count(start)
    return Media(clip, _fitted(media.sound[first : first + _count(seconds)], seconds))


def _speed(media: Media, rng: np.random.Generator) -> Media:
    """Played 0.8 to 1.25 times as fast; the sound like a tape, its pitch following."""
    speed = float(rng.uniform(0.8, 1.25))
    clip = clips.excerpt(media.clip, 0.0, media.seconds, speed=speed)
    if media.sound is None:
        return Media(clip, None)
    return Media(clip, _fitted(resampled(media.sound, 1 / speed), clip.seconds))


def _mirror(media: Media, rng: np.random.Generator) -> Media:
    return Media(clips.mirrored(media.clip), media.sound)


def _letterbox(media: Media, rng: np.random.Generator) -> Media:
    """Shrunk to 70% to 85% of the height between black bars."""
    return Media(clips.letterboxed(media.clip, float(rng.uniform(0.70, 0.85))), media.sound)


def _zoom(media: Media, rng: np.random.Generator) -> Media:
    """The middle kept, 8% to 20% of the width and height cut away, scaled back up."""
    cut = float(rng.uniform(0.08, 0.20)) / 2
    return _cropped(media, (cut, cut, cut, cut))


def _crop_corner(media: Media, rng: np.random.Generator) -> Media:
    """10% to 25% cut from one or two edges (left, top, right, bottom), scaled back up."""
    edges = rng.choice(4, size=int(rng.integers(1, 3)), replace=False)
    cuts = [0.0, 0.0, 0.0, 0.0]
    for edge in edges:
        cuts[int(edge)] = float(rng.uniform(0.10, 0.25))
    left, top, right, bottom = cuts
    return _cropped(media, (left, top, right, bottom))


def _cropped(media: Media, cuts: tuple[float, float, float, float]) -> Media:
    left, top, right, bottom = cuts

    def change(image: Image.Image, t: float) -> Image.Image:
        width, height = image.size
        box = (left * width, top * height, (1 - right) * width, (1 - bottom) * height)
        return image.resize(image.size, Image.Resampling.BILINEAR, box=box)

    return Media(clips.transformed(media.clip, change), media.sound)


def _rotate(media: Media, rng: np.random.Generator) -> Media:
    """Turned 2 to 6 degrees either way, with black corners or zoomed in to hide them."""
    angle = float(rng.uniform(2, 6) * rng.choice([-1, 1]))
    hide_corners = bool(rng.random() < 0.5)

    def change(image: Image.Image, t: float) -> Image.Image:
        turned = image.convert("RGB").rotate(angle, Image.Resampling.BILINEAR)
        if not hide_corners:
            return turned
        # The rotated picture covers the frame once scaled by this much.
        width, height = image.size
        theta = math.radians(abs(angle))
        scale = math.cos(theta) + max(width / height, height / width) * math.sin(theta)
        dx, dy = width * (1 - 1 / scale) / 2, height * (1 - 1 / scale) / 2
        box = (dx, dy, width - dx, height - dy)
        return turned.resize(image.size, Image.Resampling.BILINEAR, box=box)

    return Media(clips.transformed(media.clip, change), media.sound)


def _captions(media: Media, rng: np.random.Generator) -> Media:
    return Media(clips.transformed(media.clip, Captions(rng)), media.sound)


def _screen_recording(media: Media, rng: np.random.Generator) -> Media:
    """Filmed off a monitor with a phone; the sound through its microphone, with hiss."""
    screen = ScreenRecording(_size(media), rng)
    clip = clips.transformed(media.clip, screen)
    if media.sound is None:
        return Media(clip, None)
    hiss = rng.normal(0, 0.02, len(media.sound))
    return Media(clip, _clipped(0.7 * media.sound + hiss))


def _pip(media: Media, rng: np.random.Generator) -> Media:
    """Shrunk to 35% to 50% of the width into a corner of an unrelated video, perhaps
    framed; heard under the host's sound, or alone."""
    fraction = float(rng.uniform(0.35, 0.50))
    corner = int(rng.integers(4))
    framed = bool(rng.random() < 0.5)
    host = benign_video(int(rng.integers(2**31)), media.seconds, size=_size(media))
    mixed = bool(rng.random() < 0.5)
    volume = float(rng.uniform(0.3, 0.6))
    margin = 0.04
    left = margin if corner % 2 == 0 else 1 - fraction - margin
    top = margin if corner < 2 else 1 - fraction - margin
    clip = clips.inset(
        media.clip,
        host.clip,
        box=(left, top, fraction),
        frame=(255, 255, 255) if framed else None,
    )
    if media.sound is None or not mixed:
        return Media(clip, media.sound)
    assert host.sound is not None
    return Media(clip, _clipped(host.sound + volume * media.sound))


def _colour(media: Media, rng: np.random.Generator) -> Media:
    """Brightness, contrast and saturation each 15% to 35% up or down."""
    factors = [float(1 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.35)) for _ in range(3)]
    brightness, contrast, saturation = factors

    def change(image: Image.Image, t: float) -> Image.Image:
        image = ImageEnhance.Brightness(image.convert("RGB")).enhance(brightness)
        image = ImageEnhance.Contrast(image).enhance(contrast)
        return ImageEnhance.Color(image).enhance(saturation)

    return Media(clips.transformed(media.clip, change), media.sound)


def _blur(media: Media, rng: np.random.Generator) -> Media:
    """A Gaussian blur of radius 1 to 2.5 pixels."""
    blur = ImageFilter.GaussianBlur(float(rng.uniform(1.0, 2.5)))
    return Media(clips.transformed(media.clip, lambda image, t: image.filter(blur)), media.sound)


#: Grain patterns ``noise`` draws, and how many it shows a second, in turn.
NOISE_FRAMES = 5
NOISE_RATE = 10


def _noise(media: Media, rng: np.random.Generator) -> Media:
    """Sensor grain: Gaussian noise of sigma 6 to 15 levels, a new pattern ten times a second."""
    sigma = float(rng.uniform(6, 15))
    width, height = _size(media)
    grain = [
        np.round(rng.normal(0, sigma, (height, width, 3))).astype(np.int16)
        for _ in range(NOISE_FRAMES)
    ]

    def change(image: Image.Image, t: float) -> Image.Image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
        noisy = pixels + grain[round(t * NOISE_RATE) % NOISE_FRAMES]
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), mode="RGB")

    return Media(clips.transformed(media.clip, change), media.sound)


def _low_quality(media: Media, rng: np.random.Generator) -> Media:
    """Scaled down to 40% to 60% and back up: the detail of a small re-upload."""
    scale = float(rng.uniform(0.4, 0.6))

    def change(image: Image.Image, t: float) -> Image.Image:
        width, height = image.size
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        shrunk = image.resize(small, Image.Resampling.BILINEAR)
        return shrunk.resize(image.size, Image.Resampling.BILINEAR)

    return Media(clips.transformed(media.clip, change), media.sound)


def _mute(media: Media, rng: np.random.Generator) -> Media:
    return Media(media.clip, None)


def _new_sound(media: Media, rng: np.random.Generator) -> Media:
    """The soundtrack replaced by unrelated music."""
    return Media(media.clip, _benign_music(int(rng.integers(2**31)), media.seconds))


def _voiceover(media: Media, rng: np.random.Generator) -> Media:
    """The sound at 30% to 60% under other music and a murmur of noise."""
    volume = float(rng.uniform(0.3, 0.6))
    other = _benign_music(int(rng.integers(2**31)), media.seconds)
    murmur = float(rng.uniform(0.05, 0.2)) * white_noise(int(rng.integers(2**31)), media.seconds)
    bed = other + _fitted(murmur, media.seconds)
    if media.sound is None:
        return Media(media.clip, _clipped(bed))
    return Media(media.clip, _clipped(volume * media.sound + bed))


def _compilation(media: Media, rng: np.random.Generator) -> Media:
    """Between 5 to 15 s of unrelated videos before and after, sound and all."""
    size = _size(media)
    before = benign_video(int(rng.integers(2**31)), float(rng.uniform(5, 15)), size=size)
    after = benign_video(int(rng.integers(2**31)), float(rng.uniform(5, 15)), size=size)
    return concatenated([before, media, after])


def concatenated(parts: Sequence[Media]) -> Media:
    """The media one after another; silent ones are silence (all silent: no sound)."""
    clip = clips.concatenated([part.clip for part in parts])
    if all(part.sound is None for part in parts):
        return Media(clip, None)
    sounds = [
        np.zeros(_count(part.seconds), np.float32) if part.sound is None else part.sound
        for part in parts
    ]
    return Media(clip, _fitted(np.concatenate(sounds), clip.seconds))


_EDITS: dict[str, Edit] = {
    "excerpt": _excerpt,
    "speed": _speed,
    "mirror": _mirror,
    "letterbox": _letterbox,
    "zoom": _zoom,
    "crop_corner": _crop_corner,
    "rotate": _rotate,
    "captions": _captions,
    "screen_recording": _screen_recording,
    "pip": _pip,
    "colour": _colour,
    "blur": _blur,
    "noise": _noise,
    "low_quality": _low_quality,
    "mute": _mute,
    "new_sound": _new_sound,
    "voiceover": _voiceover,
    "compilation": _compilation,
}
#: Every edit ``edit`` knows.
EDIT_NAMES: tuple[str, ...] = tuple(_EDITS)


# -- frame by frame --------------------------------------------------------------------

#: Each caption line stays this long.
CAPTION_SECONDS = 4


class Captions:
    """Burnt-in captions: a dark band over the lower fifth with new words every 4 s, and a
    watermark such as ``@willow42`` in the top right corner.

    Called on (picture, seconds) it returns the captioned picture. Its words are drawn
    from ``rng`` when it is made. Text is sized for a 360-pixel-high picture and scales
    with the height.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.lines = [" ".join(rng.choice(WORDS, 5)).upper() for _ in range(200)]
        self.mark = "@" + str(rng.choice(WORDS)) + str(int(rng.integers(10, 99)))
        # The overlay of the line last drawn: consecutive frames share it.
        self._overlay: tuple[tuple[int, tuple[int, int]], Image.Image] | None = None

    def __call__(self, image: Image.Image, t: float) -> Image.Image:
        line = int(t // CAPTION_SECONDS) % len(self.lines)
        key = (line, image.size)
        overlay = self._overlay
        if overlay is None or overlay[0] != key:
            overlay = (key, self._band(line, image.size))
            self._overlay = overlay
        return Image.alpha_composite(image.convert("RGBA"), overlay[1]).convert("RGB")

    def _band(self, line: int, size: tuple[int, int]) -> Image.Image:
        width, height = size
        scale = height / 360
        band = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(band)
        draw.rectangle((0, int(height * 0.8), width, height), fill=(0, 0, 0, 150))
        draw.text(
            (round(16 * scale), int(height * 0.83)), self.lines[line], font=_font(round(26 * scale))
        )
        draw.text(
            (width - round(150 * scale), round(10 * scale)),
            self.mark,
            font=_font(round(16 * scale)),
            fill=(255, 255, 255, 180),
        )
        return band


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


class ScreenRecording:
    """A phone filming a monitor: keystone perspective with a little shake, a dim room
    around it, moiré from the screen's pixel grid, a lower camera resolution scaled back
    up (which also blurs), dimmer contrast and sensor noise.

    Called on (picture, seconds) it returns the filmed picture, of ``size``. Its geometry,
    moiré and noise are drawn from ``rng`` when it is made; the noise changes with every
    frame of a ``camera_fps`` camera, in a cycle of seven.
    """

    def __init__(
        self, size: tuple[int, int], rng: np.random.Generator, *, camera_fps: float = 25.0
    ) -> None:
        width, height = size
        self.size = size
        self.camera_fps = camera_fps
        cw, ch = _even(width * 0.75), _even(height * 0.75)
        self.camera = (cw, ch)
        self.corners = [
            (cw * rng.uniform(0.05, 0.10), ch * rng.uniform(0.05, 0.12)),
            (cw * rng.uniform(0.90, 0.95), ch * rng.uniform(0.04, 0.09)),
            (cw * rng.uniform(0.91, 0.96), ch * rng.uniform(0.89, 0.95)),
            (cw * rng.uniform(0.04, 0.09), ch * rng.uniform(0.87, 0.94)),
        ]
        ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
        angle = rng.uniform(-0.3, 0.3)
        period = rng.uniform(2.2, 2.8)  # near the camera's Nyquist limit: the beat is moiré
        wave = np.sin(2 * np.pi * (xs * math.cos(angle) + ys * math.sin(angle)) / period)
        gain = rng.uniform(0.8, 0.92)
        # Brightness scale and moiré in one 8.8 fixed-point factor per pixel.
        self.grating = np.round(256 * gain * (1 + 0.12 * wave)).astype(np.uint16)[:, :, None]
        self.noise = [rng.integers(-6, 7, (ch, cw, 3), dtype=np.int16) for _ in range(7)]

    def __call__(self, image: Image.Image, t: float) -> Image.Image:
        width, height = self.size
        shake = [
            (x + 2 * math.sin(1.3 * t + k), y + 2 * math.cos(1.1 * t + 2 * k))
            for k, (x, y) in enumerate(self.corners)
        ]
        frame = [(0, 0), (width, 0), (width, height), (0, height)]
        warped = image.transform(
            self.camera,
            Image.Transform.PERSPECTIVE,
            _perspective_coefficients(frame, shake),
            Image.Resampling.NEAREST,
            fillcolor=(28, 26, 30),
        )
        lit = (np.asarray(warped, dtype=np.uint16) * self.grating) >> 8
        noise = self.noise[round(t * self.camera_fps) % len(self.noise)]
        shot = np.clip(lit.astype(np.int16) + 10 + noise, 0, 255).astype(np.uint8)
        return Image.fromarray(shot).resize(self.size, Image.Resampling.BILINEAR)


def _perspective_coefficients(
    source: Sequence[tuple[float, float]], target: Sequence[tuple[float, float]]
) -> list[float]:
    """PIL's 8 coefficients mapping output (target) pixels back to input (source) pixels."""
    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values.extend([u, v])
    solution = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(values))
    return [float(c) for c in solution]


# -- sound -----------------------------------------------------------------------------


def resampled(samples: Samples, factor: float) -> Samples:
    """Linear resampling to ``factor`` times as many samples (pitch follows: a tape speed)."""
    count = max(1, round(len(samples) * factor))
    positions = np.linspace(0, len(samples) - 1, count)
    out: Samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return out


def _count(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _fitted(samples: npt.NDArray[np.floating], seconds: float) -> Samples:
    """The samples cut or padded with silence to ``seconds``."""
    count = _count(seconds)
    out = np.zeros(count, dtype=np.float32)
    kept = min(count, len(samples))
    out[:kept] = samples[:kept]
    return out


def _clipped(samples: npt.NDArray[np.floating]) -> Samples:
    out: Samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    return out


def _size(media: Media) -> tuple[int, int]:
    width, height = media.clip.picture(0.0).size
    return width, height


def _even(value: float) -> int:
    return int(round(value / 2)) * 2
