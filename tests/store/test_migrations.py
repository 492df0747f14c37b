"""Alembic migrations and engine setup, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from fireline.domain import StorageError
from fireline.store.sql import SqlStore, current_revision, make_engine, upgrade
from fireline.store.sql.engine import writing
from fireline.store.sql.migrate import alembic_config, head_revision
from fireline.store.sql.tables import Base

TABLES = {
    "alembic_version",
    "api_keys",
    "audit_records",
    "banks",
    "entries",
    "entry_changes",
    "exchange_batches",
    "incident_events",
    "incident_tallies",
    "incident_variant_signals",
    "incident_variants",
    "incidents",
    "instance_identity",
    "opinions",
    "order_proceedings",
    "organisations",
    "peers",
    "preservation_holds",
    "removal_orders",
    "review_appeals",
    "review_cases",
    "review_decisions",
    "review_exposures",
    "subscriptions",
    "user_notices",
    "watch_events",
    "watches",
}


def test_upgrade_reaches_head_and_is_idempotent(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert upgrade(database_url) == head_revision()
    assert upgrade(database_url) == head_revision()
    assert current_revision(database_url) == head_revision()
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back_again(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with writing(engine) as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert current_revision(database_url) is None
    assert upgrade(database_url) == head_revision()


def test_concurrent_upgrades_all_reach_head(database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(pool.map(lambda _: upgrade(database_url), range(4)))
    assert revisions == [head_revision()] * 4
    store = SqlStore(database_url)
    store.close()


def test_sql_store_refuses_an_unmigrated_database(database_url: str) -> None:
    with pytest.raises(StorageError, match="run `fireline db upgrade`") as raised:
        SqlStore(database_url)
    assert raised.value.code == "schema_out_of_date"


def test_a_missing_sqlite_file_is_not_created_by_reading_its_revision(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    url = f"sqlite:///{path.as_posix()}"
    assert current_revision(url) is None
    with pytest.raises(StorageError, match="fireline db upgrade"):
        SqlStore(url)
    assert not path.exists()


PRAGMAS = [
    ("journal_mode", "wal"),
    ("synchronous", 2),
    ("foreign_keys", 1),
    ("busy_timeout", 10000),
]


@pytest.mark.parametrize(("pragma", "expected"), PRAGMAS)
def test_sqlite_connections_are_durable_wal_with_foreign_keys(
    sqlite_url: str, pragma: str, expected: object
) -> None:
    upgrade(sqlite_url)
    store = SqlStore(sqlite_url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
    finally:
        store.close()


URLS = [
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ("sqlite:///x.db", "sqlite"),
]


@pytest.mark.parametrize(("url", "driver"), URLS)
def test_database_urls_are_normalised(url: str, driver: str) -> None:
    engine = make_engine(url)  # connects lazily: no server needed
    try:
        assert engine.url.drivername == driver
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_database_urls_are_refused(url: str) -> None:
    with pytest.raises(StorageError) as raised:
        make_engine(url)
    assert raised.value.code == "bad_database_url"


def test_an_unreachable_server_is_a_storage_error() -> None:
    with pytest.raises(StorageError):
        SqlStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_a_connection_waits_for_a_writer_before_switching_a_fresh_file_to_wal(
    tmp_path: Path,
) -> None:
    # Switching to WAL takes an exclusive lock, for which SQLite does not call the busy
    # handler: while another process writes the new file in its first (rollback-journal)
    # transaction, the switch fails at once unless it is retried.
    path = tmp_path / "fresh.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE t (x INTEGER)")
    timer = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    timer.start()
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        timer.join()
        engine.dispose()
        writer.close()


def test_many_connections_opening_a_fresh_sqlite_file_at_once_all_get_wal(tmp_path: Path) -> None:
    # Switching a new file to WAL takes an exclusive lock for which SQLite does not wait;
    # every connection must still open (several processes start against one new file).
    for attempt in range(5):
        url = f"sqlite:///{(tmp_path / f'fresh{attempt}.db').as_posix()}"
        engines = [make_engine(url) for _ in range(8)]
        barrier = threading.Barrier(len(engines))

        def open_one(engine: Engine, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            with engine.connect() as conn:
                return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())

        try:
            with ThreadPoolExecutor(max_workers=len(engines)) as pool:
                modes = list(pool.map(open_one, engines))
        finally:
            for engine in engines:
                engine.dispose()
        assert modes == ["wal"] * len(engines)
