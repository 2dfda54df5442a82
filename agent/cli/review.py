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

FORMATS_HELP = "Output format: text, json, sarif or github."
SELECT_HELP = "Rules to run: codes, prefixes (EDA4), groups or names; repeat or separate with commas."


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from archassist.agent.model.files import write_text_atomic

    write_text_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


def review(
    paths: Annotated[
        list[Path], typer.Argument(help="Design files (.yaml, .yml, .json) or AsyncAPI documents.")
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMATS_HELP)] = "text",
    select: Annotated[list[str] | None, typer.Option("--select", help=SELECT_HELP)] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Rules to skip, like --select.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 at this severity or above: error, warning, info, never."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
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

    Example: archassist review design.yaml --format sarif -o findings.sarif
    """
    from archassist.agent.errors import InputError
    from archassist.agent.modes.review import OUTPUT_FORMATS, load_config, merge_options, render, review_paths

    if fmt not in OUTPUT_FORMATS:
        _fail(f"unknown --format '{fmt}'; use one of {', '.join(OUTPUT_FORMATS)}")
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
    if fmt == "text" and output is None and sys.stdout.isatty():
        from rich.console import Console

        Console(soft_wrap=True, highlight=False).print(render(report, "text", color=True), end="")
    else:
        try:
            _write(render(report, fmt), output)
        except InputError as exc:
            _fail(str(exc))
    raise typer.Exit(report.exit_code)


def rules(
    group: Annotated[str | None, typer.Option("--group", "-g", help="Only the rules of this group.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
) -> None:
    """List the rules: code, severity, name and summary."""
    import json

    from archassist.agent.rules import groups, registry

    if fmt not in ("text", "json"):
        _fail(f"unknown --format '{fmt}'; use text or json")
    chosen = list(registry())
    if group is not None:
        wanted = group.strip().lower()
        if wanted not in groups():
            import difflib

            near = difflib.get_close_matches(wanted, groups(), n=1)
            hint = f"did you mean {near[0]}?" if near else f"groups: {', '.join(groups())}"
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
    code: Annotated[str, typer.Argument(help="A rule code (EDA403) or name (retry-unbounded).")],
) -> None:
    """Print one rule's documentation: what it checks, why, the anti-pattern and the fix."""
    from archassist.agent.rules import get_rule, nearest_code

    found = get_rule(code)
    if found is None:
        near = nearest_code(code)
        hint = f"did you mean {near}?" if near else "see `archassist rules`"
        _fail(f"unknown rule code '{code}'; {hint}")
    import textwrap

    doc = found.doc

    def section(title: str, body: str) -> str:
        return f"{title}:\n" + textwrap.fill(body, width=100, initial_indent="  ", subsequent_indent="  ")

    parts = [
        f"{found.code} {found.name} ({found.severity}, {found.group})",
        textwrap.fill(doc.summary, width=100),
        section("Why", doc.why),
        section("Anti-pattern", doc.anti_pattern),
        section("Fix", doc.fix),
    ]
    sys.stdout.write("\n\n".join(parts) + "\n")


def register(app: typer.Typer) -> None:
    """Add the review, rules and explain commands to the archassist CLI."""
    app.command("review")(review)
    app.command("rules")(rules)
    app.command("explain")(explain)
