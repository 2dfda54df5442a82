"""The memory under concurrent writers and under a writer killed in the middle of a transaction."""

from __future__ import annotations

import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from archassist.agent.memory import list_decisions, open_store, recall

WRITERS = 4
WRITES_EACH = 1000


def _writer(path: str, worker: int, count: int) -> None:
    from archassist.agent.memory import add_decision, open_store

    with open_store(path) as store:  # several processes create and migrate the new database at once
        for i in range(count):
            add_decision(store, title=f"Writer w{worker} decision {i} about shipments", tags=[f"w{worker}"])


def _fts_in_sync(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO decisions_fts(decisions_fts) VALUES ('integrity-check')")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w, WRITES_EACH)) for w in range(WRITERS)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=240)
        assert process.exitcode == 0
    with open_store(path, readonly=True) as store:
        total = store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        assert total == WRITERS * WRITES_EACH
        titles = {row[0] for row in store.conn.execute("SELECT title FROM decisions")}
        assert len(titles) == WRITERS * WRITES_EACH
        matched = store.conn.execute(
            "SELECT count(*) FROM decisions_fts WHERE decisions_fts MATCH 'shipment'"
        ).fetchone()[0]
        assert matched == WRITERS * WRITES_EACH
        for w in range(WRITERS):
            assert len(recall(store, f"w{w}", limit=WRITES_EACH + 10)) == WRITES_EACH
    _fts_in_sync(path)


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from archassist.agent.memory import add_decision, open_store
    from archassist.agent.memory.decisions import decision_row, insert_row

    store = open_store(sys.argv[1])
    add_decision(store, title="Committed before the crash")
    store.conn.execute("PRAGMA cache_size=20")  # small cache: uncommitted pages spill into the WAL file
    with store.transaction() as conn:
        for i in range(3000):
            insert_row(conn, decision_row({"title": f"Uncommitted {i}", "context": "lost " * 50}))
        print("in transaction", flush=True)
        time.sleep(120)
    """
)


def test_a_writer_killed_mid_transaction_leaves_a_sound_database(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "in transaction", child.stderr.read() if child.stderr else ""
        assert Path(str(path) + "-wal").stat().st_size > 0  # the uncommitted work really reached the disk
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with open_store(path) as store:
        assert [r.title for r in list_decisions(store, limit=10)] == ["Committed before the crash"]
        assert recall(store, "uncommitted lost") == []
    _fts_in_sync(path)
