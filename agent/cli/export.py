"""`archassist export DESIGN --to KIND -o DIR`: the artifacts a team takes from a design into its repositories."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.cli.common import fail, user_errors

KIND_HELP = "asyncapi, avro, jsonschema, kafka, sql or eventcatalog."


def export(
    design: Annotated[Path, typer.Argument(help="Design file (YAML or JSON) to export.")],
    to: Annotated[str, typer.Option("--to", "-t", help="What to export: " + KIND_HELP)],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder to write the files into (created when missing). Without it, an export of one file "
            "goes to stdout.",
        ),
    ] = None,
    system: Annotated[
        bool, typer.Option("--system", help="asyncapi: one document for the whole system instead of one per service.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-O",
            metavar="KEY=VALUE",
            help="A setting of the kind, repeatable; kafka: cluster=NAME (the strimzi.io/cluster label), "
            "namespace=NS, strimzi_api=v1|v1beta2.",
        ),
    ] = None,
) -> None:
    """Export a design as files a real tool of its ecosystem accepts: AsyncAPI 3.0 documents, Avro or JSON
    Schemas per event version, Strimzi KafkaTopic resources, PostgreSQL DDL, or an EventCatalog folder.

    Example: archassist export design.yaml --to asyncapi -o contracts/
    """
    from archassist.agent.export.base import ExportOptions, exporter_for
    from archassist.agent.export.base import export as run_export

    with user_errors():
        exporter_for(to)  # an unknown kind fails before the design is read
        extra = parse_options(option or [])
        from archassist.agent.model.io import load_design

        loaded = load_design(design)
        artifacts = run_export(loaded, to, ExportOptions(system=system, extra=extra))
        if not artifacts:
            fail(f"{design}: nothing to export as {to}; the design has no parts of that kind")
        if output is None or str(output) == "-":
            if len(artifacts) != 1:
                one_document = " (or --system for one AsyncAPI document)" if to.strip().lower() == "asyncapi" else ""
                fail(f"the {to} export of {design} is {len(artifacts)} files; give a folder with -o DIR{one_document}")
            sys.stdout.write(artifacts[0].content)
            return
        from archassist.agent.export.write import write_artifacts

        written = write_artifacts(artifacts, output)
    typer.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {output}", err=True)


def parse_options(given: list[str]) -> dict[str, str]:
    """KEY=VALUE settings as a dict; a setting without '=' or given twice is one clear error."""
    from archassist.agent.errors import InputError

    options: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--option '{item}' is not KEY=VALUE; e.g. --option cluster=prod-kafka")
        if key in options:
            raise InputError(f"--option {key} is given twice; keep one")
        options[key] = value.strip()
    return options


def register(app: typer.Typer) -> None:
    """Add the export command to the archassist CLI."""
    app.command("export")(export)
