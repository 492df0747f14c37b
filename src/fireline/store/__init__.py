"""Storage: narrow protocols, an in-memory twin and the SQL implementation (store.sql)."""

from fireline.store.exchange_interface import ExchangeStore, ReceivedEvent
from fireline.store.incident_interface import IncidentStore
from fireline.store.interfaces import (
    ApiKeyStore,
    AuditStore,
    BankStore,
    OrganisationStore,
    Store,
    WatchStore,
)
from fireline.store.memory import MemoryStore
from fireline.store.order_interface import OrderStore
from fireline.store.review_interface import ReviewStore

__all__ = [
    "ApiKeyStore",
    "AuditStore",
    "BankStore",
    "ExchangeStore",
    "IncidentStore",
    "ReceivedEvent",
    "MemoryStore",
    "OrderStore",
    "OrganisationStore",
    "ReviewStore",
    "Store",
    "WatchStore",
]
