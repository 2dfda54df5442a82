"""The memory database: location, migrations, refusals that never touch the file, decisions and designs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from archassist.agent.errors import InputError
from archassist.agent.memory import (
    CorruptDatabaseError,
    ForeignDatabaseError,
    NewerDatabaseError,
    ReadOnlyDatabaseError,
    UnknownIdError,
    add_decision,
    backup,
    format_id,
    get_decision,
    get_design,
    list_decisions,
    open_store,
    parse_id,
    recall,
    record_design,
    resolve_db_path,
    stats,
    supersede,
)
from archassist.agent.memory.migrations import MIGRATIONS, MIGRATIONS_TABLE
from archassist.agent.memory.store import MemoryStore
from archassist.agent.model.design import Decision, Design


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _make_db(path: Path, titles: tuple[str, ...] = ("Payments use the outbox",)) -> None:
    with open_store(path) as store:
        for title in titles:
            add_decision(store, title=title, decision=f"{title} because of lost events")


# -- where the database lives ------------------------------------------------------------------------------


def test_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("ARCHASSIST_HOME", raising=False)
    assert resolve_db_path(None) == (Path(platformdirs.user_data_dir("archassist", appauthor=False)) / "memory.db",
                                     False)
    monkeypatch.setenv("ARCHASSIST_HOME", str(tmp_path / "home"))
    assert resolve_db_path(None) == (tmp_path / "home" / "memory.db", False)
    monkeypatch.setenv("ARCHASSIST_DB", str(tmp_path / "team.db"))
    assert resolve_db_path(None) == (tmp_path / "team.db", True)
    assert resolve_db_path(tmp_path / "flag.db") == (tmp_path / "flag.db", True)


def test_home_folder_is_created_but_an_explicit_folder_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHASSIST_HOME", str(tmp_path / "a" / "b"))
    with open_store() as store:
        assert store.path == tmp_path / "a" / "b" / "memory.db"
    assert store.path.exists()
    with pytest.raises(InputError, match="does not exist"):
        open_store(tmp_path / "missing" / "memory.db")
    with pytest.raises(InputError, match="is a directory"):
        open_store(tmp_path)


def test_reading_a_missing_database_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    with open_store(path, readonly=True) as store:
        assert not store.exists
        assert recall(store, "anything") == []
        assert list_decisions(store) == []
        assert stats(store)["exists"] is False
    assert not path.exists()


# -- schema and migrations ---------------------------------------------------------------------------------


def test_new_database_is_migrated_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.db") as store:
        conn = store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        names = [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]
        assert names == [fn.__name__ for fn in MIGRATIONS]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"designs", "decisions", "decisions_fts", "designs_fts"} <= tables
        fts_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_fts'").fetchone()[0]
        assert "tokenize='porter unicode61'" in fts_sql
    with open_store(tmp_path / "m.db") as store:  # reopening applies nothing twice
        count = store.conn.execute(f"SELECT count(*) FROM {MIGRATIONS_TABLE}").fetchone()[0]
        assert count == len(MIGRATIONS)


def test_fts_follows_insert_update_and_delete(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.db") as store:
        record = add_decision(store, title="Inventory reservations expire", tags=["inventory"])
        assert [r.id for r in recall(store, "reservations")] == [record.id]
        with store.transaction() as conn:
            conn.execute("UPDATE decisions SET title = 'Stock holds time out' WHERE id = ?", (record.id,))
        assert recall(store, "reservations") == []
        assert [r.id for r in recall(store, "holds")] == [record.id]
        with store.transaction() as conn:
            conn.execute("DELETE FROM decisions WHERE id = ?", (record.id,))
        assert recall(store, "holds") == []
        store.conn.execute("INSERT INTO decisions_fts(decisions_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("how", ["unknown migration", "user_version"])
def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path, how: str) -> None:
    path = tmp_path / "newer.db"
    _make_db(path)
    conn = sqlite3.connect(path)
    if how == "unknown migration":
        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES ('m999_from_the_future', '2099-01-01')")
    else:
        conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = _fingerprint(path)
    for readonly in (False, True):
        with pytest.raises(NewerDatabaseError, match="newer archassist") as info:
            open_store(path, readonly=readonly)
        assert "\n" not in str(info.value)
    assert _fingerprint(path) == before


def test_a_foreign_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = _fingerprint(path)
    with pytest.raises(ForeignDatabaseError, match="not an archassist memory"):
        open_store(path)
    assert _fingerprint(path) == before  # not even switched to WAL


def test_an_empty_file_becomes_a_memory(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(path, readonly=True) as store:
        assert recall(store, "x") == []
    with open_store(path) as store:
        add_decision(store, title="First")
    assert path.stat().st_size > 0


# -- corrupt and read-only files ---------------------------------------------------------------------------


def _corrupt_random(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _corrupt_text(path: Path) -> None:
    path.write_text("decisions:\n  - title: not a database\n")


def _truncate_half(path: Path) -> None:
    _make_db(path, tuple(f"Decision {i} about shipping labels and carriers" for i in range(300)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 123])


def _truncate_pages(path: Path) -> None:
    _make_db(path, tuple(f"Decision {i} about shipping labels and carriers" for i in range(300)))
    data = path.read_bytes()
    path.write_bytes(data[: 4096 * 3])


def _garbage_pages(path: Path) -> None:
    _make_db(path, tuple(f"Decision {i} about shipping labels and carriers" for i in range(300)))
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage", [_corrupt_random, _corrupt_text, _truncate_half, _truncate_pages, _garbage_pages],
    ids=["random-bytes", "text-file", "truncated-mid-page", "truncated-at-page", "garbage-pages"],
)
def test_a_corrupt_file_gives_one_line_and_is_never_overwritten(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "memory.db"
    damage(path)  # type: ignore[operator]
    before = _fingerprint(path)
    for readonly in (False, True):
        with pytest.raises(CorruptDatabaseError) as info, open_store(path, readonly=readonly) as store:
            # Damage deep in the file may only show when the pages are read.
            recall(store, "shipping carriers")
            list_decisions(store, limit=1000)
            if not readonly:
                add_decision(store, title="must not land")
        message = str(info.value)
        assert "\n" not in message and str(path) in message
        assert isinstance(info.value, InputError)
    assert _fingerprint(path) == before


def test_a_read_only_file_reads_but_refuses_writes_and_is_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    _make_db(path)
    path.chmod(0o444)
    try:
        before = _fingerprint(path)
        with pytest.raises(ReadOnlyDatabaseError, match="read-only") as info:
            open_store(path)
        assert "\n" not in str(info.value)
        with open_store(path, readonly=True) as store:
            assert [r.title for r in recall(store, "outbox")] == ["Payments use the outbox"]
            with pytest.raises(RuntimeError), store.transaction():
                pass
        assert _fingerprint(path) == before
    finally:
        path.chmod(0o644)


def test_a_read_only_folder_refuses_writes_and_reads_fine(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "memory.db"
    _make_db(path)
    folder.chmod(0o555)
    try:
        before = _fingerprint(path)
        with pytest.raises(ReadOnlyDatabaseError):
            open_store(path)
        with pytest.raises(ReadOnlyDatabaseError):
            open_store(folder / "new.db")
        with open_store(path, readonly=True) as store:
            assert len(recall(store, "outbox")) == 1
        assert _fingerprint(path) == before
        assert not (folder / "new.db").exists()
    finally:
        folder.chmod(0o755)


def test_sqlite_write_refusal_is_translated(tmp_path: Path) -> None:
    """Where permissions cannot be trusted (root), a mode=ro connection stands in for a read-only file."""
    path = tmp_path / "m.db"
    _make_db(path)
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    store = MemoryStore(path, conn, readonly=False)
    with pytest.raises(ReadOnlyDatabaseError, match="read-only"):
        add_decision(store, title="nope")
    store.close()


# -- decisions ---------------------------------------------------------------------------------------------


def test_ids_have_one_display_form_and_several_input_forms() -> None:
    assert format_id(7) == "ADR-0007"
    assert format_id(12345) == "ADR-12345"
    for text in ("7", "0007", "ADR-7", "ADR-0007", "adr-0007", " ADR0007 ", 7):
        assert parse_id(text) == 7
    for bad in ("", "ADR-", "seven", "-3", "0", "ADR-0", "7.5"):
        with pytest.raises(UnknownIdError):
            parse_id(bad)


def test_add_normalises_and_get_returns_every_field(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.db") as store:
        record = add_decision(
            store,
            title="  Use  the\noutbox ",
            context="\r\nWe lose events.\r\n",
            decision="Outbox table + relay",
            consequences="One more table",
            alternatives=["Dual write", "CDC", "CDC", " "],
            status="Proposed",
            tags=["outbox", "kafka"],
        )
        assert record.title == "Use the outbox"
        assert record.context == "We lose events."
        assert record.alternatives == ("Dual write", "CDC")
        assert record.status == "proposed"
        assert get_decision(store, record.ref) == record
        assert get_decision(store, str(record.id)) == record
        with pytest.raises(InputError, match="title"):
            add_decision(store, title="  ")
        with pytest.raises(InputError, match="unknown status"):
            add_decision(store, title="x", status="approved")
        with pytest.raises(UnknownIdError, match="ADR-0099"):
            get_decision(store, 99)


def test_supersede_links_both_ways_and_refuses_bad_requests(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.db") as store:
        a = add_decision(store, title="A")
        b = add_decision(store, title="B")
        c = add_decision(store, title="C")
        old, new = supersede(store, a.ref, str(b.id))
        assert (old.status, old.superseded_by, new.supersedes) == ("superseded", b.id, a.id)
        assert new.status == "accepted"
        assert supersede(store, a.id, b.id)[0] == get_decision(store, a.id)  # repeating is a no-op
        with pytest.raises(InputError, match="itself"):
            supersede(store, c.id, c.id)
        with pytest.raises(UnknownIdError):
            supersede(store, c.id, 42)
        with pytest.raises(InputError, match="cycle"):
            supersede(store, b.id, a.id)
        with pytest.raises(InputError, match="already superseded"):
            supersede(store, a.id, c.id)
        with pytest.raises(InputError, match="already supersedes"):
            supersede(store, c.id, b.id)
        supersede(store, b.id, c.id)
        with pytest.raises(InputError, match="cycle"):
            supersede(store, c.id, a.id)
        assert get_decision(store, c.id).status == "accepted"


def test_record_design_stores_the_design_and_its_decisions_in_one_go(tmp_path: Path) -> None:
    design = Design(
        name="order_fulfillment",
        brief="Order fulfillment across payments and shipping",
        decisions=[
            Decision(title="Order workflows use orchestration", decision="Saga orchestrator", tags=["sagas"]),
            Decision(title="Payments idempotent", status="proposed", cites=["ADR-0001"]),
        ],
    )
    with open_store(tmp_path / "m.db") as store:
        design_id = record_design(store, design, backend="offline")
        stored = get_design(store, design_id)
        assert get_design(store, f"#{design_id}") == stored
        assert (stored.name, stored.brief, stored.backend) == (design.name, design.brief, "offline")
        assert [get_decision(store, i).title for i in stored.decision_ids] == [d.title for d in design.decisions]
        first, second = (get_decision(store, i) for i in stored.decision_ids)
        assert (first.status, second.status, first.design_id) == ("accepted", "proposed", design_id)
        assert second.cites == ("ADR-0001",)
        assert stored.design.decisions[0].id == first.ref
        assert design.decisions[0].id is None  # the caller's design is not modified

        again = design.model_copy(deep=True)
        again.decisions[0].id = first.ref  # a recorded decision carried into a new design is linked, not copied
        second_id = record_design(store, again, backend="offline")
        assert get_design(store, second_id).decision_ids[0] == first.id
        assert stats(store)["designs"] == 2
        with pytest.raises(UnknownIdError):
            get_design(store, 99)


def test_record_design_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archassist.agent.memory import decisions as ops

    design = Design(name="d", decisions=[Decision(title="one"), Decision(title="two")])
    calls = {"n": 0}
    real = ops.insert_row

    def failing_insert(conn: sqlite3.Connection, row: dict[str, object]) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(conn, row)

    with open_store(tmp_path / "m.db") as store:
        monkeypatch.setattr(ops, "insert_row", failing_insert)
        with pytest.raises(RuntimeError):
            record_design(store, design, backend="offline")
        assert stats(store)["designs"] == 0 and stats(store)["decisions"] == 0


def test_stats_and_backup(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    _make_db(path, ("One", "Two"))
    target = tmp_path / "copy.db"
    target.write_text("old content")
    with open_store(path) as store, open_store(path) as writer:
        supersede(store, 1, 2)
        data = stats(store)
        assert data["decisions"] == 2 and data["by_status"]["superseded"] == 1
        assert data["journal_mode"] == "wal"
        # A write in flight on another connection does not disturb the copy.
        with writer.transaction() as conn:
            conn.execute("INSERT INTO decisions (uid, title, content_hash, created, updated) "
                         "VALUES ('u', 'in flight', 'h', 'now', 'now')")
            backup(store, target)
        with pytest.raises(InputError, match="database itself"):
            backup(store, path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")) == []
    with open_store(target, readonly=True) as copy:
        assert [r.title for r in list_decisions(copy)] == ["Two", "One"]
        assert copy.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
