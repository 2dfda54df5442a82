"""Memory inputs and faults: files for `memory add --from-file` and `memory import` obey the loader's limits,
adding from a file is one idempotent transaction, status commands, backups that survive kills, and no false
alarm about a healthy database."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import typer
from archassist.agent.cli.memory import register
from archassist.agent.memory import open_store, recall
from archassist.agent.memory.store import remove_stale_backup_temps
from typer.testing import CliRunner

# The memory CLI tests' runner: it holds a user error to one line with no traceback.
from .test_memory_cli import run

runner = CliRunner()


@pytest.fixture()
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """archassist (test harness)"""

    register(application)
    return application


ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
) + "title: bomb\n"


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    with open_store(db, readonly=True) as store:
        return int(store.query("SELECT count(*) FROM decisions")[0][0])


# -- hostile files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("recursive.yaml", "title: loop\nevents: &a [*a]\n", "recursive YAML alias"),
        ("bomb.yaml", ALIAS_BOMB, "through YAML aliases"),
        ("bad.yaml", "title: [unclosed\n", "invalid YAML"),
        ("empty.yaml", "", "empty"),
        ("binary.yaml", "title: x\x00\x01", "binary"),
        ("recursive.md", "---\nstatus: accepted\nx: &a [*a]\n---\n# T\n", "recursive YAML alias"),
        ("bomb.md", "---\n" + ALIAS_BOMB + "---\n# T\n", "through YAML aliases"),
    ],
)
def test_a_hostile_decision_file_is_one_line_and_adds_nothing(
    app: typer.Typer, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    db = tmp_path / "m.db"
    path = tmp_path / name
    path.write_text(text)
    started = time.perf_counter()
    line = run(app, "memory", "add", "--db", str(db), "--from-file", str(path), code=2)
    assert expected in line and str(path) in line
    assert time.perf_counter() - started < 10  # generous: the machine is shared; unbounded took 52 s
    assert _count(db) == 0


def test_special_and_oversized_files_are_refused_without_reading_them(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "m.db")
    fifo = tmp_path / "decisions.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    assert "not a regular file" in run(app, "memory", "add", "--db", db, "--from-file", str(fifo), code=2)
    madr_fifo = tmp_path / "0001-x.md"
    os.mkfifo(madr_fifo)
    assert "not a regular file" in run(app, "memory", "add", "--db", db, "--from-file", str(madr_fifo), code=2)

    import archassist.agent.model.io as io

    monkeypatch.setattr(io, "MAX_INPUT_BYTES", 1000)
    big = tmp_path / "big.yaml"
    big.write_text("title: big\ncontext: " + "x" * 2000 + "\n")
    assert "limit" in run(app, "memory", "add", "--db", db, "--from-file", str(big), code=2)
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-big.md").write_text("# Big\n\n" + "x" * 2000)
    assert "limit" in run(app, "memory", "import", "--db", db, "--adr-dir", str(folder), code=2)
    (folder / "0001-big.md").write_text("---\n" + ALIAS_BOMB + "---\n# T\n")
    monkeypatch.setattr(io, "MAX_INPUT_BYTES", 32 * 1024 * 1024)
    assert "aliases" in run(app, "memory", "import", "--db", db, "--adr-dir", str(folder), code=2)
    assert _count(tmp_path / "m.db") == 0


# -- adding from a file --------------------------------------------------------------------------------------


def test_adding_from_a_file_is_one_transaction_and_a_rerun_adds_nothing(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "m.db")
    path = tmp_path / "batch.yaml"
    path.write_text(textwrap.dedent("""\
        - title: Payments use the outbox
          decision: Outbox table in the payment database
        - title: Orders are event-sourced
        - title: Payments use the outbox
          decision: Outbox table in the payment database
    """))
    import archassist.agent.memory.decisions as decisions

    real_insert = decisions.insert_row
    calls: list[int] = []

    def failing_second(conn: object, row: object) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")  # like a kill between two decisions
        return real_insert(conn, row)  # type: ignore[arg-type]

    monkeypatch.setattr(decisions, "insert_row", failing_second)
    crashed = runner.invoke(app, ["memory", "add", "--db", db, "--from-file", str(path)])
    assert isinstance(crashed.exception, RuntimeError) and len(calls) == 2
    assert _count(tmp_path / "m.db") == 0
    monkeypatch.setattr(decisions, "insert_row", real_insert)

    out = run(app, "memory", "add", "--db", db, "--from-file", str(path))
    assert out.splitlines() == [
        "added ADR-0001 (accepted): Payments use the outbox",
        "added ADR-0002 (accepted): Orders are event-sourced",
    ]
    again = run(app, "memory", "add", "--db", db, "--from-file", str(path))
    assert again.splitlines() == [
        "already recorded ADR-0001 (accepted): Payments use the outbox",
        "already recorded ADR-0002 (accepted): Orders are event-sourced",
    ]
    assert json.loads(run(app, "memory", "add", "--db", db, "--from-file", str(path), "-f", "json")) == []
    assert _count(tmp_path / "m.db") == 2


# -- status commands -----------------------------------------------------------------------------------------


def test_accept_reject_deprecate(app: typer.Typer, tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    run(app, "memory", "add", "--db", db, "--title", "Order workflows use orchestration", "--status", "proposed")
    run(app, "memory", "add", "--db", db, "--title", "Order workflows use choreography")
    assert run(app, "memory", "accept", "1", "--db", db, "--reason", "agreed in review") == (
        "ADR-0001 is now accepted (agreed in review): Order workflows use orchestration\n"
    )
    assert run(app, "memory", "accept", "ADR-0001", "--db", db).startswith("ADR-0001 was already accepted")
    assert "reason:   agreed in review" in run(app, "memory", "show", "1", "--db", db)
    shown = json.loads(run(app, "memory", "show", "1", "--db", db, "-f", "json"))
    assert (shown["status"], shown["status_reason"]) == ("accepted", "agreed in review")
    run(app, "memory", "reject", "1", "--db", db, "-r", "too much coupling")
    run(app, "memory", "deprecate", "2", "--db", db)
    with open_store(tmp_path / "m.db", readonly=True) as store:
        assert sorted((r.id, r.status) for r in recall(store, "order workflows")) == [(1, "rejected"), (2, "deprecated")]
    run(app, "memory", "accept", "2", "--db", db)
    out = run(app, "memory", "supersede", "2", "1", "--db", db, "--reason", "coupling is fine after all")
    assert out.startswith("ADR-0002 is superseded by ADR-0001")
    assert "superseded by ADR-0001" in run(app, "memory", "accept", "2", "--db", db, code=2)
    assert "no such decision" in run(app, "memory", "reject", "99", "--db", db, code=2)
    assert "bad decision id" in run(app, "memory", "deprecate", "x1", "--db", db, code=2)


# -- backups that survive kills -------------------------------------------------------------------------------


KILLED_BACKUP = """
import os, signal, sys
from archassist.agent.memory import open_store, backup
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)   # die after the copy, before the rename
with open_store(sys.argv[1], readonly=True) as store:
    backup(store, sys.argv[2])
"""


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".copy.db."))


def test_a_killed_backup_leaves_at_most_one_temp_file(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    run(app, "memory", "add", "--db", str(db), "--title", "Keep me")
    target = tmp_path / "copy.db"
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", KILLED_BACKUP, str(db), str(target)], timeout=60)
        assert done.returncode == -9
        leftovers = _temps(tmp_path)
        assert len(leftovers) == 1 and leftovers[0].endswith(".tmp"), leftovers
    assert not target.exists()
    run(app, "memory", "backup", str(target), "--db", str(db))
    assert _temps(tmp_path) == []
    with open_store(target, readonly=True) as copy:
        assert [r.title for r in recall(copy, "keep")] == ["Keep me"]


def test_stale_temp_cleanup_spares_live_and_foreign_files(tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    old = time.time() - 3600
    stale = [tmp_path / ".copy.db.ab12cd34.tmp", tmp_path / ".copy.db.ab12cd34.tmp-journal"]
    live_random = tmp_path / ".copy.db.zz99yy88.tmp"  # an older version's backup still writing
    held = tmp_path / ".copy.db.qq11ww22.tmp"
    mine = tmp_path / f".copy.db.{os.getpid()}.tmp"
    foreign = [tmp_path / ".other.db.ab12cd34.tmp", tmp_path / "copy.db.ab12cd34.tmp", tmp_path / ".copy.db.tmp"]
    for path in [*stale, live_random, held, mine, *foreign]:
        path.write_bytes(b"x")
        if path is not live_random and path is not mine:
            os.utime(path, (old, old))
    holder = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        removed = remove_stale_backup_temps(target)
    finally:
        os.close(holder)
    assert sorted(removed) == sorted(stale)
    assert all(p.exists() for p in [live_random, held, mine, *foreign])


# -- no false alarms -----------------------------------------------------------------------------------------


CHECKPOINTER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
conn.execute("PRAGMA wal_autocheckpoint=0")
end = time.time() + float(sys.argv[2])
i = 0
while time.time() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO decisions (uid, title, content_hash, created, updated) VALUES (?, ?, 'h', 't', 't')",
                 (f"u{i}", f"Filler decision {i} " + "padding " * 200))
    conn.execute("COMMIT")
    if i % 5 == 0:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    i += 1
"""


def test_opening_during_checkpoints_never_raises_a_false_alarm(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    with open_store(db) as store:
        store.conn.execute("SELECT 1")
    writer = subprocess.Popen([sys.executable, "-c", CHECKPOINTER, str(db), "3"])
    try:
        deadline = time.time() + 2.5
        opened = 0
        while time.time() < deadline:
            with open_store(db, readonly=opened % 2 == 0) as store:
                recall(store, "filler padding", limit=3)
            opened += 1
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == 0 and opened > 20


def test_a_healthy_database_is_opened_without_examining_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archassist.agent.memory.store as store_module

    db = tmp_path / "m.db"
    with open_store(db) as store:
        store.conn.execute("SELECT 1")

    def no_diagnosis(path: Path) -> str:
        raise AssertionError("the header was examined although SQLite opened the file")

    monkeypatch.setattr(store_module, "describe_damage", no_diagnosis)
    for readonly in (True, False):
        with open_store(db, readonly=readonly) as store:
            assert recall(store, "anything") == []


def test_a_real_failure_names_the_damage(tmp_path: Path) -> None:
    from archassist.agent.memory import CorruptDatabaseError, add_decisions

    db = tmp_path / "m.db"
    with open_store(db) as store:
        add_decisions(store, [{"title": f"Decision {i} about carriers " + "x" * 300} for i in range(300)])
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 123])
    with pytest.raises(CorruptDatabaseError, match="truncated") as info, open_store(db) as store:
        recall(store, "carriers")
    assert "restore it from a backup" in str(info.value) and "\n" not in str(info.value)
