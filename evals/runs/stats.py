"""The statistics of a leaderboard: per-contestant means per criterion, and paired per-scenario deltas between
two runs (or two contestants) with percentile bootstrap confidence intervals.

Pairing by scenario is what makes a small championship informative: scenarios differ far more from each other
than two contestants differ on one scenario, so the mean of the per-scenario differences has a much narrower
interval than the difference of two means would. The bootstrap resamples scenarios with replacement (a fixed
seed, recorded in every comparison) and reads the interval off the resampled means' quantiles (linear
interpolation between order statistics, as numpy's default).

A criterion that does not apply to a design (no consumers to make idempotent) is left out of that design's
means, as the scoring total leaves it out. A failed cell (no design) scores 0 on every criterion its scenario is
graded on (any criterion that applied to another contestant's design of it), so a contestant cannot climb the
board by failing the hard scenarios. Epochs of a scenario are averaged before anything else: scenarios, not
epochs, are the independent units.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archassist.evals.base import CRITERIA, Score
from archassist.evals.runs.records import Cell

TOTAL = "total"
DEFAULT_SEED = 1729
DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95

# scenario id -> criterion (and "total") -> value
ScenarioValues = dict[str, dict[str, float]]
TotalFunction = Callable[[Mapping[str, Score]], float]


def applies(score: Score) -> bool:
    from archassist.evals.scoring import applies as scoring_applies

    return bool(scoring_applies(score))


def default_total(scores: Mapping[str, Score]) -> float:
    from archassist.evals.scoring import total

    return float(total(scores))


def criterion_order(names: Iterable[str]) -> list[str]:
    """The criteria in the documented order, any others (a judge) after them by name, the total last."""
    present = set(names)
    known = [c for c in CRITERIA if c in present]
    others = sorted(present - set(CRITERIA) - {TOTAL})
    return known + others + ([TOTAL] if TOTAL in present else [])


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def scenario_criteria(cells: Iterable[Cell]) -> dict[str, set[str]]:
    """The criteria each scenario is graded on in a run: those any design of that scenario was scored on."""
    graded: dict[str, set[str]] = {}
    every: set[str] = set()
    scenarios: list[str] = []
    for cell in cells:
        if cell.scenario_id not in graded:
            graded[cell.scenario_id] = set()
            scenarios.append(cell.scenario_id)
        judged = {c for c, score in cell.scores.items() if applies(score)}
        graded[cell.scenario_id].update(judged)
        every.update(judged)
    # A scenario no contestant answered is graded on everything the run graded.
    return {s: (graded[s] or set(every)) for s in scenarios}


def contestant_values(
    cells: Sequence[Cell], contestant: str, total: TotalFunction | None = None
) -> ScenarioValues:
    """One contestant's value per scenario and criterion (and total), averaged over epochs; failures are 0.
    ``total`` turns a cell's scores into its total (default: the scoring module's total)."""
    total = total or default_total
    criteria = scenario_criteria(cells)
    by_scenario: dict[str, list[dict[str, float]]] = {}
    for cell in cells:
        if cell.contestant != contestant:
            continue
        if cell.ok:
            row = {c: float(s.value) for c, s in cell.scores.items() if applies(s)}
            row[TOTAL] = float(total(cell.scores)) if cell.scores else 0.0
        else:
            row = {c: 0.0 for c in criteria[cell.scenario_id]}
            row[TOTAL] = 0.0
        by_scenario.setdefault(cell.scenario_id, []).append(row)
    values: ScenarioValues = {}
    for scenario, rows in by_scenario.items():
        names = {c for r in rows for c in r}
        values[scenario] = {c: mean([r[c] for r in rows if c in r]) for c in names}
    return values


def means(values: ScenarioValues) -> dict[str, float]:
    """Mean over scenarios of each criterion (a criterion counts only the scenarios graded on it)."""
    names = criterion_order({c for row in values.values() for c in row})
    return {c: mean([row[c] for row in values.values() if c in row]) for c in names}


# ---- the bootstrap ---------------------------------------------------------------------------------------------


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, interpolating linearly between order statistics (Hyndman and Fan's
    type 7, numpy's default)."""
    if not ordered:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} outside [0, 1]")
    position = (len(ordered) - 1) * q
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def bootstrap_means(
    values: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> list[float]:
    """The means of ``resamples`` resamples (with replacement, same size) of the values, sorted."""
    if not values:
        raise ValueError("bootstrap of no values")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    rng = random.Random(seed)
    n = len(values)
    data = list(values)
    return sorted(math.fsum(rng.choices(data, k=n)) / n for _ in range(resamples))


def bootstrap_interval(
    values: Sequence[float],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Interval:
    """The percentile bootstrap interval of the mean of ``values`` at ``confidence``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence {confidence} outside (0, 1)")
    ordered = bootstrap_means(values, resamples=resamples, seed=seed)
    alpha = 1.0 - confidence
    return Interval(quantile(ordered, alpha / 2), quantile(ordered, 1 - alpha / 2))


# ---- paired comparison -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    """B minus A on one criterion, over the scenarios both sides were graded on."""

    criterion: str
    n: int
    mean_a: float
    mean_b: float
    delta: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """The interval excludes 0: at this confidence, B and A differ on this criterion."""
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "n": self.n,
            "mean_a": round(self.mean_a, 3),
            "mean_b": round(self.mean_b, 3),
            "delta": round(self.delta, 3),
            "ci_low": round(self.low, 3),
            "ci_high": round(self.high, 3),
            "significant": self.significant,
        }


@dataclass(frozen=True)
class Comparison:
    """Paired per-scenario deltas of B against A, per criterion and in total."""

    a: str
    b: str
    deltas: tuple[Delta, ...]
    per_scenario: Mapping[str, float]  # scenario -> total(B) - total(A)
    confidence: float
    resamples: int
    seed: int

    def delta(self, criterion: str) -> Delta | None:
        return next((d for d in self.deltas if d.criterion == criterion), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "method": "paired percentile bootstrap over scenarios",
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "deltas": [d.to_dict() for d in self.deltas],
            "per_scenario": {s: round(v, 3) for s, v in self.per_scenario.items()},
        }


def compare_values(
    a: ScenarioValues,
    b: ScenarioValues,
    *,
    a_label: str = "A",
    b_label: str = "B",
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """Paired deltas B - A over the scenarios both sides have. Each criterion is resampled from the same seed,
    so its interval is the one :func:`bootstrap_interval` gives for its deltas alone."""
    shared = [s for s in a if s in b]
    names = criterion_order({c for s in shared for c in a[s] if c in b[s]})
    deltas: list[Delta] = []
    for criterion in names:
        paired = [s for s in shared if criterion in a[s] and criterion in b[s]]
        differences = [b[s][criterion] - a[s][criterion] for s in paired]
        interval = bootstrap_interval(differences, confidence=confidence, resamples=resamples, seed=seed)
        deltas.append(
            Delta(
                criterion=criterion,
                n=len(paired),
                mean_a=mean([a[s][criterion] for s in paired]),
                mean_b=mean([b[s][criterion] for s in paired]),
                delta=mean(differences),
                low=interval.low,
                high=interval.high,
            )
        )
    per_scenario = {s: b[s][TOTAL] - a[s][TOTAL] for s in shared if TOTAL in a[s] and TOTAL in b[s]}
    return Comparison(a_label, b_label, tuple(deltas), per_scenario, confidence, resamples, seed)
