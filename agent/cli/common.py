"""What every command module shares: how a user error ends a command. Imports only typer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

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
