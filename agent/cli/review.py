"""The `review`, `rules` and `explain` commands: a thin typer layer over archassist.agent.modes.review and the rules.

Only typer and the standard library are imported at module level, so registering these commands costs nothing
at start-up; each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.cli.common import fail as _fail
from archassist.agent.cli.common import warn as _warn

FORMATS_HELP = "Output format: text, json, sarif or github (default: from the -o extension .json/.sarif, else text)."
SELECT_HELP = "Rules to run: codes, prefixes (EDA4), groups or names; repeat or separate with commas."


def review(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Design files (.yaml, .yml, .json), AsyncAPI documents, folders (searched recursively) or - for stdin."
        ),
    ],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=FORMATS_HELP)] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help=SELECT_HELP)] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Rules to skip, like --select.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 at this severity or above: error, warning, info, never."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout (- for stdout).")
    ] = None,
    ref_root: Annotated[
        Path | None,
        typer.Option("--ref-root", help="AsyncAPI: folder that relative $refs may reach (default: the document's)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="The deployed design: flag breaking contract changes without a version bump."),
    ] = None,
) -> None:
    """Review designs against the rules; exit 0 when clean, 1 on findings at --fail-on or above, 2 on bad input.

    A file that cannot be read or loaded is reported as an EDA000 error of that file, and the others are still
    reviewed.

    Example: archassist review design.yaml --format sarif -o findings.sarif
    """
    from archassist.agent.cli.output import check_output, is_stdout, pick_format, write_output
    from archassist.agent.errors import InputError
    from archassist.agent.modes.review import OUTPUT_FORMATS, load_config, merge_options, render, review_paths

    if fmt is not None and fmt not in OUTPUT_FORMATS:
        _fail(f"unknown --format '{fmt}'; use one of {', '.join(OUTPUT_FORMATS)}")
    chosen = pick_format(fmt, output, OUTPUT_FORMATS, "text")
    check_output(output)
    try:
        config = load_config()
        for message in config.warnings:
            _warn(message)
        options = merge_options(config, select=select, ignore=ignore, fail_on=fail_on)
        options.ref_root = ref_root
        options.baseline = baseline
        report = review_paths(paths, options)
    except InputError as exc:
        _fail(str(exc))
    for message in dict.fromkeys(report.warnings):
        _warn(message)
    if report.files and all(
        item.kind == "unreadable" and any(f.severity == "error" for f in item.findings) for item in report.files
    ):
        # Nothing could be reviewed: a usage error (one line per input, exit 2), not a review result.
        for item in report.files:
            for finding in item.findings:
                where = f"{finding.file}:{finding.line}:{finding.column or 1}" if finding.line else finding.file
                typer.echo(f"archassist: {where}: {finding.message}", err=True)
        raise typer.Exit(2)
    if chosen == "text" and is_stdout(output) and sys.stdout.isatty():
        from rich.console import Console

        Console(soft_wrap=True, highlight=False).print(render(report, "text", color=True), end="")
    else:
        write_output(render(report, chosen), output)
    raise typer.Exit(report.exit_code)


def rules(
    group: Annotated[str | None, typer.Option("--group", "-g", help="Only the rules of this group.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
) -> None:
    """List the rules: code, severity, name and summary."""
    import json

    from archassist.agent.rules import catalog, catalog_groups

    if fmt not in ("text", "json"):
        _fail(f"unknown --format '{fmt}'; use text or json")
    chosen = list(catalog())
    if group is not None:
        wanted = group.strip().lower()
        known = catalog_groups()
        if wanted not in known:
            import difflib

            near = difflib.get_close_matches(wanted, known, n=1)
            hint = f"did you mean {near[0]}?" if near else f"groups: {', '.join(known)}"
            _fail(f"unknown rule group '{group}'; {hint}")
        chosen = [r for r in chosen if r.group == wanted]
    if fmt == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "group": r.group,
                "severity": r.severity,
                "summary": r.summary,
                "why": r.doc.why,
                "anti_pattern": r.doc.anti_pattern,
                "fix": r.doc.fix,
            }
            for r in chosen
        ]
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    lines: list[str] = []
    current = None
    for item in chosen:
        if item.group != current:
            current = item.group
            lines.append(("" if not lines else "\n") + f"{current}")
        lines.append(f"  {item.code}  {item.severity:<7}  {item.name:<40}  {item.summary}")
    sys.stdout.write("\n".join(lines) + "\n")


def explain(
    code: Annotated[
        str, typer.Argument(help="A code review prints (EDA403, EDA000, AAPI104) or a rule name (retry-unbounded).")
    ],
) -> None:
    """Print the documentation of a code review can report: what it checks, why, the anti-pattern and the fix."""
    from archassist.agent.cli.common import user_errors
    from archassist.agent.modes.review_codes import require_code

    with user_errors():
        found = require_code(code)
    import textwrap

    def section(title: str, body: str) -> str:
        return f"{title}:\n" + textwrap.fill(body, width=100, initial_indent="  ", subsequent_indent="  ")

    parts = [
        f"{found.code} {found.name} ({found.severity}, {found.group})",
        textwrap.fill(found.summary, width=100),
        section("Why", found.why),
        section("Anti-pattern", found.anti_pattern),
        section("Fix", found.fix),
    ]
    sys.stdout.write("\n\n".join(parts) + "\n")


def register(app: typer.Typer) -> None:
    """Add the review, rules and explain commands to the archassist CLI."""
    app.command("review")(review)
    app.command("rules")(rules)
    app.command("explain")(explain)
