"""``fireline incident``: declare and approve crisis incidents, share their hashes, review
their variants, watch them live and write their debrief.

The command line acts for this instance's own organisation (``FIRELINE_ORG_NAME``,
created on first use); ``--org`` records an act for another member organisation, such as
an approval given by phone: whoever can open the database has every right here.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fireline.bootstrap import Container
from fireline.cli.banks import LabelOption, _report_added
from fireline.cli.context import (
    ContentChoice,
    ContentTypeOption,
    JsonOption,
    cli_actor,
    container,
    fail_usage,
    parse_signal_options,
    read_content,
    stdout_console,
)
from fireline.cli.incident_output import (
    approvals_text,
    figures_grid,
    incident_details,
    incident_table,
    live_panel,
    staged_files,
    timeline_table,
    variant_table,
)
from fireline.cli.output import emit_json
from fireline.domain import InvalidInput, parse_labels
from fireline.domain.incidents import (
    ActivationType,
    Incident,
    IncidentState,
    Variant,
    VariantState,
)
from fireline.services.incident_report import Audience
from fireline.services.incident_views import (
    event_view,
    incident_view,
    proposal_view,
    variant_view,
)
from fireline.services.incidents import Actor
from fireline.services.views import signal_view
from fireline.sync.incidents import hub_client

app = typer.Typer(
    help="Crisis incidents: declare, approve, share hashes, review variants, debrief."
)

IncidentId = Annotated[
    int, typer.Argument(metavar="ID", help="The incident's id.", show_default=False)
]
VariantId = Annotated[
    int, typer.Argument(metavar="VARIANT_ID", help="The variant's id.", show_default=False)
]
OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Record the act for this member organisation (an approval given by phone); "
        "default: this instance's own (FIRELINE_ORG_NAME).",
        show_default=False,
    ),
]
NoteOption = Annotated[str, typer.Option("--note", help="A note kept in the timeline.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, kept with the decision.")]
SignalOption = Annotated[
    list[str] | None,
    typer.Option("--signal", help="A signal, TYPE:VALUE (e.g. pdq:<64 hex>). Repeatable."),
]


class OpenState(StrEnum):
    """The states ``incident state`` moves to (activation takes approvals)."""

    ACTIVE = IncidentState.ACTIVE.value
    MONITORING = IncidentState.MONITORING.value


def _acting(
    ctx: typer.Context,
    org: str | None,
    *,
    incident_id: int | None = None,
    variant_id: int | None = None,
) -> tuple[Container, Actor]:
    """The instance, and who acts: ``cli:<user>`` for ``org`` or this instance's own.

    The incident or variant acted on is looked up first, so that an unknown id is refused
    before this instance's organisation is created on first use: a refusal changes nothing.
    """
    instance = container(ctx)
    if incident_id is not None:
        instance.incidents.get(incident_id=incident_id)
    if variant_id is not None:
        instance.variants.get(variant_id=variant_id)
    if org is None:
        org = instance.orgs.ensure_instance(actor=cli_actor()).name
    return instance, Actor(name=cli_actor(), org=org)


def _at_hub(instance: Container, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Forward an act to the hub this member follows (``FIRELINE_INCIDENT_HUB``), signed
    with this instance's key; the hub acts as the organisation it names this peer."""
    hub = instance.settings.incident_hub
    assert hub is not None
    with hub_client(instance.exchange, hub) as client:
        return client.incident_call(method, path, body)


def _report_remote(view: dict[str, Any], verb: str, hub: str, *, as_json: bool) -> None:
    if as_json:
        emit_json(view)
    else:
        typer.echo(f"{verb} incident {view['id']} at {hub} ({view['activation']}): {view['state']}")


def _report_incident(incident: Incident, verb: str, *, as_json: bool) -> None:
    if as_json:
        emit_json(incident_view(incident))
        return
    line = f"{verb} incident {incident.id} ({incident.activation.value}): {incident.state.value}"
    if incident.state is IncidentState.PROPOSED:
        line += f", {approvals_text(incident)} approvals"
    elif incident.bank is not None and verb in ("declared", "approved"):
        line += f", sharing hashes in bank {incident.bank}"
    typer.echo(line)


def _report_variant(variant: Variant, verb: str, *, as_json: bool) -> None:
    if as_json:
        emit_json(variant_view(variant))
    else:
        typer.echo(f"{verb} variant {variant.id} of incident {variant.incident_id}")


@app.command("declare")
def declare(
    ctx: typer.Context,
    title: Annotated[
        str, typer.Argument(metavar="TITLE", help="What happened.", show_default=False)
    ],
    activation: Annotated[
        ActivationType,
        typer.Option(
            "--activation",
            help="perpetrator_content: the perpetrator's content spreads, its hashes are "
            "shared in the incident's bank; content: content about the attack spreads; "
            "awareness: members are told, nothing is shared.",
            case_sensitive=False,
            show_default=False,
        ),
    ],
    location: Annotated[str, typer.Option(help="Where it happened.")] = "",
    summary: Annotated[str, typer.Option(help="The situation, for responders.")] = "",
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Declare an incident: the declaring organisation's approval is its first.

    It becomes active once FIRELINE_INCIDENT_QUORUM organisations approved it. On a
    member instance (FIRELINE_INCIDENT_HUB set) it is declared at the hub.
    """
    hub = container(ctx).settings.incident_hub
    if hub is not None:
        body = {"title": title, "activation": activation.value, "location": location}
        view = _at_hub(container(ctx), "POST", "", {**body, "summary": summary})
        _report_remote(view, "declared", hub, as_json=as_json)
        return
    instance, actor = _acting(ctx, org)
    incident = instance.incidents.declare(
        title=title, activation=activation, actor=actor, location=location, summary=summary
    )
    _report_incident(incident, "declared", as_json=as_json)


@app.command("approve")
def approve(
    ctx: typer.Context, incident_id: IncidentId, org: OrgOption = None, as_json: JsonOption = False
) -> None:
    """Approve a proposed incident; the approval that completes the quorum activates it.

    On a member instance (FIRELINE_INCIDENT_HUB set) the approval is given at the hub.
    """
    hub = container(ctx).settings.incident_hub
    if hub is not None:
        view = _at_hub(container(ctx), "POST", f"/{incident_id}/approvals", {})
        _report_remote(view, "approved", hub, as_json=as_json)
        return
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    incident = instance.incidents.approve(incident_id=incident_id, actor=actor)
    _report_incident(incident, "approved", as_json=as_json)


@app.command("list")
def list_incidents(
    ctx: typer.Context,
    state: Annotated[
        list[IncidentState] | None,
        typer.Option(
            "--state", help="Only incidents in this state. Repeatable.", case_sensitive=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many at most.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List incidents (on a member instance, the hub's)."""
    instance = container(ctx)
    if instance.settings.incident_hub is not None:
        with hub_client(instance.exchange, instance.settings.incident_hub) as client:
            listed = client.incidents()["incidents"]
        wanted = {s.value for s in state or []}
        chosen = [i for i in listed if not wanted or i["state"] in wanted][:limit]
        for item in chosen:
            if as_json:
                emit_json(item)
            else:
                typer.echo(f"{item['id']}\t{item['state']}\t{item['activation']}\t{item['title']}")
        return
    incidents = instance.incidents.all(states=state or None, limit=limit)
    if as_json:
        for incident in incidents:
            emit_json(incident_view(incident))
    elif incidents:
        stdout_console().print(incident_table(incidents))
    else:
        typer.echo("no incidents" + (" in that state" if state else " yet"))


@app.command("show")
def show(ctx: typer.Context, incident_id: IncidentId, as_json: JsonOption = False) -> None:
    """Show an incident and its figures (time to activation, hashes, variants, matches)."""
    view = container(ctx).incident_reports.live(incident_id=incident_id)
    if as_json:
        emit_json({"incident": view["incident"], "figures": view["figures"]})
        return
    console = stdout_console()
    console.print(incident_details(view["incident"]))
    console.print(figures_grid(view["figures"]))


@app.command("timeline")
def timeline(
    ctx: typer.Context,
    incident_id: IncidentId,
    after: Annotated[int, typer.Option(min=0, help="Only events with seq above this.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many events at most.")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Show an incident's timeline, oldest first: every step, who took it, when."""
    incidents = container(ctx).incidents
    incidents.get(incident_id=incident_id)
    events = incidents.timeline(incident_id=incident_id, after=after, limit=limit)
    if as_json:
        for event in events:
            emit_json(event_view(event))
    elif events:
        stdout_console().print(timeline_table(events))
    else:
        typer.echo(f"no events after {after}")


@app.command("update")
def update(
    ctx: typer.Context,
    incident_id: IncidentId,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    location: Annotated[str | None, typer.Option(help="A new location.")] = None,
    summary: Annotated[str | None, typer.Option(help="A new situation summary.")] = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change an incident's title, location or summary (not once it is concluded)."""
    if title is None and location is None and summary is None:
        fail_usage("give at least one of --title, --location, --summary")
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    incident = instance.incidents.update(
        incident_id=incident_id, actor=actor, title=title, location=location, summary=summary
    )
    _report_incident(incident, "updated", as_json=as_json)


@app.command("state")
def change_state(
    ctx: typer.Context,
    incident_id: IncidentId,
    target: Annotated[
        OpenState,
        typer.Argument(metavar="STATE", help="monitoring or active.", case_sensitive=False),
    ],
    note: NoteOption = "",
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move an active incident to monitoring, or a monitored one back to active."""
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    incident = instance.incidents.change_state(
        incident_id=incident_id, state=IncidentState(target.value), actor=actor, note=note
    )
    _report_incident(incident, "moved", as_json=as_json)


@app.command("conclude")
def conclude(
    ctx: typer.Context,
    incident_id: IncidentId,
    note: NoteOption = "",
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Conclude an incident (or withdraw a proposed one): it takes no more hashes."""
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    incident = instance.incidents.conclude(incident_id=incident_id, actor=actor, note=note)
    _report_incident(incident, "concluded", as_json=as_json)


@app.command("submit")
def submit(
    ctx: typer.Context,
    incident_id: IncidentId,
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Files to hash and share.", show_default=False),
    ] = None,
    signal: SignalOption = None,
    label: LabelOption = None,
    note: Annotated[str, typer.Option(help="A note kept with every new entry.")] = "",
    content_type: ContentTypeOption = ContentChoice.AUTO,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hash files, or take raw signals, into an active incident's bank, shared at once.

    Every file and signal is checked first: if one is bad, nothing is stored.
    """
    instance = container(ctx)
    labels = parse_labels(label or [])
    signals = parse_signal_options(instance.registry, signal or [])
    paths = files or []
    if not paths and not signals:
        fail_usage("give at least one FILE or --signal TYPE:VALUE to submit")
    contents: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            data = read_content(path, max_bytes=instance.settings.max_upload_bytes)
        except InvalidInput as exc:
            raise type(exc)(f"{path}: {exc.message} (nothing was added)", code=exc.code) from None
        contents.append((str(path), data))
    hub = instance.settings.incident_hub
    if hub is not None:
        # A member hashes here and sends the hashes (never the content) to the hub.
        for _, data in contents:
            hashed = instance.hashing.hash_content(data, content_type=content_type.resolve())
            signals = [*signals, *hashed.signals]
        answer = _at_hub(
            instance,
            "POST",
            f"/{incident_id}/hashes",
            {"signals": [signal_view(s) for s in signals], "labels": list(labels)},
        )
        if as_json:
            emit_json(answer)
        else:
            added = sum(len(r["added"]) for r in answer["results"])
            typer.echo(
                f"submitted {len(signals)} signals to incident {incident_id} at {hub}: {added} new"
            )
        return
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    if contents:
        # Content first, on its own: the service banks signals before it hashes content,
        # and a file that cannot be hashed must leave nothing stored.
        try:
            results = instance.incidents.submit(
                incident_id=incident_id,
                actor=actor,
                contents=[data for _, data in contents],
                content_type=content_type.resolve(),
                labels=labels,
                note=note,
            )
        except InvalidInput as exc:
            raise type(exc)(f"{exc.message} (nothing was added)", code=exc.code) from None
        for (source, _), result in zip(contents, results, strict=True):
            _report_added(source, result, as_json=as_json)
    if signals:
        (result,) = instance.incidents.submit(
            incident_id=incident_id, actor=actor, signals=signals, labels=labels, note=note
        )
        _report_added("--signal", result, as_json=as_json)


@app.command("variants")
def variants(
    ctx: typer.Context,
    incident_id: IncidentId,
    state: Annotated[
        VariantState | None,
        typer.Option("--state", help="Only variants in this state.", case_sensitive=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List an incident's variants: uploads close to its content, proposed for its bank."""
    instance = container(ctx)
    instance.incidents.get(incident_id=incident_id)
    found = instance.variants.all(incident_id=incident_id, state=state)
    if as_json:
        for variant in found:
            emit_json(variant_view(variant))
    elif found:
        stdout_console().print(variant_table(found))
    else:
        typer.echo("no variants" + (f" {state.value}" if state else " yet"))


@app.command("propose")
def propose(
    ctx: typer.Context,
    incident_id: IncidentId,
    signal: SignalOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose hashes of one upload as a variant of an incident's content (no evidence).

    A proposal sharing a hash with (or near-identical to) a variant already proposed is
    folded into it.
    """
    instance = container(ctx)
    signals = parse_signal_options(instance.registry, signal or [])
    if not signals:
        fail_usage("give at least one --signal TYPE:VALUE to propose")
    if instance.settings.incident_hub is not None:
        answer = _at_hub(
            instance,
            "POST",
            f"/{incident_id}/variants",
            {"signals": [signal_view(s) for s in signals], "evidence": []},
        )
        if as_json:
            emit_json(answer)
        else:
            typer.echo(f"proposed to incident {incident_id}: {answer['outcome']}")
        return
    instance, actor = _acting(ctx, org, incident_id=incident_id)
    proposal = instance.variants.propose(incident_id=incident_id, signals=signals, actor=actor)
    if as_json:
        emit_json(proposal_view(proposal))
    elif proposal.variant is None:
        typer.echo(f"already banked in incident {incident_id}: nothing proposed")
    else:
        typer.echo(
            f"variant {proposal.variant.id} of incident {incident_id}: {proposal.outcome.value}"
        )


@app.command("accept")
def accept(
    ctx: typer.Context,
    variant_id: VariantId,
    reason: ReasonOption = "",
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept a proposed variant: its hashes join the incident's bank, shared at once."""
    instance, actor = _acting(ctx, org, variant_id=variant_id)
    variant = instance.variants.accept(variant_id=variant_id, actor=actor, reason=reason)
    _report_variant(variant, "accepted", as_json=as_json)


@app.command("reject")
def reject(
    ctx: typer.Context,
    variant_id: VariantId,
    reason: ReasonOption = "",
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a proposed variant (not the incident's content): nothing is shared."""
    instance, actor = _acting(ctx, org, variant_id=variant_id)
    variant = instance.variants.reject(variant_id=variant_id, actor=actor, reason=reason)
    _report_variant(variant, "rejected", as_json=as_json)


@app.command("live")
def live(ctx: typer.Context, incident_id: IncidentId, as_json: JsonOption = False) -> None:
    """Show an incident's live view: figures, matches and blocks per member and minute."""
    view = container(ctx).incident_reports.live(incident_id=incident_id)
    if as_json:
        emit_json(view)
    else:
        stdout_console().print(live_panel(view))


@app.command("report")
def report(
    ctx: typer.Context,
    incident_id: IncidentId,
    out: Annotated[
        Path,
        typer.Option("--out", help="The directory to write into.", show_default="."),
    ] = Path("."),
    audience: Annotated[
        Audience,
        typer.Option(
            help="members: organisations named; public: organisations pseudonymised, counts only.",
            case_sensitive=False,
        ),
    ] = Audience.MEMBERS,
    as_json: JsonOption = False,
) -> None:
    """Write the debrief report, incident-ID-debrief.html and .json, into a directory.

    A concluded incident is then marked debriefed. Neither file holds a hash value.
    """
    if not out.is_dir():
        raise InvalidInput(f"{out}: not a directory", code="file_unwritable")
    instance = container(ctx)
    # Marking a debrief needs no membership: the instance's own name, not created here.
    actor = Actor(name=cli_actor(), org=instance.settings.org_name)
    instance.incidents.get(incident_id=incident_id)
    paths = [out / f"incident-{incident_id}-debrief.{suffix}" for suffix in ("html", "json")]
    with staged_files(paths) as (html_file, json_file):
        debrief = instance.incident_reports.debrief(
            incident_id=incident_id, actor=actor, audience=audience
        )
        html_file.write(debrief.html)
        json_file.write(json.dumps(debrief.json, indent=2, sort_keys=True, ensure_ascii=False))
        json_file.write("\n")
    if as_json:
        emit_json({"html": str(paths[0]), "json": str(paths[1])})
    else:
        for path in paths:
            typer.echo(str(path))
