"""The composition root: settings in, a wired instance out. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fireline.domain import NotFound
from fireline.domain.incidents import IncidentState
from fireline.live import SourcePolicy, WatchRunner
from fireline.live.webhook import WebhookSink
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
from fireline.services.exchange_events import uid_of
from fireline.services.following import WatchSettings
from fireline.services.holds import HoldService
from fireline.services.incident_report import IncidentReports
from fireline.services.incident_variants import (
    Harvester,
    HarvestSink,
    LocalSink,
    VariantRules,
    VariantService,
)
from fireline.services.incidents import IncidentService, Notify
from fireline.services.notices import NoticeService
from fireline.services.orders import OrderService
from fireline.services.policy import PolicyService, load_policy
from fireline.services.proceedings import ProceedingService
from fireline.services.review import ReviewService
from fireline.services.screening import ScreeningService
from fireline.services.transparency import TransparencyReports
from fireline.services.watches import WatchService
from fireline.settings import MEMORY_URL, Settings
from fireline.signals import IndexKind, MediaLimits, SignalRegistry
from fireline.store import MemoryStore, Store
from fireline.store.evidence import EvidenceStore, FileEvidence, MemoryEvidence
from fireline.sync.incidents import HubIncidents


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
    incidents: IncidentService
    variants: VariantService
    #: Watches this instance's match results for variants of active incidents.
    harvester: Harvester
    incident_reports: IncidentReports
    #: Incident webhooks: delivered from threads of their own, drained on close.
    webhooks: list[WebhookSink]
    #: The policy rules in force, with flood control's counts.
    policy: PolicyService
    #: Cases, the review queue and appeals.
    review: ReviewService
    #: Uploads screened against the banks and the policy.
    screening: ScreeningService
    #: The media cases hold, kept on this instance only.
    evidence: EvidenceStore
    #: Removal orders and their one-hour clock (EU TCO 2021/784).
    orders: OrderService
    #: Preservation holds on evidence: six months, then purged.
    holds: HoldService
    #: Notices to users whose content was removed, blocked or restored.
    notices: NoticeService
    #: Administrative or judicial review proceedings against removal orders.
    proceedings: ProceedingService
    #: Transparency reports and the EU TCO Article 7 report, from the audit log.
    transparency: TransparencyReports

    def close(self) -> None:
        self.watch_runner.stop_all()
        for sink in self.webhooks:
            sink.close()
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


def hashing_service(settings: Settings, registry: SignalRegistry | None = None) -> HashingService:
    """The hashing an instance with these settings does (what ``build`` wires in)."""
    return HashingService(
        registry=registry or SignalRegistry.from_entry_points(),
        limits=MediaLimits(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            max_duration_s=settings.max_video_seconds,
            max_decode_s=settings.max_decode_seconds,
            max_pages=settings.max_document_pages,
            max_text_chars=settings.max_text_chars,
        ),
        video_frames_per_second=settings.video_frames_per_second,
    )


def build(settings: Settings | None = None, *, store: Store | None = None) -> Container:
    """Wire stores, registry and services from settings."""
    settings = settings or Settings()
    # A policy file that does not parse stops the start before anything is opened.
    policy = load_policy(settings.policy_file)
    store = store or open_store(settings)
    registry = SignalRegistry.from_entry_points()
    hashing = hashing_service(settings, registry)
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
    banks = BankService(
        store=store.banks,
        registry=registry,
        hashing=hashing,
        audit=audit,
        instance_org=settings.org_name,
    )
    exchange = ExchangeService(
        store=store.exchange,
        banks=store.banks,
        registry=registry,
        org=settings.org_name,
        max_batch_bytes=settings.exchange_max_batch_bytes,
        bell=bell,
        audit=lambda action, subject, detail: audit.record(
            actor="exchange", action=action, subject=subject, detail=detail
        ),
    )

    def is_member(org: str) -> bool:
        """This instance's own organisation, another of its organisations, or a member
        peer (a hub's members)."""
        if org == settings.org_name:
            return True
        try:
            store.orgs.get_org(org)
            return True
        except NotFound:
            pass
        try:
            peer = store.exchange.get_peer(org)
        except NotFound:
            return False
        return peer.member and peer.revoked_at is None

    webhooks = incident_webhooks(settings)
    incidents = IncidentService(
        store=store.incidents,
        banks=banks,
        audit=audit,
        quorum=settings.incident_quorum,
        is_member=is_member,
        bell=bell,
        notify=incident_notifier(webhooks),
    )
    variants = VariantService(
        incidents=incidents,
        store=store.incidents,
        registry=registry,
        rules=VariantRules(
            fold_distance=settings.incident_fold_distance,
            auto_accept_matches=settings.incident_auto_accept_matches,
            auto_accept_orgs=settings.incident_auto_accept_orgs,
        ),
    )
    sink: HarvestSink
    if settings.incident_hub:
        sink = HubIncidents(
            exchange=exchange, hub=settings.incident_hub, bank_ids=lambda n: _bank_ids(store, n)
        )
    else:
        sink = LocalSink(
            variants=variants, org=settings.org_name, bank_ids=lambda n: _bank_ids(store, n)
        )
    harvester = Harvester(
        sink=sink,
        org=settings.org_name,
        uid_of=lambda entry: uid_of(entry, exchange.key.fingerprint),
        fold_distance=settings.incident_fold_distance,
        clock=incidents.clock,
    )
    matcher.candidate_banks = harvester.candidate_banks
    matcher.candidate_distance = candidate_distances(registry, settings)
    matcher.observers.append(harvester.observe)
    policy_service = PolicyService(
        policy, incident_of_bank=lambda bank: _active_incident(store, bank)
    )
    review = ReviewService(
        store=store.review,
        audit=audit,
        opine=exchange.opine,
        appeal_window=timedelta(days=settings.appeal_window_days),
    )
    evidence = evidence_store(settings)
    hooks_policy = SourcePolicy(allow_private_addresses=settings.watch_allow_private_urls)
    order_webhooks = [WebhookSink(url, policy=hooks_policy) for url in settings.order_webhooks]
    holds = HoldService(
        store=store.orders,
        review=review,
        evidence=evidence,
        audit=audit,
        preservation=timedelta(days=settings.preservation_days),
    )
    notices = NoticeService(store=store.orders, review=review, audit=audit)
    orders = OrderService(
        store=store.orders,
        review=review,
        holds=holds,
        notices=notices,
        evidence=evidence,
        audit=audit,
        notify=incident_notifier(order_webhooks),
        deadline=timedelta(minutes=settings.order_deadline_minutes),
        escalate=timedelta(minutes=settings.order_escalate_minutes),
    )
    proceedings = ProceedingService(store=store.orders, review=review, audit=audit)
    return Container(
        settings=settings,
        store=store,
        registry=registry,
        hashing=hashing,
        banks=banks,
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
        exchange=exchange,
        bell=bell,
        incidents=incidents,
        variants=variants,
        harvester=harvester,
        webhooks=[*webhooks, *order_webhooks],
        incident_reports=IncidentReports(incidents=incidents, variants=variants, banks=store.banks),
        policy=policy_service,
        review=review,
        screening=ScreeningService(
            matcher=matcher,
            policy=policy_service,
            review=review,
            holds=holds,
            evidence=evidence,
            audit=audit,
        ),
        evidence=evidence,
        orders=orders,
        holds=holds,
        notices=notices,
        proceedings=proceedings,
        transparency=TransparencyReports(
            audit=audit, review=review, proceedings=proceedings, provider=settings.org_name
        ),
    )


#: Incident states in which an incident's bank holds its live content.
_RUNNING = frozenset({IncidentState.ACTIVE, IncidentState.MONITORING})


def evidence_store(settings: Settings) -> EvidenceStore:
    """Case media under ``<data_dir>/evidence``; in memory for a ``memory://`` instance."""
    if settings.resolved_database_url == MEMORY_URL:
        return MemoryEvidence()
    return FileEvidence(settings.data_dir / "evidence")


def _active_incident(store: Store, bank: str) -> int | None:
    """The id of the incident whose bank is ``bank``, while it is active or monitored."""
    incident = store.incidents.incident_by_bank(bank)
    if incident is None or incident.state not in _RUNNING:
        return None
    return incident.id


def _bank_ids(store: Store, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in names:
        try:
            found[name] = store.banks.get_bank(name).id
        except NotFound:
            continue
    return found


def candidate_distances(registry: SignalRegistry, settings: Settings) -> dict[str, int]:
    """The candidate distance of each signal type that has one (not the exact types)."""
    out: dict[str, int] = {}
    for kind in registry.types():
        if kind.index_kind is IndexKind.HAMMING:
            out[kind.name] = settings.incident_candidate_hamming
        elif kind.index_kind is IndexKind.SEGMENT:
            out[kind.name] = settings.incident_candidate_segment
    return out


def incident_webhooks(settings: Settings) -> list[WebhookSink]:
    """A sink per configured incident webhook (InvalidInput for a URL the policy refuses)."""
    policy = SourcePolicy(allow_private_addresses=settings.watch_allow_private_urls)
    return [WebhookSink(url, policy=policy) for url in settings.incident_webhooks]


def incident_notifier(sinks: list[WebhookSink]) -> Notify | None:
    """POSTs every incident step to the webhooks (None when there are none)."""
    if not sinks:
        return None

    def notify(event: Mapping[str, Any]) -> None:
        for sink in sinks:
            sink.deliver(event)

    return notify


def watch_settings(settings: Settings) -> WatchSettings:
    """The live limits watches run under, from settings."""
    return WatchSettings(
        stall_seconds=settings.watch_stall_seconds,
        window_seconds=settings.watch_window_seconds,
        frames_per_second=settings.watch_frames_per_second,
        max_pixels=settings.max_image_pixels,
        max_chunk_bytes=settings.max_upload_bytes,
    )
