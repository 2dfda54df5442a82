"""`archassist export --to sql`: the DDL of the flagship and three dev.json designs, executed twice on a real
PostgreSQL and then used the way services use it (append and read streams, snapshots, outbox claims, inbox
duplicates, idempotent read-model upserts, sagas under optimistic concurrency); structural checks without a
server; names that PostgreSQL accepts whatever the design calls things; the CLI and the MCP tool.

PostgreSQL comes from $ARCHASSIST_TEST_PG_DSN (CI starts a throwaway cluster, `.ci/run`), or from a cluster
these tests start themselves when `initdb` is found; otherwise the server tests skip with the reason (and fail
under ARCHASSIST_REQUIRE_EXTERNAL=1).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.export.base import export
from archassist.agent.export.sql_names import RESERVED_WORDS, Namespace, quote_ident, sanitise
from archassist.agent.export.sql_plan import ServicePlan, SqlPlan, plan_sql
from archassist.agent.model.design import Design
from archassist.agent.model.io import load_design, save_design
from archassist.agent.planner.compose import plan
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import ROOT, SHARED, require_external

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"
# Three briefs of ../shared/briefs/dev.json of different shapes: an event-sourced, hash-partitioned store with a
# ten-year audit trail; high-rate telemetry produced straight to the broker (no database, no saga); a booking
# flow whose saga can also end by expiry.
DEV_BRIEFS = {
    "loan-origination": "Consumer loan origination",
    "smart-meters": "Smart electricity meters",
    "concert-ticketing": "Concert ticketing",
}
FIXTURE_DESIGN = ROOT / "tests" / "fixtures" / "render_design.yaml"
runner = CliRunner()


def _dev_brief(prefix: str) -> str:
    briefs = json.loads((SHARED / "briefs" / "dev.json").read_text())
    return next(b["brief"] for b in briefs if b["brief"].startswith(prefix))


@pytest.fixture(scope="module")
def designs() -> dict[str, Design]:
    out = {"flagship": plan(FLAGSHIP).design}
    for key, prefix in DEV_BRIEFS.items():
        out[key] = plan(_dev_brief(prefix)).design
    # The loan design's store is hash-partitioned; the same store unpartitioned takes the other path.
    flat = out["loan-origination"].model_copy(deep=True)
    assert flat.event_store is not None
    flat.event_store.partitioning = "by aggregate_id"
    out["loan-unpartitioned"] = flat
    out["checkout-fixture"] = load_design(FIXTURE_DESIGN)
    return out


ALL = ["flagship", *DEV_BRIEFS, "loan-unpartitioned", "checkout-fixture"]


def _scripts(design: Design) -> dict[str, str]:
    return {a.path: a.content for a in export(design, "sql") if a.path.endswith(".sql")}


# ---- what the plan holds ------------------------------------------------------------------------------------


def test_flagship_plan(designs: dict[str, Design]) -> None:
    sql = plan_sql(designs["flagship"])
    outboxes = {s.service.name for s in sql.services if s.outbox}
    assert outboxes == {s.name for s in designs["flagship"].services if s.publishing == "outbox"}
    workflow = sql.service("order-workflow-service")
    [saga] = workflow.sagas
    assert [s.name for s in saga.sagas] == ["OrderSaga"] and saga.instances.name == "saga_instances"
    # the orchestrator publishes no events but sends its commands through its outbox
    assert workflow.outbox and {r[0] for r in workflow.outbox.routes} >= {"ReserveStock", "CapturePayment"}
    order = sql.service("order-service")
    history = next(p for p in order.projections if p.projection.name == "customer_order_history")
    assert history.key_columns == ("customer_id", "order_id")  # one row per order, looked up by customer
    summary = next(p for p in order.projections if p.projection.name == "order_summary")
    assert summary.key_columns == ("order_id",)
    assert any("stock_availability" in item and "redis" in item for item in sql.not_exported)
    assert all(s.event_store is None for s in sql.services)  # nothing is event-sourced in the flagship


def test_event_sourced_and_streaming_plans(designs: dict[str, Design]) -> None:
    loan = plan_sql(designs["loan-origination"])
    sourced = [s for s in loan.services if s.event_store]
    assert {s.service.name for s in sourced} == {
        s.name for s in designs["loan-origination"].services if s.publishing == "event_store"
    }
    store = sourced[0].event_store
    assert store is not None and store.hash_partitions == 16 and len(store.events.partitions) == 16
    assert store.events.primary_key == ("aggregate_id", "version")
    assert store.roles["payload"] == "data" and store.roles["event_version"] == "schema_version"
    flat = plan_sql(designs["loan-unpartitioned"]).services[0].event_store
    assert flat is not None and flat.events.primary_key == ("global_position",)
    assert ("aggregate_id", "version") in [u for _, u in flat.events.uniques]
    meters = plan_sql(designs["smart-meters"])
    reading = meters.service("reading-service")
    assert reading.empty and any(i.startswith("reading-service: no file") for i in meters.not_exported)
    assert "sql/reading-service.sql" not in _scripts(designs["smart-meters"])
    tickets = plan_sql(designs["concert-ticketing"]).service("seat-workflow-service")
    assert "expired" in tickets.sagas[0].states


# ---- well-formed without a server ---------------------------------------------------------------------------

_ALLOWED = re.compile(
    r"^(CREATE SCHEMA IF NOT EXISTS|CREATE TABLE IF NOT EXISTS|CREATE INDEX IF NOT EXISTS|"
    r"CREATE OR REPLACE FUNCTION|CREATE OR REPLACE TRIGGER|COMMENT ON (SCHEMA|TABLE)|INSERT INTO|DELETE FROM) "
)


def split_statements(script: str) -> list[str]:
    """Statements of a script, outside comments, string literals, quoted identifiers and dollar quotes."""
    statements, current, i = [], [], 0
    while i < len(script):
        char = script[i]
        if script.startswith("--", i):
            i = script.index("\n", i) if "\n" in script[i:] else len(script)
            continue
        if char in "'\"":
            end = i + 1
            while True:
                end = script.index(char, end)  # raises on an unterminated literal
                if script.startswith(char * 2, end):
                    end += 2
                    continue
                break
            current.append(script[i : end + 1])
            i = end + 1
            continue
        tag = re.match(r"\$[A-Za-z_]*\$", script[i:])
        if tag:
            end = script.index(tag.group(0), i + len(tag.group(0)))
            current.append(script[i : end + len(tag.group(0))])
            i = end + len(tag.group(0))
            continue
        if char == ";":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    assert not "".join(current).strip(), f"text after the last statement: {''.join(current)[:80]!r}"
    return statements


def _identifiers(plan: ServicePlan) -> list[str]:
    names = [plan.schema]
    for table in plan.tables():
        names += [table.name, table.primary_key_name, *(c.name for c in table.columns)]
        names += [n for n, _ in table.uniques] + [i.name for i in table.indexes] + [n for n, _ in table.partitions]
    if plan.event_store:
        names += [plan.event_store.append_only_function, plan.event_store.append_only_trigger]
    names += [i.purge_function for i in plan.inboxes]
    return names


@pytest.mark.parametrize("key", ALL)
def test_scripts_are_well_formed_and_idempotent_by_construction(designs: dict[str, Design], key: str) -> None:
    design = designs[key]
    scripts = _scripts(design)
    assert scripts, "every design here keeps something in PostgreSQL"
    sql = plan_sql(design)
    for service in sql.services:
        if service.empty:
            continue
        statements = split_statements(scripts[service.path])
        assert statements and all(_ALLOWED.match(s) for s in statements), [
            s[:60] for s in statements if not _ALLOWED.match(s)
        ]
        for statement in statements:
            assert statement.count("(") == statement.count(")"), statement[:80]
            if statement.startswith("INSERT INTO"):
                assert "ON CONFLICT" in statement  # reference rows are upserted, so a rerun changes nothing
        creates = [s for s in statements if s.startswith("CREATE TABLE")]
        assert len(creates) == sum(1 + len(t.partitions) for t in service.tables())
        names = _identifiers(service)
        assert all(len(n.encode()) <= 63 for n in names)
        relations = [t.name for t in service.tables()] + [i.name for t in service.tables() for i in t.indexes]
        relations += [t.primary_key_name for t in service.tables()] + [n for t in service.tables() for n, _ in t.uniques]
        relations += [n for t in service.tables() for n, _ in t.partitions]
        assert len(relations) == len(set(relations)), "two relations of one schema share a name"
    schemas = [s.schema for s in sql.services]
    assert len(schemas) == len(set(schemas))


# ---- names --------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=8))
def test_claimed_names_are_valid_distinct_and_short(wanted: list[str]) -> None:
    space = Namespace()
    names = [space.claim(w) for w in wanted]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name) and len(name.encode()) <= 63


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80).filter(lambda s: "\x00" not in s))
def test_quoted_identifiers_read_back(name: str) -> None:
    quoted = quote_ident(name)
    if quoted.startswith('"'):
        assert quoted[1:-1].replace('""', '"') == name
    else:
        assert quoted == name and name not in RESERVED_WORDS


def test_sanitise_examples() -> None:
    assert sanitise("order-service") == "order_service"
    assert sanitise("OrderSaga") == "order_saga"
    assert sanitise("Café Orders") == "cafe_orders"
    assert sanitise("42-things") == "t_42_things"
    assert sanitise("!!!") == "t_unnamed"
    long = "x" * 100
    space = Namespace()
    first, second = space.claim(long), space.claim(long)
    assert first != second and len(first) == 63 and len(second) <= 63


def _hostile_design() -> Design:
    long_name = "reservation-of-a-very-long-name-" * 3
    return Design.model_validate(
        {
            "name": "hostile names",
            "style": {"event_sourcing": True},
            "services": [
                {"name": "order", "aggregates": ["Order"], "database": "order-db", "publishing": "event_store"},
                {"name": "Order", "aggregates": ["Select"], "database": "o2", "publishing": "outbox",
                 "publishes": ["SelectMade"]},
                {"name": "pg_catalog", "database": "pgc", "publishing": "outbox"},
                {"name": "it's; DROP SCHEMA public; --", "database": "evil", "publishing": "outbox"},
            ],
            "aggregates": [
                {"name": "Order", "service": "order", "id_field": "order_id"},
                {"name": "Select", "service": "Order", "id_field": "user"},
            ],
            "events": [
                {"name": "SelectMade", "aggregate": "Select", "producer": "Order", "topic": "t",
                 "fields": [{"name": "user", "type": "uuid"}, {"name": "table", "type": "string"},
                            {"name": "where", "type": "integer"}, {"name": "Table", "type": "boolean"}]},
            ],
            "projections": [
                {"name": "select", "service": "Order", "key": "user", "source_events": ["SelectMade"]},
                {"name": long_name, "service": "Order", "key": "user", "source_events": ["SelectMade"]},
                {"name": long_name + "2", "service": "Order", "key": "user", "source_events": ["SelectMade"]},
            ],
            "consumers": [
                {"name": "c", "service": "it's; DROP SCHEMA public; --", "group": "it's a group",
                 "idempotency": {"strategy": "dedup_event_id", "ttl_days": 0.5}},
            ],
        }
    )  # fmt: skip


def test_hostile_names_are_sanitised_and_kept_apart() -> None:
    sql = plan_sql(_hostile_design())
    schemas = [s.schema for s in sql.services]
    assert schemas == ["order", "order_2", "s_pg_catalog", "it_s_drop_schema_public"]
    paths = [s.path for s in sql.services]
    assert len(set(paths)) == len(paths)
    order2 = sql.service("Order")
    tables = [p.table.name for p in order2.projections]
    assert tables[0] == "select" and len(set(tables)) == 3 and all(len(t) <= 63 for t in tables)
    columns = [c.name for c in order2.projections[0].table.columns]
    assert columns.count("table") == 1  # 'table' and 'Table' are one column name: the first one's type wins
    script = _scripts(_hostile_design())["sql/order-2.sql"]
    assert 'order_2."select"' in script and '"where"' in script


def test_bad_declared_column_types_and_uniques_are_one_line_errors(designs: dict[str, Design]) -> None:
    design = designs["loan-origination"].model_copy(deep=True)
    assert design.event_store is not None
    design.event_store.columns[-1].type = "jsonb); DROP TABLE x; --"
    with pytest.raises(InputError, match=r"event_store\.columns\.metadata: column type .* not a PostgreSQL type"):
        export(design, "sql")
    design = designs["loan-origination"].model_copy(deep=True)
    assert design.event_store is not None
    design.event_store.unique.append(["nope"])
    with pytest.raises(InputError, match="column 'nope' is not a column of the event store"):
        export(design, "sql")


# ---- a real PostgreSQL --------------------------------------------------------------------------------------


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        require_external("psycopg", "psycopg is not installed (pip install -e '.[test]')")
    return psycopg


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A PostgreSQL to create databases in: CI's, or a throwaway cluster on a unix socket of our own."""
    configured = os.environ.get("ARCHASSIST_TEST_PG_DSN")
    if configured:
        yield configured
        return
    binaries = _postgres_bin()
    if binaries is None:
        require_external("postgresql", "PostgreSQL server binaries (initdb) are not installed")
    assert binaries is not None
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="archassist-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root: run them as the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            require_external("postgresql", "running as root and there is no 'postgres' user to run the server")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run(
        [*prefix, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
         "start"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        yield f"host={folder} port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _fresh_database(dsn: str, name: str) -> str:
    psycopg = _psycopg()
    database = "t_" + re.sub(r"[^a-z0-9]+", "_", name.lower()) + "_" + uuid.uuid4().hex[:8]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info["dbname"] = database
    return str(psycopg.conninfo.make_conninfo(**info))


def _catalog(conn: Any, schemas: list[str]) -> list[tuple[Any, ...]]:
    """Everything the scripts create, as the catalog sees it: relations, columns, constraints, functions."""
    rows: list[tuple[Any, ...]] = conn.execute(
        """
        SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = ANY(%s) ORDER BY 1, 2, 4
        """,
        (schemas,),
    ).fetchall()
    rows += conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace::regnamespace::text = ANY(%s) ORDER BY 1, 2",
        (schemas,),
    ).fetchall()
    rows += conn.execute(
        "SELECT pronamespace::regnamespace::text, proname, prosrc FROM pg_proc "
        "WHERE pronamespace::regnamespace::text = ANY(%s) ORDER BY 1, 2",
        (schemas,),
    ).fetchall()
    return rows


@pytest.fixture(scope="module")
def applied(designs: dict[str, Design], pg_dsn: str) -> dict[str, tuple[str, SqlPlan]]:
    """Every design's scripts run twice into a fresh database of its own; the second run must change nothing."""
    psycopg = _psycopg()
    out = {}
    for key in ALL:
        design = designs[key]
        dsn = _fresh_database(pg_dsn, key)
        scripts = _scripts(design)
        sql = plan_sql(design)
        schemas = [s.schema for s in sql.services if not s.empty]
        with psycopg.connect(dsn, autocommit=True) as conn:
            for script in scripts.values():
                conn.execute(script)
            first = _catalog(conn, schemas)
            for script in scripts.values():
                conn.execute(script)
            assert _catalog(conn, schemas) == first, f"{key}: the second run changed the schema"
        out[key] = (dsn, sql)
    return out



def _connect(dsn: str, autocommit: bool = True) -> Any:
    return _psycopg().connect(dsn, autocommit=autocommit)


@pytest.mark.external
@pytest.mark.parametrize("key", ALL)
def test_every_planned_table_and_column_exists(applied: dict[str, tuple[str, SqlPlan]], key: str) -> None:
    dsn, sql = applied[key]
    with _connect(dsn) as conn:
        for service in sql.services:
            for table in service.tables():
                found = conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                    "ORDER BY ordinal_position",
                    (service.schema, table.name),
                ).fetchall()
                assert [r[0] for r in found] == [c.name for c in table.columns], table.qualified


@pytest.mark.external
def test_reserved_words_match_the_server(pg_dsn: str) -> None:
    with _connect(pg_dsn) as conn:
        words = {r[0] for r in conn.execute("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')")}
    assert words == RESERVED_WORDS


@pytest.mark.external
def test_hostile_names_apply(pg_dsn: str) -> None:
    design = _hostile_design()
    dsn = _fresh_database(pg_dsn, "hostile")
    with _connect(dsn) as conn:
        for _ in range(2):
            for script in _scripts(design).values():
                conn.execute(script)
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'").fetchone()[0] == 1
        for service in plan_sql(design).services:
            for table in service.tables():
                conn.execute(f"SELECT * FROM {table.qualified} LIMIT 0")


def _event_store_services(sql: SqlPlan) -> list[ServicePlan]:
    return [s for s in sql.services if s.event_store]


def _append(conn: Any, service: ServicePlan, stream: str, version: int, event_type: str = "Happened") -> None:
    store = service.event_store
    assert store is not None
    r = store.roles
    extras = {c.name: c for c in store.events.columns if c.name not in r.values()}
    values: dict[str, Any] = {
        r["event_id"]: uuid.uuid4(),
        r["aggregate_type"]: "Thing",
        r["aggregate_id"]: stream,
        r["version"]: version,
        r["event_type"]: event_type,
        r["payload"]: json.dumps({"n": version}),
    }
    for name, column in extras.items():
        if column.not_null and column.default is None:
            values[name] = {"uuid": uuid.uuid4(), "timestamptz": "2025-01-15T10:30:00Z"}.get(column.type, "x")
    columns = ", ".join(quote_ident(c) for c in values)
    placeholders = ", ".join(["%s"] * len(values))
    conn.execute(f"INSERT INTO {store.events.qualified} ({columns}) VALUES ({placeholders})", list(values.values()))


def _wait_until_blocked(conn: Any, pid: int) -> None:
    for _ in range(200):
        row = conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError("the second writer never waited on the first")


@pytest.mark.external
@pytest.mark.parametrize("key", ["loan-origination", "loan-unpartitioned", "checkout-fixture"])
def test_event_store_appends_reads_and_refuses_a_concurrent_duplicate(
    applied: dict[str, tuple[str, SqlPlan]], key: str
) -> None:
    psycopg = _psycopg()
    dsn, sql = applied[key]
    service = _event_store_services(sql)[0]
    store = service.event_store
    assert store is not None
    r, table = store.roles, store.events.qualified
    stream = str(uuid.uuid4())
    with _connect(dsn) as conn:
        for version in (1, 2, 3):
            _append(conn, service, stream, version)
        with pytest.raises(psycopg.errors.UniqueViolation):
            _append(conn, service, stream, 3)
        with pytest.raises(psycopg.errors.CheckViolation):
            _append(conn, service, stream, 0)
    # Two writers that both loaded version 3 append version 4 at the same time: exactly one wins.
    first, second = _connect(dsn, autocommit=False), _connect(dsn, autocommit=False)
    outcome: list[BaseException | None] = []
    try:
        _append(first, service, stream, 4, "FirstWriter")

        def contender() -> None:
            try:
                _append(second, service, stream, 4, "SecondWriter")
                second.commit()
                outcome.append(None)
            except BaseException as exc:
                second.rollback()
                outcome.append(exc)

        worker = threading.Thread(target=contender)
        worker.start()
        with _connect(dsn) as watcher:
            _wait_until_blocked(watcher, second.info.backend_pid)
        first.commit()
        worker.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.UniqueViolation)
    with _connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT {quote_ident(r['version'])}, {quote_ident(r['event_type'])}, {quote_ident(r['payload'])} "
            f"FROM {table} WHERE {quote_ident(r['aggregate_id'])} = %s ORDER BY {quote_ident(r['version'])}",
            (stream,),
        ).fetchall()
        assert [(v, t) for v, t, _ in rows] == [(1, "Happened"), (2, "Happened"), (3, "Happened"), (4, "FirstWriter")]
        assert [p["n"] for _, _, p in rows] == [1, 2, 3, 4]
        # Events are facts: no update, delete or truncate.
        for statement in (
            f"UPDATE {table} SET {quote_ident(r['event_type'])} = 'Changed'",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                conn.execute(statement)
        # Snapshots: the newest one at or below the version being loaded, then the events after it.
        snapshots = store.snapshots
        assert snapshots is not None
        for version in (2, 3):
            conn.execute(
                f"INSERT INTO {snapshots.qualified} (aggregate_id, aggregate_type, version, state) "
                "VALUES (%s, 'Thing', %s, %s)",
                (stream, version, json.dumps({"total": version})),
            )
        snapshot = conn.execute(
            f"SELECT version, state FROM {snapshots.qualified} WHERE aggregate_id = %s ORDER BY version DESC LIMIT 1",
            (stream,),
        ).fetchone()
        assert snapshot == (3, {"total": 3})
        tail = conn.execute(
            f"SELECT {quote_ident(r['version'])} FROM {table} WHERE {quote_ident(r['aggregate_id'])} = %s "
            f"AND {quote_ident(r['version'])} > %s ORDER BY {quote_ident(r['version'])}",
            (stream, snapshot[0]),
        ).fetchall()
        assert tail == [(4,)]


@pytest.mark.external
@pytest.mark.parametrize("key", ["loan-origination", "loan-unpartitioned"])
def test_catching_up_does_not_skip_an_event_that_commits_late(
    applied: dict[str, tuple[str, SqlPlan]], key: str
) -> None:
    dsn, sql = applied[key]
    service = _event_store_services(sql)[1]  # a store no other test appends to
    store = service.event_store
    assert store is not None
    r, table = store.roles, store.events.qualified
    tx, pos = quote_ident(r["transaction_id"]), quote_ident(r["position"])
    catch_up = (
        f"SELECT {tx}::text::bigint, {pos}, {quote_ident(r['aggregate_id'])} FROM {table} "
        f"WHERE ({tx}, {pos}) > (%s::text::xid8, %s) AND {tx} < pg_snapshot_xmin(pg_current_snapshot()) "
        f"ORDER BY {tx}, {pos}"
    )
    slow, fast = _connect(dsn, autocommit=False), _connect(dsn, autocommit=False)
    try:
        _append(slow, service, "late-stream", 1)  # takes the lower position, commits last
        _append(fast, service, "early-stream", 1)
        fast.commit()
        with _connect(dsn) as reader:
            naive = reader.execute(f"SELECT {quote_ident(r['aggregate_id'])} FROM {table} ORDER BY {pos}").fetchall()
            assert naive == [("early-stream",)]  # by position alone, a reader would move past the late event
            assert reader.execute(catch_up, ("0", 0)).fetchall() == []  # the safe read waits for it
            slow.commit()
            rows = reader.execute(catch_up, ("0", 0)).fetchall()
            assert [row[2] for row in rows] == ["late-stream", "early-stream"]
            last_tx, last_pos = rows[-1][0], rows[-1][1]
            assert reader.execute(catch_up, (str(last_tx), last_pos)).fetchall() == []
            checkpoints = service.checkpoints
            assert checkpoints is not None
            reader.execute(
                f"INSERT INTO {checkpoints.qualified} (subscription, position, transaction_id) "
                "VALUES ('relay', %s, %s::text::xid8)",
                (last_pos, str(last_tx)),
            )
    finally:
        slow.close()
        fast.close()


@pytest.mark.external
@pytest.mark.parametrize("key", ALL)
def test_outbox_rows_are_claimed_once_with_skip_locked(applied: dict[str, tuple[str, SqlPlan]], key: str) -> None:
    dsn, sql = applied[key]
    service = next((s for s in sql.services if s.outbox), None)
    if service is None:
        pytest.skip(f"{key} has no outbox")  # the dev designs chosen here all have one; the fixture may not
    assert service.outbox is not None
    table = service.outbox.table.qualified
    insert = (
        f"INSERT INTO {table} (id, aggregate_type, aggregate_id, event_type, topic, message_key, payload) "
        "VALUES (%s, 'Thing', %s, 'Happened', 'things.events', %s, '{}') RETURNING position"
    )
    with _connect(dsn, autocommit=False) as business:
        business.execute(insert, (uuid.uuid4(), "rolled-back", "rolled-back"))
        business.rollback()  # a state change that is rolled back leaves no message behind
        for n in range(6):
            business.execute(insert, (uuid.uuid4(), f"agg-{n}", f"agg-{n}"))
        business.commit()
    claim = f"SELECT id FROM {table} WHERE published_at IS NULL ORDER BY position LIMIT 3 FOR UPDATE SKIP LOCKED"
    relay_a, relay_b = _connect(dsn, autocommit=False), _connect(dsn, autocommit=False)
    try:
        mine = [row[0] for row in relay_a.execute(claim).fetchall()]
        theirs = [row[0] for row in relay_b.execute(claim).fetchall()]
        assert len(mine) == 3 and len(theirs) == 3 and not set(mine) & set(theirs)
        relay_a.execute(f"UPDATE {table} SET published_at = now() WHERE id = ANY(%s)", (mine,))
        relay_a.commit()
        relay_b.rollback()  # relay B crashed before publishing: its rows go back to the queue
    finally:
        relay_a.close()
        relay_b.close()
    with _connect(dsn) as conn:
        left = conn.execute(f"SELECT aggregate_id FROM {table} WHERE published_at IS NULL ORDER BY position").fetchall()
        assert [row[0] for row in left] == ["agg-3", "agg-4", "agg-5"]
        plan_text = "\n".join(
            row[0]
            for row in conn.execute(
                f"EXPLAIN (COSTS OFF) SELECT id FROM {table} WHERE published_at IS NULL ORDER BY position"
            )
        )
        assert "published_at IS NULL" in plan_text or service.outbox.table.indexes[0].name in plan_text


@pytest.mark.external
@pytest.mark.parametrize("key", ALL)
def test_inbox_drops_duplicates_and_purges_by_group(applied: dict[str, tuple[str, SqlPlan]], key: str) -> None:
    dsn, sql = applied[key]
    service = next((s for s in sql.services if s.inboxes), None)
    assert service is not None, f"{key}: no service deduplicates"
    inbox = service.inboxes[0]
    group, ttl, _ = next((g for g in inbox.groups if g[1] is not None), inbox.groups[0])
    table = inbox.table.qualified
    record = f"INSERT INTO {table} (consumer_group, message_id, processed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    message = str(uuid.uuid4())
    with _connect(dsn) as conn:
        assert conn.execute(record, (group, message, "now")).rowcount == 1
        assert conn.execute(record, (group, message, "now")).rowcount == 0  # a redelivery: skip it
        assert conn.execute(record, ("another-group", message, "now")).rowcount == 1  # groups dedup apart
        if ttl is None:
            return
        old = conn.execute("SELECT now() - make_interval(secs => %s)", (ttl * 86_400 + 3600,)).fetchone()[0]
        conn.execute(record, (group, "old-message", old))
        conn.execute(record, ("another-group", "old-message", old))  # no retention row: kept
        function = f"{quote_ident(service.schema)}.{quote_ident(inbox.purge_function)}"
        assert conn.execute(f"SELECT {function}()").fetchone()[0] == 1
        kept = conn.execute(f"SELECT consumer_group, message_id FROM {table} ORDER BY 1, 2").fetchall()
        assert (group, "old-message") not in kept and ("another-group", "old-message") in kept
        assert (group, message) in kept
        assert conn.execute(f"SELECT {function}()").fetchone()[0] == 0


def _sample(sql_type: str, n: int) -> Any:
    return {
        "text": f"value-{n}", "bigint": n, "double precision": n / 2, "numeric": n, "boolean": n % 2 == 0,
        "uuid": uuid.UUID(int=n), "timestamptz": f"2025-01-{n:02d}T10:00:00Z", "date": f"2025-01-{n:02d}",
        "interval": f"{n} seconds", "jsonb": json.dumps({"n": n}), "bytea": bytes([n]),
    }[sql_type]  # fmt: skip


@pytest.mark.external
@pytest.mark.parametrize("key", ALL)
def test_read_models_upsert_idempotently(applied: dict[str, tuple[str, SqlPlan]], key: str) -> None:
    dsn, sql = applied[key]
    projections = [p for s in sql.services for p in s.projections]
    assert projections, f"{key}: no read model in PostgreSQL"
    with _connect(dsn) as conn:
        for projection in projections:
            table = projection.table
            keys = [table.column(c) for c in projection.key_columns]
            fields = [table.column(c) for c in projection.field_columns]
            columns = [*keys, *fields]
            names = ", ".join(quote_ident(c.name) for c in columns)
            updates = ", ".join(f"{quote_ident(c.name)} = EXCLUDED.{quote_ident(c.name)}" for c in fields)
            key_list = ", ".join(quote_ident(c.name) for c in keys)
            upsert = (
                f"INSERT INTO {table.qualified} ({names}, last_applied_position, last_event_id) "
                f"VALUES ({', '.join(['%s'] * len(columns))}, %s, %s) "
                f"ON CONFLICT ({key_list}) DO UPDATE SET "
                + (updates + ", " if updates else "")
                + "last_applied_position = EXCLUDED.last_applied_position, last_event_id = EXCLUDED.last_event_id, "
                f"updated_at = now() WHERE {table.qualified}.last_applied_position < EXCLUDED.last_applied_position"
            )
            key_values = [_sample(c.type, 1) for c in keys]

            def apply(position: int, n: int, upsert: str = upsert, key_values: list[Any] = key_values,
                      fields: list[Any] = fields) -> int:
                values = [*key_values, *(_sample(c.type, n) for c in fields), position, uuid.uuid4()]
                return int(conn.execute(upsert, values).rowcount)

            def stored(table: Any = table, keys: list[Any] = keys, key_values: list[Any] = key_values) -> int:
                where = " AND ".join(f"{quote_ident(c.name)} = %s" for c in keys)
                row = conn.execute(
                    f"SELECT last_applied_position FROM {table.qualified} WHERE {where}", key_values
                ).fetchone()
                return int(row[0])

            assert apply(5, 5) == 1 and stored() == 5
            assert apply(5, 6) == 0 and stored() == 5  # the same event redelivered
            assert apply(3, 3) == 0 and stored() == 5  # an older event arriving late
            assert apply(6, 7) == 1 and stored() == 6
            count = conn.execute(f"SELECT count(*) FROM {table.qualified}").fetchone()[0]
            assert count == 1


@pytest.mark.external
@pytest.mark.parametrize("key", ["flagship", "loan-origination", "concert-ticketing", "checkout-fixture"])
def test_saga_advances_under_optimistic_concurrency(applied: dict[str, tuple[str, SqlPlan]], key: str) -> None:
    psycopg = _psycopg()
    dsn, sql = applied[key]
    home = next(s for s in sql.services if s.sagas)
    saga_plan = home.sagas[0]
    saga = saga_plan.sagas[0]
    table = saga_plan.instances.qualified
    with _connect(dsn) as conn:
        steps = conn.execute(
            f"SELECT step_name, EXTRACT(epoch FROM step_timeout), pivot FROM {saga_plan.steps.qualified} "
            "WHERE saga_type = %s ORDER BY step_index",
            (saga.name,),
        ).fetchall()
        assert [s[0] for s in steps] == [s.name for s in saga.steps]
        assert [float(s[1]) if s[1] is not None else None for s in steps] == [s.timeout_s for s in saga.steps]
        saga_id = uuid.uuid4()
        first_step, first_timeout = steps[0][0], steps[0][1]
        conn.execute(
            f"INSERT INTO {table} (saga_id, saga_type, trigger_key, current_step, step_deadline, deadline) "
            "VALUES (%s, %s, 'order-1', %s, now() + make_interval(secs => %s), now() + interval '1 hour')",
            (saga_id, saga.name, first_step, float(first_timeout or 60)),
        )
        with pytest.raises(psycopg.errors.UniqueViolation):  # a redelivered trigger starts no second saga
            conn.execute(
                f"INSERT INTO {table} (saga_id, saga_type, trigger_key) VALUES (%s, %s, 'order-1')",
                (uuid.uuid4(), saga.name),
            )
        advance = (
            f"UPDATE {table} SET version = version + 1, step_index = step_index + 1, current_step = %s, "
            "completed_steps = completed_steps || %s::text, updated_at = now() "
            "WHERE saga_id = %s AND version = %s"
        )
        # Two handlers loaded version 0; the first one to write wins, the other must reload.
        next_step = steps[1][0] if len(steps) > 1 else None
        assert conn.execute(advance, (next_step, first_step, saga_id, 0)).rowcount == 1
        assert conn.execute(advance, (next_step, first_step, saga_id, 0)).rowcount == 0
        compensate = (
            f"UPDATE {table} SET version = version + 1, state = 'compensating', "
            "compensated_steps = compensated_steps || %s::text WHERE saga_id = %s AND version = %s"
        )
        assert conn.execute(compensate, (first_step, saga_id, 1)).rowcount == 1
        row = conn.execute(
            f"SELECT state, version, completed_steps, compensated_steps FROM {table} WHERE saga_id = %s", (saga_id,)
        ).fetchone()
        assert row == ("compensating", 2, [first_step], [first_step])
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(f"UPDATE {table} SET state = 'lost' WHERE saga_id = %s", (saga_id,))
        conn.execute(f"UPDATE {table} SET step_deadline = now() - interval '1 second' WHERE saga_id = %s", (saga_id,))
        overdue = conn.execute(
            f"SELECT saga_id FROM {table} WHERE state IN ('running', 'compensating') AND step_deadline < now()"
        ).fetchall()
        assert overdue == [(saga_id,)]
        for outcome in saga.outcomes:
            conn.execute(f"UPDATE {table} SET state = %s WHERE saga_id = %s", (sanitise(outcome.name), saga_id))


@pytest.mark.external
def test_psql_applies_the_files_as_the_readme_says(designs: dict[str, Design], pg_dsn: str, tmp_path: Path) -> None:
    psql = shutil.which("psql") or next(iter(glob.glob("/usr/lib/postgresql/*/bin/psql")), None)
    if psql is None:
        require_external("psql", "the psql client is not installed")
    assert psql is not None
    result = runner.invoke(app, ["export", str(FIXTURE_DESIGN), "--to", "sql", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    readme = (tmp_path / "sql" / "README.md").read_text()
    commands = re.findall(r"^psql -v ON_ERROR_STOP=1 -d \"\$DATABASE_URL\" -f (\S+)$", readme, re.MULTILINE)
    assert commands and all((tmp_path / "sql" / c).is_file() for c in commands)
    dsn = _fresh_database(pg_dsn, "psql")
    for _ in range(2):
        for script in commands:
            done = subprocess.run(
                [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", script],
                cwd=tmp_path / "sql", capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr


# ---- the CLI and the MCP tool -------------------------------------------------------------------------------


def test_cli_writes_one_script_per_service_and_a_readme(designs: dict[str, Design], tmp_path: Path) -> None:
    source = tmp_path / "flagship.yaml"
    save_design(designs["flagship"], source)
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", str(source), "--to", "sql", "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (out / "sql").iterdir())
    expected = sorted(Path(s.path).name for s in plan_sql(designs["flagship"]).services if not s.empty)
    assert written == sorted([*expected, "README.md"])
    assert f"wrote {len(written)} files" in result.stderr
    again = runner.invoke(app, ["export", str(source), "--to", "sql", "-o", str(out)])
    assert again.exit_code == 0 and sorted(p.name for p in (out / "sql").iterdir()) == written
    many = runner.invoke(app, ["export", str(source), "--to", "sql"])
    assert many.exit_code == 2 and "give a folder with -o DIR" in many.stderr


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep")
    not_a_design = tmp_path / "notes.yaml"
    not_a_design.write_text("- just\n- a list\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    linked = tmp_path / "linked"
    linked.mkdir()
    os.symlink(outside, linked / "sql")
    cases = [
        ([str(FIXTURE_DESIGN), "--to", "sqll", "-o", str(tmp_path / "o")], "did you mean 'sql'"),
        ([str(not_a_design), "--to", "sql", "-o", str(tmp_path / "o")], str(not_a_design)),
        ([str(FIXTURE_DESIGN), "--to", "sql", "-o", str(existing)], "not a folder"),
        ([str(FIXTURE_DESIGN), "--to", "sql", "-o", str(linked)], "leaves the output folder"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["export", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert existing.read_text() == "keep" and list(outside.iterdir()) == []
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_bad_column_type_in_one_line(designs: dict[str, Design], tmp_path: Path) -> None:
    design = designs["loan-origination"].model_copy(deep=True)
    assert design.event_store is not None
    design.event_store.columns[0].type = "bigint default nextval('x')"
    source = tmp_path / "loan.yaml"
    save_design(design, source)
    result = runner.invoke(app, ["export", str(source), "--to", "sql", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a PostgreSQL type" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_export_sql_inline_and_into_the_workspace(tmp_path: Path) -> None:
    import jsonschema
    from archassist.tools import export_tools
    from archassist.tools.server import build_server
    from archassist.tools.state import ServerState
    from archassist.tools.workspace import Workspace
    from mcp import Client

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURE_DESIGN, root / "orders.yaml")
    server = build_server(root, None)
    async with Client(server) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
    if "export" not in listed:  # the server lists the tool once every export kind has landed
        export_tools.register(server, ServerState(workspace=Workspace(root.resolve())))
    async with Client(server) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "export")
        inline = await client.call_tool("export", {"kind": "sql", "path": "orders.yaml"})
        assert not inline.is_error, inline.content[0].text
        data = inline.structured_content
        jsonschema.validate(data, tool.output_schema)
        assert len(json.dumps(data)) < 20_000 and data["written_to"] is None
        paths = [f["path"] for f in data["files"]]
        assert "sql/README.md" in paths and "sql/orders.sql" in paths
        assert "```sql" in inline.content[0].text and "CREATE TABLE IF NOT EXISTS orders.order_events" in (
            inline.content[0].text
        )
        written = await client.call_tool("export", {"kind": "sql", "path": "orders.yaml", "output_dir": "db"})
        assert not written.is_error and written.structured_content["written_to"] == "db"
        assert (root / "db" / "sql" / "orders.sql").read_text().startswith("-- PostgreSQL schema of orders")
        outside = await client.call_tool("export", {"kind": "sql", "path": "orders.yaml", "output_dir": "../x"})
        assert outside.is_error and not (tmp_path / "x").exists()
