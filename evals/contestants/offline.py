"""The offline planner as a contestant: the design mode on the offline backend, without the decision memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.evals.base import Scenario


class OfflineContestant:
    """Designs each brief with the deterministic planner, exactly as ``archassist design --backend offline
    --no-memory`` does: no precedents, so a run does not depend on what the local memory holds."""

    name = "offline"

    @property
    def params(self) -> Mapping[str, Any]:
        from archassist.agent.__about__ import __version__

        return {"backend": "offline", "memory": False, "archassist": __version__}

    def design(self, scenario: Scenario) -> Design:
        from archassist.agent.modes.design import BackendOptions, design_brief

        outcome = design_brief(scenario.brief, options=BackendOptions(backend="offline"))
        if outcome.design is None:  # pragma: no cover - only a dry run has no design
            raise RuntimeError("the offline planner returned no design")
        return outcome.design
