"""What a rule reports: a Finding, and the helpers every output format shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Place:
    """One of the places a folded finding stands for: where it is, and what was found there."""

    pointer: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(slots=True)
class Finding:
    """One problem (or, at severity info, one observation) about one place in a design."""

    code: str
    name: str
    severity: Severity
    message: str
    pointer: str
    fix: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    # A finding folded over several places lists every one of them here (the first is the finding's own place);
    # a finding about one place leaves it empty.
    places: list[Place] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sort_key(self) -> tuple[int, str, int, int, str, str]:
        return (
            SEVERITY_ORDER[self.severity],
            self.file or "",
            self.line or 0,
            self.column or 0,
            self.code,
            self.pointer,
        )
