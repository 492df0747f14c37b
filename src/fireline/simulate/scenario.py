"""The Christchurch replay's scenario: who uploads what, when, as plain seeded data.

Nothing here touches media or a network: the plan is a pure function of its
``ReplayParams``, so two runs with the same seed replay the same day. A livestream runs
on member 0; people record it and re-upload the recording and edits of it (and edits of
edits) across every member for a day, beside unrelated uploads. Variants appear over
the day and their popularity follows a Zipf law; traffic rises in the first hour and
decays, as it did in 2019.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from fireline.testing.edits import EDIT_NAMES

#: Edits that nest another video: at most one of them in a chain, so media stay short.
NESTING = frozenset({"compilation", "pip"})
#: At most this many edits from the recording to a variant.
MAX_CHAIN = 5


@dataclass(frozen=True, slots=True)
class ReplayParams:
    """What the replay simulates; every default is documented in docs/simulate.md."""

    seed: int = 2019
    members: int = 10
    hours: float = 24.0
    #: Seconds of generated media standing for the livestream's recording.
    stream_seconds: float = 30.0
    #: Minutes the livestream runs on member 0 (from minute 0).
    stream_minutes: int = 17
    #: The minute member 0 declares the incident, and how long until member 1 approves.
    declare_minute: int = 29
    approve_after: int = 4
    variants: int = 200
    benign_items: int = 50
    #: Upload attempts over the whole replay, re-uploads and benign together.
    uploads: int = 8_000
    benign_share: float = 0.2
    #: Responders at the hub look at proposed variants every so many minutes and decide
    #: those waiting at least ``responder_delay`` minutes.
    responder_every: int = 5
    responder_delay: int = 2
    #: A re-upload that gets through is reported by a user with this probability, after
    #: ``report_delay`` minutes (uniform); the platform then submits its hashes.
    report_probability: float = 0.5
    report_delay: tuple[int, int] = (5, 45)

    @property
    def minutes(self) -> int:
        return round(self.hours * 60)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "report_delay": list(self.report_delay)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplayParams:
        """Params from ``as_json`` (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in data.items() if k in known}
        if "report_delay" in given:
            given["report_delay"] = tuple(given["report_delay"])
        return cls(**given)

    def check(self) -> None:
        """ValueError for a replay that cannot run."""
        problems = []
        if self.members < 2:
            problems.append("members must be at least 2 (one declares, another approves)")
        if self.minutes <= self.declare_minute + self.approve_after:
            problems.append("the replay must last beyond the incident's activation")
        if not 0 <= self.benign_share < 1:
            problems.append("benign_share must be in [0, 1)")
        if not 0 <= self.report_probability <= 1:
            problems.append("report_probability must be in [0, 1]")
        if self.variants < 0 or self.benign_items < 1 or self.uploads < 1:
            problems.append("variants >= 0, benign_items >= 1 and uploads >= 1")
        if self.stream_seconds < 12:
            problems.append("stream_seconds must be at least 12 (sound needs a few seconds)")
        low, high = self.report_delay
        if not 0 < low <= high:
            problems.append("report_delay must be (low, high) with 0 < low <= high")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Item:
    """One piece of content people upload: the recording, a variant, or something benign.

    Its media is ``base`` (``livestream`` or ``benign`` of ``base_seed``) with the edits
    of every ancestor, then its own ``edits``, applied in order.
    """

    key: str
    tvec: bool
    base: str
    base_seed: int
    parent: str | None
    edits: tuple[str, ...]
    born: int
    weight: float

    @property
    def description(self) -> str:
        return " + ".join(self.edits) if self.edits else "as recorded"


@dataclass(frozen=True, slots=True)
class Upload:
    minute: int
    member: int
    item: str


@dataclass(frozen=True, slots=True)
class Scenario:
    params: ReplayParams
    items: dict[str, Item]
    uploads: tuple[Upload, ...]
    by_minute: dict[int, tuple[Upload, ...]] = field(repr=False)

    @classmethod
    def of(cls, params: ReplayParams, items: dict[str, Item], uploads: list[Upload]) -> Scenario:
        """A scenario of these items and uploads (in minute order)."""
        by_minute: dict[int, list[Upload]] = {}
        for upload in uploads:
            by_minute.setdefault(upload.minute, []).append(upload)
        return cls(
            params=params,
            items=items,
            uploads=tuple(uploads),
            by_minute={m: tuple(u) for m, u in by_minute.items()},
        )

    def chain(self, key: str) -> list[Item]:
        """The item's ancestors from the base media down to the item itself."""
        out = [self.items[key]]
        while out[-1].parent is not None:
            out.append(self.items[str(out[-1].parent)])
        return out[::-1]

    def all_edits(self, key: str) -> tuple[str, ...]:
        return tuple(e for item in self.chain(key) for e in item.edits)


def build_scenario(params: ReplayParams) -> Scenario:
    """The seeded plan of a replay."""
    params.check()
    rng = np.random.default_rng([params.seed, 1])
    items = _variants(params, rng)
    items.update(_benign(params, np.random.default_rng([params.seed, 2])))
    uploads = _uploads(params, items, np.random.default_rng([params.seed, 3]))
    return Scenario.of(params, items, uploads)


def _variants(params: ReplayParams, rng: np.random.Generator) -> dict[str, Item]:
    original = Item(
        key="original",
        tvec=True,
        base="livestream",
        base_seed=params.seed,
        parent=None,
        edits=(),
        born=1,
        weight=0.25,
    )
    items = {"original": original}
    chains: dict[str, tuple[str, ...]] = {"original": ()}
    last = params.minutes - 1
    ranks = rng.permutation(params.variants) + 1
    zipf = 1.0 / ranks.astype(np.float64)
    zipf *= 0.75 / zipf.sum() if params.variants else 1.0
    for number in range(params.variants):
        key = f"v{number:03d}"
        earlier = [k for k in items if k != "original"]
        parent = "original"
        if earlier and rng.random() < 0.45:
            parent = earlier[int(rng.integers(len(earlier)))]
        count = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        if len(chains[parent]) + count > MAX_CHAIN:
            parent = "original"
        inherited = chains[parent]
        nested = any(e in NESTING for e in inherited)
        pool = [e for e in EDIT_NAMES if e not in inherited and not (nested and e in NESTING)]
        edits: list[str] = []
        for _ in range(count):
            choice = str(pool[int(rng.integers(len(pool)))])
            edits.append(choice)
            pool.remove(choice)
            if choice in NESTING:
                pool = [e for e in pool if e not in NESTING]
        # Variants appear over the day: most in the first hours, a few late.
        after = (
            items[parent].born + 2 + int(rng.exponential(150.0 if parent == "original" else 40.0))
        )
        born = min(max(after, params.stream_minutes // 2), last)
        items[key] = Item(
            key=key,
            tvec=True,
            base="livestream",
            base_seed=params.seed,
            parent=parent,
            edits=tuple(edits),
            born=born,
            weight=float(zipf[number]),
        )
        chains[key] = (*inherited, *edits)
    return items


def _benign(params: ReplayParams, rng: np.random.Generator) -> dict[str, Item]:
    """Unrelated videos, some edited the same ways (captions, bars, screen recordings)."""
    items = {}
    for number in range(params.benign_items):
        count = int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))
        edits = tuple(str(e) for e in rng.choice(EDIT_NAMES, size=count, replace=False))
        if sum(e in NESTING for e in edits) > 1:
            edits = edits[:1]
        key = f"b{number:03d}"
        items[key] = Item(
            key=key,
            tvec=False,
            base="benign",
            base_seed=params.seed * 1000 + 7 + number,
            parent=None,
            edits=edits,
            born=0,
            weight=1.0,
        )
    return items


def _uploads(
    params: ReplayParams, items: dict[str, Item], rng: np.random.Generator
) -> list[Upload]:
    minutes = np.arange(params.minutes, dtype=np.float64)
    # Re-uploads start a few minutes into the stream, peak within the hour, then decay
    # over hours to a steady trickle.
    shape = (1 - np.exp(-np.maximum(minutes - 4, 0) / 20.0)) * (np.exp(-minutes / 360.0) + 0.05)
    tvec_total = params.uploads * (1 - params.benign_share)
    tvec_rate = shape * tvec_total / shape.sum()
    benign_rate = params.uploads * params.benign_share / params.minutes
    platform = 1.0 / np.arange(1, params.members + 1) ** 0.7  # platforms of many sizes
    platform /= platform.sum()
    tvec = [i for i in items.values() if i.tvec]
    benign = [i for i in items.values() if not i.tvec]
    born = np.array([i.born for i in tvec])
    weights = np.array([i.weight for i in tvec])
    uploads: list[Upload] = []
    for minute in range(params.minutes):
        live = born <= minute
        chosen: list[str] = []
        count = int(rng.poisson(tvec_rate[minute]))
        if count and live.any():
            p = np.where(live, weights, 0.0)
            picks = rng.choice(len(tvec), size=count, p=p / p.sum())
            chosen.extend(tvec[int(k)].key for k in picks)
        for _ in range(int(rng.poisson(benign_rate))):
            chosen.append(benign[int(rng.integers(len(benign)))].key)
        order = rng.permutation(len(chosen))
        members = rng.choice(params.members, size=len(chosen), p=platform)
        uploads.extend(
            Upload(minute=minute, member=int(members[k]), item=chosen[int(o)])
            for k, o in enumerate(order)
        )
    return uploads


def hour_of(minute: int) -> int:
    return math.floor(minute / 60)
