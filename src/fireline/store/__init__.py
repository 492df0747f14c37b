"""Storage: narrow protocols, an in-memory twin and the SQL implementation (store.sql)."""

from fireline.store.interfaces import ApiKeyStore, BankStore, Store, WatchStore
from fireline.store.memory import MemoryStore

__all__ = ["ApiKeyStore", "BankStore", "MemoryStore", "Store", "WatchStore"]
