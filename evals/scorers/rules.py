"""rules: how clean the rules engine finds the design, findings weighted by severity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {"error": 5.0, "warning": 1.5, "info": 0.25, "suppressed": 0.5}
THRESHOLDS = {"half_penalty": 50.0}
CODES_SHOWN = 8


class RulesScorer(ParamScorer):
    """Every rule of the engine runs on the design (the design's own suppressions apply, as in a review).

    Each finding costs its severity's weight (error 5, warning 1.5, info 0.25); a finding the design suppresses
    (with a stated reason) still costs ``suppressed`` (0.5) of its severity's weight, so suppressing every rule
    does not buy a clean score. The penalty P becomes ``100 × H / (H + P)`` with ``half_penalty`` H = 50: a clean
    design scores 100, ten errors score 50, and the score keeps falling (never reaching 0) so two bad designs
    are still told apart. Reasons name the most frequent codes.
    """

    name = "rules"
    description = "Findings of the rules engine, weighted by severity (errors 5, warnings 1.5, info 0.25)."
    default_weights = WEIGHTS
    default_thresholds = THRESHOLDS

    def __init__(
        self, weights: Mapping[str, float] | None = None, thresholds: Mapping[str, float] | None = None
    ) -> None:
        super().__init__(weights, thresholds)
        if self._params.thresholds["half_penalty"] <= 0:
            raise ValueError("scorer rules: threshold 'half_penalty' must be above 0")

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        from archassist.agent.rules import get_rule
        from archassist.agent.rules.engine import run

        weights = self._params.weights
        result = run(design)
        severities = Counter(f.severity for f in result.findings)
        penalty = sum(weights[severity] * count for severity, count in severities.items())
        suppressed_penalty = 0.0
        for code, count in result.suppressed.items():
            found = get_rule(code)
            suppressed_penalty += weights["suppressed"] * weights[found.severity if found else "warning"] * count
        penalty += suppressed_penalty
        half = self._params.thresholds["half_penalty"]
        value = 100.0 * half / (half + penalty)
        codes = Counter(f.code for f in result.findings)
        counts = ", ".join(f"{severities[s]} {s}{'s' if severities[s] != 1 else ''}"
                           for s in ("error", "warning", "info") if severities[s])
        reasons: list[str] = []
        if result.findings:
            shown = ", ".join(f"{code}×{n}" if n > 1 else code for code, n in codes.most_common(CODES_SHOWN))
            more = len(codes) - CODES_SHOWN
            reasons.append(f"{counts}: {shown}" + (f" and {more} more codes" if more > 0 else ""))
        else:
            reasons.append(f"no findings from {result.rules_run} rules")
        if result.suppressed:
            reasons.append(f"{result.suppressed_total} suppressed findings still cost {suppressed_penalty:g}")
        return Score(
            criterion=self.name,
            value=round(value, 2),
            reasons=tuple(reasons),
            details={
                "applies": True,
                "penalty": round(penalty, 4),
                "counts": {s: severities[s] for s in ("error", "warning", "info")},
                "codes": dict(sorted(codes.items())),
                "suppressed": dict(result.suppressed),
            },
        )
