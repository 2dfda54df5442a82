"""What every backend offers, so each mode runs on the offline planner or on Claude alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from archassist.agent.errors import InputError
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent


@dataclass
class Usage:
    """Tokens spent, summed over every API call a result took (failed and retried calls included)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    calls: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.calls += other.calls

    @property
    def total_input_tokens(self) -> int:
        """All input tokens, however billed: uncached, written to the cache, read from it."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "calls": self.calls,
        }


OFFLINE_PLANNER = "the offline planner"


def designed_by(backend: str, model: str | None = None) -> str:
    """Who designed, in the words a user reads: the offline planner, or Claude and its model."""
    if backend == "anthropic":
        return f"Claude (model {model})" if model else "Claude"
    return OFFLINE_PLANNER


@dataclass(frozen=True)
class Knowledge:
    """The knowledge-base entries a prompt should carry: domain and pattern names (None lets the prompt choose)."""

    domains: tuple[str, ...] | None = None
    patterns: tuple[str, ...] | None = None


@dataclass
class DesignResult:
    """A backend's answer to a brief."""

    design: Design
    findings: list[Finding]
    backend: str
    model: str | None = None
    rounds_used: int = 0
    usage: Usage = field(default_factory=Usage)
    notices: list[str] = field(default_factory=list)
    precedents_applied: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def produced_by(self) -> str:
        """`offline` or `anthropic:<model>`, the label stored with the design in memory."""
        return f"{self.backend}:{self.model}" if self.model else self.backend

    @property
    def designed_by(self) -> str:
        return designed_by(self.backend, self.model)

    def summary(self) -> dict[str, Any]:
        """Everything but the design, as plain data (for JSON reports and logs; never holds a key)."""
        return {
            "backend": self.backend,
            "model": self.model,
            "designed_by": self.designed_by,
            "rounds_used": self.rounds_used,
            "errors": len(self.errors),
            "findings": [f.to_dict() for f in self.findings],
            "usage": self.usage.to_dict(),
            "notices": list(self.notices),
            "precedents_applied": list(self.precedents_applied),
        }


@runtime_checkable
class Backend(Protocol):
    """A way to produce designs: the offline planner, or Claude."""

    name: str

    def design(
        self, brief: str, *, precedents: Sequence[Precedent] = (), knowledge: Knowledge | None = None
    ) -> DesignResult:
        """A complete Design for the brief, checked by the rules engine."""
        ...

    def review_commentary(self, design: Design, findings: Sequence[Finding]) -> str | None:
        """An architect's commentary on top of the rule findings, or None when the backend has none."""
        ...


class BackendError(Exception):
    """A backend could not produce an answer. The message is one line, safe to show (never holds a key)."""


class BackendUnavailableError(BackendError):
    """The API could not be reached or kept failing: connection, timeout, exhausted retries, invalid answers.

    ``usage`` holds the tokens already spent, so a fallback can still report them.
    """

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage if usage is not None else Usage()


class BackendInputError(InputError):
    """A problem the user fixes: a missing or rejected key, an unknown model or backend (exit code 2)."""
