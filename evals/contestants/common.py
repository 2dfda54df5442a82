"""What the run needs from any contestant beyond :class:`~archassist.evals.base.Contestant`: a failure that is one
cell's result rather than the run's end, and a generation that carries the time it took and what the contestant
reported about it (tokens, notices, the file it read).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.evals.base import Contestant, Scenario


class ContestantError(Exception):
    """The contestant produced no design for this scenario: a missing file, a command that failed, an API that
    gave up. The run records it as that cell's failure (scored 0) and goes on. The message is one line."""


@dataclass(frozen=True)
class Generation:
    """A contestant's answer for one scenario: a design, or the reason there is none."""

    design: Design | None
    failure: str | None = None
    seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.design is not None


def generate(contestant: Contestant, scenario: Scenario) -> Generation:
    """Ask a contestant for a design, timing it; a :class:`ContestantError` becomes a failed generation.

    A contestant with a ``generate(scenario)`` method returns details with its design (the Claude contestant's
    token usage); any other is asked through the ``design`` method of the protocol. Other exceptions propagate:
    a rejected API key or a bug ends the run instead of failing every cell the same way.
    """
    started = time.perf_counter()
    own = getattr(contestant, "generate", None)
    try:
        if callable(own):
            generation: Generation = own(scenario)
            if generation.seconds:
                return generation
            return Generation(
                generation.design, generation.failure, time.perf_counter() - started, generation.details
            )
        design = contestant.design(scenario)
    except ContestantError as exc:
        return Generation(None, str(exc) or type(exc).__name__, time.perf_counter() - started)
    return Generation(design, None, time.perf_counter() - started)


def runs_in_threads(contestant: Contestant) -> bool:
    """Whether the run may ask this contestant for several designs at once: contestants that wait on something
    else (an API, a subprocess) say so with ``concurrent = True``; the planner and folders run one at a time."""
    return bool(getattr(contestant, "concurrent", False))
