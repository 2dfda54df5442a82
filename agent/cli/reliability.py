"""The `reliability` command: a thin typer layer over archassist.agent.modes.reliability."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.cli.common import fail

TARGET_HELP = (
    'A design file (.yaml, .yml, .json), a brief to design first, or a request about one flow, e.g. '
    '"retry strategy for webhook ingestion".'
)


def reliability(
    target: Annotated[str, typer.Argument(help=TARGET_HELP)],
    outage: Annotated[str, typer.Option("--outage", help="Consumer outage to plan for: 15m, 30s, 2h, 1h30m.")] = "15m",
    error_rate: Annotated[
        str, typer.Option("--error-rate", help="Share of attempts that fail transiently: 0.01 or 1%.")
    ] = "0.01",
    poison_rate: Annotated[
        str, typer.Option("--poison-rate", help="Share of messages that fail every attempt: 0.0001 or 0.01%.")
    ] = "0.0001",
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: markdown or json.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Plan retries, dead letters, idempotency, ordering and recovery, with the capacity figures behind them.

    Example: archassist reliability design.yaml --outage 1h --error-rate 5%
    """
    from archassist.agent.errors import InputError

    if fmt not in ("markdown", "json"):
        fail(f"unknown --format '{fmt}'; use markdown or json")
    from archassist.agent.capacity.analysis import WhatIf
    from archassist.agent.cli.root import emit
    from archassist.agent.modes.reliability import parse_duration, parse_rate, run_reliability
    from archassist.agent.modes.reliability_render import render_reliability

    try:
        what_if = WhatIf(
            outage_s=parse_duration(outage, "--outage"),
            error_rate=parse_rate(error_rate, "--error-rate"),
            poison_rate=parse_rate(poison_rate, "--poison-rate"),
        )
        result = run_reliability(target, what_if)
    except InputError as exc:
        fail(str(exc))
    emit(render_reliability(result, fmt), output, markdown=fmt == "markdown")


def register(app: typer.Typer) -> None:
    """Add the reliability command to the archassist CLI."""
    app.command("reliability")(reliability)
