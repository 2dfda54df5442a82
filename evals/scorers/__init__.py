"""The scorers: one module per criterion, each a class with ``name``, ``description``, ``params`` and ``score``.

:data:`SCORERS` maps every scorer name to the class that implements it, imported when first asked for, so
listing the scorers stays cheap. The eight criteria of :data:`archassist.evals.base.CRITERIA` are scored by
default; ``judge`` (Claude grading against a rubric) runs only when asked for by name.
"""

from __future__ import annotations

import importlib
from typing import Any

SCORERS: dict[str, str] = {
    "idempotency": "archassist.evals.scorers.idempotency:IdempotencyScorer",
    "resilience": "archassist.evals.scorers.resilience:ResilienceScorer",
}
OPTIONAL = frozenset({"judge"})


def scorer_class(name: str) -> Any:
    """The class of the scorer ``name`` (a key of :data:`SCORERS`)."""
    module, _, attribute = SCORERS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)
