"""Benchmark: bulk import of PDQ signals into the SQL store, and how fast they become matchable.

For each backend (a SQLite file in a temporary folder; a fresh PostgreSQL database,
dropped at the end) it migrates the schema, builds a container, then times:

- ``import``: creating a bank and importing N random PDQ hashes as python-threatexchange
  lines (``pdq <hex>``) through ``services.interchange.import_lines``, one transaction;
- ``re-import``: the same lines again, every one a duplicate;
- ``stream``: iterating ``store.banks.active_signals("pdq")`` to the end;
- ``cold refresh``: ``Matcher.refresh()`` on a fresh matcher (the snapshot loaded into the
  index), then its first query (which builds the multi-index tables on large banks);
- ``add-to-matchable``: with a warm matcher, one new signal added through
  ``banks.add_signals``, then ``matcher.match_signals`` until it finds it; the median
  over the repetitions, with its two halves (the commit, the query that found it).

With ``--analyze`` the database gathers planner statistics right after the import
(untimed), as PostgreSQL's autovacuum would a minute or so later; without it, every
figure after the import is taken on a freshly loaded database.

Prints a table and writes JSON to ``bench/results/store_import.json``.

    python bench/store_import.py --signals 100000 --backends sqlite postgres

PostgreSQL: the server at ``FIRELINE_BENCH_POSTGRES_URL`` (default: local, user postgres,
trust auth), where the user may create databases.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from common import machine, random_hashes, write_report
from fireline.bootstrap import build, migrate
from fireline.domain import Signal
from fireline.services import Matcher
from fireline.services.interchange import ExchangeFormat, import_lines
from fireline.settings import Settings
from fireline.store.sql import SqlStore
from fireline.store.sql.engine import normalise_url

BANK = "bench"
RESULTS = Path(__file__).resolve().parent / "results" / "store_import.json"
POSTGRES_URL = os.environ.get(
    "FIRELINE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class BackendResult:
    backend: str
    server: str
    signals: int
    migrate_s: float
    import_s: float
    import_per_s: float
    added: int
    reimport_s: float
    reimport_per_s: float
    reimport_existing: int
    stream_s: float
    stream_per_s: float
    streamed: int
    cold_refresh_s: float
    first_query_ms: float
    add_repeats: int
    add_to_matchable_p50_ms: float
    add_to_matchable_p95_ms: float
    add_commit_p50_ms: float
    add_query_p50_ms: float
    add_all_found: bool


@contextmanager
def sqlite_database() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="fireline-bench-") as folder:
        url = f"sqlite:///{(Path(folder) / 'fireline.db').as_posix()}"
        yield url, f"SQLite {sqlite3.sqlite_version}"


@contextmanager
def postgres_database() -> Iterator[tuple[str, str]]:
    """A fresh, empty PostgreSQL database on the configured server, dropped afterwards."""
    server_url = normalise_url(POSTGRES_URL)
    name = f"fireline_bench_{uuid.uuid4().hex}"
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = server_url.set(database=name).render_as_string(hide_password=False)
            yield url, f"PostgreSQL {version}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


DATABASES = {"sqlite": sqlite_database, "postgres": postgres_database}


def run_backend(
    backend: str, *, signals: int, repeats: int, threshold: int, seed: int, analyze: bool
) -> BackendResult:
    rng = np.random.default_rng(seed)
    lines = [f"pdq {value}" for value in random_hashes(rng, signals)]
    with DATABASES[backend]() as (url, server):
        settings = Settings(database_url=url, pdq_threshold=threshold)
        started = time.perf_counter()
        migrate(settings)
        migrate_s = time.perf_counter() - started
        container = build(settings)
        try:
            started = time.perf_counter()
            container.banks.create(name=BANK)
            imported = import_lines(
                container.banks, bank=BANK, lines=lines, fmt=ExchangeFormat.THREATEXCHANGE
            )
            import_s = time.perf_counter() - started
            if analyze:
                # Planner statistics, as autovacuum (PostgreSQL) would gather them later.
                assert isinstance(container.store, SqlStore)
                with container.store.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))

            started = time.perf_counter()
            again = import_lines(
                container.banks, bank=BANK, lines=lines, fmt=ExchangeFormat.THREATEXCHANGE
            )
            reimport_s = time.perf_counter() - started

            started = time.perf_counter()
            streamed = sum(1 for _ in container.store.banks.active_signals("pdq"))
            stream_s = time.perf_counter() - started

            cold = Matcher(
                store=container.store.banks,
                registry=container.registry,
                hashing=container.hashing,
                pdq_threshold=threshold,
            )
            started = time.perf_counter()
            cold.refresh()
            cold_refresh_s = time.perf_counter() - started
            probe = [Signal("pdq", lines[0].split()[1])]
            started = time.perf_counter()
            cold.match_signals(probe)
            first_query_ms = (time.perf_counter() - started) * 1000

            # The container's own matcher, warmed up the same way before the clock starts.
            container.matcher.refresh()
            container.matcher.match_signals(probe)
            totals, commits, queries = [], [], []
            all_found = True
            for value in random_hashes(rng, repeats):
                signal = Signal("pdq", value)
                started = time.perf_counter()
                container.banks.add_signals(bank=BANK, signals=[signal])
                committed = time.perf_counter()
                found = False
                for _ in range(1000):
                    result = container.matcher.match_signals([signal])
                    if any(m.entry.value == value for m in result.matches):
                        found = True
                        break
                done = time.perf_counter()
                all_found = all_found and found
                totals.append(done - started)
                commits.append(committed - started)
                queries.append(done - committed)
        finally:
            container.close()

    return BackendResult(
        backend=backend,
        server=server,
        signals=signals,
        migrate_s=migrate_s,
        import_s=import_s,
        import_per_s=signals / import_s,
        added=imported.added,
        reimport_s=reimport_s,
        reimport_per_s=signals / reimport_s,
        reimport_existing=again.existing,
        stream_s=stream_s,
        stream_per_s=streamed / stream_s,
        streamed=streamed,
        cold_refresh_s=cold_refresh_s,
        first_query_ms=first_query_ms,
        add_repeats=repeats,
        add_to_matchable_p50_ms=statistics.median(totals) * 1000,
        add_to_matchable_p95_ms=float(np.percentile(totals, 95)) * 1000,
        add_commit_p50_ms=statistics.median(commits) * 1000,
        add_query_p50_ms=statistics.median(queries) * 1000,
        add_all_found=all_found,
    )


def print_table(results: Sequence[BackendResult]) -> None:
    header = (
        f"{'backend':>8} {'signals':>9} {'import s':>9} {'import/s':>9} "
        f"{'re-import s':>11} {'stream s':>9} {'stream/s':>10} {'cold refresh s':>14} "
        f"{'1st query ms':>12} {'add->match p50 ms':>17} {'commit ms':>9} {'query ms':>8} "
        f"{'found':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:>8} {r.signals:>9,} {r.import_s:>9.2f} {r.import_per_s:>9,.0f} "
            f"{r.reimport_s:>11.2f} {r.stream_s:>9.2f} {r.stream_per_s:>10,.0f} "
            f"{r.cold_refresh_s:>14.2f} {r.first_query_ms:>12.1f} "
            f"{r.add_to_matchable_p50_ms:>17.2f} {r.add_commit_p50_ms:>9.2f} "
            f"{r.add_query_p50_ms:>8.2f} {str(r.add_all_found).lower():>6}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=100_000, help="PDQ hashes to import")
    parser.add_argument(
        "--backends", nargs="+", choices=sorted(DATABASES), default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--repeats", type=int, default=50, help="add-to-matchable measurements per backend"
    )
    parser.add_argument("--threshold", type=int, default=31)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after the import (untimed), before everything else",
    )
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    results = []
    for backend in args.backends:
        print(f"{backend}: {args.signals:,} signals...", file=sys.stderr, flush=True)
        results.append(
            run_backend(
                backend,
                signals=args.signals,
                repeats=args.repeats,
                threshold=args.threshold,
                seed=args.seed,
                analyze=args.analyze,
            )
        )
    print_table(results)

    consistent = all(
        r.added == r.signals == r.reimport_existing and r.streamed == r.signals and r.add_all_found
        for r in results
    )
    report = {
        "benchmark": "store_import",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(sqlalchemy=sqlalchemy.__version__, sqlite=sqlite3.sqlite_version),
        "parameters": {
            "signals": args.signals,
            "repeats": args.repeats,
            "threshold": args.threshold,
            "seed": args.seed,
            "analyze_after_import": args.analyze,
            "format": "threatexchange lines 'pdq <hex>', random 256-bit hashes",
            "postgres_server": make_url(POSTGRES_URL).render_as_string(hide_password=True),
        },
        "results": [asdict(r) for r in results],
        "consistent": consistent,
    }
    write_report(args.output, report)
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
