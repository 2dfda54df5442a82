"""What a compatibility checker reports: one problem per place where a reader cannot read what a writer wrote.

Checkers speak of *reader* and *writer*; the compatibility modes turn each problem into a :class:`Break` that speaks
of the old and the new schema and of who breaks (consumers on the new schema, or consumers still on the old one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["new readers", "old readers"]


@dataclass(frozen=True, slots=True)
class Problem:
    """``text`` names the two schemas as ``{reader}`` and ``{writer}``; the mode fills in "old" and "new"."""

    kind: str
    path: str
    text: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Break:
    """One incompatibility, explained: where, what changed, who cannot read whom, and how to fix it."""

    path: str
    change: str
    breaks: Side
    fix: str
    kind: str
    against: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "change": self.change,
            "breaks": self.breaks,
            "fix": self.fix,
            "kind": self.kind,
            "against": self.against,
        }


def pointer(parts: list[str] | tuple[str, ...]) -> str:
    """An RFC 6901 pointer from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"
