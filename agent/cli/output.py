"""Where a command's result goes: the format an `-o` file's extension implies, and writing to a file or stdout.

Every command that writes a result uses these two functions, so `-o design.yaml` means YAML everywhere and
`-o -` means stdout everywhere. Imports only the standard library and typer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from archassist.agent.cli.common import fail

STDOUT = "-"

# Extension → format name; a command picks the entries for the formats it has.
EXTENSION_FORMATS: dict[str, str] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mmd": "mermaid",
    ".sarif": "sarif",
}


def is_stdout(output: Path | str | None) -> bool:
    return output is None or str(output) == STDOUT


def pick_format(
    explicit: str | None,
    output: Path | str | None,
    known: tuple[str, ...],
    default: str,
) -> str:
    """The output format: an explicit --format wins, else the -o file's extension when it names one of the
    command's formats, else the command's default."""
    if explicit is not None:
        return explicit
    if is_stdout(output):
        return default
    implied = EXTENSION_FORMATS.get(Path(str(output)).suffix.lower())
    return implied if implied in known else default


def check_output(output: Path | str | None) -> None:
    """Refuse an output that cannot be written before the command does its work (one line, exit 2): a folder,
    a device, a FIFO, a socket, or a file in a folder that does not exist."""
    if is_stdout(output):
        return
    import os

    from archassist.agent.errors import InputError
    from archassist.agent.model.files import refuse_special

    try:
        refuse_special(str(output))
    except InputError as exc:
        fail(str(exc))
    folder = Path(os.path.realpath(str(output))).parent
    if not folder.is_dir():
        fail(f"{output}: folder {folder} does not exist; create it first or choose another path")


def write_output(text: str, output: Path | str | None, *, announce: bool = True) -> None:
    """Write text to the file (never damaging what is there) or to stdout for None or `-`; a user error
    (a folder, a device, a read-only disk…) ends the command with one line and exit code 2."""
    if is_stdout(output):
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
        return
    from archassist.agent.errors import InputError
    from archassist.agent.model.files import write_text_atomic

    try:
        write_text_atomic(str(output), text)
    except InputError as exc:
        fail(str(exc))
    if announce:
        typer.echo(f"wrote {output}", err=True)
