"""Design mode: recall precedents, plan, remember. One function the CLI and the MCP server both call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archassist.agent.model import Design
from archassist.agent.precedents import Precedent


@dataclass
class DesignOutcome:
    design: Design
    precedents: list[Precedent] = field(default_factory=list)
    precedents_applied: list[str] = field(default_factory=list)
    design_id: str | None = None
    backend: str = "offline"
    notices: list[str] = field(default_factory=list)
    findings: Sequence[Any] = ()

    def applied(self) -> list[Precedent]:
        return [p for p in self.precedents if p.id in self.precedents_applied]

    def render(self, fmt: str) -> str:
        from archassist.agent.render import render

        views = [
            {"id": p.id, "title": p.title, "decision": p.decision, "status": p.status} for p in self.applied()
        ]
        return render(self.design, fmt, findings=list(self.findings), precedents=views)


def run_design_mode(brief: str, *, use_memory: bool = True, db: Path | None = None) -> DesignOutcome:
    """Plan a design offline, following the accepted precedents recalled from memory, and store it."""
    from archassist.agent.planner import plan

    if not use_memory:
        result = plan(brief)
        return DesignOutcome(design=result.design)
    from archassist.agent.memory import (
        ReadOnlyDatabaseError,
        open_store,
        precedents_for_brief,
        record_design,
    )

    notices: list[str] = []
    try:
        store = open_store(db)
    except ReadOnlyDatabaseError as exc:
        notices.append(f"memory is read-only, so this design is not stored ({exc})")
        store = open_store(db, readonly=True)
    with store:
        precedents = precedents_for_brief(store, brief)
        result = plan(brief, precedents=precedents)
        outcome = DesignOutcome(
            design=result.design, precedents=list(precedents), precedents_applied=list(result.precedents_applied)
        )
        for p in precedents:
            state = "applied" if p.id in outcome.precedents_applied else "recalled, not applicable"
            notices.append(f"precedent {p.id} ({state}): {p.title}")
        if not store.readonly:
            outcome.design_id = f"#{record_design(store, result.design, backend='offline')}"
            notices.append(f"remembered as design {outcome.design_id} in {store.path}")
    outcome.notices = notices
    return outcome
