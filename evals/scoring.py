"""Scoring a design: the default scorers, one scorer by name, all scores of a design, and their total.

The total is the plain mean of the scores that apply (see :func:`archassist.evals.scorers.sheet.applies`):
every criterion counts the same, and a criterion that does not apply to a design (no expected concepts to cover,
no consumers to make idempotent) is left out rather than counted as 0 or 100. Weights per criterion can be given
to :func:`total` when a run wants a different balance; they are recorded with the run like every parameter.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.evals.base import CRITERIA, Scenario, Score, Scorer
from archassist.evals.scorers import OPTIONAL, SCORERS, scorer_class
from archassist.evals.scorers.sheet import applies

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

__all__ = ["applies", "default_scorers", "score_design", "scorer_by_name", "scorer_names", "total"]


def scorer_names(*, include_optional: bool = True) -> list[str]:
    """Every scorer name: the criteria in their order, then the optional ones."""
    return [*CRITERIA, *(sorted(OPTIONAL) if include_optional else [])]


def scorer_by_name(name: str, **params: Any) -> Scorer:
    """The scorer called ``name`` (a criterion key or ``judge``), built with ``params`` (weights, thresholds)."""
    key = name.strip().lower().replace("-", "_")
    if key not in SCORERS:
        near = difflib.get_close_matches(key, list(SCORERS), n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise InputError(f"unknown scorer '{name}'; {hint}choose from {', '.join(scorer_names())}")
    scorer: Scorer = scorer_class(key)(**params)
    return scorer


def default_scorers() -> list[Scorer]:
    """One scorer per criterion of CRITERIA, with default parameters (the judge is off by default)."""
    return [scorer_by_name(name) for name in CRITERIA]


def score_design(
    design: Design, scenario: Scenario | None = None, scorers: Iterable[Scorer] | None = None
) -> dict[str, Score]:
    """Every scorer's score of ``design`` for ``scenario`` (None: no brief to hold it to), by criterion."""
    chosen = list(scorers) if scorers is not None else default_scorers()
    return {scorer.name: scorer.score(design, scenario) for scorer in chosen}


def total(scores: Mapping[str, Score], weights: Mapping[str, float] | None = None) -> float:
    """The weighted mean of the scores that apply (weight 1 for every criterion unless given); 0 when none does."""
    weighted = [
        (score.value, (weights or {}).get(name, 1.0))
        for name, score in scores.items()
        if applies(score)
    ]
    mass = sum(weight for _, weight in weighted)
    if mass <= 0:
        return 0.0
    return round(sum(value * weight for value, weight in weighted) / mass, 2)
