"""``fireline exchange``: this instance's identity, peers, subscriptions, sync, status, verify."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fireline.cli.context import JsonOption, container, stdout_console
from fireline.cli.output import emit_json
from fireline.domain import ChainBroken, OpinionKind
from fireline.services.exchange_status import (
    identity_view,
    peer_view,
)
from fireline.services.exchange_status import (
    status as exchange_status,
)
from fireline.services.exchange_status import (
    verify as verify_chains,
)
from fireline.sync import sync_once

app = typer.Typer(help="Share banks with other instances: peers, subscriptions, sync, verify.")
peers_app = typer.Typer(help="Instances this one knows by their public keys.")
app.add_typer(peers_app, name="peers")

NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="The peer's name.", show_default=False)
]


@app.command("identity")
def identity(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show this instance's public key: give it to peers so they can admit it."""
    view = identity_view(container(ctx).exchange)
    if as_json:
        emit_json(view)
    else:
        typer.echo(f"{view['public_key']}  (fingerprint {view['fingerprint']}, org {view['org']})")


@peers_app.command("list")
def list_peers(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List known peers."""
    peers = container(ctx).exchange.peers()
    if as_json:
        for peer in peers:
            emit_json(peer_view(peer))
        return
    if not peers:
        typer.echo("no peers yet; add one with: fireline exchange peers add NAME --key KEY")
        return
    table = Table("name", "fingerprint", "member", "url", "status")
    for p in peers:
        table.add_row(
            p.name,
            p.fingerprint,
            "yes" if p.member else "no",
            p.url or "-",
            "active" if p.active else "revoked",
        )
    stdout_console().print(table)


@peers_app.command("add")
def add_peer(
    ctx: typer.Context,
    name: NameArg,
    key: Annotated[str, typer.Option("--key", help="The peer's public key (ed25519:...).")],
    url: Annotated[str | None, typer.Option(help="Where to reach it, to subscribe.")] = None,
    member: Annotated[
        bool,
        typer.Option(
            "--member",
            help="Admit it: it may read our shared banks' feeds "
            "and contribute to them (this instance acts as its hub).",
        ),
    ] = False,
) -> None:
    """Know another instance by its public key."""
    peer = container(ctx).exchange.add_peer(name=name, public_key=key, url=url, member=member)
    typer.echo(
        f"added peer {peer.name} (fingerprint {peer.fingerprint}"
        f"{', member' if peer.member else ''})"
    )


@peers_app.command("remove")
def remove_peer(ctx: typer.Context, name: NameArg) -> None:
    """Revoke a peer: its requests and batches are refused from now on."""
    peer = container(ctx).exchange.revoke_peer(name=name)
    typer.echo(f"revoked peer {peer.name}")


@app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    peer: NameArg,
    bank: Annotated[
        str, typer.Argument(metavar="BANK", help="The peer's bank.", show_default=False)
    ],
    into: Annotated[str | None, typer.Option(help="Local bank (default: BANK).")] = None,
) -> None:
    """Follow a peer's shared bank into a local one; what you bank there goes back to it."""
    exchange = container(ctx).exchange
    sub = exchange.subscribe(peer=peer, remote_bank=bank, bank=into)
    typer.echo(f"subscription {sub.id}: {sub.peer}/{sub.remote_bank} -> bank {sub.bank}")


@app.command("sync")
def sync(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Pull every subscription's new batches, apply them, send our contributions, once.

    Exits 7 when a peer could not be reached (what was applied stays applied).
    """
    exchange = container(ctx).exchange
    reports = sync_once(exchange, exchange.subscriptions())
    failed = False
    for r in reports:
        failed = failed or bool(r.errors)
        if as_json:
            emit_json(
                {
                    "subscription": r.subscription.id,
                    "peer": r.subscription.peer,
                    "applied": r.applied,
                    "sent": r.sent,
                    "errors": r.errors,
                }
            )
        else:
            line = (
                f"{r.subscription.peer}/{r.subscription.remote_bank}: applied {r.applied}, "
                f"sent {r.sent}"
            )
            typer.echo(line + (f"; error: {'; '.join(r.errors)}" if r.errors else ""))
    if failed:
        raise typer.Exit(7)


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show peers, subscriptions (cursor, last sync, last error) and shared feeds."""
    exchange = container(ctx).exchange
    view = exchange_status(exchange)
    if as_json:
        emit_json(view)
        return
    ident = view["identity"]
    typer.echo(f"this instance: {ident['public_key']} (fingerprint {ident['fingerprint']})")
    subs = Table(
        "id", "peer/bank", "local bank", "cursor", "sent", "unsent", "last sync", "last error"
    )
    for s in view["subscriptions"]:
        subs.add_row(
            str(s["id"]),
            f"{s['peer']}/{s['remote_bank']}",
            s["bank"],
            str(s["cursor"]),
            str(s["contributions"]),
            str(s["unsent"]),
            s["last_synced_at"] or "-",
            s["last_error"] or "-",
        )
    feeds = Table("shared bank", "batches", "head hash", "published")
    for f in view["feeds"]:
        feeds.add_row(f["bank"], str(f["seq"]), (f["hash"] or "-")[:16], f["published_at"] or "-")
    console = stdout_console()
    console.print(subs)
    console.print(feeds)
    typer.echo(f"{len(view['peers'])} peers")


@app.command("verify")
def verify(
    ctx: typer.Context,
    bank: Annotated[
        str, typer.Argument(metavar="BANK", help="The local bank.", show_default=False)
    ],
    as_json: JsonOption = False,
) -> None:
    """Re-check every chain of a bank: complete from the first batch, linked, signed.

    Exits 0 when all are intact, 10 at the first broken or tampered chain.
    """
    reports = verify_chains(container(ctx).exchange, bank=bank)
    for r in reports:
        if as_json:
            emit_json(
                {
                    "channel": r.channel,
                    "source": r.source,
                    "batches": r.batches,
                    "intact": r.intact,
                    "problem": r.problem,
                }
            )
        else:
            mark = "intact" if r.intact else f"BROKEN: {r.problem}"
            typer.echo(f"{r.source}: {r.batches} batches, {mark}")
    broken = [r for r in reports if not r.intact]
    if broken:
        raise ChainBroken(f"{len(broken)} of {len(reports)} chains of {bank!r} are not intact")
    if not as_json:
        typer.echo(f"{bank}: {len(reports)} chains intact")


@app.command("opine")
def opine(
    ctx: typer.Context,
    entry_id: Annotated[
        int, typer.Argument(metavar="ENTRY", help="The entry's id.", show_default=False)
    ],
    kind: Annotated[
        OpinionKind, typer.Argument(metavar="KIND", help="confirm, dispute or investigation_seed.")
    ],
    note: Annotated[str, typer.Option(help="Why (shared with the network).")] = "",
) -> None:
    """Record this organisation's opinion of an entry; it travels back to the contributor."""
    opinion = container(ctx).exchange.opine(entry_id=entry_id, kind=kind, note=note)
    typer.echo(f"recorded {opinion.kind.value} on entry {opinion.entry_id}")


__all__ = ["app"]
