"""The `archassist` command line: a thin typer layer over plain functions in archassist.agent.

Module-level imports stay light (typer and the standard library) so `archassist --help` starts fast; each
command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.__about__ import __version__
from archassist.agent.cli.common import fail

# pydantic scans every installed distribution for plugins when the first model is built (tens of milliseconds
# per command); archassist uses none. Setting the variable yourself restores the scan.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

EXAMPLES = """Examples:

\b
  archassist design "order fulfillment across payments, inventory and shipping"
  archassist design "IoT telemetry at 100k events/sec with audit and GDPR" -f json -o design.json
  archassist review design.yaml
  archassist review asyncapi.yaml --format sarif > findings.sarif
  archassist recall "order workflow coordination"
  archassist schema > design.schema.json
"""

app = typer.Typer(
    name="archassist",
    help="Design, review and evolve event-driven systems.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class BackendChoice(StrEnum):
    auto = "auto"
    offline = "offline"
    anthropic = "anthropic"


class DesignFormat(StrEnum):
    markdown = "markdown"
    json = "json"
    yaml = "yaml"
    report = "report"
    mermaid = "mermaid"


def emit(text: str, output: Path | None, *, markdown: bool = False) -> None:
    """Write a result to a file (atomically) or stdout; Markdown is rendered with rich on a terminal."""
    if output is not None:
        from archassist.agent.errors import InputError
        from archassist.agent.model.files import write_text_atomic

        try:
            write_text_atomic(output, text)
        except InputError as exc:
            fail(str(exc))
        typer.echo(f"wrote {output}", err=True)
        return
    if markdown and sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
        return
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archassist {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Design, review and evolve event-driven systems."""


@app.command()
def design(
    brief: Annotated[str, typer.Argument(help="What the system must do, in plain words.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    fmt: Annotated[DesignFormat, typer.Option("--format", "-f", help="Output format.")] = DesignFormat.markdown,
    no_memory: Annotated[
        bool, typer.Option("--no-memory", help="Neither recall precedents nor store this design.")
    ] = False,
    db: Annotated[
        Path | None, typer.Option("--db", help="Memory database (default: $ARCHASSIST_DB or the user data dir).")
    ] = None,
    backend: Annotated[
        BackendChoice,
        typer.Option(
            "--backend",
            case_sensitive=False,
            help="offline (the planner), anthropic (Claude), or auto (Claude when ANTHROPIC_API_KEY is set).",
        ),
    ] = BackendChoice.auto,
    model: Annotated[
        str | None, typer.Option("--model", help="Claude model id (default: $ARCHASSIST_MODEL, else the current Sonnet).")
    ] = None,
    repair_rounds: Annotated[
        int,
        typer.Option("--repair-rounds", min=0, max=10, help="Rounds of sending rule findings back to Claude; 0: none."),
    ] = 2,
    no_fallback: Annotated[
        bool, typer.Option("--no-fallback", help="Exit 1 instead of falling back to the planner when Claude fails.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the request Claude would receive, without calling the API.")
    ] = False,
    max_retries: Annotated[
        int | None,
        typer.Option("--max-retries", min=0, help="Retries on rate limits, overload and connection errors (default 2)."),
    ] = None,
) -> None:
    """Design an event-driven architecture from a brief.

    Recalls the team's accepted decisions first and follows them where they apply; stores the design and its
    decisions afterwards (--no-memory to skip both).

    Example: archassist design "order fulfillment across payments, inventory and shipping"
    """
    if not brief.strip():
        fail('the brief is empty; describe the system, e.g. archassist design "ride hailing with payments"')
    from archassist.agent.modes.design import BackendOptions, run_design_mode

    chosen = backend.value
    if chosen == "auto" and not os.environ.get("ANTHROPIC_API_KEY") and not dry_run:
        chosen = "offline"  # skip loading the backend machinery on the default, offline path
    options = BackendOptions(
        backend=chosen,
        model=model,
        repair_rounds=repair_rounds,
        no_fallback=no_fallback,
        dry_run=dry_run,
        max_retries=max_retries,
    )
    outcome = run_design_mode(brief, use_memory=not no_memory, db=db, options=options)
    for line in outcome.notices:
        typer.echo(line, err=True)
    if outcome.design is None:
        return
    emit(outcome.render(fmt.value), output, markdown=fmt is DesignFormat.markdown)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the Design file format."""
    import json

    from archassist.agent.model.design import design_json_schema

    emit(json.dumps(design_json_schema(), indent=2) + "\n", output)


def _register_extensions() -> None:
    """Attach the command groups that live in their own modules."""
    import importlib

    for module in (
        "archassist.agent.cli.review",
        "archassist.agent.cli.asyncapi",
        "archassist.agent.cli.memory",
        "archassist.agent.cli.server",
        "archassist.agent.cli.reliability",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)


_register_extensions()


def main() -> None:
    from archassist.agent.errors import InputError

    try:
        app()
    except InputError as exc:
        typer.echo(f"archassist: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("archassist: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()
