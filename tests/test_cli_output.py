"""Writing results: files are never damaged (symlinks, modes, hard links, special files, OS errors), and the
format follows the -o extension unless --format says otherwise."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from archassist.agent.cli.exits import run
from archassist.agent.cli.output import pick_format
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.model import files
from archassist.agent.model.files import write_text_atomic
from hypothesis import given, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures" / "review"
BRIEF = "order fulfillment across payments, inventory, and shipping"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---- the writer ----------------------------------------------------------------------------------------------


def test_a_new_file_honours_the_umask(tmp_path: Path, umask: None) -> None:
    write_text_atomic(tmp_path / "a.md", "x\n")
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o644
    os.umask(0o027)
    write_text_atomic(tmp_path / "b.md", "x\n")
    assert stat.S_IMODE((tmp_path / "b.md").stat().st_mode) == 0o640


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_an_existing_file_keeps_its_mode(tmp_path: Path, mode: int, umask: None) -> None:
    target = tmp_path / "design.yaml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert leftovers(tmp_path) == []


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "design.md"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == "new\n" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.md"
    link.symlink_to("target.md")
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and (tmp_path / "target.md").read_text(encoding="utf-8") == "new\n"


def test_a_hard_linked_file_is_rewritten_in_place(tmp_path: Path) -> None:
    first = tmp_path / "first.md"
    first.write_text("old content that is longer\n", encoding="utf-8")
    second = tmp_path / "second.md"
    os.link(first, second)
    write_text_atomic(first, "new\n")
    assert second.read_text(encoding="utf-8") == "new\n" and first.stat().st_ino == second.stat().st_ino


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "out.md"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\), not a regular file; .* use - for stdout"):
        write_text_atomic(fifo, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and leftovers(tmp_path) == []


def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.md").symlink_to(fifo)
    with pytest.raises(InputError, match="FIFO"):
        write_text_atomic(tmp_path / "link.md", "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_socket_is_refused() -> None:
    folder = Path(tempfile.mkdtemp(prefix="aa-", dir="/tmp"))  # short: socket paths are limited to ~100 bytes
    path = folder / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(InputError, match="is a socket"):
            write_text_atomic(path, "x")
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        server.close()
        path.unlink(missing_ok=True)
        folder.rmdir()


def test_a_directory_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory; give a file name inside it"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(InputError, match=r"folder .* does not exist; create it first"):
        write_text_atomic(tmp_path / "nope" / "a.md", "x")


@pytest.mark.parametrize(
    ("number", "hint"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "choose a writable location"),
        (errno.EIO, "check the path and try again"),
    ],
)
def test_an_os_error_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int, hint: str
) -> None:
    target = tmp_path / "design.md"
    target.write_text("old\n", encoding="utf-8")

    def failing_write(fd: int, data: object) -> int:
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(files.os, "write", failing_write)
    with pytest.raises(InputError) as caught:
        write_text_atomic(target, "new\n")
    message = str(caught.value)
    assert message.startswith(f"{target}: cannot write the file ({os.strerror(number)}); ") and hint in message
    assert "\n" not in message
    assert target.read_text(encoding="utf-8") == "old\n" and leftovers(tmp_path) == []


def test_a_file_in_a_folder_we_cannot_create_in_is_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "design.md"
    target.write_text("old\n", encoding="utf-8")

    def no_temp(folder: Path, name: str) -> tuple[int, Path]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files, "_create_temp", no_temp)
    write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"


@settings(max_examples=40, deadline=None)
@given(st.text())
def test_what_is_written_reads_back(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.txt"
        try:
            write_text_atomic(target, text)
        except UnicodeEncodeError:
            assert any(0xD800 <= ord(c) <= 0xDFFF for c in text)  # lone surrogates are not text
            return
        assert target.read_bytes() == text.encode("utf-8")


# ---- the format follows the extension --------------------------------------------------------------------------

DESIGN_FORMATS = ("markdown", "json", "yaml", "report", "mermaid")


@pytest.mark.parametrize(
    ("explicit", "output", "expected"),
    [
        (None, None, "markdown"),
        (None, "-", "markdown"),
        (None, "d.yaml", "yaml"),
        (None, "d.YML", "yaml"),
        (None, "out/d.json", "json"),
        (None, "d.md", "markdown"),
        (None, "d.mmd", "mermaid"),
        (None, "d.txt", "markdown"),
        (None, "d.sarif", "markdown"),  # not a design format: the default
        ("report", "d.json", "report"),  # an explicit --format wins
        ("yaml", "d.md", "yaml"),
    ],
)
def test_pick_format(explicit: str | None, output: str | None, expected: str) -> None:
    assert pick_format(explicit, output, DESIGN_FORMATS, "markdown") == expected


def test_design_to_a_yaml_file_is_yaml_that_review_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "design.yaml"
    code, out, err = cli(capsys, "design", BRIEF, "--no-memory", "-o", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["name"]
    code, out, _ = cli(capsys, "review", str(target))
    assert code == 0 and out.strip().endswith("0 errors, 0 warnings, 0 info in 1 file")


@pytest.mark.parametrize(
    ("name", "explicit", "check"),
    [
        ("design.json", None, lambda text: json.loads(text)["schema_version"] == 1),
        ("design.md", None, lambda text: text.startswith("# ")),
        ("design.mmd", None, lambda text: text.lstrip().startswith(("flowchart", "graph", "sequenceDiagram", "%%"))),
        ("design.json", "report", lambda text: "schema_version" not in json.loads(text)),
    ],
)
def test_design_output_formats_follow_the_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, explicit: str | None, check: object
) -> None:
    target = tmp_path / name
    args = ["design", BRIEF, "--no-memory", "-o", str(target)] + (["--format", explicit] if explicit else [])
    assert cli(capsys, *args)[0] == 0
    assert callable(check) and check(target.read_text(encoding="utf-8"))


def test_review_output_format_follows_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flawed = str(FIXTURES / "flawed.yaml")
    sarif = tmp_path / "findings.sarif"
    assert cli(capsys, "review", flawed, "-o", str(sarif))[0] == 1
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"
    report = tmp_path / "findings.json"
    assert cli(capsys, "review", flawed, "-o", str(report))[0] == 1
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["files"] == 1
    text = tmp_path / "findings.txt"
    assert cli(capsys, "review", flawed, "-o", str(text))[0] == 1
    assert "errors (" in text.read_text(encoding="utf-8")
    code, out, _ = cli(capsys, "review", flawed, "-o", "-", "--format", "github")
    assert code == 1 and out.startswith("::error ")


def test_schema_to_stdout_with_a_dash(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "schema", "-o", "-")
    assert code == 0 and json.loads(out)["title"] and err == ""


# ---- output errors on the command line -------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["schema"], ["design", BRIEF, "--no-memory"], ["review", "REVIEWED"]])
def test_bad_outputs_are_one_line_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    command = [str(FIXTURES / "clean.yaml") if part == "REVIEWED" else part for part in command]
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for target, expected in (
        (tmp_path, "is a directory"),
        (fifo, "is a FIFO"),
        (tmp_path / "missing" / "x.json", "does not exist"),
    ):
        code, out, err = cli(capsys, *command, "-o", str(target))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and expected in err and err.startswith("archassist: ")


def test_a_full_disk_is_one_line_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "schema.json"

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "write", full)
    code, out, err = cli(capsys, "schema", "-o", str(target))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "No space left on device" in err and "the disk is full" in err
    assert not target.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(("name", "explicit", "is_json"), [("d.json", None, True), ("d.yml", None, False), ("d.yaml", "json", True)])
def test_import_asyncapi_output_follows_the_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, explicit: str | None, is_json: bool
) -> None:
    source = Path(__file__).parent / "fixtures" / "asyncapi" / "declared.yaml"
    target = tmp_path / name
    extra = ["--format", explicit] if explicit else []
    code, out, err = cli(capsys, "import", "asyncapi", str(source), "-o", str(target), *extra)
    assert code == 0 and out == "", err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("{") is is_json
    assert yaml.safe_load(text)["schema_version"] == 1


def test_a_refused_output_is_refused_before_the_design_is_made_and_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = Path(os.environ["ARCHASSIST_HOME"])
    code, _, err = cli(capsys, "design", BRIEF, "--backend", "offline", "-o", str(tmp_path))
    assert code == 2 and "is a directory" in err
    assert "remembered" not in err and not (home / "memory.db").exists()
