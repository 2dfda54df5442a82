"""A score sheet: weighted checks over the parts of a design, turned into one 0–100 score with its reasons.

Every structural scorer works the same way. It names a few checks (each with a weight from its ``params``), and
for each check it records one item per part the check is about (a consumer, an event, a topic) with the credit
that part earns, between 0 and 1, and the reason when it earns less than full credit. An item may carry its own
weight (the peak rate of a consumer group, so a hot topic counts for more than a quiet one).

The score is the weighted mean of the checks' credit shares: ``100 × Σ w_c × share_c / Σ w_c`` over the checks
that have at least one item. A check without items does not apply to the design (no sagas, no compensations to
judge) and leaves the others' weights as they are. When no check has an item the criterion does not apply at
all: the score is 100 with ``details["applies"] = False`` and a reason saying why, and totals skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archassist.evals.base import Score

FAILURES_SHOWN = 3
# Credit is rounded so that sums of many small weights give the same score on every platform.
_DIGITS = 6


@dataclass
class Check:
    """One weighted question about the design, answered part by part."""

    key: str
    label: str
    weight: float
    earned: float = 0.0
    possible: float = 0.0
    items: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, credit: float | bool, failure: str = "", *, weight: float = 1.0) -> None:
        """One part of the design: the credit it earns (True is 1, False is 0) and why it lost any."""
        value = min(1.0, max(0.0, float(credit)))
        if weight <= 0:
            return
        self.items += 1
        self.possible += weight
        self.earned += weight * value
        if value < 1.0 and failure:
            self.failures.append(failure)

    @property
    def share(self) -> float:
        return self.earned / self.possible if self.possible else 1.0

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "weight": self.weight,
            "items": self.items,
            "share": round(self.share, 4),
            "failures": len(self.failures),
        }


class Sheet:
    """The checks of one criterion for one design."""

    def __init__(self, criterion: str, weights: dict[str, float]) -> None:
        self.criterion = criterion
        self.weights = weights
        self.checks: list[Check] = []
        self.notes: list[str] = []

    def check(self, key: str, label: str) -> Check:
        """A new check, weighted by ``weights[key]`` (a scorer's params name every key it uses)."""
        made = Check(key=key, label=label, weight=float(self.weights[key]))
        self.checks.append(made)
        return made

    def note(self, text: str) -> None:
        """A reason that is not a failure: what the score was computed under (a scaled load, a default)."""
        self.notes.append(text)

    def score(self, nothing_to_judge: str) -> Score:
        """The score of the sheet; ``nothing_to_judge`` is the reason given when no check has an item."""
        judged = [c for c in self.checks if c.items and c.weight > 0]
        if not judged:
            return Score(
                criterion=self.criterion,
                value=100.0,
                reasons=(f"does not apply: {nothing_to_judge}", *self.notes),
                details={"applies": False, "checks": {}},
            )
        total_weight = sum(c.weight for c in judged)
        value = 100.0 * sum(c.weight * round(c.share, _DIGITS) for c in judged) / total_weight
        reasons: list[str] = []
        for item in sorted(judged, key=lambda c: (c.share, -c.weight)):
            if not item.failures:
                continue
            shown = "; ".join(item.failures[:FAILURES_SHOWN])
            more = len(item.failures) - FAILURES_SHOWN
            if more > 0:
                shown += f"; and {more} more"
            reasons.append(f"{item.label}: {item.share:.0%} ({shown})")
        passing = [c.label for c in judged if not c.failures]
        if passing:
            reasons.append("full credit: " + ", ".join(passing))
        return Score(
            criterion=self.criterion,
            value=round(value, 2),
            reasons=(*reasons, *self.notes),
            details={"applies": True, "checks": {c.key: c.summary() for c in judged}},
        )


def applies(score: Score) -> bool:
    """Whether a score judged something (a criterion that does not apply is skipped in every total and mean)."""
    return bool(score.details.get("applies", True))
