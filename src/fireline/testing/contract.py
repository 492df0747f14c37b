"""The contract every signal type keeps, as a base class its tests subclass.

A signal type's test module only supplies cases::

    class TestPdqSignal(SignalTypeContract):
        signal_type = PdqSignal
        valid_cases = [("F8F8...", "f8f8...")]
        invalid_cases = ["", "xyz"]

        def random_signal(self, rng: random.Random) -> str:
            return random_hex(rng, 256)

and inherits the tests below: canonical forms, malformed input refused with
InvalidInput, ``compare`` behaving as a metric, the fast index agreeing exactly with a
brute-force ``compare`` scan (through additions, removals and re-additions), hashers
(photo, video, text, link) producing valid signals, and the type being loadable through
the entry point. Two switches relax it for types that cannot keep all of it:
``compare_is_metric = False`` skips only the triangle inequality, and ``has_index =
False`` replaces the index test by a check that there is indeed no index (so it fails
the day one arrives).

The base class needs no pytest: its checks are plain ``assert`` statements with messages,
so it runs under any runner that calls ``test_*`` methods.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import ClassVar

from fireline.domain import InvalidInput
from fireline.index import SignalIndex, index_for
from fireline.signals import (
    BytesHasher,
    DecodedText,
    MediaLimits,
    PhotoHasher,
    SignalRegistry,
    SignalType,
    TextHasher,
    UrlHasher,
    VideoHasher,
    decode_image,
    open_video,
)
from fireline.testing.media import encode, random_photo, synthetic_video
from fireline.testing.prose import Prose


def random_hex(rng: random.Random, bits: int) -> str:
    """A uniformly random hash of ``bits`` bits as lowercase hex."""
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def flip_bits(value: str, count: int, rng: random.Random) -> str:
    """``value`` (hex) with ``count`` distinct bits inverted: exactly ``count`` bits away."""
    bits = len(value) * 4
    mask = 0
    for position in rng.sample(range(bits), count):
        mask |= 1 << position
    return f"{int(value, 16) ^ mask:0{len(value)}x}"


class SignalTypeContract:
    """Tests every signal type must pass; a subclass supplies the type and its cases."""

    #: The signal type under test (the class).
    signal_type: ClassVar[type[SignalType]]
    #: (raw input, canonical form) rows ``validate`` must accept.
    valid_cases: ClassVar[Sequence[tuple[str, str]]] = ()
    #: Raw inputs ``validate`` must refuse with InvalidInput.
    invalid_cases: ClassVar[Sequence[str]] = ()
    #: Pairs of canonical signals that must match at the default threshold.
    close_pairs: ClassVar[Sequence[tuple[str, str]]] = ()
    #: Pairs of canonical signals that must not match at the default threshold.
    far_pairs: ClassVar[Sequence[tuple[str, str]]] = ()
    #: The ``code`` InvalidInput carries for a malformed signal (None: any code).
    malformed_code: ClassVar[str | None] = "malformed_signal"
    #: How many random signals the index test banks before duplicates and variants.
    index_size: ClassVar[int] = 400
    #: Thresholds the index is queried at; by default -1 (finds nothing), 0, half the
    #: default threshold and the default.
    index_thresholds: ClassVar[Sequence[int]] = ()
    #: Seeds the random signals, so a failure reproduces.
    seed: ClassVar[int] = 20190515
    #: False for a type whose ``compare`` is symmetric and zero only on identical
    #: signals, but not a metric (say why in its docstring); the triangle inequality is
    #: then not checked.
    compare_is_metric: ClassVar[bool] = True
    #: False for a directional type: ``compare(query, reference)`` measures how much of
    #: the query the reference explains (an excerpt is at 0 from its source), so neither
    #: symmetry nor "zero only on identical signals" holds; both checks are then skipped,
    #: and so is the triangle inequality.
    compare_is_symmetric: ClassVar[bool] = True
    #: False for a type ``fireline.index.index_for`` has no index for yet. The index test
    #: then checks that there really is none, so it fails (and must be re-enabled) the
    #: day one arrives.
    has_index: ClassVar[bool] = True

    def random_signal(self, rng: random.Random) -> str:
        """A random canonical signal of this type (supplied by the subclass)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define random_signal(rng) for the index test"
        )

    def near_signal(self, value: str, rng: random.Random) -> str:
        """A signal at a small, varied distance from ``value``; exact types return it unchanged."""
        return value

    # -- canonical form -----------------------------------------------------------------

    def test_validate_canonicalises(self) -> None:
        assert self.valid_cases, f"{type(self).__name__} supplies no valid_cases"
        for raw, canonical in self.valid_cases:
            got = self.signal_type.validate(raw)
            assert got == canonical, f"validate({raw!r}) gave {got!r}, expected {canonical!r}"
            again = self.signal_type.validate(canonical)
            assert again == canonical, f"the canonical form {canonical!r} is not stable"

    def test_rejects_malformed(self) -> None:
        assert self.invalid_cases, f"{type(self).__name__} supplies no invalid_cases"
        for raw in self.invalid_cases:
            try:
                accepted = self.signal_type.validate(raw)
            except InvalidInput as exc:
                assert exc.message, f"refusing {raw!r} gave an empty message"
                if self.malformed_code is not None:
                    assert exc.code == self.malformed_code, (
                        f"refusing {raw!r} gave code {exc.code!r}, expected {self.malformed_code!r}"
                    )
            else:
                raise AssertionError(f"validate accepted malformed {raw!r} as {accepted!r}")

    def test_quality_is_none_or_0_to_100(self) -> None:
        # Out of range, a quality is bad input: 2**70 would not even fit a SQL integer.
        for quality in (None, 0, 100):
            assert self.signal_type.validate_quality(quality) == quality
        for quality in (-1, 101, 2**31, 2**70):
            try:
                self.signal_type.validate_quality(quality)
            except InvalidInput as exc:
                assert exc.code == "malformed_signal", f"quality {quality} gave code {exc.code!r}"
            else:
                raise AssertionError(f"validate_quality accepted {quality}")

    def test_random_signal_is_canonical(self) -> None:
        rng = random.Random(self.seed)
        for _ in range(50):
            value = self.random_signal(rng)
            assert self.signal_type.validate(value) == value, f"{value!r} is not canonical"
            near = self.near_signal(value, rng)
            assert self.signal_type.validate(near) == near, f"{near!r} is not canonical"

    # -- distance -----------------------------------------------------------------------

    def test_compare_is_a_metric(self) -> None:
        rng = random.Random(self.seed)
        values = [canonical for _, canonical in self.valid_cases]
        for _ in range(12):
            value = self.random_signal(rng)
            values += [value, self.near_signal(value, rng)]
        for pair in (*self.close_pairs, *self.far_pairs):
            values += [self.signal_type.validate(v) for v in pair]
        compare = self.signal_type.compare
        symmetric = self.compare_is_symmetric
        for a in values:
            if symmetric:
                assert compare(a, a) == 0, f"compare({a!r}, itself) is not 0"
            for b in values:
                d = compare(a, b)
                assert d >= 0, f"compare({a!r}, {b!r}) = {d} is negative"
                if symmetric:
                    assert d == compare(b, a), f"compare is not symmetric on {a!r}, {b!r}"
                    assert (d == 0) == (a == b), f"compare({a!r}, {b!r}) = {d}"
        if not (self.compare_is_metric and symmetric):
            return
        for _ in range(300):
            a, b, c = rng.choice(values), rng.choice(values), rng.choice(values)
            assert compare(a, c) <= compare(a, b) + compare(b, c), (
                f"the triangle inequality fails on {a!r}, {b!r}, {c!r}"
            )

    def test_close_pairs_match(self) -> None:
        threshold = self.signal_type.default_threshold
        for a, b in self.close_pairs:
            d = self.signal_type.compare(self.signal_type.validate(a), self.signal_type.validate(b))
            assert d <= threshold, f"{a!r} and {b!r} are {d} apart, over {threshold}"

    def test_far_pairs_do_not_match(self) -> None:
        threshold = self.signal_type.default_threshold
        for a, b in self.far_pairs:
            d = self.signal_type.compare(self.signal_type.validate(a), self.signal_type.validate(b))
            assert d > threshold, f"{a!r} and {b!r} are {d} apart, within {threshold}"

    # -- index --------------------------------------------------------------------------

    def test_index_agrees_with_brute_force(self) -> None:
        rng = random.Random(self.seed)
        index = index_for(self.signal_type)
        if not self.has_index:
            assert index is None, (
                f"{self.signal_type.name!r} now has an index: drop has_index = False"
            )
            return
        assert index is not None, f"index_for gives no index for {self.signal_type.name!r}"
        banked: dict[int, str] = {}

        values = [self.random_signal(rng) for _ in range(self.index_size)]
        # Clusters: variants near banked signals, and exact duplicates under other ids.
        values += [self.near_signal(rng.choice(values), rng) for _ in range(self.index_size // 4)]
        values += [rng.choice(values) for _ in range(self.index_size // 8)]
        ids = rng.sample(range(1, 20 * len(values)), len(values))
        start = 0
        for batch in (1, 7, len(values) // 2, len(values)):
            chunk = slice(start, start + batch)
            index.add(ids[chunk], values[chunk])
            banked.update(zip(ids[chunk], values[chunk], strict=True))
            start += batch
        every = list(values)  # removed signals are queried too: none may come back
        self._check_index(index, banked, every, rng, "after adding")

        # A few removals leave tombstones; many force a compaction. Unknown ids are ignored.
        for fraction in (0.1, 0.3):
            gone = rng.sample(sorted(banked), int(len(banked) * fraction))
            index.remove([*gone, -5, max(ids) + 1])
            for entry_id in gone:
                del banked[entry_id]
            self._check_index(index, banked, every, rng, f"after removing {fraction:.0%}")

        # Re-adding: fresh ids, removed ids back with new values, live ids moved to new
        # values, and one id twice in a batch (the last value wins).
        live = sorted(banked)
        moved = rng.sample(live, len(live) // 10)
        fresh = [max(ids) + 1 + n for n in range(20)]
        removed = sorted(set(ids) - set(banked))
        returning = rng.sample(removed, min(20, len(removed)))
        again = [*moved, *fresh, *returning, fresh[0]]
        new_values = [self.near_signal(self.random_signal(rng), rng) for _ in again]
        index.add(again, new_values)
        banked.update(zip(again, new_values, strict=True))
        every += new_values
        self._check_index(index, banked, every, rng, "after re-adding")

        keep = set(rng.sample(sorted(banked), min(5, len(banked))))
        index.remove([entry_id for entry_id in banked if entry_id not in keep])
        banked = {entry_id: value for entry_id, value in banked.items() if entry_id in keep}
        self._check_index(index, banked, every, rng, "after removing all but five")

        index.remove(list(keep))
        self._check_index(index, {}, every, rng, "after removing everything")

    def _check_index(
        self,
        index: SignalIndex,
        banked: dict[int, str],
        every: list[str],
        rng: random.Random,
        stage: str,
    ) -> None:
        assert len(index) == len(banked), (
            f"{stage}: the index holds {len(index)}, not {len(banked)}"
        )
        known = sorted(set(banked.values()))
        queries = [self.random_signal(rng) for _ in range(5)]
        queries += rng.sample(every, min(5, len(every)))
        queries += [self.near_signal(rng.choice(every), rng) for _ in range(5)]
        if known:
            queries += rng.sample(known, min(5, len(known)))
            queries += [self.near_signal(rng.choice(known), rng) for _ in range(5)]
        default = self.signal_type.default_threshold
        thresholds = self.index_thresholds or sorted({-1, 0, default // 2, default})
        for query in queries:
            for threshold in thresholds:
                got = index.query(query, threshold)
                expected = self._brute_force(banked, query, threshold)
                assert sorted(got) == sorted(expected), (
                    f"{stage}: query {query!r} at threshold {threshold} gave {sorted(got)}, "
                    f"a brute-force scan gives {sorted(expected)}"
                )

    def _brute_force(
        self, banked: dict[int, str], query: str, threshold: int
    ) -> list[tuple[int, int]]:
        found = []
        for entry_id, value in banked.items():
            distance = self.signal_type.compare(query, value)
            if distance <= threshold:
                found.append((entry_id, distance))
        return sorted(found, key=lambda row: (row[1], row[0]))

    # -- hashers and registration -------------------------------------------------------

    def test_hashers_produce_valid_signals(self) -> None:
        data = encode(random_photo(self.seed % 1000), "PNG")
        signal_type = self.signal_type
        if issubclass(signal_type, BytesHasher):
            signal = signal_type.hash_bytes(data)
            assert signal.signal_type == signal_type.name, (
                f"hash_bytes named {signal.signal_type!r}"
            )
            assert signal_type.validate(signal.value) == signal.value, "hash_bytes is not canonical"
            assert signal_type.hash_bytes(data) == signal, "hash_bytes is not deterministic"
        if issubclass(signal_type, PhotoHasher):
            image = decode_image(data, MediaLimits())
            signal = signal_type.hash_image(image)
            assert signal.signal_type == signal_type.name, (
                f"hash_image named {signal.signal_type!r}"
            )
            assert signal_type.validate(signal.value) == signal.value, "hash_image is not canonical"
            assert signal_type.validate_quality(signal.quality) == signal.quality
            assert not signal_type.too_low_quality(signal.quality), (
                f"a textured photo hashed at too low a quality ({signal.quality})"
            )
            assert signal_type.hash_image(image) == signal, "hash_image is not deterministic"
            dihedral = signal_type.hash_image_dihedral(image)
            assert len(dihedral) == 8, f"{len(dihedral)} dihedral hashes, not 8"
            assert signal.value in {s.value for s in dihedral.values()}, (
                "the untransformed image is missing from the dihedral hashes"
            )
        if issubclass(signal_type, VideoHasher):
            video = open_video(synthetic_video(self.seed % 1000, 3.0), MediaLimits())
            signal = signal_type.hash_video(video)
            assert signal.signal_type == signal_type.name, (
                f"hash_video named {signal.signal_type!r}"
            )
            assert signal_type.validate(signal.value) == signal.value, "hash_video is not canonical"
            assert signal_type.validate_quality(signal.quality) == signal.quality
            assert not signal_type.too_low_quality(signal.quality), (
                f"a textured video hashed at too low a quality ({signal.quality})"
            )
            assert signal_type.hash_video(video) == signal, "hash_video is not deterministic"

    def test_text_and_url_hashers_produce_valid_signals(self) -> None:
        signal_type = self.signal_type
        if issubclass(signal_type, TextHasher):
            text = DecodedText(Prose(self.seed % 1000).document(400))
            signal = signal_type.hash_text(text)
            assert signal.signal_type == signal_type.name, f"hash_text named {signal.signal_type!r}"
            assert signal_type.validate(signal.value) == signal.value, "hash_text is not canonical"
            assert signal_type.hash_text(text) == signal, "hash_text is not deterministic"
        if issubclass(signal_type, UrlHasher):
            signal = signal_type.hash_url("HTTPS://Example.COM:443/a/../b?utm_source=x")
            assert signal.signal_type == signal_type.name, f"hash_url named {signal.signal_type!r}"
            assert signal_type.validate(signal.value) == signal.value, "hash_url is not canonical"

    def test_registered(self) -> None:
        registry = SignalRegistry.from_entry_points()
        name = self.signal_type.name
        assert name in registry, (
            f"{name!r} is not registered under the fireline.signals entry point"
        )
        assert registry.get(name) is self.signal_type, f"{name!r} loads another class"
        for content_type in self.signal_type.content_types:
            assert self.signal_type in registry.for_content(content_type), (
                f"{name!r} is not offered for {content_type}"
            )
