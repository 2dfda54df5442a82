"""Decision and design records as the memory hands them out, the one id format, and text normalization.

Decision ids are shown everywhere (CLI, JSON, MADR files, precedents, `Decision.cites`) as ``ADR-0007``: the
number is the row id in the database, zero-padded to four digits like MADR file names. Input accepts ``7``,
``0007``, ``ADR-7`` and ``ADR-0007`` (any case).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected", "deprecated", "superseded")
ID_PREFIX = "ADR-"
_ID_RE = re.compile(r"^\s*(?:adr-?)?0*(\d+)\s*$", re.IGNORECASE)


class UnknownIdError(InputError):
    """A decision or design id that is malformed or not in the database."""


def format_id(number: int) -> str:
    """The one display form of a decision id: ``ADR-0007``."""
    return f"{ID_PREFIX}{number:04d}"


def parse_id(text: str | int) -> int:
    """``7``, ``0007``, ``ADR-7``, ``ADR-0007`` → 7; anything else is a user error."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    else:
        match = _ID_RE.match(str(text))
        if match is None:
            raise UnknownIdError(f"bad decision id {str(text)!r}; use a number like 7 or an id like ADR-0007")
        number = int(match.group(1))
    if number <= 0 or number >= 2**63:
        raise UnknownIdError(f"bad decision id {str(text)!r}; ids are positive numbers like 7 or ADR-0007")
    return number


def check_status(status: str) -> str:
    value = status.strip().lower()
    if value not in STATUSES:
        raise InputError(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    return value


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_uid() -> str:
    return uuid.uuid4().hex


def one_line(text: str) -> str:
    """Titles, options and tags are one line: every run of whitespace becomes one space."""
    return " ".join(str(text).split())


def clean_text(text: str | None) -> str:
    """Bodies keep their Markdown; only line endings are unified and outer whitespace dropped, so that a
    MADR file written from the record reads back as exactly the same text."""
    if not text:
        return ""
    return str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def clean_list(items: Iterable[Any] | None) -> list[str]:
    out: list[str] = []
    for item in items or ():
        value = one_line(str(item).replace("\x00", ""))
        if value and value not in out:
            out.append(value)
    return out


# Shared encoders: json.dumps with options builds a new encoder per call, which dominates batched inserts.
JSON_TEXT = json.JSONEncoder(ensure_ascii=False)
JSON_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def content_hash(title: str, context: str, decision: str, consequences: str, alternatives: list[str]) -> str:
    """Identity of a decision's words, used to recognise a file imported before that carries no id."""
    payload = JSON_TEXT.encode([title, context, decision, consequences, alternatives])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class DecisionRecord:
    """One stored decision. ``id`` is the row number; ``ref`` is the display id (``ADR-0007``)."""

    id: int
    title: str
    context: str = ""
    decision: str = ""
    consequences: str = ""
    alternatives: tuple[str, ...] = ()
    status: str = "accepted"
    supersedes: int | None = None
    superseded_by: int | None = None
    tags: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    design_id: int | None = None
    uid: str = ""
    created: str = ""
    updated: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    score: float | None = None
    status_reason: str = ""
    # Set by recall when the decision was found through a design that matched the query, not its own words.
    via_design: int | None = None

    @property
    def ref(self) -> str:
        return format_id(self.id)

    def to_json(self) -> dict[str, Any]:
        """Stable JSON: fixed key order, ids in display form."""
        data: dict[str, Any] = {
            "id": self.ref,
            "title": self.title,
            "status": self.status,
            "context": self.context,
            "decision": self.decision,
            "consequences": self.consequences,
            "alternatives": list(self.alternatives),
            "tags": list(self.tags),
            "cites": list(self.cites),
            "supersedes": format_id(self.supersedes) if self.supersedes else None,
            "superseded_by": format_id(self.superseded_by) if self.superseded_by else None,
            "design_id": self.design_id,
            "uid": self.uid,
            "created": self.created,
            "updated": self.updated,
        }
        if self.extra:
            data["extra"] = dict(self.extra)
        if self.status_reason:
            data["status_reason"] = self.status_reason
        if self.score is not None:
            data["score"] = round(self.score, 6)
        if self.via_design is not None:
            data["via_design"] = self.via_design
        return data


@dataclass(frozen=True)
class DesignRecord:
    id: int
    name: str
    brief: str
    backend: str
    design_json: str
    created: str
    decision_ids: tuple[int, ...] = ()
    score: float | None = None

    @property
    def design(self) -> Design:
        from archassist.agent.model.design import Design

        return Design.model_validate_json(self.design_json)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "brief": self.brief,
            "backend": self.backend,
            "created": self.created,
            "decisions": [format_id(i) for i in self.decision_ids],
        }
        if self.score is not None:
            data["score"] = round(self.score, 6)
        return data


DECISION_COLUMNS = (
    "id, title, context, decision, consequences, alternatives, status, supersedes, superseded_by, tags, cites, "
    "design_id, uid, created, updated, extra, status_reason"
)


def _json_list(raw: Any) -> tuple[str, ...]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def decision_from_row(
    row: Mapping[str, Any] | Any, score: float | None = None, via_design: int | None = None
) -> DecisionRecord:
    try:
        extra = json.loads(row["extra"]) if row["extra"] else {}
    except ValueError:
        extra = {}
    return DecisionRecord(
        id=int(row["id"]),
        title=row["title"],
        context=row["context"] or "",
        decision=row["decision"] or "",
        consequences=row["consequences"] or "",
        alternatives=_json_list(row["alternatives"]),
        status=row["status"],
        supersedes=row["supersedes"],
        superseded_by=row["superseded_by"],
        tags=_json_list(row["tags"]),
        cites=_json_list(row["cites"]),
        design_id=row["design_id"],
        uid=row["uid"],
        created=row["created"],
        updated=row["updated"],
        extra=extra if isinstance(extra, dict) else {},
        score=score,
        status_reason=row["status_reason"] or "",
        via_design=via_design,
    )
