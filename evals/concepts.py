"""The concepts an architect expects in a design for a scenario, and how a design is matched against them.

A scenario file lists them in the shape of the project's brief sets (``services``, ``events``, ``saga_steps``,
``keys``, ``forbid``); the loader turns each into one line of text, which is what :class:`Scenario` keeps in
``expected_concepts`` and what a report shows:

- ``service: REGEX``: some service's name matches (a case-insensitive search, so ``inventor|stock`` finds
  ``inventory-service``);
- ``event: REGEX``: some event's name matches;
- ``saga_steps: N``: the longest saga has at least N steps;
- ``key: EVENT_REGEX => KEY_REGEX``: some event whose name matches is partitioned by a key that matches (its own
  key, else its topic's);
- ``forbid: REGEX``: no service or event name matches (a concept the brief does not have).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

KINDS = ("service", "event", "saga_steps", "key", "forbid")
KEY_SEPARATOR = " => "
MAX_PATTERN_CHARS = 300


@dataclass(frozen=True)
class Concept:
    kind: str
    pattern: str = ""
    key_pattern: str = ""
    count: int = 0

    @property
    def text(self) -> str:
        if self.kind == "saga_steps":
            return f"saga_steps: {self.count}"
        if self.kind == "key":
            return f"key: {self.pattern}{KEY_SEPARATOR}{self.key_pattern}"
        return f"{self.kind}: {self.pattern}"

    @property
    def label(self) -> str:
        """How a reason names the concept."""
        if self.kind == "saga_steps":
            return f"a saga of at least {self.count} steps"
        if self.kind == "key":
            return f"an event /{self.pattern}/ keyed by /{self.key_pattern}/"
        if self.kind == "forbid":
            return f"no service or event /{self.pattern}/"
        return f"a {self.kind} /{self.pattern}/"


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> re.Pattern[str]:
    """The case-insensitive regex of a concept (compiling is pure, so caching cannot change a result)."""
    return re.compile(pattern, re.IGNORECASE)


def check_pattern(pattern: object) -> str:
    """The pattern if it is a usable regex; otherwise a ValueError saying what is wrong."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("must be a non-empty regular expression (a string)")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"is {len(pattern)} characters; keep a concept under {MAX_PATTERN_CHARS}")
    if KEY_SEPARATOR.strip() in pattern:
        raise ValueError(f"must not contain '{KEY_SEPARATOR.strip()}'")
    try:
        compiled(pattern)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from None
    return pattern


def parse_concept(text: str) -> Concept:
    """A concept from its one-line text (the inverse of :attr:`Concept.text`); ValueError when it is not one."""
    kind, sep, rest = text.partition(":")
    kind, rest = kind.strip(), rest.strip()
    if not sep or kind not in KINDS:
        raise ValueError(f"concept {text!r} must start with one of {', '.join(k + ':' for k in KINDS)}")
    if kind == "saga_steps":
        if not rest.isdigit() or int(rest) < 1:
            raise ValueError(f"concept {text!r}: saga_steps takes a whole number of at least 1")
        return Concept(kind, count=int(rest))
    if kind == "key":
        event, sep, key = rest.partition(KEY_SEPARATOR.strip())
        if not sep:
            raise ValueError(f"concept {text!r}: write key: EVENT_REGEX{KEY_SEPARATOR}KEY_REGEX")
        return Concept(kind, check_pattern(event.strip()), check_pattern(key.strip()))
    return Concept(kind, check_pattern(rest))


@dataclass(frozen=True)
class ConceptResult:
    concept: Concept
    found: bool
    detail: str = ""


def match_concepts(design: Design, concepts: tuple[Concept, ...]) -> list[ConceptResult]:
    """Whether the design has each concept, with what matched (or, for a forbidden one, what should not)."""
    services = [s.name for s in design.services]
    events = [e.name for e in design.events]
    topic_keys = {t.name: t.partition_key for t in design.topics}
    results: list[ConceptResult] = []
    for concept in concepts:
        if concept.kind in ("service", "event"):
            pool = services if concept.kind == "service" else events
            hit = next((n for n in pool if compiled(concept.pattern).search(n)), None)
            results.append(ConceptResult(concept, hit is not None, hit or ""))
        elif concept.kind == "forbid":
            hit = next((n for n in services + events if compiled(concept.pattern).search(n)), None)
            results.append(ConceptResult(concept, hit is None, hit or ""))
        elif concept.kind == "saga_steps":
            longest = max((len(s.steps) for s in design.sagas), default=0)
            results.append(ConceptResult(concept, longest >= concept.count, f"longest saga {longest} steps"))
        else:
            hit = None
            for event in design.events:
                key = event.partition_key or topic_keys.get(event.topic or "") or ""
                if compiled(concept.pattern).search(event.name) and compiled(concept.key_pattern).search(key):
                    hit = f"{event.name} by {key}"
                    break
            results.append(ConceptResult(concept, hit is not None, hit or ""))
    return results
