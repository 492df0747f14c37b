"""Alembic, driven from code: bring a database to the newest schema, or say where it is.

No alembic.ini is needed; the configuration is built here and points at migrations/.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from fireline.domain import StorageError
from fireline.store.sql.engine import make_engine, normalise_url, reading, writing

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock held while migrating, so concurrent upgrades run one by one.
_MIGRATION_LOCK = zlib.crc32(b"fireline.migrate")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for fireline's migrations; env.py migrates ``connection`` if given.

    Without a connection, env.py reads the URL from the ``sqlalchemy.url`` main option.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest migration this version of fireline ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError("no migrations found", code="no_migrations")
    return head


def upgrade(url: str | URL) -> str:
    """Migrate the database at ``url`` to the newest schema; returns that revision.

    All migrations run in one transaction (SQLite and PostgreSQL both have transactional
    DDL), so a failure leaves the schema as it was. Concurrent callers queue: the SQLite
    write lock or a PostgreSQL advisory lock lets one migrate while the others wait.
    """
    engine = make_engine(url)
    try:
        with writing(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(conn), "head")
            except CommandError as exc:
                raise StorageError(f"cannot migrate the database: {exc}") from exc
            revision = _revision(conn)
    finally:
        engine.dispose()
    if revision is None:  # pragma: no cover - upgrade always stamps a revision
        raise StorageError("the migration did not record a revision")
    return revision


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at; None when it was never migrated.

    A SQLite file that does not exist is reported as not migrated, and not created.
    """
    if _sqlite_file_missing(normalise_url(url)):
        return None
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return _revision(conn)
    finally:
        engine.dispose()


def require_head(engine: Engine) -> None:
    """StorageError unless the schema behind ``engine`` is at the newest revision."""
    if _sqlite_file_missing(engine.url):
        current = None
    else:
        with reading(engine) as conn:
            current = _revision(conn)
    head = head_revision()
    if current != head:
        raise StorageError(
            f"the database schema is at revision {current or '(none)'} but this fireline "
            f"needs {head}: run `fireline db upgrade`",
            code="schema_out_of_date",
        )


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _sqlite_file_missing(url: URL) -> bool:
    # Connecting would create an empty file; a missing one is simply not migrated yet.
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return False
    path = url.database
    if not path or path == ":memory:":
        return False
    return not Path(path).exists()
