"""Every item of a scenario rendered and hashed once, before the replay starts.

An upload in the replay sends its item's signals to a member's ``POST /v1/match``, as a
platform that hashes at upload time would: rendering and hashing each of thousands of
uploads again would measure the media pipeline (bench/video.py does) rather than the
crisis response. The signals come from the hashing a server with the same settings does.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fireline.domain import Signal
from fireline.services import HashingService
from fireline.simulate.scenario import Item, ReplayParams, Scenario
from fireline.testing.edits import Media, benign_video, edit, livestream, render_media

#: Frames per second the replay's media are rendered at (hashing samples 1 per second).
RENDER_FPS = 2


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Each item's signals and hashes of its transformed copies (mirrored, insets: what a
    file upload's matching also tries), and which item a signal value belongs to."""

    signals: Mapping[str, tuple[Signal, ...]]
    transforms: Mapping[str, tuple[tuple[Signal, str], ...]] = field(default_factory=dict)

    def owner(self, signals: list[Signal]) -> str | None:
        """The item whose upload gave these signals (a variant's first signals)."""
        wanted = {(s.signal_type, s.value) for s in signals}
        for key, mine in self.signals.items():
            if any((s.signal_type, s.value) in wanted for s in mine if s.signal_type != "audio_fp"):
                return key
        return None


def media_of(scenario: Scenario, key: str) -> Media:
    """The item's media: its base with every edit of its chain, each drawn from its own
    seeded generator so any item renders alone, in any order."""
    chain = scenario.chain(key)
    root = chain[0]
    seconds = scenario.params.stream_seconds
    media = (livestream if root.base == "livestream" else benign_video)(root.base_seed, seconds)
    for item in chain:
        for position, name in enumerate(item.edits):
            media = edit(media, name, _edit_rng(scenario, item, position))
    return media


def _edit_rng(scenario: Scenario, item: Item, position: int) -> np.random.Generator:
    return np.random.default_rng([scenario.params.seed, zlib.crc32(item.key.encode()), position])


def hash_item(
    scenario: Scenario, key: str, hashing: HashingService
) -> tuple[tuple[Signal, ...], tuple[tuple[Signal, str], ...]]:
    """The item's signals, and its transformed copies' hashes with their transform."""
    video = render_media(media_of(scenario, key), fps=RENDER_FPS)
    hashed = hashing.hash_content(video, variants=True)
    transforms = tuple(
        (signal, name)
        for by_name in hashed.variants.values()
        for name, signal in sorted(by_name.items())
        if name != "original"
    )
    return hashed.signals, transforms


def build_catalogue(
    scenario: Scenario,
    *,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> Catalogue:
    """Render and hash every item in ``workers`` worker processes (``python -m
    fireline.simulate.hash_worker``: JSON in, JSON lines out), each hashing as a server with
    this environment's settings would."""
    keys = sorted(scenario.items)
    shares = [keys[n :: max(1, workers)] for n in range(max(1, workers))]
    request = {
        "params": scenario.params.as_json(),
        "items": [asdict(item) for item in scenario.items.values()],
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "fireline.simulate.hash_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
        if share
    ]
    signals: dict[str, tuple[Signal, ...]] = {}
    transforms: dict[str, tuple[tuple[Signal, str], ...]] = {}
    try:
        for process, share in zip(processes, shares, strict=False):
            assert process.stdin is not None
            process.stdin.write(json.dumps({**request, "keys": share}))
            process.stdin.close()
        lines = queue.SimpleQueue[str | None]()
        readers = [
            threading.Thread(target=_read_lines, args=(p, lines), daemon=True) for p in processes
        ]
        for reader in readers:
            reader.start()
        finished = 0
        while finished < len(processes):
            line = lines.get()
            if line is None:
                finished += 1
                continue
            found = json.loads(line)
            signals[found["key"]] = tuple(Signal(*s) for s in found["signals"])
            transforms[found["key"]] = tuple(
                (Signal(*t[:3]), str(t[3])) for t in found["transforms"]
            )
            if progress is not None:
                progress(found["key"])
    finally:
        for process in processes:
            if process.wait() != 0:
                raise RuntimeError("a media worker failed (its error is above)")
    missing = set(keys) - set(signals)
    if missing:
        raise RuntimeError(f"no signals for {len(missing)} items")
    return Catalogue(
        signals={k: signals[k] for k in keys}, transforms={k: transforms[k] for k in keys}
    )


def _read_lines(process: subprocess.Popen[str], lines: queue.SimpleQueue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def scenario_from_json(request: dict[str, Any]) -> Scenario:
    """The items of a scenario sent to a worker (without its uploads)."""
    items = {}
    for given in request["items"]:
        item = Item(**{**given, "edits": tuple(given["edits"])})
        items[item.key] = item
    return Scenario(
        params=ReplayParams.from_json(request["params"]), items=items, uploads=(), by_minute={}
    )
