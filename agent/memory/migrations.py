"""Ordered, named schema migrations, recorded in a table as they are applied (after simonw/llm).

A migration is applied once, in order, inside the same BEGIN IMMEDIATE transaction that records it, so that
several processes opening a new database at once apply each migration exactly once. ``PRAGMA user_version``
holds the number of migrations applied: a database with a higher number, or with a migration name this
version does not know, was written by a newer archassist and is refused rather than modified.
Never edit or reorder a released migration; append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archassist.agent.errors import InputError
from archassist.agent.memory.records import now_iso, parse_id
from archassist.agent.memory.store import ForeignDatabaseError, NewerDatabaseError

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATIONS_TABLE = "_archassist_migrations"
Migration = Callable[["Database"], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def schema_version() -> int:
    return len(MIGRATIONS)


@migration
def m001_designs_and_decisions(db: Database) -> None:
    db.table("designs").create(
        {"id": int, "name": str, "brief": str, "backend": str, "design_json": str, "created": str},
        pk="id",
        not_null={"name", "brief", "backend", "design_json", "created"},
        defaults={"brief": "", "backend": ""},
    )
    db.table("decisions").create(
        {
            "id": int,
            "uid": str,
            "title": str,
            "context": str,
            "decision": str,
            "consequences": str,
            "alternatives": str,  # JSON list
            "status": str,
            "supersedes": int,
            "superseded_by": int,
            "tags": str,  # JSON list
            "cites": str,  # JSON list of display ids
            # Provenance only, no foreign key: MADR files carry it into databases that lack the design.
            "design_id": int,
            "content_hash": str,
            "extra": str,  # JSON object: MADR front matter archassist has no column for
            "created": str,
            "updated": str,
        },
        pk="id",
        not_null={
            "uid", "title", "context", "decision", "consequences", "alternatives", "status", "tags", "cites",
            "content_hash", "extra", "created", "updated",
        },
        defaults={
            "context": "", "decision": "", "consequences": "", "alternatives": "[]", "status": "accepted",
            "tags": "[]", "cites": "[]", "extra": "{}",
        },
    )
    db.table("decisions").create_index(["uid"], unique=True)
    db.table("decisions").create_index(["status"])
    db.table("decisions").create_index(["content_hash"])
    db.table("decisions").create_index(["design_id"])


@migration
def m002_full_text_search(db: Database) -> None:
    # External-content FTS5 tables kept in step by triggers; the update triggers fire only when indexed text
    # changes, so status changes (supersession) do not churn the index.
    for statement in (
        """CREATE VIRTUAL TABLE decisions_fts USING fts5(
            title, context, decision, consequences, tags,
            content='decisions', content_rowid='id', tokenize='porter unicode61'
        )""",
        """CREATE TRIGGER decisions_fts_ai AFTER INSERT ON decisions BEGIN
            INSERT INTO decisions_fts(rowid, title, context, decision, consequences, tags)
            VALUES (new.id, new.title, new.context, new.decision, new.consequences, new.tags);
        END""",
        """CREATE TRIGGER decisions_fts_ad AFTER DELETE ON decisions BEGIN
            INSERT INTO decisions_fts(decisions_fts, rowid, title, context, decision, consequences, tags)
            VALUES ('delete', old.id, old.title, old.context, old.decision, old.consequences, old.tags);
        END""",
        """CREATE TRIGGER decisions_fts_au AFTER UPDATE OF title, context, decision, consequences, tags
        ON decisions BEGIN
            INSERT INTO decisions_fts(decisions_fts, rowid, title, context, decision, consequences, tags)
            VALUES ('delete', old.id, old.title, old.context, old.decision, old.consequences, old.tags);
            INSERT INTO decisions_fts(rowid, title, context, decision, consequences, tags)
            VALUES (new.id, new.title, new.context, new.decision, new.consequences, new.tags);
        END""",
        """CREATE VIRTUAL TABLE designs_fts USING fts5(
            name, brief, content='designs', content_rowid='id', tokenize='porter unicode61'
        )""",
        """CREATE TRIGGER designs_fts_ai AFTER INSERT ON designs BEGIN
            INSERT INTO designs_fts(rowid, name, brief) VALUES (new.id, new.name, new.brief);
        END""",
        """CREATE TRIGGER designs_fts_ad AFTER DELETE ON designs BEGIN
            INSERT INTO designs_fts(designs_fts, rowid, name, brief) VALUES ('delete', old.id, old.name, old.brief);
        END""",
        """CREATE TRIGGER designs_fts_au AFTER UPDATE OF name, brief ON designs BEGIN
            INSERT INTO designs_fts(designs_fts, rowid, name, brief) VALUES ('delete', old.id, old.name, old.brief);
            INSERT INTO designs_fts(rowid, name, brief) VALUES (new.id, new.name, new.brief);
        END""",
    ):
        # One statement at a time: executescript would COMMIT the migration's transaction half-way.
        db.execute(statement)


@migration
def m003_linked_decisions(db: Database) -> None:
    """Designs link to their decisions instead of each storing its own copy; copies already stored are folded
    into one decision (their ids kept as aliases); status changes carry a reason; decisions derived from an
    already superseded decision are retired with it."""
    import json

    from archassist.agent.memory import lineage

    conn = db.conn
    for statement in (
        """CREATE TABLE design_decisions (
            design_id INTEGER NOT NULL REFERENCES designs(id),
            position INTEGER NOT NULL,
            decision_id INTEGER NOT NULL,
            PRIMARY KEY (design_id, position)
        )""",
        "CREATE INDEX design_decisions_decision ON design_decisions (decision_id)",
        """CREATE TABLE decision_aliases (
            id INTEGER PRIMARY KEY, uid TEXT NOT NULL, decision_id INTEGER NOT NULL,
            design_id INTEGER, created TEXT, updated TEXT
        )""",
        "CREATE INDEX decision_aliases_uid ON decision_aliases (uid)",
        "ALTER TABLE decisions ADD COLUMN status_reason TEXT NOT NULL DEFAULT ''",
    ):
        conn.execute(statement)
    known = {int(row[0]) for row in conn.execute("SELECT id FROM decisions")}
    for design_id, design_json in conn.execute("SELECT id, design_json FROM designs").fetchall():
        linked: list[int] = []
        try:
            items = json.loads(design_json).get("decisions", [])
            linked = [parse_id(item["id"]) for item in items if isinstance(item, dict) and item.get("id")]
        except (ValueError, AttributeError, TypeError, InputError):
            linked = []
        linked = [n for n in linked if n in known]
        if not linked:
            linked = [int(r[0]) for r in conn.execute("SELECT id FROM decisions WHERE design_id = ? ORDER BY id",
                                                      (design_id,))]
        conn.executemany(
            "INSERT INTO design_decisions (design_id, position, decision_id) VALUES (?, ?, ?)",
            [(design_id, position, number) for position, number in enumerate(linked)],
        )
    lineage.fold_copies(conn)
    stamp = now_iso()
    for old, new in conn.execute(
        "SELECT id, superseded_by FROM decisions WHERE status = 'superseded' AND superseded_by IS NOT NULL"
    ).fetchall():
        lineage.retire_derived(conn, int(old), int(new), stamp)


@migration
def m004_design_recall(db: Database) -> None:
    """Recall finds designs by their services and events too, not only by name and brief."""
    import json

    from archassist.agent.memory import lineage

    conn = db.conn
    for statement in (
        "ALTER TABLE designs ADD COLUMN services TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE designs ADD COLUMN events TEXT NOT NULL DEFAULT ''",
        "DROP TRIGGER designs_fts_ai",
        "DROP TRIGGER designs_fts_ad",
        "DROP TRIGGER designs_fts_au",
        "DROP TABLE designs_fts",
    ):
        conn.execute(statement)
    for design_id, design_json in conn.execute("SELECT id, design_json FROM designs").fetchall():
        try:
            data = json.loads(design_json)
        except ValueError:
            continue
        if isinstance(data, dict):
            services, events = lineage.design_search_text(data)
            conn.execute("UPDATE designs SET services = ?, events = ? WHERE id = ?", (services, events, design_id))
    columns = "name, brief, services, events"
    new_values = "new.id, new.name, new.brief, new.services, new.events"
    old_values = "'delete', old.id, old.name, old.brief, old.services, old.events"
    for statement in (
        f"""CREATE VIRTUAL TABLE designs_fts USING fts5(
            {columns}, content='designs', content_rowid='id', tokenize='porter unicode61'
        )""",
        f"""CREATE TRIGGER designs_fts_ai AFTER INSERT ON designs BEGIN
            INSERT INTO designs_fts(rowid, {columns}) VALUES ({new_values});
        END""",
        f"""CREATE TRIGGER designs_fts_ad AFTER DELETE ON designs BEGIN
            INSERT INTO designs_fts(designs_fts, rowid, {columns}) VALUES ({old_values});
        END""",
        f"""CREATE TRIGGER designs_fts_au AFTER UPDATE OF {columns} ON designs BEGIN
            INSERT INTO designs_fts(designs_fts, rowid, {columns}) VALUES ({old_values});
            INSERT INTO designs_fts(rowid, {columns}) VALUES ({new_values});
        END""",
        "INSERT INTO designs_fts(designs_fts) VALUES ('rebuild')",
    ):
        conn.execute(statement)


@migration
def m005_eval_runs(db: Database) -> None:
    """Championship eval runs: what was run with which parameters, every design (or why there is none), every
    score. A design's JSON is stored once by its hash, so epochs of a deterministic contestant and a rescored run
    share it instead of copying it."""
    db.table("eval_runs").create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,  # running | complete | interrupted
            "kind": str,  # run | rescore
            "source_run": int,  # the run a rescore read its designs from
            "scenario_set": str,  # JSON list of scenario ids, in run order
            "epochs": int,
            "version": str,  # archassist's version
            "parameters": str,  # JSON: contestants and scorers with their params, selection, concurrency, …
        },
        pk="id",
        not_null={"started", "status", "kind", "scenario_set", "epochs", "version", "parameters"},
        foreign_keys=[("source_run", "eval_runs", "id")],
    )
    db.table("eval_run_scenarios").create(
        {"run_id": int, "scenario_id": str, "position": int, "scenario_json": str},
        pk=("run_id", "scenario_id"),
        not_null={"position", "scenario_json"},
        foreign_keys=[("run_id", "eval_runs", "id")],
    )
    db.table("eval_design_blobs").create({"hash": str, "design_json": str}, pk="hash", not_null={"design_json"})
    db.table("eval_designs").create(
        {
            "run_id": int,
            "scenario_id": str,
            "contestant": str,
            "epoch": int,
            "status": str,  # ok | failed
            "design_hash": str,
            "failure": str,
            "seconds": float,
            "details": str,  # JSON: usage, notices, anything the contestant reported
        },
        pk=("run_id", "scenario_id", "contestant", "epoch"),
        not_null={"status", "seconds", "details"},
        foreign_keys=[("run_id", "eval_runs", "id"), ("design_hash", "eval_design_blobs", "hash")],
    )
    db.table("eval_designs").create_index(["design_hash"])
    db.table("eval_scores").create(
        {
            "run_id": int,
            "scenario_id": str,
            "contestant": str,
            "epoch": int,
            "criterion": str,
            "value": float,
            "reasons": str,  # JSON list
            "details": str,  # JSON object: the figures behind the value
            "scorer_params": str,  # JSON object
        },
        pk=("run_id", "scenario_id", "contestant", "epoch", "criterion"),
        not_null={"value", "reasons", "details", "scorer_params"},
        foreign_keys=[("run_id", "eval_runs", "id")],
    )


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def check_compatible(conn: sqlite3.Connection, path: Path | str) -> list[str]:
    """Names of the migrations still to apply; refuses a foreign or newer database. Reads only."""
    tables = {t for t in _tables(conn) if not t.startswith("sqlite_")}
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    known = [fn.__name__ for fn in MIGRATIONS]
    if MIGRATIONS_TABLE not in tables:
        if tables or user_version:
            raise ForeignDatabaseError(
                f"{path}: an SQLite database that is not an archassist memory (no {MIGRATIONS_TABLE} table); "
                "point --db at another file"
            )
        return known
    applied = [row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]
    unknown = [name for name in applied if name not in known]
    if unknown or user_version > len(known):
        what = f"migration {unknown[0]!r}" if unknown else f"schema version {user_version}"
        raise NewerDatabaseError(
            f"{path}: made by a newer archassist ({what}; this version knows schema {len(known)}); "
            "upgrade archassist or point --db at another file"
        )
    done = set(applied)
    return [name for name in known if name not in done]


def migrate(conn: sqlite3.Connection, path: Path | str) -> list[str]:
    """Apply pending migrations; returns the names applied by this call (another process may win the race)."""
    if not check_compatible(conn, path):
        return []
    from sqlite_utils import Database

    db = Database(conn, execute_plugins=False)
    applied_now: list[str] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        pending = set(check_compatible(conn, path))  # re-read under the write lock
        for fn in MIGRATIONS:
            if fn.__name__ in pending:
                fn(db)
                conn.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)", (fn.__name__, now_iso())
                )
                applied_now.append(fn.__name__)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return applied_now
