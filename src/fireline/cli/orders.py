"""``fireline order`` and ``fireline notice``: EU TCO removal orders, holds, notices and the
review proceedings brought against orders.

The command line acts as ``cli:<login name>``: whoever can open the database has every
right here. Listing orders escalates the due ones first, as the API does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from fireline.cli.context import JsonOption, cli_actor, container, read_content, stdout_console
from fireline.cli.output import emit_json
from fireline.domain import InvalidInput
from fireline.domain.orders import HoldState, NoticeKind, OrderState, RemovalOrder
from fireline.domain.proceedings import ProceedingOutcome, ProceedingParty
from fireline.services.order_views import (
    hold_view,
    notice_view,
    order_file_view,
    order_view,
    proceeding_view,
)

app = typer.Typer(help="EU TCO removal orders (one-hour clock), preservation holds, purges.")
notice_app = typer.Typer(help="Notices to users whose content was removed, blocked or restored.")

LimitOption = Annotated[int, typer.Option(min=1, max=1000, help="How many at most.")]


def _time(text: str, *, what: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{what} {text!r} is not an ISO 8601 time (2026-03-15T14:00:00+00:00)",
            code="invalid_time",
        ) from None


def order_table(orders: list[RemovalOrder], *, at: datetime) -> Table:
    table = Table("id", "state", "authority", "reference", "deadline", "minutes left", "case")
    for order in orders:
        left = order.minutes_left(at) if order.is_open else None
        table.add_row(
            Text(str(order.id)),
            Text(order.state.value + (" (escalated)" if order.escalated else "")),
            Text(order.authority),
            Text(order.reference),
            Text(order.deadline.strftime("%Y-%m-%d %H:%M:%S %Z")),
            Text("" if left is None else f"{left:.1f}"),
            Text("" if order.case_id is None else str(order.case_id)),
        )
    return table


@app.command("receive")
def receive(
    ctx: typer.Context,
    authority: Annotated[str, typer.Option(help="The issuing competent authority.")],
    reference: Annotated[str, typer.Option(help="The authority's order number.")],
    content_ref: Annotated[str, typer.Option("--content-ref", help="The platform's content id.")],
    reason: Annotated[str, typer.Option(help="The order's statement of reasons.")],
    content_url: Annotated[str | None, typer.Option(help="Where the content was shown.")] = None,
    uploader: Annotated[str, typer.Option(help="The platform's id of the poster.")] = "",
    withhold_notice_days: Annotated[
        int, typer.Option(help="Days the uploader's notice is withheld (0-42).")
    ] = 0,
    received_at: Annotated[
        str | None, typer.Option(help="When the order arrived, ISO 8601 with a zone (now).")
    ] = None,
    media: Annotated[
        Path | None, typer.Option(help="The content, kept as the case's evidence.")
    ] = None,
) -> None:
    """Record a removal order: its one-hour clock starts and a review case opens."""
    built = container(ctx)
    data = None
    if media is not None:
        data = read_content(media, max_bytes=built.settings.max_upload_bytes)
    order = built.orders.receive(
        authority=authority,
        reference=reference,
        content_ref=content_ref,
        reason=reason,
        content_url=content_url,
        uploader=uploader,
        withhold_notice_days=withhold_notice_days,
        received_at=None if received_at is None else _time(received_at, what="--received-at"),
        media=data,
        actor=cli_actor(),
    )
    typer.echo(f"order {order.id} received: due {order.deadline.isoformat()}, case {order.case_id}")


@app.command("list")
def list_orders(
    ctx: typer.Context,
    state: Annotated[OrderState | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open orders past their deadline.")] = False,
    after: Annotated[int, typer.Option(min=0, help="Only orders with a larger id.")] = 0,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Orders oldest first, after escalating the due ones."""
    orders = container(ctx).orders
    orders.escalate_due(actor=cli_actor())
    found = orders.list_orders(state=state, overdue=overdue, after=after, limit=limit)
    at = orders.now()
    if as_json:
        for order in found:
            emit_json(order_view(order, at=at))
    elif found:
        stdout_console().print(order_table(found, at=at))
    else:
        typer.echo("no orders")


@app.command("show")
def show(ctx: typer.Context, order_id: int) -> None:
    """An order with its holds and notices, as JSON."""
    orders = container(ctx).orders
    emit_json(order_file_view(orders.file(order_id), at=orders.now()))


@app.command("comply")
def comply(
    ctx: typer.Context,
    order_id: int,
    confirmation: Annotated[str, typer.Option(help="What the authority was told.")],
) -> None:
    """Record that the content was removed and the authority told (holds the evidence,
    notifies the uploader)."""
    order = container(ctx).orders.comply(order_id, confirmation=confirmation, actor=cli_actor())
    late = "within the deadline" if order.within_deadline else "AFTER the deadline"
    typer.echo(f"order {order.id}: complied in {order.seconds_to_comply:.0f} s, {late}")


@app.command("refuse")
def refuse(
    ctx: typer.Context,
    order_id: int,
    state: Annotated[
        OrderState, typer.Option(help="refused (manifest errors) or impossible (force majeure).")
    ],
    justification: Annotated[str, typer.Option(help="Why, as the authority is told.")],
) -> None:
    """Close an order without complying."""
    order = container(ctx).orders.refuse(
        order_id, state=state, justification=justification, actor=cli_actor()
    )
    typer.echo(f"order {order.id}: {order.state}")


@app.command("proceeding")
def proceeding(
    ctx: typer.Context,
    order_id: int,
    party: Annotated[
        ProceedingParty, typer.Option(help="Who brought it: the platform or the uploader.")
    ],
    body: Annotated[str, typer.Option(help="The court or authority it is before.")],
    reference: Annotated[str, typer.Option(help="The body's case number.")],
    brought_at: Annotated[
        str | None, typer.Option(help="When it was brought, ISO 8601 with a zone (now).")
    ] = None,
) -> None:
    """Record an administrative or judicial review proceeding brought against an order."""
    done = container(ctx).proceedings.bring(
        order_id,
        party=party,
        body=body,
        reference=reference,
        brought_at=None if brought_at is None else _time(brought_at, what="--brought-at"),
        actor=cli_actor(),
    )
    typer.echo(f"proceeding {done.id} brought against order {order_id} by the {party}")


@app.command("decide-proceeding")
def decide_proceeding(
    ctx: typer.Context,
    proceeding_id: int,
    outcome: Annotated[
        ProceedingOutcome, typer.Option(help="What became of the order: upheld, annulled, varied.")
    ],
    reinstate: Annotated[
        bool, typer.Option(help="The content must be reinstated (annulled or varied only).")
    ] = False,
    decided_at: Annotated[
        str | None, typer.Option(help="When the body decided, ISO 8601 with a zone (now).")
    ] = None,
) -> None:
    """Record a proceeding's outcome; --reinstate restores the order's content."""
    done = container(ctx).proceedings.decide(
        proceeding_id,
        outcome=outcome,
        reinstatement_required=reinstate,
        decided_at=None if decided_at is None else _time(decided_at, what="--decided-at"),
        actor=cli_actor(),
    )
    reinstated = ", content reinstated" if done.reinstatement_required else ""
    typer.echo(f"proceeding {done.id}: order {done.outcome}{reinstated}")


@app.command("proceedings")
def proceedings(
    ctx: typer.Context,
    order_id: int,
    after: Annotated[int, typer.Option(min=0)] = 0,
    limit: LimitOption = 100,
) -> None:
    """An order's review proceedings oldest first, one JSON object per line."""
    for found in container(ctx).proceedings.of_order(order_id, after=after, limit=limit):
        emit_json(proceeding_view(found))


@app.command("holds")
def holds(
    ctx: typer.Context,
    state: Annotated[HoldState | None, typer.Option(help="Only this state.")] = None,
    after: Annotated[int, typer.Option(min=0)] = 0,
    limit: LimitOption = 100,
) -> None:
    """Preservation holds oldest first, one JSON object per line."""
    for hold in container(ctx).holds.list_holds(state=state, after=after, limit=limit):
        emit_json(hold_view(hold))


@app.command("preserve")
def preserve(ctx: typer.Context, case_id: int) -> None:
    """Keep a case's evidence under a preservation hold (its live hold, if it has one)."""
    hold = container(ctx).holds.preserve_case(case_id, actor=cli_actor())
    typer.echo(f"hold {hold.id}: case {case_id} kept until {hold.expires_at.isoformat()}")


@app.command("extend")
def extend(
    ctx: typer.Context,
    hold_id: int,
    until: Annotated[str, typer.Option(help="ISO 8601 time with a zone, later than now.")],
    reason: Annotated[str, typer.Option(help="The authority's request.")],
) -> None:
    """Keep a hold's evidence longer, at an authority's request."""
    hold = container(ctx).holds.extend(
        hold_id, until=_time(until, what="--until"), reason=reason, actor=cli_actor()
    )
    typer.echo(f"hold {hold.id}: kept until {hold.expires_at.isoformat()}")


@app.command("release")
def release(
    ctx: typer.Context,
    hold_id: int,
    reason: Annotated[str, typer.Option(help="Why the evidence is no longer kept.")],
) -> None:
    """End a case's hold now: its media are deleted unless something else still holds them."""
    hold = container(ctx).holds.release(hold_id, reason=reason, actor=cli_actor())
    typer.echo(f"hold {hold.id}: released")


@app.command("purge")
def purge(ctx: typer.Context) -> None:
    """Purge expired holds: delete their media unless something else still holds them."""
    done = container(ctx).holds.purge_expired(actor=cli_actor())
    typer.echo(f"{len(done)} holds purged")


@notice_app.command("list")
def list_notices(
    ctx: typer.Context,
    order: Annotated[int | None, typer.Option(min=1, help="Only this order's.")] = None,
    case: Annotated[int | None, typer.Option(min=1, help="Only this case's.")] = None,
    ready: Annotated[bool, typer.Option(help="Only those deliverable now.")] = False,
    after: Annotated[int, typer.Option(min=0)] = 0,
    limit: LimitOption = 100,
) -> None:
    """Notices oldest first, one JSON object per line."""
    found = container(ctx).notices.list_notices(
        order_id=order, case_id=case, ready=ready, after=after, limit=limit
    )
    for notice in found:
        emit_json(notice_view(notice))


@notice_app.command("send")
def send(
    ctx: typer.Context,
    kind: Annotated[NoticeKind, typer.Option(help="removed, restored or blocked.")],
    content_ref: Annotated[str, typer.Option("--content-ref", help="The platform's content id.")],
    reason: Annotated[str, typer.Option(help="What the user is told.")],
    uploader: Annotated[str, typer.Option(help="The platform's id of the user.")] = "",
    order: Annotated[int | None, typer.Option(help="The order it follows.")] = None,
    case: Annotated[int | None, typer.Option(help="The case it follows.")] = None,
    withhold_days: Annotated[int, typer.Option(help="Days it is withheld (0-42).")] = 0,
) -> None:
    """Record a notice to a user (name its --order or its --case)."""
    notice = container(ctx).notices.send(
        kind=kind,
        content_ref=content_ref,
        uploader=uploader,
        reason=reason,
        order_id=order,
        case_id=case,
        withhold_days=withhold_days,
        actor=cli_actor(),
    )
    held = f", withheld until {notice.withheld_until.isoformat()}" if notice.withheld_until else ""
    typer.echo(f"notice {notice.id} recorded{held}")
