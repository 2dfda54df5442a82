"""The `archassist` command line: a thin typer layer over plain functions in archassist.agent.

Module-level imports stay light (typer and the standard library) so `archassist --help` starts fast; each
command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer
from archassist.agent.__about__ import __version__
from archassist.agent.cli.common import fail

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

# pydantic scans every installed distribution for plugins when the first model is built (tens of milliseconds
# per command); archassist uses none. Setting the variable yourself restores the scan.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
_PLUGINS_OFF = ("__all__", "1", "true")  # the values for which pydantic's loader returns no plugins


def _no_plugins() -> tuple[()]:
    return ()


_LOADER = "pydantic.plugin._loader"


def _real_loader_attribute(attribute: str) -> object:
    # pydantic's loader is private: anything of it other than get_plugins (a later pydantic may ask for more)
    # comes from the real module, imported on that first use.
    if attribute.startswith("__"):  # what the import system probes for (__path__, __file__, …), not pydantic
        raise AttributeError(attribute)
    import importlib

    sys.modules.pop(_LOADER, None)
    return getattr(importlib.import_module(_LOADER), attribute)


def _skip_plugin_loader() -> None:
    """pydantic's plugin loader imports importlib.metadata (and with it the email package, about 20 ms) before it
    reads PYDANTIC_DISABLE_PLUGINS. When the variable turns every plugin off, the loader is one that returns no
    plugins, as pydantic's own does then, without that import."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in _PLUGINS_OFF or _LOADER in sys.modules:
        return
    loader = ModuleType(_LOADER, "pydantic's plugin loader while PYDANTIC_DISABLE_PLUGINS turns every plugin off")
    loader.__dict__["get_plugins"] = _no_plugins
    loader.__dict__["__getattr__"] = _real_loader_attribute
    sys.modules[_LOADER] = loader


_skip_plugin_loader()

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
    """Write a result to a file (never damaging what is there) or stdout (no -o, or -o -); Markdown is
    rendered with rich on a terminal."""
    from archassist.agent.cli.output import is_stdout, write_output

    if is_stdout(output) and markdown and sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
        return
    write_output(text, output)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archassist {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, print the full traceback.")
    ] = False,
) -> None:
    """Design, review and evolve event-driven systems."""
    if debug:
        from archassist.agent.cli.exits import DEBUG

        DEBUG.enabled = True


@app.command()
def design(
    brief: Annotated[str, typer.Argument(help="What the system must do, in plain words.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout (- for stdout).")
    ] = None,
    fmt: Annotated[
        DesignFormat | None,
        typer.Option(
            "--format", "-f", help="Output format (default: from the -o extension .md/.json/.yaml/.mmd, else markdown)."
        ),
    ] = None,
    no_memory: Annotated[
        bool, typer.Option("--no-memory", help="Neither recall precedents nor store this design.")
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Memory database file (default: $ARCHASSIST_DB, else $ARCHASSIST_HOME/memory.db, else memory.db "
            "in the user data folder, e.g. ~/.local/share/archassist on Linux).",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        BackendChoice,
        typer.Option(
            "--backend",
            case_sensitive=False,
            help="offline (the planner, nothing leaves this machine), anthropic (Claude), or auto: Claude when "
            "ANTHROPIC_API_KEY is set, which sends the brief and recalled decisions to the Anthropic API; the "
            "planner otherwise.",
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
        bool,
        typer.Option(
            "--dry-run", help="Print the exact JSON body Claude would receive, and where it would go; send nothing."
        ),
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
    from archassist.agent.backends.base import BackendUnavailableError
    from archassist.agent.cli.output import check_output, pick_format

    check_output(output)
    from archassist.agent.modes.design import BackendOptions, run_design_mode

    options = BackendOptions(
        backend=backend.value,
        model=model,
        repair_rounds=repair_rounds,
        no_fallback=no_fallback,
        dry_run=dry_run,
        max_retries=max_retries,
    )
    try:
        outcome = run_design_mode(brief, use_memory=not no_memory, db=db, options=options)
    except BackendUnavailableError as exc:
        typer.echo(
            f"archassist: Claude is unavailable: {exc}; retry later, or drop --no-fallback to use the offline "
            "planner",
            err=True,
        )
        raise typer.Exit(1) from None
    for line in outcome.notices:
        typer.echo(line, err=True)
    for notice in outcome.backend_notices:
        typer.echo(f"archassist: notice: {notice}", err=True)
    for line in [*outcome.dry_run_lines, *([outcome.usage_line] if outcome.usage_line else [])]:
        typer.echo(f"archassist: {line}", err=True)
    if outcome.request is not None:
        emit(outcome.request.body_json(), output)
    if outcome.design is None:
        return
    chosen_format = pick_format(fmt.value if fmt else None, output, tuple(DesignFormat), DesignFormat.markdown.value)
    if chosen_format == DesignFormat.mermaid.value and output is not None and output.suffix.lower() == ".mmd":
        _write_diagram_files(outcome.design, output)
        return
    emit(outcome.render(chosen_format), output, markdown=chosen_format == DesignFormat.markdown.value)


def _write_diagram_files(design: Design, output: Path) -> None:
    """A Mermaid file holds one diagram: the flowchart goes to OUTPUT, each saga's sequence diagram to
    OUTPUT-STEM-2.mmd, -3.mmd, … beside it."""
    from archassist.agent.cli.output import check_output, write_output
    from archassist.agent.render.formats import mermaid_diagrams

    diagrams = mermaid_diagrams(design)
    targets = [output] + [output.with_name(f"{output.stem}-{n}{output.suffix}") for n in range(2, len(diagrams) + 1)]
    for target in targets[1:]:
        check_output(target)
    for target, diagram in zip(targets, diagrams, strict=True):
        write_output(diagram, target)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout (- for stdout).")
    ] = None,
) -> None:
    """Print the JSON Schema of the Design file format."""
    import json

    from archassist.agent.cli.output import check_output
    from archassist.agent.model.design import design_json_schema

    check_output(output)
    emit(json.dumps(design_json_schema(), indent=2) + "\n", output)


def _register_extensions() -> None:
    """Attach the command groups that live in their own modules."""
    import importlib

    for module in (
        "archassist.agent.cli.review",
        "archassist.agent.cli.asyncapi",
        "archassist.agent.cli.memory",
        "archassist.agent.cli.server",
        "archassist.agent.cli.contract",
        "archassist.agent.cli.reliability",
        "archassist.agent.cli.migration",
        "archassist.agent.cli.export",
        "archassist.agent.cli.eval",
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
    """Run the CLI: user errors are one line and exit 2, Ctrl-C is one line and exit 130, and a bug is one
    line and exit 3 with the traceback in a log file (or on stderr with --debug)."""
    from archassist.agent.cli.exits import run

    sys.exit(run(app))


if __name__ == "__main__":
    main()
