"""The backend side of `archassist design`: choose a backend, run it, print notices, or show a dry run.

The lead wires :func:`run_design` into the `design` command of :mod:`archassist.agent.cli.root`. Nothing here
imports ``anthropic`` at module import; the SDK loads only when a Claude client is created.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import typer
from archassist.agent.backends.base import BackendUnavailableError, DesignResult, Knowledge, Usage
from archassist.agent.model.design import Design
from archassist.agent.model.precedents import Precedent

log = logging.getLogger(__name__)

EXIT_UNAVAILABLE = 1


@dataclass
class DesignOutcome:
    """What `archassist design` got: a result to render, or nothing for a dry run (already printed)."""

    result: DesignResult | None
    dry_run: bool = False

    @property
    def design(self) -> Design | None:
        return self.result.design if self.result is not None else None


def usage_line(result: DesignResult) -> str:
    """One line about where the design came from and what it cost."""
    usage: Usage = result.usage
    text = result.produced_by
    if usage.calls:
        text += (
            f": {usage.calls} call{'s' if usage.calls != 1 else ''}, {result.rounds_used} repair round"
            f"{'s' if result.rounds_used != 1 else ''}; tokens in {usage.input_tokens:,} "
            f"(cache write {usage.cache_creation_input_tokens:,}, cache read {usage.cache_read_input_tokens:,}), "
            f"out {usage.output_tokens:,}"
        )
    errors = len(result.errors)
    return (
        text
        + "; "
        + (f"{errors} error{'s remain' if errors != 1 else ' remains'}" if errors else "no errors")
    )


def run_design(
    brief: str,
    *,
    backend: str,
    model: str | None,
    repair_rounds: int,
    no_fallback: bool,
    dry_run: bool,
    precedents: Sequence[Precedent],
    max_retries: int | None = None,
    timeout: float | None = None,
    knowledge: Knowledge | None = None,
    env: Mapping[str, str] | None = None,
    client: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> DesignOutcome:
    """Design from a brief on the chosen backend.

    Notices (a fallback, remaining errors, token usage) go to stderr. ``--dry-run`` prints the request Claude
    would receive and returns an outcome without a result. With ``no_fallback``, an unreachable API ends in one
    line and exit code 1; a rejected key, an unknown model or bad settings raise an InputError (exit code 2).
    ``client`` replaces the SDK client (tests); ``env`` replaces the environment.
    """
    from archassist.agent.backends.select import resolve_backend_name, resolve_settings, select_backend

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    if dry_run:
        settings = resolve_settings(
            model=model, repair_rounds=repair_rounds, max_retries=max_retries, timeout=timeout, env=env
        )
        if resolve_backend_name(backend, env) == "offline":
            stdout.write(
                "# dry run: the offline backend makes no API request; use --backend anthropic to see Claude's\n"
            )
            return DesignOutcome(result=None, dry_run=True)
        from archassist.agent.backends.anthropic_backend import preview_design_request

        preview = preview_design_request(brief, precedents=precedents, knowledge=knowledge, settings=settings)
        stdout.write(preview.render())
        return DesignOutcome(result=None, dry_run=True)

    chosen = select_backend(
        backend,
        model=model,
        repair_rounds=repair_rounds,
        no_fallback=no_fallback,
        max_retries=max_retries,
        timeout=timeout,
        env=env,
        client=client,
    )
    try:
        result = chosen.design(brief, precedents=precedents, knowledge=knowledge)
    except BackendUnavailableError as exc:
        stderr.write(
            f"archassist: Claude is unavailable: {exc}; retry later, or drop --no-fallback to use the "
            "offline planner\n"
        )
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    for notice in result.notices:
        stderr.write(f"archassist: notice: {notice}\n")
    if result.backend != "offline" or result.usage.calls:
        stderr.write(f"archassist: {usage_line(result)}\n")
    return DesignOutcome(result=result)
