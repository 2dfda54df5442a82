"""What a rule reports: a Finding, and the helpers every output format shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


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
