"""The SQL store: SQLAlchemy 2 on SQLite (WAL) or PostgreSQL, with Alembic migrations."""

from fireline.store.sql.engine import make_engine
from fireline.store.sql.migrate import current_revision, upgrade
from fireline.store.sql.store import SqlStore

__all__ = ["SqlStore", "current_revision", "make_engine", "upgrade"]
