"""Precedents: accepted architecture decisions recalled from memory that shape the next design."""

from __future__ import annotations

import re
from collections.abc import Sequence
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


@dataclass
class PlanOverrides:
    """What accepted precedents tell the planner to do differently; each value carries the precedent's id."""

    coordination: tuple[str, str] | None = None
    retention_days: dict[str, tuple[float, str]] = field(default_factory=dict)
    publishing: dict[str, tuple[str, str]] = field(default_factory=dict)
    event_sourcing: tuple[bool, str] | None = None
    broker: tuple[str, str] | None = None
    compatibility: tuple[str, str] | None = None
    max_attempts: tuple[int, str] | None = None


_NEGATION = r"(?:not|never|no|instead of|rather than|avoid|over|without|don't|do not|replac\w* )"
_UNITS = {"year": 365.0, "yr": 365.0, "month": 30.0, "week": 7.0, "day": 1.0}
_COMPAT = ("full_transitive", "backward_transitive", "forward_transitive", "full", "backward", "forward")
_BROKER_WORDS = {
    "kafka": "kafka",
    "rabbitmq": "rabbitmq",
    "pulsar": "pulsar",
    "nats": "nats",
    "sqs": "sqs",
    "kinesis": "kinesis",
}


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"\b{word}", text) is not None


def _negated(text: str, word: str) -> bool:
    return re.search(rf"{_NEGATION}\s+(?:\w+\s+){{0,2}}{word}", text) is not None


def _chosen(text: str, a: str, b: str) -> str | None:
    """Which of two alternatives the text chooses: the one mentioned and not negated."""
    has_a, has_b = _mentions(text, a), _mentions(text, b)
    neg_a, neg_b = has_a and _negated(text, a), has_b and _negated(text, b)
    if has_a and not neg_a and (not has_b or neg_b):
        return a
    if has_b and not neg_b and (not has_a or neg_a):
        return b
    return None


def interpret_precedents(precedents: Sequence[Precedent], brief_domains: Sequence[str]) -> PlanOverrides:
    """Turn accepted precedents into planner overrides.

    A precedent applies when it names no domain or names one the brief has. Earlier (better ranked)
    precedents win over later ones. Anything not accepted is ignored, whatever recall returned.
    """
    from archassist.agent.planner.brief import match_domains, tokens

    out = PlanOverrides()
    present = set(brief_domains)
    for p in precedents:
        if p.status != "accepted":
            continue
        text = " ".join(p.text.lower().split())
        named = {m.domain.name for m in match_domains(tokens(text))}
        if named and not (named & present):
            continue
        scope = sorted(named & present) or ["*"]
        choice = _chosen(text, "orchestrat", "choreograph")
        if choice and out.coordination is None:
            out.coordination = ("orchestration" if choice == "orchestrat" else "choreography", p.id)
        publishing = _chosen(text, "cdc", "outbox")
        if (
            publishing is None
            and _mentions(text, "change data capture")
            and not _negated(text, "change data")
        ):
            publishing = "cdc"
        if publishing:
            for d in scope:
                out.publishing.setdefault(d, (publishing, p.id))
        m = re.search(r"(\d+(?:\.\d+)?)\s*[- ]?(years?|yrs?|months?|weeks?|days?)", text)
        if m and re.search(r"retain|retention|kept|keep|stor", text):
            days = float(m.group(1)) * _UNITS[m.group(2).rstrip("s")]
            for d in scope:
                out.retention_days.setdefault(d, (days, p.id))
        if re.search(r"event[- ]sourc", text) and out.event_sourcing is None:
            out.event_sourcing = (not _negated(text, "event[- ]sourc"), p.id)
        for word, broker in _BROKER_WORDS.items():
            if _mentions(text, word) and not _negated(text, word) and out.broker is None:
                out.broker = (broker, p.id)
        for mode in _COMPAT:
            pattern = mode.replace("_", r"[_ -]")
            if re.search(rf"\b{pattern}\b", text) and "compatib" in text and out.compatibility is None:
                out.compatibility = (mode.upper(), p.id)
                break
        m = re.search(r"(?:max(?:imum)?|at most|up to)\s*(\d+)\s*(?:retries|retry|attempts)", text)
        if m and out.max_attempts is None:
            out.max_attempts = (max(1, min(20, int(m.group(1)))), p.id)
    return out
