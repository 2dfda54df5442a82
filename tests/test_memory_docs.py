"""docs/memory.md tells the truth: its command synopsis matches the CLI, its concrete examples run, its MADR
example reads back, and its Python example works."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from archassist.agent.cli.root import app
from archassist.agent.memory.adr import parse_madr
from typer.testing import CliRunner

DOC = Path(__file__).resolve().parent.parent / "docs" / "memory.md"
TEXT = DOC.read_text(encoding="utf-8")
runner = CliRunner()


def _block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", TEXT, re.DOTALL)
    assert match, f"no {language} block in {DOC}"
    return match.group(1)


def _synopsis() -> list[str]:
    """The synopsis lines, with continuation lines joined to the command they continue."""
    lines: list[str] = []
    for line in _block("text").splitlines():
        if line.startswith("archassist "):
            lines.append(line.split("  #")[0])
        elif line.strip() and lines:
            lines[-1] += " " + line.strip()
    return lines


@pytest.mark.parametrize("line", _synopsis())
def test_every_synopsis_line_names_a_command_and_options_that_exist(line: str) -> None:
    words = line.split()[1:]
    command = [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)]
    if command[0] != "memory":
        command = command[:1]
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, (line, result.output)
    for option in re.findall(r"--[a-z][a-z-]*", line):
        assert option in result.output, f"{line}: {option} is not an option of `archassist {' '.join(command)}`"


def _inline_examples() -> list[str]:
    """Backticked `archassist ...` commands with arguments and no placeholder (an upper-case word); a bare
    command name in the prose is a mention, not an example."""
    found = re.findall(r"`(archassist [^`]+)`", TEXT)
    return [e for e in found if not re.search(r"\b[A-Z][A-Z_]+\b", e) and not re.fullmatch(r"[a-z ]+", e)]


def test_the_inline_examples_run(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    assert runner.invoke(app, ["memory", "add", "--db", db, "--title", "Consumers retry with backoff",
                               "--decision", "Retry storms are damped by jitter"]).exit_code == 0
    examples = _inline_examples()
    assert 'archassist recall -- "-retry storms"' in examples
    for example in examples:
        args = shlex.split(example)[1:]
        result = runner.invoke(app, [*args, "--db", db] if "--" not in args else
                               [*args[: args.index("--")], "--db", db, *args[args.index("--"):]])
        assert result.exit_code == 0, (example, result.output)
    assert "Consumers retry with backoff" in runner.invoke(
        app, ["recall", "--db", db, "--", "-retry storms"]
    ).output


def test_the_madr_example_reads_back_as_documented() -> None:
    parsed = parse_madr(_block("markdown"), "example.md")
    assert parsed.fields["title"] == "Order workflows use orchestration"
    assert parsed.fields["status"] == "superseded" and parsed.superseded_by == 9 and parsed.supersedes == 3
    assert parsed.fields["extra"] == {"decision-makers": ["Ann"]}
    assert parsed.fields["alternatives"] == ["Orchestrated saga", "Choreography"]


def test_the_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archassist.agent.planner.compose import plan

    monkeypatch.setenv("ARCHASSIST_DB", str(tmp_path / "memory.db"))
    brief = "Hotel booking: guests reserve rooms and pay a deposit"
    scope = {"brief": brief, "design": plan(brief).design}
    exec(compile(_block("python"), str(DOC), "exec"), scope)
    assert scope["precedents"] == [] and scope["design_id"] == 1
