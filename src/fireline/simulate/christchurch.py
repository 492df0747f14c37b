"""`fireline simulate christchurch`: scenario, media, network and replay, end to end."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fireline.simulate.catalogue import Catalogue, build_catalogue
from fireline.simulate.network import start_network
from fireline.simulate.replay import Replay, ReplayLog
from fireline.simulate.report import summarise
from fireline.simulate.scenario import ReplayParams, Scenario, build_scenario


@dataclass
class Progress:
    """Callbacks a front end draws progress with (each optional)."""

    items: Callable[[int], None] = lambda total: None
    item_done: Callable[[str], None] = lambda key: None
    run_started: Callable[[int, int], None] = lambda run, minutes: None
    minute_done: Callable[[int], None] = lambda minute: None


@dataclass
class Result:
    scenario: Scenario
    logs: list[ReplayLog] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return len({s["digest"] for s in self.summaries}) <= 1

    def as_json(self) -> dict[str, Any]:
        return {
            "format": "fireline.replay/1",
            "runs": len(self.summaries),
            "runs_agree": self.agree,
            "summary": self.summaries[0] if self.summaries else None,
            "digests": [s["digest"] for s in self.summaries],
        }


def simulate_christchurch(
    params: ReplayParams,
    *,
    runs: int = 1,
    workers: int = 2,
    out: Path | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
    scenario: Scenario | None = None,
) -> Result:
    """Replay the scenario ``runs`` times, each on a fresh hub and members in a temporary
    directory. With ``out``, writes replay.json and the hub's debrief (HTML) there.

    ``scenario`` replaces the one ``params`` plans (its params are used); ``catalogue``
    saves rendering and hashing its media again."""
    progress = progress or Progress()
    scenario = scenario or build_scenario(params)
    params = scenario.params
    if catalogue is None:
        progress.items(len(scenario.items))
        catalogue = build_catalogue(scenario, workers=workers, progress=progress.item_done)
    result = Result(scenario=scenario)
    for run in range(runs):
        progress.run_started(run, params.minutes)
        with tempfile.TemporaryDirectory(prefix="fireline-replay-") as tmp, ExitStack() as stack:
            network = start_network(
                Path(tmp),
                stack,
                members=params.members,
                hub_env={"FIRELINE_INCIDENT_QUORUM": "2"},
            )
            log = Replay(scenario, catalogue, network, on_minute=progress.minute_done).run()
        result.logs.append(log)
        result.summaries.append(summarise(scenario, log))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "replay.json").write_text(json.dumps(result.as_json(), indent=2) + "\n")
        if result.logs and result.logs[0].debrief_html:
            (out / "debrief.html").write_text(result.logs[0].debrief_html)
    return result
