"""Fixtures every test package may use."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

POSTGRES_ADMIN_URL = os.environ.get(
    "FIRELINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, EMPTY PostgreSQL database, dropped after the test.

    Nothing is migrated: call ``fireline.store.sql.upgrade(url)`` (or ``fireline db
    upgrade``) first. Each test gets its own database, so tests run in parallel under
    xdist. The server is ``FIRELINE_TEST_POSTGRES_URL`` (default: local, user postgres);
    when it is unreachable the test fails, it is never skipped.
    """
    admin_url = make_url(POSTGRES_ADMIN_URL)
    if admin_url.drivername in ("postgresql", "postgres"):
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"fireline_test_{uuid.uuid4().hex}"
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    problem = None
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        problem = str(getattr(exc, "orig", None) or exc).strip()
    if problem is not None:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is unreachable at {admin_url.render_as_string(hide_password=True)}: "
            f"{problem}\nStart it, or point FIRELINE_TEST_POSTGRES_URL at a server where "
            "this user may create databases.",
            pytrace=False,
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{(tmp_path / 'fireline.db').as_posix()}"
