"""A media worker of ``build_catalogue``: renders and hashes the items named on stdin.

Reads ``{"params": ..., "items": [...], "keys": [...]}`` (JSON) and writes one JSON line per item,
``{"key": ..., "signals": [[type, value, quality], ...], "transforms": [[type, value,
quality, transform], ...]}``, hashing as a server with this
environment's settings would. Run as ``python -m fireline.simulate.hash_worker``.
"""

from __future__ import annotations

import json
import sys

from fireline.bootstrap import hashing_service
from fireline.settings import Settings
from fireline.simulate.catalogue import hash_item, scenario_from_json


def main() -> None:
    request = json.loads(sys.stdin.read())
    scenario = scenario_from_json(request)
    hashing = hashing_service(Settings())
    for key in request["keys"]:
        signals, transforms = hash_item(scenario, key, hashing)
        found = {
            "key": key,
            "signals": [[s.signal_type, s.value, s.quality] for s in signals],
            "transforms": [[s.signal_type, s.value, s.quality, t] for s, t in transforms],
        }
        sys.stdout.write(json.dumps(found) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
