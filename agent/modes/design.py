"""Design mode: recall precedents, design on the chosen backend, remember. The CLI and the MCP server call this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archassist.agent.model.design import Design
from archassist.agent.model.precedents import Precedent


@dataclass
class DesignModeOutcome:
    """A design (None after a dry run), the precedents that shaped it, and where it was stored."""

    design: Design | None
    precedents: list[Precedent] = field(default_factory=list)
    precedents_applied: list[str] = field(default_factory=list)
    findings: Sequence[Any] = ()
    design_id: str | None = None
    backend: str = "offline"
    notices: list[str] = field(default_factory=list)

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


@dataclass(frozen=True)
class BackendOptions:
    backend: str = "offline"
    model: str | None = None
    repair_rounds: int = 2
    no_fallback: bool = False
    dry_run: bool = False
    max_retries: int | None = None


def _design(brief: str, precedents: Sequence[Precedent], options: BackendOptions) -> DesignModeOutcome:
    if options.backend == "offline" and not options.dry_run:
        from archassist.agent.planner.compose import plan

        planned = plan(brief, precedents=precedents)
        return DesignModeOutcome(
            design=planned.design,
            precedents=list(precedents),
            precedents_applied=list(planned.precedents_applied),
        )
    from archassist.agent.cli.backend import run_design

    ran = run_design(
        brief,
        backend=options.backend,
        model=options.model,
        repair_rounds=options.repair_rounds,
        no_fallback=options.no_fallback,
        dry_run=options.dry_run,
        precedents=precedents,
        max_retries=options.max_retries,
    )
    if ran.result is None:
        return DesignModeOutcome(design=None, precedents=list(precedents))
    return DesignModeOutcome(
        design=ran.result.design,
        precedents=list(precedents),
        precedents_applied=list(ran.result.precedents_applied),
        findings=list(ran.result.findings),
        backend=ran.result.produced_by,
    )


def run_design_mode(
    brief: str, *, use_memory: bool = True, db: Path | None = None, options: BackendOptions | None = None
) -> DesignModeOutcome:
    """Design from a brief, following the accepted precedents recalled from memory, and store the result."""
    options = options or BackendOptions()
    if not use_memory:
        return _design(brief, (), options)
    from archassist.agent.memory import ReadOnlyDatabaseError, open_store, precedents_for_brief, record_design

    notices: list[str] = []
    try:
        store = open_store(db, readonly=options.dry_run)
    except ReadOnlyDatabaseError as exc:
        notices.append(f"memory is read-only, so this design is not stored ({exc})")
        store = open_store(db, readonly=True)
    with store:
        precedents = precedents_for_brief(store, brief)
        outcome = _design(brief, precedents, options)
        for p in precedents:
            state = "applied" if p.id in outcome.precedents_applied else "recalled, not applicable"
            notices.append(f"precedent {p.id} ({state}): {p.title}")
        if outcome.design is not None and not store.readonly:
            outcome.design_id = f"#{record_design(store, outcome.design, backend=outcome.backend)}"
            notices.append(f"remembered as design {outcome.design_id} in {store.path}")
    outcome.notices = notices + outcome.notices
    return outcome
