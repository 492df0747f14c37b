"""What the benchmark scripts share: random hashes, machine facts, the JSON report."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

BITS = 256


def random_hashes(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` uniformly random 256-bit hashes as 64-character lowercase hex."""
    text = rng.integers(0, 256, size=(count, BITS // 8), dtype=np.uint8).tobytes().hex()
    width = BITS // 4
    return [text[i : i + width] for i in range(0, len(text), width)]


def machine(**versions: str) -> dict[str, object]:
    """The machine and library versions a figure was measured with."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write the JSON report, creating bench/results/ when needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {path}")
