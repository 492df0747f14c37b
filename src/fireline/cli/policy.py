"""``fireline policy``: check a policy file, show the policy in force."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fireline.cli.context import JsonOption, settings
from fireline.cli.output import emit_json
from fireline.domain.policy import Policy
from fireline.services.policy import load_policy

app = typer.Typer(help="Check policy files and show the policy in force.")


def policy_to_json(policy: Policy) -> dict[str, Any]:
    """The policy as plain JSON: what the file says, with every default filled in."""
    return {
        "negative_banks": sorted(policy.negative_banks),
        "default_actions": [a.value for a in policy.default_actions],
        "exempt": sorted(c.value for c in policy.exempt),
        "flood": {
            "multiple": policy.flood.multiple,
            "window_seconds": policy.flood.window_seconds,
            "baseline_windows": policy.flood.baseline_windows,
            "min_matches": policy.flood.min_matches,
            "incident_exempt": policy.flood.incident_exempt,
        },
        "rules": [
            {
                "name": rule.name,
                "actions": [a.value for a in rule.actions],
                "signal_types": sorted(rule.signal_types),
                "max_distance": rule.max_distance,
                "labels": sorted(rule.labels),
                "banks": sorted(rule.banks),
                "incident": rule.incident,
                "contexts": sorted(rule.contexts),
            }
            for rule in policy.rules
        ],
    }


@app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="The policy file (TOML) to check.")],
    as_json: JsonOption = False,
) -> None:
    """Validate a policy file; exit 3 naming the line and the reason when it is wrong."""
    policy = load_policy(path)
    if as_json:
        emit_json(policy_to_json(policy))
        return
    typer.echo(
        f"{path}: valid, {len(policy.rules)} rules, "
        f"{len(policy.negative_banks)} negative banks, "
        f"default {', '.join(a.value for a in policy.default_actions)}"
    )


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the policy in force (FIRELINE_POLICY_FILE, or the shipped default) as JSON."""
    emit_json(policy_to_json(load_policy(settings(ctx).policy_file)))
