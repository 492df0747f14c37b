"""The composition root: settings in, a wired instance out. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from fireline.live import SourcePolicy, WatchRunner
from fireline.services import (
    ApiKeyService,
    AuditLog,
    BankService,
    HashingService,
    Matcher,
    OrganisationService,
)
from fireline.services.bell import Bell, RingingAuditStore
from fireline.services.exchange import ExchangeService
from fireline.services.following import WatchSettings
from fireline.services.watches import WatchService
from fireline.settings import MEMORY_URL, Settings
from fireline.signals import MediaLimits, SignalRegistry
from fireline.store import MemoryStore, Store


@dataclass
class Container:
    """Everything a running instance uses, built once from settings."""

    settings: Settings
    store: Store
    registry: SignalRegistry
    hashing: HashingService
    banks: BankService
    matcher: Matcher
    keys: ApiKeyService
    orgs: OrganisationService
    #: The tamper-evident log every service records its changes in.
    audit: AuditLog
    watches: WatchService
    #: Runs watches started through the API in this process, under the server's policy.
    watch_runner: WatchRunner
    exchange: ExchangeService
    #: Rung after every recorded change: wakes the exchange's senders and push streams.
    bell: Bell

    def close(self) -> None:
        self.watch_runner.stop_all()
        self.store.close()


def open_store(settings: Settings) -> Store:
    """The store the settings name; a SQL store must already be migrated."""
    url = settings.resolved_database_url
    if url == MEMORY_URL:
        return MemoryStore()
    from fireline.store.sql import SqlStore

    return SqlStore(url)


def migrate(settings: Settings) -> str | None:
    """Bring the SQL schema to the newest revision; returns it (None for memory://)."""
    url = settings.resolved_database_url
    if url == MEMORY_URL:
        return None
    from fireline.store.sql import upgrade

    _make_sqlite_dir(url)
    return upgrade(url)


def schema_revision(settings: Settings) -> str | None:
    """The schema revision the SQL database is at (None: not migrated, or memory://)."""
    url = settings.resolved_database_url
    if url == MEMORY_URL:
        return None
    from fireline.store.sql import current_revision

    return current_revision(url)


def _make_sqlite_dir(url: str) -> None:
    """Create the folder a SQLite file lives in (not for `sqlite://` in memory)."""
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if url.startswith("sqlite:///") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def build(settings: Settings | None = None, *, store: Store | None = None) -> Container:
    """Wire stores, registry and services from settings."""
    settings = settings or Settings()
    store = store or open_store(settings)
    registry = SignalRegistry.from_entry_points()
    hashing = HashingService(
        registry=registry,
        limits=MediaLimits(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            max_duration_s=settings.max_video_seconds,
            max_decode_s=settings.max_decode_seconds,
        ),
        video_frames_per_second=settings.video_frames_per_second,
    )
    matcher = Matcher(
        store=store.banks,
        registry=registry,
        hashing=hashing,
        pdq_threshold=settings.pdq_threshold,
    )
    watches = WatchService(
        store=store.watches, banks=store.banks, matcher=matcher, settings=watch_settings(settings)
    )
    bell = Bell()
    audit = AuditLog(store=RingingAuditStore(store.audit, bell))
    matcher.disputed = (
        partial(store.exchange.disputed, min_orgs=settings.exchange_suppress_disputes)
        if settings.exchange_suppress_disputes
        else None
    )
    orgs = OrganisationService(store=store.orgs, audit=audit, instance_org=settings.org_name)
    return Container(
        settings=settings,
        store=store,
        registry=registry,
        hashing=hashing,
        banks=BankService(
            store=store.banks,
            registry=registry,
            hashing=hashing,
            audit=audit,
            instance_org=settings.org_name,
        ),
        matcher=matcher,
        keys=ApiKeyService(store=store.keys, orgs=orgs, audit=audit),
        orgs=orgs,
        audit=audit,
        watches=watches,
        watch_runner=WatchRunner(
            watches=watches,
            policy=SourcePolicy(
                allow_private_addresses=settings.watch_allow_private_urls,
                file_dir=settings.watch_file_dir,
            ),
            max_watches=settings.max_watches,
        ),
        exchange=ExchangeService(
            store=store.exchange,
            banks=store.banks,
            registry=registry,
            org=settings.org_name,
            max_batch_bytes=settings.exchange_max_batch_bytes,
            bell=bell,
            audit=lambda action, subject, detail: audit.record(
                actor="exchange", action=action, subject=subject, detail=detail
            ),
        ),
        bell=bell,
    )


def watch_settings(settings: Settings) -> WatchSettings:
    """The live limits watches run under, from settings."""
    return WatchSettings(
        stall_seconds=settings.watch_stall_seconds,
        window_seconds=settings.watch_window_seconds,
        frames_per_second=settings.watch_frames_per_second,
        max_pixels=settings.max_image_pixels,
        max_chunk_bytes=settings.max_upload_bytes,
    )
