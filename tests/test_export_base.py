"""The export home: artifact paths, the kind lookup, the folder writer and the CLI's errors, with a test exporter
standing in for the real kinds (each kind has its own test module)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.export import base
from archassist.agent.export.base import Artifact, ExportOptions, export, exporter_for
from archassist.agent.export.write import write_artifacts
from archassist.agent.model.design import Design
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "tests" / "fixtures" / "render_design.yaml"


def one_file_per_topic(design: Design, options: ExportOptions) -> list[Artifact]:
    files = [Artifact(f"topics/{t.name}.txt", f"{t.name} {t.partitions}\n", "a topic") for t in design.topics]
    if options.system:
        files.append(Artifact("all.txt", "".join(f.content for f in files)))
    return files


def twice(design: Design, options: ExportOptions) -> list[Artifact]:
    return [Artifact("same.txt", "a"), Artifact("same.txt", "b")]


@pytest.fixture
def test_kind(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(base.KINDS, "testkind", (__name__, "one_file_per_topic", "a test kind"))
    monkeypatch.setitem(base.KINDS, "twice", (__name__, "twice", "a broken test kind"))
    monkeypatch.setattr(base, "SYSTEM_KINDS", {*base.SYSTEM_KINDS, "testkind"})
    return "testkind"


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../up.txt", "a/../../b", "a\\b", "nul\x00"])
def test_artifact_paths_stay_inside_the_folder(path: str) -> None:
    with pytest.raises(ValueError, match="must be relative"):
        Artifact(path, "x")


def test_unknown_kind_suggests_the_close_one() -> None:
    with pytest.raises(InputError, match=r"unknown export kind 'asyncap' \(did you mean 'asyncapi'\?\)"):
        exporter_for("asyncap")


def test_export_sorts_and_refuses_duplicates(test_kind: str) -> None:
    from archassist.agent.model.io import load_design

    design = load_design(DESIGN)
    artifacts = export(design, test_kind, ExportOptions(system=True))
    assert [a.path for a in artifacts] == sorted(a.path for a in artifacts)
    assert len(artifacts) == len(design.topics) + 1
    with pytest.raises(AssertionError, match=r"same\.txt twice"):
        export(design, "twice")


def test_writer_creates_folders_and_replaces_its_own_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    artifacts = [Artifact("a/b/c.txt", "one\n"), Artifact("top.txt", "two\n")]
    written = write_artifacts(artifacts, out)
    assert [p.read_text() for p in written] == ["one\n", "two\n"]
    write_artifacts([Artifact("a/b/c.txt", "changed\n")], out)
    assert (out / "a/b/c.txt").read_text() == "changed\n"
    assert (out / "top.txt").read_text() == "two\n"


def test_writer_refuses_a_file_as_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(InputError, match="not a folder"):
        write_artifacts([Artifact("x.txt", "x")], target)
    assert target.read_text() == "keep me"


def test_writer_refuses_a_symlinked_subfolder_leading_out_and_writes_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "schemas")
    artifacts = [Artifact("first.txt", "1"), Artifact("schemas/evil.txt", "2")]
    with pytest.raises(InputError, match="leaves the output folder"):
        write_artifacts(artifacts, out)
    assert not (out / "first.txt").exists()
    assert list(outside.iterdir()) == []


def test_writer_refuses_a_folder_where_a_file_goes(tmp_path: Path) -> None:
    (tmp_path / "x.txt").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        write_artifacts([Artifact("x.txt", "x")], tmp_path)


runner = CliRunner()


def test_cli_writes_a_folder_and_prints_one_file(test_kind: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(DESIGN), "--to", test_kind, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and sorted(p.name for p in (tmp_path / "out" / "topics").iterdir())
    many = runner.invoke(app, ["export", str(DESIGN), "--to", test_kind])
    assert many.exit_code == 2 and "give a folder with -o DIR" in many.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "avr"], "did you mean 'avro'"),
        (["--to", "testkind", "-o", "{file}"], "not a folder"),
        (["--to", "avro", "--system", "-o", "{file}"], "applies to asyncapi, testkind only, not to avro"),
        (["--to", "twice", "--system"], "applies to asyncapi, testkind only, not to twice"),
    ],
)
def test_cli_errors_are_one_line(test_kind: str, tmp_path: Path, args: list[str], message: str) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep")
    args = [a.replace("{file}", str(existing)) for a in args]
    result = runner.invoke(app, ["export", str(DESIGN), *args])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert existing.read_text() == "keep"


def test_cli_refuses_a_file_that_is_not_a_design(test_kind: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("events: &a [*a]\n")
    result = runner.invoke(app, ["export", str(bad), "--to", test_kind, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
