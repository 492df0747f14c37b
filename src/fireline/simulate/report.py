"""The replay's figures, from its log: every number recomputable from the outcomes.

The target (issue 5): at least 99% of re-uploads blocked from the first minute after the
first hash was shared, and no benign upload blocked.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from typing import Any

from fireline.simulate.replay import ReplayLog
from fireline.simulate.scenario import Scenario

TARGET_BLOCKED = 0.99


def _fraction(blocked: int, attempts: int) -> float | None:
    return round(blocked / attempts, 5) if attempts else None


def digest(log: ReplayLog) -> str:
    """A fingerprint of every upload's outcome and every decision: equal in two runs that
    agree."""
    lines = [
        *(f"{o.minute} {o.member} {o.item} {int(o.blocked)}" for o in log.outcomes),
        *(f"d {d.minute} {d.variant} {d.item} {int(d.accepted)}" for d in log.decisions),
        *(f"r {m} {member} {item}" for m, member, item in log.reports),
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def summarise(scenario: Scenario, log: ReplayLog) -> dict[str, Any]:
    """The figures of one run, as JSON-ready data."""
    params = scenario.params
    shared = log.first_hash_minute
    counted_from = None if shared is None else shared + 1
    tvec = [o for o in log.outcomes if o.tvec]
    benign = [o for o in log.outcomes if not o.tvec]
    after = [o for o in tvec if counted_from is not None and o.minute >= counted_from]
    blocked_after = sum(o.blocked for o in after)
    hours: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in tvec:
        row = hours[o.minute // 60]
        row[0] += 1
        row[1] += o.blocked
        if counted_from is not None and o.minute >= counted_from:
            row[2] += 1
            row[3] += o.blocked
    missed = Counter(o.item for o in after if not o.blocked)
    variants = Counter(str(v["state"]) for v in log.hub_variants)
    uploaded = {o.item for o in tvec}
    ever_blocked = {o.item for o in tvec if o.blocked}
    figures = log.hub_live.get("figures", {})
    replay_blocked = sum(
        o.blocked for o in log.outcomes if shared is not None and o.minute >= shared
    )
    fraction = _fraction(blocked_after, len(after))
    benign_blocked = sum(o.blocked for o in benign)
    return {
        "params": params.as_json(),
        "minutes": {
            "stream": [0, params.stream_minutes],
            "declared": log.declared_minute,
            "activated": log.activated_minute,
            "first_hash": shared,
            "declared_to_active": None
            if log.activated_minute is None or log.declared_minute is None
            else log.activated_minute - log.declared_minute,
            "active_to_first_hash": None
            if shared is None or log.activated_minute is None
            else shared - log.activated_minute,
        },
        "reuploads": {
            "attempts": len(tvec),
            "before_first_hash": sum(1 for o in tvec if shared is None or o.minute < shared),
            "after_first_minute_of_sharing": {
                "attempts": len(after),
                "blocked": blocked_after,
                "fraction_blocked": fraction,
            },
            "per_hour": [
                {
                    "hour": hour,
                    "attempts": row[0],
                    "blocked": row[1],
                    "attempts_counted": row[2],
                    "fraction_blocked": _fraction(row[3], row[2]),
                }
                for hour, row in sorted(hours.items())
            ],
            "missed_after_sharing": [
                {"item": item, "edits": list(scenario.all_edits(item)), "misses": n}
                for item, n in missed.most_common(15)
            ],
        },
        "variants": {
            "items_uploaded": len(uploaded),
            "items_ever_blocked": len(ever_blocked),
            "items_never_blocked": sorted(uploaded - ever_blocked),
            "hub_variants_by_state": dict(sorted(variants.items())),
            "accepted_automatically": sum(
                1 for v in log.hub_variants if v["state"] == "accepted" and v["automatic"]
            ),
            "responder_decisions": {
                "accepted": sum(d.accepted for d in log.decisions),
                "rejected": sum(not d.accepted for d in log.decisions),
            },
            "submitted_after_user_reports": len(log.reports),
            "incident_bank_entries": figures.get("entries"),
        },
        "benign": {
            "uploads": len(benign),
            "blocked": benign_blocked,
            "items_blocked": sorted({o.item for o in benign if o.blocked}),
        },
        "hub_tallies": {
            "matched": figures.get("matched"),
            "blocked": figures.get("blocked"),
            "replay_blocked_since_activation": replay_blocked,
            "agree": figures.get("blocked") == replay_blocked,
        },
        "target": {
            "fraction_blocked": TARGET_BLOCKED,
            "benign_blocked": 0,
            "met": fraction is not None and fraction >= TARGET_BLOCKED and benign_blocked == 0,
        },
        "settles": log.settles,
        "wall_seconds": log.wall_seconds,
        "digest": digest(log),
    }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The headline figures, one per line, for a terminal."""
    minutes = summary["minutes"]
    reuploads = summary["reuploads"]
    after = reuploads["after_first_minute_of_sharing"]
    variants = summary["variants"]
    benign = summary["benign"]
    fraction = after["fraction_blocked"]
    lines = [
        f"stream: minutes {minutes['stream'][0]}-{minutes['stream'][1]} on member0",
        f"declared at minute {minutes['declared']}, active at minute {minutes['activated']} "
        f"({minutes['declared_to_active']} min later), first hash shared at minute "
        f"{minutes['first_hash']}",
        f"re-upload attempts: {reuploads['attempts']} "
        f"({reuploads['before_first_hash']} before the first hash)",
        f"blocked from the first minute after sharing: {after['blocked']} of {after['attempts']}"
        f" ({_percent(fraction, 2)})",
        "per hour: "
        + ", ".join(
            f"h{row['hour']} {_percent(row['fraction_blocked'], 1)}"
            for row in reuploads["per_hour"]
        ),
        f"variants at the hub: {json.dumps(variants['hub_variants_by_state'])}, "
        f"{variants['accepted_automatically']} accepted automatically, "
        f"{variants['responder_decisions']['accepted']} by responders, "
        f"{variants['submitted_after_user_reports']} submitted after user reports",
        f"items: {variants['items_uploaded']} uploaded, {variants['items_ever_blocked']} blocked "
        f"at least once",
        f"benign uploads: {benign['uploads']}, blocked: {benign['blocked']}",
        f"hub tallies agree with the replay: {'yes' if summary['hub_tallies']['agree'] else 'NO'}",
        f"target (>= 99% blocked, no benign blocked): "
        f"{'met' if summary['target']['met'] else 'NOT met'}",
        f"digest {summary['digest'][:16]}, {summary['settles']} settles, "
        f"{summary['wall_seconds']} s",
    ]
    return lines


def _percent(fraction: float | None, digits: int) -> str:
    return "-" if fraction is None else f"{100 * fraction:.{digits}f}%"
