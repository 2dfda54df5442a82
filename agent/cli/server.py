"""`archassist serve`, `archassist prompt` and `archassist install`: the MCP server and the role prompts.

Only typer is imported at module level; the MCP SDK loads when `serve` runs, so `archassist --help` stays fast.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from archassist.agent.cli.common import fail as _fail
from archassist.agent.cli.common import user_errors as _user_errors

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Memory database file (default: $ARCHASSIST_DB, else $ARCHASSIST_HOME/memory.db, "
        "else the user data folder).",
        show_default=False,
    ),
]


# `install claude-code` could not register the server because Claude Code is missing (documented in docs/mcp.md).
NOT_INSTALLED = 1


class Transport(StrEnum):
    stdio = "stdio"
    streamable_http = "streamable-http"


class Scope(StrEnum):
    local = "local"
    project = "project"
    user = "user"


install_app = typer.Typer(
    name="install",
    help="Register the archassist MCP server with Claude Code or Claude Desktop.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def serve_command(
    transport: Annotated[
        Transport, typer.Option("--transport", "-t", help="stdio for a local client; streamable-http for HTTP.")
    ] = Transport.stdio,
    host: Annotated[str, typer.Option(help="HTTP only: the address to listen on (loopback unless --allow-remote).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="HTTP only: the port to listen on.", min=1, max=65535)] = 8000,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            envvar="ARCHASSIST_ROOT",
            help="Workspace folder: the only place tools may read files from (default: the working directory).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="HTTP only: allow listening on a non-loopback address.")
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR (logs go to stderr).")] = (
        "INFO"
    ),
) -> None:
    """Run the MCP server (tools, prompts, resources) for Claude Code, Claude Desktop or any MCP client.

    Example: archassist serve --transport streamable-http --port 8765
    """
    level = log_level.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        _fail(f"unknown log level {log_level!r}; use DEBUG, INFO, WARNING or ERROR")
    with _user_errors():
        from archassist.tools.network import check_host
        from archassist.tools.workspace import resolve_root

        # Checked before the MCP SDK loads, so a mistake is reported at once.
        if transport is Transport.streamable_http:
            check_host(host, allow_remote=allow_remote)
        workspace = resolve_root(root)
        from archassist.tools.server import serve

        with contextlib.suppress(KeyboardInterrupt):
            serve(
                root=workspace,
                db=db,
                transport=transport.value,
                host=host,
                port=port,
                allow_remote=allow_remote,
                log_level=level,
            )


def _read_target(target: str) -> str:
    """A target that names an existing file brings the file's text along (a design or document to review)."""
    from archassist.agent.errors import InputError
    from archassist.tools.workspace import MAX_INPUT_BYTES

    if "\n" in target or len(target) > 1024:
        return target
    path = Path(target)
    try:
        if not path.is_file():
            return target
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"{target}: file is {size / 1048576:.1f} MiB, over the {MAX_INPUT_BYTES // 1048576} MiB limit for "
                "one input; give a smaller document"
            )
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return target
    return f"{target}:\n\n{text}"


def prompt_command(
    mode: Annotated[str, typer.Argument(help="design, review, contract, reliability or migration.")],
    target: Annotated[
        str, typer.Argument(help="What to work on: a brief, an event name, a flow, or a file to include.")
    ],
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Do not recall precedents from the memory.")] = False,
    db: DbOption = None,
) -> None:
    """Print the rendered role prompt for a mode, ready to paste into any LLM.

    Example: archassist prompt design "order fulfillment across payments, inventory and shipping"
    """
    with _user_errors():
        from archassist.agent.backends.prompting import check_mode, render_prompt

        name = check_mode(mode)
        text = _read_target(target)
        precedents = []
        if not no_memory and text.strip():
            from archassist.agent.memory import open_store, precedents_for_brief

            with open_store(db, readonly=True) as store:
                precedents = precedents_for_brief(store, text, 5)
        rendered = render_prompt(name, text, precedents=precedents)
    sys.stdout.write(rendered.text())


@install_app.command("claude-code")
def install_claude_code(
    scope: Annotated[
        Scope,
        typer.Option(
            "--scope", "-s", help="local: you, this project; project: the team, via .mcp.json; user: you, every project."
        ),
    ] = Scope.local,
    command: Annotated[
        str | None,
        typer.Option(
            "--command", help="Start the server with this executable instead of this installation's archassist."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be run or written; change nothing.")] = (
        False
    ),
) -> None:
    """Register the server with Claude Code.

    local and user scopes run `claude mcp add` (exit code 1, with the command to run by hand, when the claude CLI
    is not installed); project scope merges the server into ./.mcp.json, keeping any other servers there.
    """
    import shlex
    import shutil

    from archassist.tools.install import claude_code_command, project_config, server_command, write_merged

    launcher = [command] if command else server_command()
    if scope is Scope.project:
        with _user_errors():
            result = project_config(Path.cwd(), launcher)
            if dry_run:
                typer.echo(result.text(), nl=False)
                return
            written = write_merged(result, backup=False)
        if written.changed:
            typer.echo(f"added the archassist server to {written.path}", err=True)
        else:
            typer.echo(f"{written.path} already has this archassist server; nothing to do", err=True)
        return
    argv = claude_code_command(scope.value, launcher)
    line = shlex.join(argv)
    if dry_run:
        typer.echo(line)
        return
    claude = shutil.which("claude")
    if claude is None:
        # Nothing was installed, so this must not look like success to a script.
        _fail(
            f"the claude command (Claude Code) is not on PATH, so nothing was registered; install Claude Code and "
            f"run this again, or register by hand where claude is installed: {line}",
            NOT_INSTALLED,
        )
    done = subprocess.run([claude, *argv[1:]], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        reason = " ".join((done.stderr or done.stdout).split()) or f"exit code {done.returncode}"
        _fail(
            f"`{line}` failed: {reason}. If archassist is already registered, remove it first with "
            f"`claude mcp remove archassist -s {scope.value}`"
        )
    typer.echo(f"registered with Claude Code ({scope.value} scope): {line}", err=True)


@install_app.command("claude-desktop")
def install_claude_desktop(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="The Claude Desktop config file (default: this platform's location).", show_default=False),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Workspace folder the server may read (default: the current folder).", show_default=False),
    ] = None,
    command: Annotated[
        str | None,
        typer.Option("--command", help="Start the server with this executable instead of this installation's archassist."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the merged config; change nothing.")] = False,
) -> None:
    """Add the server to Claude Desktop's claude_desktop_config.json (merged, with a timestamped backup).

    Restart Claude Desktop afterwards.
    """
    from archassist.tools.install import desktop_config, desktop_config_path, server_command, write_merged

    path = config or desktop_config_path()
    workspace = (root or Path.cwd()).expanduser().resolve()
    if not workspace.is_dir():
        _fail(f"workspace root {workspace} is not a folder; give an existing folder with --root")
    with _user_errors():
        result = desktop_config(path, [command] if command else server_command(), workspace)
        if dry_run:
            typer.echo(result.text(), nl=False)
            return
        written = write_merged(result, backup=True)
    if not written.changed:
        typer.echo(f"{path} already has this archassist server; nothing to do", err=True)
        return
    saved = f" (previous version saved as {written.backup})" if written.backup else ""
    typer.echo(f"added the archassist server to {path}{saved}; restart Claude Desktop to load it", err=True)


def register(app: typer.Typer) -> None:
    """Attach `serve`, `prompt` and the `install` group to the main command line."""
    commands: dict[str, Callable[..., Any]] = {"serve": serve_command, "prompt": prompt_command}
    for name, function in commands.items():
        app.command(name)(function)
    app.add_typer(install_app, name="install")
