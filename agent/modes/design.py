"""Design mode: recall precedents, design on the chosen backend, remember. The CLI and the MCP server call this.

The mode chooses the backend (offline planner or Claude), falls back to the planner when Claude cannot be
reached, and builds the dry run's request preview. It returns everything a surface shows (the design, the
notices, the line saying which backend designed and at what cost, the request a dry run would send) and never
prints or exits. With ``no_fallback``, an unreachable API raises :class:`BackendUnavailableError`; a missing or
rejected key, an unknown model or a bad setting raises a :class:`BackendInputError` (an ``InputError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archassist.agent.backends.base import (
    OFFLINE_PLANNER,
    BackendUnavailableError,
    DesignResult,
    Knowledge,
)
from archassist.agent.model.design import Design
from archassist.agent.model.precedents import Precedent

if TYPE_CHECKING:
    from archassist.agent.backends.request import RequestPreview

__all__ = [
    "BackendOptions",
    "BackendUnavailableError",
    "DesignModeOutcome",
    "backend_line",
    "design_brief",
    "run_design_mode",
]


@dataclass(frozen=True)
class BackendOptions:
    """How to design: which backend, and the Claude settings (unused offline).

    ``backend`` is ``offline``, ``anthropic`` or ``auto`` (Claude when ``ANTHROPIC_API_KEY`` is set). ``env``
    replaces the process environment and ``client`` the SDK client built from the key (tests).
    """

    backend: str = "offline"
    model: str | None = None
    repair_rounds: int = 2
    no_fallback: bool = False
    dry_run: bool = False
    max_retries: int | None = None
    timeout: float | None = None
    knowledge: Knowledge | None = None
    env: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    client: Any = field(default=None, repr=False, compare=False)


@dataclass
class DesignModeOutcome:
    """A design (None after a dry run), the precedents that shaped it, where it was stored, and what to tell.

    ``notices`` come from the memory (precedents, where the design was stored); ``backend_notices`` from the
    backend (a fallback, errors left after repair, a refused schema). ``usage_line`` says which backend designed
    and, for Claude, the calls and tokens it took. A dry run has ``request`` (None when the offline planner would
    design: it sends nothing) and ``dry_run_lines`` describing it.
    """

    design: Design | None
    precedents: list[Precedent] = field(default_factory=list)
    precedents_applied: list[str] = field(default_factory=list)
    findings: Sequence[Any] = ()
    design_id: str | None = None
    backend: str = "offline"
    designed_by: str | None = OFFLINE_PLANNER
    notices: list[str] = field(default_factory=list)
    backend_notices: list[str] = field(default_factory=list)
    usage_line: str | None = None
    result: DesignResult | None = None
    dry_run: bool = False
    request: RequestPreview | None = None
    dry_run_lines: list[str] = field(default_factory=list)

    def applied(self) -> list[Precedent]:
        return [p for p in self.precedents if p.id in self.precedents_applied]

    def render(self, fmt: str) -> str:
        from archassist.agent.render.formats import render

        if self.design is None:
            raise ValueError("a dry run has no design to render")
        views = [
            {"id": p.id, "title": p.title, "decision": p.decision, "status": p.status} for p in self.applied()
        ]
        return render(self.design, fmt, findings=list(self.findings), precedents=views)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def backend_line(result: DesignResult) -> str:
    """One line: which backend designed, what the Claude calls cost, and the errors left."""
    text = f"designed by {result.designed_by}"
    usage = result.usage
    if usage.calls:
        tokens = (
            f"tokens in {usage.input_tokens:,} (cache write {usage.cache_creation_input_tokens:,}, "
            f"cache read {usage.cache_read_input_tokens:,}), out {usage.output_tokens:,}"
        )
        if result.backend == "anthropic":
            text += f": {_plural(usage.calls, 'call')}, {_plural(result.rounds_used, 'repair round')}; {tokens}"
        else:
            text += f", after {_plural(usage.calls, 'call')} to Claude; {tokens}"
    errors = len(result.errors)
    return text + "; " + (f"{errors} error{'s remain' if errors != 1 else ' remains'}" if errors else "no errors")


def _dry_run(brief: str, precedents: Sequence[Precedent], options: BackendOptions, name: str) -> DesignModeOutcome:
    from archassist.agent.backends.select import resolve_settings

    settings = resolve_settings(
        model=options.model,
        repair_rounds=options.repair_rounds,
        max_retries=options.max_retries,
        timeout=options.timeout,
        env=options.env,
    )
    outcome = DesignModeOutcome(design=None, precedents=list(precedents), designed_by=None, dry_run=True)
    if name == "offline":
        outcome.dry_run_lines = [
            "dry run: the offline planner would design this brief and sends no request; "
            "use --backend anthropic to see the request Claude would get"
        ]
        return outcome
    from archassist.agent.backends.request import preview_design_request

    outcome.request = preview_design_request(
        brief, precedents=precedents, knowledge=options.knowledge, settings=settings, env=options.env
    )
    outcome.dry_run_lines = outcome.request.summary()
    return outcome


def design_brief(
    brief: str, *, precedents: Sequence[Precedent] = (), options: BackendOptions | None = None
) -> DesignModeOutcome:
    """Design from a brief on the chosen backend, following the given precedents; memory is not touched."""
    from archassist.agent.backends.choice import resolve_backend_name

    options = options or BackendOptions()
    name = resolve_backend_name(options.backend, options.env)
    if options.dry_run:
        return _dry_run(brief, precedents, options, name)
    if name == "offline":
        from archassist.agent.planner.compose import plan

        planned = plan(brief, precedents=precedents)
        return DesignModeOutcome(
            design=planned.design,
            precedents=list(precedents),
            precedents_applied=list(planned.precedents_applied),
            usage_line=f"designed by {OFFLINE_PLANNER}",
        )
    from archassist.agent.backends.select import select_backend

    chosen = select_backend(
        name,
        model=options.model,
        repair_rounds=options.repair_rounds,
        no_fallback=options.no_fallback,
        max_retries=options.max_retries,
        timeout=options.timeout,
        env=options.env,
        client=options.client,
    )
    result = chosen.design(brief, precedents=precedents, knowledge=options.knowledge)
    return DesignModeOutcome(
        design=result.design,
        precedents=list(precedents),
        precedents_applied=list(result.precedents_applied),
        findings=list(result.findings),
        backend=result.produced_by,
        designed_by=result.designed_by,
        backend_notices=list(result.notices),
        usage_line=backend_line(result),
        result=result,
    )


def run_design_mode(
    brief: str, *, use_memory: bool = True, db: Path | None = None, options: BackendOptions | None = None
) -> DesignModeOutcome:
    """Design from a brief, following the accepted precedents recalled from memory, and store the result."""
    options = options or BackendOptions()
    if not use_memory:
        return design_brief(brief, options=options)
    from archassist.agent.memory import ReadOnlyDatabaseError, open_store, precedents_for_brief, record_design

    notices: list[str] = []
    try:
        store = open_store(db, readonly=options.dry_run)
    except ReadOnlyDatabaseError as exc:
        notices.append(f"memory is read-only, so this design is not stored ({exc})")
        store = open_store(db, readonly=True)
    with store:
        precedents = precedents_for_brief(store, brief)
        outcome = design_brief(brief, precedents=precedents, options=options)
        for p in precedents:
            state = "applied" if p.id in outcome.precedents_applied else "recalled, not applicable"
            notices.append(f"precedent {p.id} ({state}): {p.title}")
        if outcome.design is not None and not store.readonly:
            outcome.design_id = f"#{record_design(store, outcome.design, backend=outcome.backend)}"
            notices.append(f"remembered as design {outcome.design_id} in {store.path}")
    outcome.notices = notices + outcome.notices
    return outcome
