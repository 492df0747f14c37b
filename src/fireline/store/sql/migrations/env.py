"""Alembic environment for fireline; run through fireline.store.sql.migrate, not a CLI.

migrate.upgrade hands over a connection already inside its transaction, and Alembic
migrates within it. Without one, a connection is opened from the ``sqlalchemy.url`` option.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

# Imported for their side effect: they declare their tables on Base.metadata.
from fireline.store.sql import (  # noqa: F401
    exchange_tables,
    incident_tables,
    order_tables,
    review_tables,
)
from fireline.store.sql.engine import make_engine, writing
from fireline.store.sql.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    run_migrations(given)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set the sqlalchemy.url option or pass a connection")
    engine = make_engine(url)
    try:
        with writing(engine) as connection:
            run_migrations(connection)
    finally:
        engine.dispose()
