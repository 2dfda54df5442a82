"""`archassist contract`: define an event contract, check schema compatibility, diff two designs' contracts.

`archassist contract TARGET` is short for `archassist contract define TARGET`. Only typer and the standard
library load at start-up; the contract machinery (jsonschema, avro, fastavro) loads when a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from archassist.agent.cli.common import fail, user_errors
from typer.core import TyperGroup

DEFINE_FORMATS = ("markdown", "json", "jsonschema", "avro")
CHECK_FORMATS = ("text", "json")


class _DefineByDefault(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is the TARGET of `define`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["define", *args]
        return super().parse_args(ctx, args)


contract_app = typer.Typer(
    name="contract",
    cls=_DefineByDefault,
    help="Event contracts: define one (contract TARGET), check schema compatibility (contract check), or show "
    "what a design change breaks (contract diff).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from archassist.agent.model.files import write_text_atomic

    with user_errors():
        write_text_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


@contract_app.command("define")
def define(
    target: Annotated[str, typer.Argument(help="An event of the design, or an event name: invoice.paid, InvoicePaid.")],
    design: Annotated[
        Path | None, typer.Option("--design", "-d", help="Design file (YAML or JSON) whose event to describe.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown, json, jsonschema or avro.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Define the contract of an event: owner, topic and key, envelope, classified fields, compatibility,
    evolution rules, deprecation window, example, and its JSON Schema and Avro schema.

    Example: archassist contract invoice.paid --format avro -o invoice-paid.avsc
    """
    if fmt not in DEFINE_FORMATS:
        fail(f"unknown --format '{fmt}'; use one of {', '.join(DEFINE_FORMATS)}")
    from archassist.agent.modes.contract import define_contract

    with user_errors():
        loaded = None
        if design is not None:
            from archassist.agent.model.io import load_design

            loaded = load_design(design)
        outcome = define_contract(target, loaded, design_label=str(design) if design else "the design")
        text = outcome.render(fmt)
    _emit(text, output)
    for notice in outcome.notices:
        typer.echo(f"archassist: assumed: {notice}", err=True)


@contract_app.command("check")
def check(
    schemas: Annotated[
        list[Path], typer.Argument(help="Schema files, oldest first, the new one last: OLD [OLDER...] NEW.")
    ],
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            "-m",
            help="BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE.",
        ),
    ] = "BACKWARD",
    schema_type: Annotated[
        str | None, typer.Option("--schema-type", "-t", help="avro or json (default: guessed from the files).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Check a new schema against previous ones under a Schema Registry compatibility mode.

    Exit 0 when compatible, 1 when not (each break explained), 2 on bad input.

    Example: archassist contract check v1.avsc v2.avsc v3.avsc --mode FULL_TRANSITIVE
    """
    if fmt not in CHECK_FORMATS:
        fail(f"unknown --format '{fmt}'; use text or json")
    from archassist.agent.contracts.schema_input import read_schema_file
    from archassist.agent.modes.contract import check_compatibility, dump_json

    with user_errors():
        read = [read_schema_file(path) for path in schemas]
        labels = [label for label, _ in read]
        if len(read) < 2:
            from archassist.agent.contracts.compatibility import normal_mode

            fail(
                f"{labels[0] if labels else 'no schema'}: only one schema given; {normal_mode(mode)} compares the "
                "new schema with at least one previous one: give OLD [OLDER...] NEW"
            )
        result = check_compatibility(
            [text for _, text in read[:-1]], read[-1][1], mode, schema_type, labels=labels
        )
    if fmt == "json":
        sys.stdout.write(dump_json(result.to_dict()))
    else:
        sys.stdout.write(render_check_text(result))
    raise typer.Exit(0 if result.compatible else 1)


def render_check_text(result: Any) -> str:
    lines = [("compatible: " if result.compatible else "incompatible: ") + result.summary()]
    for item in result.breaks:
        lines.append(f"  {item.against} {item.path}  breaks {item.breaks}: {item.change}")
        lines.append(f"      fix: {item.fix}")
    return "\n".join(lines) + "\n"


@contract_app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The design as it is deployed.")],
    new: Annotated[Path, typer.Argument(help="The design as it will be.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, markdown or json.")] = "text",
) -> None:
    """Show every event whose contract changed between two designs: the change, whether it breaks under the
    event's compatibility mode, whether its version was raised, and who reads it.

    Exit 0 when nothing breaks unannounced, 1 when a breaking change keeps its version, 2 on bad input.
    """
    if fmt not in ("text", "markdown", "json"):
        fail(f"unknown --format '{fmt}'; use text, markdown or json")
    from archassist.agent.model.io import load_design
    from archassist.agent.modes.contract import diff_designs, dump_json

    with user_errors():
        result = diff_designs(load_design(old), load_design(new))
    if fmt == "json":
        sys.stdout.write(dump_json(result.to_dict()))
    else:
        sys.stdout.write(result.render_markdown() if fmt == "markdown" else result.render_text())
    raise typer.Exit(1 if result.unannounced_breaks else 0)


def register(app: typer.Typer) -> None:
    """Add the contract command group to the archassist CLI."""
    app.add_typer(contract_app, name="contract")
