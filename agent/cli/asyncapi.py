"""`archassist import asyncapi FILE`: the CLI door onto the AsyncAPI importer.

Only typer is imported here; the importer loads when the command runs, so `archassist --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from archassist.agent.cli.common import fail as _fail

if TYPE_CHECKING:
    from archassist.agent.asyncapi import AsyncApiImport

_MAX_LISTED = 10


def _location(file: str | None, line: int | None, column: int | None) -> str:
    if file and line:
        return f"{file}:{line}:{column or 1}: "
    return f"{file}: " if file else ""


def _report(imp: AsyncApiImport, target: str) -> None:
    design = imp.design
    typer.echo(
        f"imported AsyncAPI {imp.version} document {imp.source.file}: {len(design.services)} service(s), "
        f"{len(design.events)} event(s), {len(design.topics)} topic(s), {len(design.consumers)} consumer(s), "
        f"broker {design.style.broker} → {target}",
        err=True,
    )
    shown = [f for f in imp.findings if f.severity in ("error", "warning") or f.code >= "AAPI900"]
    for finding in shown[:_MAX_LISTED]:
        where = _location(finding.file, finding.line, finding.column)
        typer.echo(f"  {where}{finding.severity} {finding.code} {finding.message}", err=True)
    if len(shown) > _MAX_LISTED:
        typer.echo(f"  … and {len(shown) - _MAX_LISTED} more (run `archassist review` for all findings)", err=True)
    summary = imp.summary()
    if summary.counts:
        typer.echo(f"not declared by the document ({summary.total} in all):", err=True)
        for line in summary.lines():
            typer.echo(f"  {line}", err=True)
    else:
        typer.echo("the document declares everything the importer looks for", err=True)


def _asyncapi(
    file: Path = typer.Argument(..., help="AsyncAPI 2.0–2.6 or 3.0 document (YAML or JSON)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the Design to this file; without it (or with -) it goes to stdout."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="yaml or json (default: from the -o extension .json/.yaml/.yml, else yaml)."
    ),
    ref_root: Path | None = typer.Option(
        None,
        "--ref-root",
        help="Folder that relative $refs may reach (default: the document's folder), e.g. the parent of a "
        "shared common/ folder.",
    ),
    schemas: Path | None = typer.Option(
        None,
        "--schemas",
        help="Folder with the official AsyncAPI JSON Schemas (default: $ARCHASSIST_ASYNCAPI_SCHEMAS).",
    ),
) -> None:
    """Import an AsyncAPI document as a Design, and say what the document leaves unsaid."""
    from archassist.agent.asyncapi import import_asyncapi_file
    from archassist.agent.cli.output import check_output, is_stdout, pick_format, write_output
    from archassist.agent.errors import InputError
    from archassist.agent.model import io

    if fmt is not None and fmt not in ("yaml", "json"):
        _fail(f"--format {fmt!r} is not known; use yaml or json")
    chosen: io.DesignFormat = "json" if pick_format(fmt, output, ("yaml", "json"), "yaml") == "json" else "yaml"
    check_output(output)
    if ref_root is not None and not ref_root.is_dir():
        _fail(f"--ref-root {ref_root}: no such folder")
    if schemas is not None and not schemas.is_dir():
        _fail(f"--schemas {schemas}: no such folder")
    try:
        imp = import_asyncapi_file(file, ref_root=ref_root, schema_dir=schemas)
    except InputError as exc:
        _fail(str(exc))
    text = io.dumps(imp.design, chosen)
    if is_stdout(output):
        _report(imp, "stdout")
        typer.echo(text, nl=False)
    else:
        write_output(text, output, announce=False)
        _report(imp, str(output))


def register(app: typer.Typer) -> None:
    """Add `import asyncapi` to the app, joining an `import` group that is already registered."""
    for group in app.registered_groups:
        if group.name == "import" and group.typer_instance is not None:
            group.typer_instance.command("asyncapi")(_asyncapi)
            return
    importer = typer.Typer(name="import", help="Import a design from another format.", no_args_is_help=True)
    importer.command("asyncapi")(_asyncapi)
    app.add_typer(importer, name="import")
