"""The three pieces of an eval, as plain types: a scenario to design for, a contestant that designs, and a scorer
that grades a design. Generating and scoring are separate: a run stores designs, and scorers can be applied to
stored designs again (``eval rescore``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

CRITERIA = (
    "scalability",
    "coupling",
    "idempotency",
    "resilience",
    "evolvability",
    "observability",
    "domain_coverage",
    "rules",
)


@dataclass(frozen=True)
class Scenario:
    """A brief with its stated requirements and, optionally, the concepts an architect expects in a design."""

    id: str
    brief: str
    domain: str = ""
    difficulty: str = "medium"  # small | medium | hard
    requirements: Mapping[str, Any] = field(default_factory=dict)  # rates, retention, pii, consistency, …
    expected_concepts: tuple[str, ...] = ()
    event_driven_fits: bool = True  # False: a small CRUD flow where event-driven design is overkill


@dataclass(frozen=True)
class Score:
    """One scorer's grade of one design: 0–100, higher is better, with the reasons a reader can check."""

    criterion: str
    value: float
    reasons: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Scorer(Protocol):
    """Grades one aspect of a design. ``params`` are recorded with every run so scores can be reproduced."""

    name: str
    description: str

    @property
    def params(self) -> Mapping[str, Any]: ...

    def score(self, design: Design, scenario: Scenario | None) -> Score: ...


@runtime_checkable
class Contestant(Protocol):
    """Produces a Design for a scenario. ``params`` (model id, command, folder) are recorded with every run."""

    name: str

    @property
    def params(self) -> Mapping[str, Any]: ...

    def design(self, scenario: Scenario) -> Design: ...
