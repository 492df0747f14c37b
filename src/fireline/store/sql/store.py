"""SqlStore: every store protocol on one SQLAlchemy engine."""

from __future__ import annotations

from sqlalchemy.engine import URL

from fireline.store.sql.audit import SqlAuditStore
from fireline.store.sql.banks import SqlBankStore
from fireline.store.sql.engine import make_engine
from fireline.store.sql.exchange import SqlExchangeStore
from fireline.store.sql.incidents import SqlIncidentStore
from fireline.store.sql.keys import SqlApiKeyStore
from fireline.store.sql.migrate import require_head
from fireline.store.sql.orders import SqlOrderStore
from fireline.store.sql.orgs import SqlOrganisationStore
from fireline.store.sql.review import SqlReviewStore
from fireline.store.sql.watches import SqlWatchStore


class SqlStore:
    """The whole store in SQLite or PostgreSQL.

    The schema must already be at the newest migration (``fireline db upgrade``);
    otherwise construction raises StorageError and nothing is written.
    """

    def __init__(self, url: str | URL) -> None:
        self.engine = make_engine(url)
        try:
            require_head(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self.banks = SqlBankStore(self.engine)
        self.keys = SqlApiKeyStore(self.engine)
        self.watches = SqlWatchStore(self.engine)
        self.orgs = SqlOrganisationStore(self.engine)
        self.audit = SqlAuditStore(self.engine)
        self.exchange = SqlExchangeStore(self.engine)
        self.incidents = SqlIncidentStore(self.engine)
        self.review = SqlReviewStore(self.engine)
        self.orders = SqlOrderStore(self.engine)

    def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        self.engine.dispose()
