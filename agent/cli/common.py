"""What every command module shares: how a user error ends a command. Imports only typer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """End with one line on stderr: what is wrong, where, and how to fix it."""
    typer.echo(f"archassist: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"archassist: warning: {message}", err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an InputError raised inside the block into one line and exit code 2."""
    from archassist.agent.errors import InputError

    try:
        yield
    except InputError as exc:
        fail(str(exc))


def output_format(fmt: str) -> str:
    """The format a command's `--format text|json` names, case and spaces ignored; anything else is a user error."""
    value = fmt.strip().lower()
    if value not in ("text", "json"):
        fail(f"unknown format {fmt!r}; use text or json")
    return value


def print_json(data: Any) -> None:
    """JSON for scripts on stdout: indented, non-ASCII kept as written."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
