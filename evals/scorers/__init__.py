"""The scorers: one module per criterion, each a class with ``name``, ``description``, ``params`` and ``score``.

:data:`SCORERS` maps every scorer name to the class that implements it, imported when first asked for, so
listing the scorers stays cheap. The eight criteria of :data:`archassist.evals.base.CRITERIA` are scored by
default; ``judge`` (Claude grading against a rubric) runs only when asked for by name.
"""

from __future__ import annotations

import importlib
from typing import Any

SCORERS: dict[str, str] = {
    "scalability": "archassist.evals.scorers.scalability:ScalabilityScorer",
    "coupling": "archassist.evals.scorers.coupling:CouplingScorer",
    "idempotency": "archassist.evals.scorers.idempotency:IdempotencyScorer",
    "resilience": "archassist.evals.scorers.resilience:ResilienceScorer",
    "evolvability": "archassist.evals.scorers.evolvability:EvolvabilityScorer",
    "observability": "archassist.evals.scorers.observability:ObservabilityScorer",
    "domain_coverage": "archassist.evals.scorers.domain_coverage:DomainCoverageScorer",
    "rules": "archassist.evals.scorers.rules:RulesScorer",
    "judge": "archassist.evals.scorers.judge:JudgeScorer",
}
OPTIONAL = frozenset({"judge"})


def scorer_class(name: str) -> Any:
    """The class of the scorer ``name`` (a key of :data:`SCORERS`)."""
    module, _, attribute = SCORERS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)
