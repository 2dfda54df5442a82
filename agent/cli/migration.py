"""`archassist migration`: a phased, reversible plan from synchronous side effects to events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.cli.common import fail, user_errors

FORMATS = ("markdown", "json", "mermaid")


def migration(
    brief: Annotated[
        str | None,
        typer.Argument(help="What to migrate, e.g. \"move the monolith's checkout side effects to events\"."),
    ] = None,
    current: Annotated[
        Path | None, typer.Option("--from", help="The current-state design (sync_calls, shared databases, …).")
    ] = None,
    target: Annotated[Path | None, typer.Option("--to", help="The target design (default: designed offline).")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="markdown, json or mermaid (default: from -o's extension, else markdown)."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Plan a migration in phases: publish through an outbox, shadow, cut over one side effect at a time, decommission.

    Every phase has a rollback and exit criteria; the plan is checked by the plan rules (MIG101–MIG109).
    """
    from archassist.agent.cli.output import check_output, pick_format
    from archassist.agent.cli.root import emit
    from archassist.agent.model.io import load_design
    from archassist.agent.modes.migration import plan_migration
    from archassist.agent.render.migration import render_plan

    if fmt is not None and fmt not in FORMATS:
        fail(f"--format {fmt!r} is not known; use one of {', '.join(FORMATS)}")
    check_output(output)
    chosen = pick_format(fmt, output, FORMATS, "markdown")
    with user_errors():
        result = plan_migration(
            brief,
            current=load_design(current) if current else None,
            target=load_design(target) if target else None,
        )
    for notice in result.notices:
        typer.echo(f"archassist: {notice}", err=True)
    emit(render_plan(result.plan, chosen, result.findings, result.target_findings), output, markdown=chosen == "markdown")
    if any(f.severity == "error" for f in result.findings):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("migration")(migration)
