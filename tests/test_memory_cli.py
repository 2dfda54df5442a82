"""`archassist recall` and `archassist memory ...` through typer, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from archassist.agent.cli.memory import register
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture()
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """archassist (test harness)"""

    register(application)
    return application


def run(app: typer.Typer, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    if code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("archassist: "), result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        return lines[0]
    return result.stdout


def test_add_recall_show_list_supersede_stats(app: typer.Typer, tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    out = run(app, "memory", "add", "--db", db, "--title", "Order workflows use orchestration",
              "--decision", "Saga orchestrator", "--alternative", "Choreography", "-a", "Two-phase commit",
              "--tag", "sagas", "--tag", "orders", "--context", "Payments, inventory, shipping")
    assert out == "added ADR-0001 (accepted): Order workflows use orchestration\n"
    run(app, "memory", "add", "--db", db, "--title", "Order workflows use choreography", "--status", "proposed")

    text = run(app, "recall", "order-workflow (orchestration)", "--db", db)
    assert text.splitlines()[0].startswith("ADR-0001  accepted")
    data = json.loads(run(app, "recall", "orders", "--db", db, "--format", "json", "--status", "accepted"))
    assert [d["id"] for d in data] == ["ADR-0001"]
    assert list(data[0]) == ["id", "title", "status", "context", "decision", "consequences", "alternatives",
                             "tags", "cites", "supersedes", "superseded_by", "design_id", "uid", "created",
                             "updated", "score"]

    shown = run(app, "memory", "show", "1", "--db", db)
    assert "ADR-0001  Order workflows use orchestration" in shown and "  * Two-phase commit" in shown
    assert json.loads(run(app, "memory", "show", "ADR-0001", "--db", db, "-f", "json"))["tags"] == ["sagas", "orders"]

    assert run(app, "memory", "supersede", "ADR-0001", "2", "--db", db).startswith("ADR-0001 is superseded by ADR-0002")
    listed = run(app, "memory", "list", "--db", db).splitlines()
    assert [line.split()[:2] for line in listed] == [["ADR-0002", "proposed"], ["ADR-0001", "superseded"]]
    assert json.loads(run(app, "memory", "list", "--db", db, "--status", "superseded", "-f", "json"))[0]["id"] == \
        "ADR-0001"
    stats = json.loads(run(app, "memory", "stats", "--db", db, "--format", "json"))
    assert stats["decisions"] == 2 and stats["by_status"]["superseded"] == 1
    assert "decisions: 2 (1 proposed, 1 superseded)" in run(app, "memory", "stats", "--db", db)


def test_db_option_beats_environment(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHASSIST_DB", str(tmp_path / "env.db"))
    run(app, "memory", "add", "--title", "In env db")
    run(app, "memory", "add", "--title", "In flag db", "--db", str(tmp_path / "flag.db"))
    assert "In env db" in run(app, "memory", "list")
    assert "In env db" not in run(app, "memory", "list", "--db", str(tmp_path / "flag.db"))


def test_export_import_and_backup(app: typer.Typer, tmp_path: Path) -> None:
    db, other, adr = str(tmp_path / "m.db"), str(tmp_path / "o.db"), str(tmp_path / "adr")
    run(app, "memory", "add", "--db", db, "--title", "Use the outbox", "--tag", "outbox")
    run(app, "memory", "add", "--db", db, "--title", "Drop dual writes")
    run(app, "memory", "supersede", "1", "2", "--db", db)
    assert run(app, "memory", "export", "--adr-dir", adr, "--db", db) == \
        f"exported 2 decisions to {adr}: 2 written, 0 unchanged\n"
    assert run(app, "memory", "export", "--adr-dir", adr, "--db", db).endswith("0 written, 2 unchanged\n")
    assert run(app, "memory", "import", "--adr-dir", adr, "--db", other).endswith("2 added, 0 updated, 0 unchanged\n")
    assert run(app, "memory", "import", "--adr-dir", adr, "--db", other).endswith("0 added, 0 updated, 2 unchanged\n")
    assert json.loads(run(app, "memory", "show", "1", "--db", other, "-f", "json"))["superseded_by"] == "ADR-0002"
    out = run(app, "memory", "backup", str(tmp_path / "backup.db"), "--db", db)
    assert out.startswith(f"backed up {db} to {tmp_path / 'backup.db'}")
    assert "Use the outbox" in run(app, "memory", "list", "--db", str(tmp_path / "backup.db"))


def test_add_from_files(app: typer.Typer, tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    source = tmp_path / "decisions.yaml"
    source.write_text("- title: Partition by order id\n  tags: [kafka]\n- title: Keep 7 days\n  status: proposed\n")
    out = run(app, "memory", "add", "--from-file", str(source), "--db", db)
    assert out.splitlines() == ["added ADR-0001 (accepted): Partition by order id",
                                "added ADR-0002 (proposed): Keep 7 days"]
    madr = tmp_path / "0001-x.md"
    madr.write_text("---\nstatus: rejected\n---\n# Use polling\n\n## Decision Outcome\n\nNo.\n")
    assert run(app, "memory", "add", "--from-file", str(madr), "--db", db) == "added ADR-0003 (rejected): Use polling\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["memory", "show", "42"], "ADR-0042: no such decision"),
        (["memory", "show", "forty-two"], "bad decision id"),
        (["memory", "add"], "needs a title"),
        (["memory", "add", "--title", "x", "--status", "approved"], "unknown status"),
        (["memory", "add", "--title", "x", "--from-file", "f.yaml"], "either --from-file"),
        (["memory", "add", "--from-file", "missing.yaml"], "no such file"),
        (["recall", "x", "--format", "xml"], "unknown format"),
        (["recall", "x", "--status", "maybe"], "unknown status"),
        (["memory", "supersede", "1", "1"], "cannot supersede itself"),
        (["memory", "import", "--adr-dir", "no-such-dir"], "no such folder"),
    ],
)
def test_user_errors_are_one_line_exit_2(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         args: list[str], expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    run(app, "memory", "add", "--title", "One", "--db", "m.db")
    assert expected in run(app, *args, "--db", "m.db", code=2)


def test_damaged_databases_are_one_line_exit_2_and_untouched(app: typer.Typer, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database at all\n" * 10)
    before = corrupt.read_bytes()
    for args in (["recall", "x"], ["memory", "add", "--title", "x"], ["memory", "list"], ["memory", "stats"]):
        assert "not an SQLite database" in run(app, *args, "--db", str(corrupt), code=2)
    assert corrupt.read_bytes() == before
    readonly = tmp_path / "ro.db"
    run(app, "memory", "add", "--title", "Frozen", "--db", str(readonly))
    readonly.chmod(0o444)
    try:
        assert "read-only" in run(app, "memory", "add", "--title", "x", "--db", str(readonly), code=2)
        assert "Frozen" in run(app, "recall", "frozen", "--db", str(readonly))
    finally:
        readonly.chmod(0o644)


def test_empty_results(app: typer.Typer, tmp_path: Path) -> None:
    db = str(tmp_path / "never-created.db")
    result = runner.invoke(app, ["recall", "anything", "--db", db])
    assert result.exit_code == 0 and result.stdout == "" and "no matching decisions" in result.stderr
    assert json.loads(run(app, "recall", "anything", "--db", db, "-f", "json")) == []
    assert "not created yet" in run(app, "memory", "stats", "--db", db)
    assert "nothing to back up" in run(app, "memory", "backup", str(tmp_path / "b.db"), "--db", db, code=2)
    assert not Path(db).exists()


def test_importing_the_cli_module_stays_light() -> None:
    code = (
        "import sys, archassist.agent.cli.memory;"
        "heavy = [m for m in ('sqlite_utils', 'yaml', 'rich', 'pydantic', 'archassist.agent.memory') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_recall_path_does_not_load_heavy_modules(tmp_path: Path) -> None:
    from archassist.agent.memory import add_decision, open_store

    with open_store(tmp_path / "m.db") as store:
        add_decision(store, title="Order workflows use orchestration")
    code = (
        "import sys; from archassist.agent.memory import open_store, recall, precedents_for_brief;"
        f"s = open_store({str(tmp_path / 'm.db')!r}, readonly=True); recall(s, 'x'); precedents_for_brief(s, 'x');"
        "assert recall(s, 'orchestration');"
        "print([m for m in ('sqlite_utils', 'yaml', 'pydantic') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
