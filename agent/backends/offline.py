"""The offline backend: the deterministic planner, checked by the rules engine. No key, no network."""

from __future__ import annotations

from collections.abc import Sequence

from archassist.agent.backends.base import DesignResult, Knowledge, Usage
from archassist.agent.backends.repair import check_design
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent


class OfflineBackend:
    """Wraps :func:`archassist.agent.planner.compose.plan`; the planner picks its own knowledge, so ``knowledge`` is unused."""

    name = "offline"

    def design(
        self, brief: str, *, precedents: Sequence[Precedent] = (), knowledge: Knowledge | None = None
    ) -> DesignResult:
        from archassist.agent.planner.compose import plan

        planned = plan(brief, precedents=precedents)
        return DesignResult(
            design=planned.design,
            findings=check_design(planned.design),
            backend=self.name,
            model=None,
            rounds_used=0,
            usage=Usage(),
            precedents_applied=list(planned.precedents_applied),
        )

    def review_commentary(self, design: Design, findings: Sequence[Finding]) -> str | None:
        return None
