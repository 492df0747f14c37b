"""audio_fp: the contract, Chromaprint's string form, aligned matching, decoding under limits."""

from __future__ import annotations

import base64
import functools
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from fireline.domain import InvalidInput, MediaTooLarge, MissingComponent, UnsupportedMedia
from fireline.signals import AudioInfo, DecodedAudio, MediaLimits, audio_fp, open_audio
from fireline.signals.audio_fp import (
    ITEM_SECONDS,
    MAX_ITEMS,
    MIN_SEGMENT_ITEMS,
    AudioFpSignal,
    ItemTable,
    compress,
    fingerprint_items,
    fingerprint_quality,
    format_fingerprint,
    parse_fingerprint,
    segments_between,
)
from fireline.testing import SignalTypeContract, random_photo
from fireline.testing.media import (
    MUSIC_RATE,
    encode,
    encode_audio,
    synthetic_music,
    synthetic_video,
    tone,
    white_noise,
)

Items = npt.NDArray[np.uint32]
THRESHOLD = AudioFpSignal.default_threshold


def random_items(rng: random.Random, count: int) -> Items:
    return np.array([rng.getrandbits(32) for _ in range(count)], dtype=np.uint32)


def flipped(items: Items, bits: int, rng: random.Random, *, every: int = 1) -> Items:
    """``items`` with ``bits`` distinct bits inverted in every ``every``-th item."""
    out = items.copy()
    for row in range(0, len(out), every):
        for bit in rng.sample(range(32), bits):
            out[row] ^= np.uint32(1 << bit)
    return out


def fp(items: Items | list[int]) -> str:
    return format_fingerprint(np.asarray(items, dtype=np.uint32))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hash_audio(data: bytes, limits: MediaLimits | None = None) -> str:
    return AudioFpSignal.hash_audio(open_audio(data, limits or MediaLimits())).value


def best(query: str, reference: str) -> tuple[int, list[float]]:
    """compare's distance, and the best segment's (query start, reference start, ends)."""
    segments = segments_between(
        ItemTable.of(parse_fingerprint(query)), ItemTable.of(parse_fingerprint(reference))
    )
    distance = AudioFpSignal.compare(query, reference)
    if not segments:
        return distance, []
    top = max(segments, key=lambda s: s.score)
    return distance, [top.query_start, top.reference_start, top.query_end, top.reference_end]


RNG = random.Random(7)
WHOLE = random_items(RNG, 200)
OTHER = random_items(RNG, 200)
CONSTANT = np.full(100, 0x256DF977, dtype=np.uint32)  # what Chromaprint makes of silence
VALID = fp(WHOLE)


def url_safe(rng: random.Random) -> str:
    """A valid fingerprint that uses both of base64's URL-safe characters."""
    while True:
        value = fp(random_items(rng, 40))
        if "-" in value and "_" in value:
            return value


SAFE = url_safe(RNG)
RAW = base64.urlsafe_b64decode(VALID + "=" * (-len(VALID) % 4))
# One item whose only set bit is the 38th: 3-bit value 7 plus a 5-bit exception of 31.
PAST_32 = bytes([1, 0, 0, 1, 0b00000111, 31])


class TestAudioFpContract(SignalTypeContract):
    signal_type = AudioFpSignal
    # compare(query, reference) measures how much of the query the reference explains.
    compare_is_symmetric = False
    valid_cases = [
        (f"  {VALID}\n", VALID),
        # The standard base64 alphabet and padding, as some tools write it.
        (
            SAFE.replace("-", "+").replace("_", "/") + "=" * (-len(SAFE) % 4),
            SAFE,
        ),
        (fp(CONSTANT), fp(CONSTANT)),
    ]
    invalid_cases = [
        "",
        "   ",
        "not a fingerprint!",
        VALID[:-4] + "*" + VALID[-3:],
        "AQAAB",  # not base64: one character too many
        b64(bytes([1, 0, 0, 0])),  # no items
        b64(bytes([2]) + RAW[1:]),  # another Chromaprint algorithm
        b64(bytes([0]) + RAW[1:]),
        VALID[: len(VALID) * 2 // 3],  # cut short
        b64(RAW + b"\x00\x00"),  # trailing bytes
        b64(bytes([1]) + (5).to_bytes(3, "big") + RAW[4:]),  # declares more items
        b64(bytes([1]) + (MAX_ITEMS + 1).to_bytes(3, "big") + b"\x00" * 64),
        b64(PAST_32),
        "A" * (MAX_ITEMS * 20),
        '["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,0.000"]',
    ]
    close_pairs = [
        (fp(WHOLE[60:140]), VALID),  # an excerpt of the reference
        (fp(flipped(WHOLE, 4, random.Random(1), every=2)), VALID),
    ]
    far_pairs = [
        (fp(OTHER), VALID),
        (fp(CONSTANT), fp(CONSTANT)),  # silence matches nothing, not even itself
        (fp(WHOLE[: MIN_SEGMENT_ITEMS - 1]), VALID),  # too short to be a segment
    ]
    # Each comparison of near fingerprints aligns them (milliseconds): a small bank keeps
    # the index test quick. tests/index/test_audio_index.py covers large banks and the
    # other thresholds.
    index_size = 12
    index_thresholds = (THRESHOLD,)

    def random_signal(self, rng: random.Random) -> str:
        return fp(random_items(rng, rng.randint(MIN_SEGMENT_ITEMS, 80)))

    def near_signal(self, value: str, rng: random.Random) -> str:
        items = flipped(parse_fingerprint(value), rng.randint(0, 4), rng, every=rng.randint(2, 4))
        if rng.random() < 0.5 and len(items) > 2 * MIN_SEGMENT_ITEMS:
            start = rng.randrange(len(items) - MIN_SEGMENT_ITEMS - 4)
            items = items[start:]  # an excerpt
        return fp(items)


# -- the string form ---------------------------------------------------------------


def test_codec_is_chromaprints_own() -> None:
    chromaprint = audio_fp.chromaprint()
    rng = random.Random(3)
    cases = [random_items(rng, n) for n in (1, 2, 7, 50, 333)]
    cases += [CONSTANT, np.array([0, 2**32 - 1, 1, 2**31], dtype=np.uint32)]
    cases += [np.bitwise_xor.accumulate(np.uint32(1) << random_items(rng, 90) % 32)]
    for items in cases:
        signed = [int(x) - (1 << 32) if x >= 1 << 31 else int(x) for x in items]
        theirs = chromaprint.encode_fingerprint(signed, 1)
        assert fp(items).encode() == theirs
        assert np.array_equal(parse_fingerprint(theirs.decode()), items)
        decoded, algorithm = chromaprint.decode_fingerprint(theirs)
        assert algorithm == 1
        assert list(decoded) == [int(x) for x in items]


def test_compress_refuses_what_the_format_cannot_hold() -> None:
    with pytest.raises(ValueError, match="1 to"):
        compress(np.zeros(0, dtype=np.uint32))


def test_past_32_bits_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidInput, match="past the 32"):
        parse_fingerprint(b64(PAST_32))


@pytest.mark.parametrize(
    ("rate", "codec", "container", "identical"),
    [
        (11025, "pcm_s16le", "wav", True),
        (22050, "libmp3lame", "mp3", False),
        (44100, "flac", "flac", False),
    ],
)
def test_fingerprints_are_fpcalcs(
    tmp_path: Path, rate: int, codec: str, container: str, identical: bool
) -> None:
    data = encode_audio(
        synthetic_music(4, 15, rate=rate), rate=rate, codec=codec, container=container
    )
    assert shutil.which("fpcalc"), "fpcalc is missing: `make sysdeps` installs libchromaprint-tools"
    path = tmp_path / f"music.{container}"
    path.write_bytes(data)
    done = subprocess.run(
        ["fpcalc", "-plain", str(path)],  # the first 120 s: all of it
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # Debian's fpcalc 1.5.1 reads FFmpeg's end of file as a decoding error: it prints the
    # whole fingerprint, then exits with 3.
    assert done.returncode in (0, 3), done.stderr
    printed = done.stdout.strip()
    ours = hash_audio(data)
    assert AudioFpSignal.validate(printed) == printed
    if identical:
        # The same samples at Chromaprint's own rate: the very same fingerprint.
        assert ours == printed
    # Otherwise fpcalc resamples and downmixes its own way: a bit here and there.
    assert AudioFpSignal.compare(ours, printed) == 0
    assert AudioFpSignal.compare(printed, ours) == 0


def test_one_item_per_1365_samples_at_11025_hz() -> None:
    music = synthetic_music(5, 40)
    short = parse_fingerprint(hash_audio(encode_audio(music[: 20 * MUSIC_RATE])))
    long = parse_fingerprint(hash_audio(encode_audio(music)))
    assert abs((len(long) - len(short)) * ITEM_SECONDS - 20.0) <= ITEM_SECONDS
    # The longer file starts with the shorter one's items, but for the last few.
    assert np.array_equal(long[: len(short) - 20], short[:-20])


# -- comparing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reference", "distance"),
    [
        (WHOLE, WHOLE, 0),
        (WHOLE[50:130], WHOLE, 0),
        # The whole is found in the excerpt too, where the excerpt is: its segment scores.
        (WHOLE, WHOLE[50:130], 0),
        (OTHER, WHOLE, 100),
        # Half the items 4 bits off: the others align, and 4 bits is within MATCH_BITS.
        (flipped(WHOLE, 4, random.Random(2), every=2), WHOLE, 0),
        # Half the items 7 bits off: aligned, but those do not match.
        (flipped(WHOLE, 7, random.Random(2), every=2), WHOLE, 50),
        # Every item 3 bits off: no pair is close enough to align anything.
        (flipped(WHOLE, 3, random.Random(2)), WHOLE, 100),
        # Degenerate or too short: nothing to match, even against itself.
        (CONSTANT, CONSTANT, 100),
        (WHOLE[: MIN_SEGMENT_ITEMS - 1], WHOLE, 100),
        (WHOLE[:MIN_SEGMENT_ITEMS], WHOLE, 0),
        (WHOLE[20:90], np.concatenate([CONSTANT, WHOLE]), 0),
    ],
    ids=[
        "identical",
        "excerpt-in-source",
        "source-in-excerpt",
        "unrelated",
        "4-bits-off",
        "7-bits-off",
        "3-bits-off-everywhere",
        "silence",
        "too-short",
        "just-long-enough",
        "after-silence",
    ],
)
def test_compare_scores_the_best_aligned_segment(
    query: Items, reference: Items, distance: int
) -> None:
    assert AudioFpSignal.compare(fp(query), fp(reference)) == distance


def test_an_excerpt_is_placed_where_it_is() -> None:
    _, (query_start, reference_start, query_end, reference_end) = best(fp(WHOLE[57:157]), VALID)
    assert query_start == 0
    assert reference_start == pytest.approx(57 * ITEM_SECONDS, abs=0.01)
    assert reference_end - reference_start == pytest.approx(query_end - query_start, abs=0.01)


@pytest.mark.parametrize(
    ("items", "quality"),
    [
        (WHOLE, 100),
        (CONSTANT, 0),
        (WHOLE[: MIN_SEGMENT_ITEMS - 1], 0),
        # The second of silence next to the sound counts: it is within reach of it.
        (np.concatenate([CONSTANT, WHOLE[:100]]), 51),
    ],
    ids=["changing", "constant", "too-few", "half-silent"],
)
def test_quality_is_the_share_of_usable_items(items: Items, quality: int) -> None:
    assert fingerprint_quality(items) == quality
    assert AudioFpSignal.too_low_quality(quality) == (quality == 0)


# -- hashing real audio --------------------------------------------------------------


@functools.cache
def music() -> npt.NDArray[np.float32]:
    """Twelve seconds of music, rendered once."""
    return synthetic_music(1, 12)


@pytest.fixture(scope="module")
def original() -> str:
    return hash_audio(encode_audio(music()))


@pytest.mark.parametrize(
    ("codec", "container", "options"),
    [
        ("pcm_s16le", "wav", {"stereo": True}),
        ("flac", "flac", {}),
        ("libmp3lame", "mp3", {"bit_rate": 64_000}),
        ("aac", "adts", {"bit_rate": 64_000}),
        ("aac", "ipod", {"bit_rate": 48_000}),
        ("libopus", "ogg", {"bit_rate": 32_000}),
        ("libopus", "webm", {"bit_rate": 24_000}),
        ("aac", "matroska", {"bit_rate": 64_000}),
    ],
    ids=["wav-stereo", "flac", "mp3", "aac", "m4a", "opus", "webm", "mkv"],
)
def test_every_container_hashes_to_a_matching_fingerprint(
    original: str, codec: str, container: str, options: dict[str, object]
) -> None:
    data = encode_audio(music(), codec=codec, container=container, **options)  # type: ignore[arg-type]
    signal = AudioFpSignal.hash_audio(open_audio(data, MediaLimits()))
    assert signal.signal_type == "audio_fp"
    assert AudioFpSignal.validate(signal.value) == signal.value
    assert signal.quality is not None and signal.quality >= 90
    assert AudioFpSignal.hash_audio(open_audio(data, MediaLimits())) == signal
    assert AudioFpSignal.compare(signal.value, original) <= 10
    assert AudioFpSignal.compare(original, signal.value) <= 10


def test_a_reencoded_copy_is_found_and_placed_within_2_seconds() -> None:
    music = synthetic_music(2, 30)
    source = hash_audio(encode_audio(music, codec="flac", container="flac"))
    # Another codec at a third of the bit rate, starting 4.05 s in, off the item grid.
    start = int(4.05 * MUSIC_RATE)
    copy = encode_audio(music[start:], codec="libopus", container="ogg", bit_rate=16_000)
    distance, (query_start, reference_start, query_end, reference_end) = best(
        hash_audio(copy), source
    )
    assert distance <= 10
    assert abs(reference_start - query_start - 4.05) <= 2.0
    assert abs(reference_end - query_end - 4.05) <= 2.0
    assert query_end - query_start >= 20.0


@pytest.fixture(scope="module")
def three_minutes() -> npt.NDArray[np.float32]:
    return synthetic_music(3, 180)


def test_a_20_second_excerpt_of_3_minutes_is_found_at_its_offset(
    three_minutes: npt.NDArray[np.float32],
) -> None:
    source = hash_audio(encode_audio(three_minutes, codec="flac", container="flac"))
    start = int(97.3 * MUSIC_RATE)
    excerpt = encode_audio(
        three_minutes[start : start + 20 * MUSIC_RATE], codec="libmp3lame", container="mp3"
    )
    distance, (query_start, reference_start, _, _) = best(hash_audio(excerpt), source)
    assert distance <= 10
    assert reference_start - query_start == pytest.approx(97.3, abs=0.5)


def test_unrelated_music_does_not_match() -> None:
    ours = [hash_audio(encode_audio(synthetic_music(seed, 15))) for seed in (11, 12, 13)]
    for a in ours:
        for b in ours:
            if a != b:
                assert AudioFpSignal.compare(a, b) == 100


@pytest.mark.parametrize(
    "sound",
    [
        np.zeros(15 * MUSIC_RATE, dtype=np.float32),
        tone(15),
        tone(15, 1000.0),
        white_noise(1, 15),
    ],
    ids=["silence", "tone", "high-tone", "noise"],
)
def test_steady_sound_is_too_low_quality_and_matches_nothing(
    sound: npt.NDArray[np.float32],
) -> None:
    signal = AudioFpSignal.hash_audio(open_audio(encode_audio(sound), MediaLimits()))
    assert signal.quality == 0
    assert AudioFpSignal.too_low_quality(signal.quality)
    other = hash_audio(encode_audio(np.concatenate([synthetic_music(5, 10), sound])))
    assert AudioFpSignal.compare(signal.value, signal.value) == 100
    assert AudioFpSignal.compare(signal.value, other) == 100


def test_a_shared_silence_does_not_make_two_pieces_match() -> None:
    gap = np.zeros(8 * MUSIC_RATE, dtype=np.float32)
    first = np.concatenate([synthetic_music(21, 8), gap, synthetic_music(22, 8)])
    second = np.concatenate([synthetic_music(23, 8), gap, synthetic_music(24, 8)])
    assert (
        AudioFpSignal.compare(hash_audio(encode_audio(first)), hash_audio(encode_audio(second)))
        == 100
    )


# -- bad input -----------------------------------------------------------------------


def cut(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def silent(codec: str, container: str) -> bytes:
    return encode_audio(np.zeros(0, np.float32), codec=codec, container=container)


def encoded(codec: str, container: str, *, keep: float = 1.0) -> bytes:
    data = encode_audio(music(), codec=codec, container=container)
    return data[: int(len(data) * keep)]


BAD_AUDIO: list[tuple[str, Callable[[], bytes], type[InvalidInput], str]] = [
    ("empty", lambda: b"", InvalidInput, "empty_file"),
    ("png", lambda: encode(random_photo(1), "PNG"), UnsupportedMedia, "not_audio"),
    ("text", lambda: b"this is plain text, not sound\n" * 100, UnsupportedMedia, "not_audio"),
    ("random-bytes", lambda: random.Random(1).randbytes(50_000), UnsupportedMedia, "not_audio"),
    ("video-only", lambda: synthetic_video(1, 2.0), UnsupportedMedia, "no_audio_stream"),
    ("wav-header-cut", lambda: encoded("pcm_s16le", "wav")[:30], UnsupportedMedia, "not_audio"),
    ("wav-no-samples", lambda: encoded("pcm_s16le", "wav")[:44], InvalidInput, "zero_duration"),
    ("m4a-no-samples", lambda: silent("aac", "ipod"), InvalidInput, "zero_duration"),
    ("flac-no-samples", lambda: silent("flac", "flac"), InvalidInput, "zero_duration"),
    ("flac-cut", lambda: encoded("flac", "flac", keep=0.5), UnsupportedMedia, "truncated_audio"),
    ("mkv-cut", lambda: encoded("aac", "matroska", keep=0.4), UnsupportedMedia, "truncated_audio"),
    ("m4a-cut", lambda: encoded("aac", "ipod", keep=0.5), UnsupportedMedia, "not_audio"),
    ("two-seconds", lambda: encode_audio(music()[: MUSIC_RATE * 2]), InvalidInput, "too_short"),
]


@pytest.mark.parametrize(
    ("make", "error", "code"),
    [case[1:] for case in BAD_AUDIO],
    ids=[case[0] for case in BAD_AUDIO],
)
def test_bad_audio_is_refused_clearly(
    make: Callable[[], bytes], error: type[InvalidInput], code: str
) -> None:
    with pytest.raises(error) as raised:
        hash_audio(make())
    assert type(raised.value) is error
    assert raised.value.code == code
    assert raised.value.message


def test_audio_whose_packets_are_mostly_garbage_is_corrupt() -> None:
    data = bytearray(encode_audio(music(), codec="aac", container="adts", bit_rate=64_000))
    # Scramble every ADTS frame's payload, keeping the 7-byte headers that frame it.
    position = frames = 0
    while position < len(data) - 7:
        length = (data[position + 3] & 3) << 11 | data[position + 4] << 3 | data[position + 5] >> 5
        for at in range(position + 7, min(position + length, len(data))):
            data[at] = (data[at] * 37 + 11) & 0xFF
        position += length
        frames += 1
    assert frames > 100
    with pytest.raises(UnsupportedMedia) as raised:
        hash_audio(bytes(data))
    assert raised.value.code == "corrupt_audio"


@pytest.mark.parametrize(
    ("codec", "container"),
    [("pcm_s16le", "wav"), ("aac", "adts"), ("libmp3lame", "mp3"), ("libopus", "ogg")],
)
def test_audio_over_the_duration_limit_is_refused_from_its_header(
    codec: str, container: str
) -> None:
    data = encode_audio(music(), codec=codec, container=container)
    with pytest.raises(MediaTooLarge) as raised:
        open_audio(data, MediaLimits(max_duration_s=8))
    assert raised.value.code == "too_long"
    assert "FIRELINE_MAX_VIDEO_SECONDS" in raised.value.message


def test_audio_whose_header_says_nothing_is_stopped_at_the_limit_as_it_plays() -> None:
    data = encode_audio(music())
    limits = MediaLimits(max_duration_s=8)
    info = AudioInfo(
        format="wav", codec="pcm_s16le", sample_rate=MUSIC_RATE, channels=1, duration=None
    )
    with pytest.raises(MediaTooLarge) as raised:
        AudioFpSignal.hash_audio(DecodedAudio(data, info, limits))
    assert raised.value.code == "too_long"
    assert "plays for more than" in raised.value.message


def test_decoding_stops_when_it_takes_too_long() -> None:
    with pytest.raises(MediaTooLarge) as raised:
        hash_audio(encode_audio(music()), MediaLimits(max_decode_s=0))
    assert raised.value.code == "decode_too_slow"


def test_bytes_over_the_limit_are_refused_before_parsing() -> None:
    with pytest.raises(MediaTooLarge) as raised:
        open_audio(encode_audio(music()), MediaLimits(max_bytes=1000))
    assert raised.value.code == "too_many_bytes"


def test_without_chromaprint_hashing_fails_clearly_and_the_rest_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes importing the binding fail, as a missing library does.
    monkeypatch.setitem(sys.modules, "chromaprint", None)
    assert AudioFpSignal.validate(VALID) == VALID
    assert AudioFpSignal.compare(VALID, VALID) == 0
    with pytest.raises(MissingComponent) as raised:
        AudioFpSignal.hash_audio(open_audio(encode_audio(music()), MediaLimits()))
    assert raised.value.code == "chromaprint_missing"
    assert (raised.value.http_status, raised.value.exit_code) == (501, 9)
    assert "libchromaprint1" in raised.value.message


def test_fireline_starts_without_chromaprint() -> None:
    script = (
        "import sys; sys.modules['chromaprint'] = None\n"
        "from fireline.signals import SignalRegistry\n"
        "from fireline.index import index_for\n"
        "registry = SignalRegistry.from_entry_points()\n"
        "assert index_for(registry.get('audio_fp')) is not None\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_decoded_audio_can_be_fingerprinted_again() -> None:
    audio = open_audio(encode_audio(music()), MediaLimits())
    assert np.array_equal(fingerprint_items(audio), fingerprint_items(audio))
