"""Running the installed `fireline` console script, as a user's shell would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The console script pyproject.toml declares, installed beside this interpreter.
FIRELINE = Path(sys.executable).with_name("fireline")


def fireline(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed script to completion (the environment is inherited)."""
    return subprocess.run(
        [str(FIRELINE), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
