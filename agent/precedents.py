"""Precedents: accepted architecture decisions recalled from memory that shape the next design."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Precedent:
    """An accepted decision from the team's memory, as the planner sees it."""

    id: str
    title: str
    decision: str = ""
    context: str = ""
    status: str = "accepted"
    tags: tuple[str, ...] = field(default_factory=tuple)
    score: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.title, self.decision, self.context) if part)
