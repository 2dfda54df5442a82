"""Decisions as MADR 4.0 Markdown files, so a team can keep them in git.

A file is YAML front matter (MADR's ``status`` and ``date``, any other MADR keys such as ``decision-makers``,
and archassist's own ``status_reason``, ``id``, ``uid``, ``tags``, ``cites``, ``supersedes``, ``superseded_by``,
``design_id``, ``created``, ``updated``), the title as a ``# `` heading, then the sections "Context and Problem Statement",
"Considered Options", "Decision Outcome" and its "### Consequences".

Files archassist writes (they carry a ``uid``) read back exactly: a body line that would read as one of those
section headings is written with one more leading backslash, and the parser removes it again. Hand-written
MADR files (no ``uid``) are read leniently: HTML comments dropped, MADR 2/3 "* Status:" lines understood, other
sections folded into the context or the consequences.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archassist.agent.errors import InputError
from archassist.agent.memory.records import STATUSES, DecisionRecord, format_id, parse_id

CONTEXT = "## Context and Problem Statement"
OPTIONS = "## Considered Options"
OUTCOME = "## Decision Outcome"
CONSEQUENCES = "### Consequences"
_EXACT_SECTIONS = {CONTEXT: "context", OPTIONS: "options", OUTCOME: "decision", CONSEQUENCES: "consequences"}
# Front matter keys archassist owns; every other key is kept verbatim in the record's ``extra``.
OWN_KEYS = (
    "status", "date", "id", "uid", "tags", "cites", "supersedes", "superseded_by", "design_id", "created", "updated",
    "status_reason",
)
_SUPERSEDED_BY_RE = re.compile(r"^superseded\s+by\s+\[?\s*([A-Za-z]*-?\s*\d+)", re.IGNORECASE)
_FILE_NUMBER_RE = re.compile(r"^(?:adr-?)?(\d+)[-_ ]", re.IGNORECASE)
_SKIP_FILES = re.compile(r"^(readme|index|.*template.*)\.md$", re.IGNORECASE)


class AdrFileError(InputError):
    """A MADR file that cannot be read as a decision."""


@dataclass
class ParsedAdr:
    """One MADR file as decision fields. ``ref``, ``supersedes`` and ``superseded_by`` are numbers in the
    files' own id space; the importer maps them onto database ids."""

    path: str
    fields: dict[str, Any]
    exact: bool
    ref: int | None = None
    ref_explicit: bool = False
    supersedes: int | None = None
    superseded_by: int | None = None
    links: set[str] = field(default_factory=set)  # which link keys the file states


# ---------------------------------------------------------------- writing


def _escape(text: str) -> str:
    return "\n".join("\\" + line if line.lstrip("\\") in _EXACT_SECTIONS else line for line in text.split("\n"))


def _unescape(line: str) -> str:
    return line[1:] if line.startswith("\\") and line.lstrip("\\") in _EXACT_SECTIONS else line


def slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:60].rstrip("-") or "decision"


def file_name(record: DecisionRecord) -> str:
    return f"{record.id:04d}-{slug(record.title)}.md"


def _yaml_dump(data: Mapping[str, Any]) -> str:
    """Readable YAML when it reads back exactly; otherwise every scalar double-quoted and escaped."""
    import yaml

    plain = dict(data)
    for options in ({"allow_unicode": True}, {"allow_unicode": False, "default_style": '"'}):
        text = str(yaml.safe_dump(plain, sort_keys=False, width=2**31 - 1, **options))
        try:
            # PyYAML writes some characters raw (NEL, LS, PS) or keys it cannot read back; check, not trust.
            if "\n---\n" not in text and yaml.safe_load(text) == plain:
                return text
        except yaml.YAMLError:
            pass
    raise ValueError(f"front matter does not survive YAML: {plain!r}")


def front_matter(record: DecisionRecord) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if record.status == "superseded" and record.superseded_by:
        data["status"] = f"superseded by {format_id(record.superseded_by)}"
    else:
        data["status"] = record.status
    data["date"] = _madr_date(record.updated or record.created)
    if record.status_reason:
        data["status_reason"] = record.status_reason
    for key, value in record.extra.items():
        if key not in OWN_KEYS:
            data[key] = value
    data["id"] = record.ref
    data["uid"] = record.uid
    if record.tags:
        data["tags"] = list(record.tags)
    if record.cites:
        data["cites"] = list(record.cites)
    if record.supersedes:
        data["supersedes"] = format_id(record.supersedes)
    if record.superseded_by and record.status != "superseded":
        data["superseded_by"] = format_id(record.superseded_by)
    if record.design_id is not None:
        data["design_id"] = record.design_id
    data["created"] = record.created
    data["updated"] = record.updated
    return data


def _madr_date(stamp: str) -> dt.date | str:
    """MADR's date is a plain YYYY-MM-DD; a date object makes YAML write it unquoted."""
    try:
        return dt.date.fromisoformat(stamp[:10])
    except ValueError:
        return stamp[:10]


def render_madr(record: DecisionRecord) -> str:
    """The MADR 4.0 file for a decision."""
    parts = ["---\n", _yaml_dump(front_matter(record)), "---\n\n", f"# {record.title}\n"]
    if record.context:
        parts.append(f"\n{CONTEXT}\n\n{_escape(record.context)}\n")
    if record.alternatives:
        parts.append(f"\n{OPTIONS}\n\n" + "".join(f"* {option}\n" for option in record.alternatives))
    if record.decision or record.consequences:
        parts.append(f"\n{OUTCOME}\n")
        if record.decision:
            parts.append(f"\n{_escape(record.decision)}\n")
        if record.consequences:
            parts.append(f"\n{CONSEQUENCES}\n\n{_escape(record.consequences)}\n")
    return "".join(parts)


# ---------------------------------------------------------------- reading


def _split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    from archassist.agent.model.io import parse_document

    if not (text.startswith("---\n") or text == "---"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise AdrFileError(f"{source}: front matter starts with '---' but never ends; close it with a '---' line")
    raw = text[4:end + 1]
    body = text[end + 5:]
    # The design loader's limits (aliases, size, nesting) hold for front matter too; the leading newline keeps
    # its line numbers those of the file, whose first line is the opening '---'.
    try:
        data = _plain(parse_document("\n" + raw, source).data) if raw.strip() else {}
    except InputError as exc:
        message = str(exc)
        raise AdrFileError(message if message.startswith(source) else f"{source}: front matter: {message}") from None
    if not isinstance(data, dict):
        raise AdrFileError(f"{source}: front matter must be a mapping of keys, found {type(data).__name__}")
    return {str(k): v for k, v in data.items()}, body


def _plain(value: Any, _inside: frozenset[int] = frozenset()) -> Any:
    """YAML dates become ISO strings so every value stores as JSON; a value that contains itself (a recursive
    YAML alias such as ``events: &a [*a]``) is refused, since it has no JSON form."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        if id(value) in _inside:
            raise InputError("a YAML alias refers to itself (like `events: &a [*a]`); write the value out instead")
        inside = _inside | {id(value)}
        if isinstance(value, dict):
            return {str(k): _plain(v, inside) for k, v in value.items()}
        return [_plain(v, inside) for v in value]
    return value


def _ref(value: Any, key: str, source: str) -> int:
    try:
        return parse_id(str(value).strip().strip("[]"))
    except InputError:
        raise AdrFileError(f"{source}: '{key}' must be a decision id like ADR-0007, got {value!r}") from None


def _status(value: Any, source: str) -> tuple[str, int | None]:
    text = re.sub(r"\s+", " ", str(value or "").strip())
    match = _SUPERSEDED_BY_RE.match(text)
    if match:
        return "superseded", _ref(match.group(1).replace(" ", ""), "status", source)
    lowered = text.lower()
    if lowered not in STATUSES:
        raise AdrFileError(f"{source}: unknown status {text!r}; use one of: {', '.join(STATUSES)}, superseded by ADR-N")
    return lowered, None


def _str_list(value: Any, key: str, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(_plain(v)) for v in value]
    raise AdrFileError(f"{source}: '{key}' must be a list, got {type(value).__name__}")


def parse_madr(text: str, source: str = "<madr>", file_number: int | None = None) -> ParsedAdr:
    """Read one MADR file; ``file_number`` is the number in its file name, used by hand-written files."""
    # Our bodies hold no CR (stored text is normalised), so a checkout that turned LF into CRLF reads the same.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    meta, body = _split_front_matter(text, source)
    exact = bool(meta.get("uid"))
    lines = body.split("\n")
    if not exact:
        body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
        lines = body.split("\n")
    title_at = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if title_at is None:
        raise AdrFileError(f"{source}: no '# ' title line; a MADR file starts its body with '# <title>'")
    title = lines[title_at][2:] if exact else lines[title_at][2:].strip().rstrip("#").strip()
    sections = _exact_sections(lines[title_at + 1:]) if exact else _lenient_sections(lines[title_at + 1:], meta)

    status, superseded_in_status = _status(meta.get("status", "accepted" if exact else "proposed"), source)
    fields: dict[str, Any] = {
        "title": title,
        "context": sections["context"],
        "decision": sections["decision"],
        "consequences": sections["consequences"],
        "alternatives": sections["options"],
        "status": status,
        "tags": _str_list(meta.get("tags"), "tags", source),
        "cites": _str_list(meta.get("cites"), "cites", source),
        "extra": {k: _plain(v) for k, v in meta.items() if k not in OWN_KEYS},
    }
    if meta.get("design_id") is not None:
        try:
            fields["design_id"] = int(meta["design_id"])
        except (TypeError, ValueError):
            raise AdrFileError(f"{source}: 'design_id' must be a number, got {meta['design_id']!r}") from None
    if meta.get("uid"):
        fields["uid"] = str(meta["uid"])
    if meta.get("status_reason") is not None:
        fields["status_reason"] = str(_plain(meta["status_reason"]))
    created = meta.get("created") or meta.get("date")
    updated = meta.get("updated") or meta.get("date") or created
    if created:
        fields["created"] = str(_plain(created))
    if updated:
        fields["updated"] = str(_plain(updated))
    parsed = ParsedAdr(path=source, fields=fields, exact=exact)
    if meta.get("id") is not None:
        parsed.ref, parsed.ref_explicit = _ref(meta["id"], "id", source), True
    else:
        parsed.ref = file_number
    superseded_by = meta.get("superseded_by")
    if superseded_by is not None:
        parsed.superseded_by = _ref(superseded_by, "superseded_by", source)
    else:
        parsed.superseded_by = superseded_in_status
    if meta.get("supersedes") is not None:
        parsed.supersedes = _ref(meta["supersedes"], "supersedes", source)
    if exact or "supersedes" in meta:
        parsed.links.add("supersedes")
    if exact or superseded_by is not None or superseded_in_status is not None:
        parsed.links.add("superseded_by")
    return parsed


def _exact_sections(lines: list[str]) -> dict[str, Any]:
    buckets: dict[str, list[str]] = {"context": [], "options": [], "decision": [], "consequences": []}
    current: str | None = None
    for line in lines:
        if line in _EXACT_SECTIONS:
            current = _EXACT_SECTIONS[line]
        elif current is not None:
            buckets[current].append(line if current == "options" else _unescape(line))
    options = [line[2:] for line in buckets.pop("options") if line.startswith("* ")]
    out: dict[str, Any] = {key: "\n".join(value).strip() for key, value in buckets.items()}
    out["options"] = options
    return out


_HEADING_RE = re.compile(r"^(#{2,6})\s+(.*?)\s*#*\s*$")
_BULLET_RE = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+(.*)$")
_OLD_META_RE = re.compile(r"^\s*[*-]\s*(status|date|deciders|decision-makers)\s*:\s*(.*)$", re.IGNORECASE)
_KNOWN = {
    "context and problem statement": "context",
    "context": "context",
    "decision drivers": "context",
    "considered options": "options",
    "options": "options",
    "decision outcome": "decision",
    "decision": "decision",
    "consequences": "consequences",
}


def _lenient_sections(lines: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    buckets: dict[str, list[str]] = {"context": [], "options": [], "decision": [], "consequences": []}
    current = "context"
    seen_outcome = False
    for line in lines:
        heading = _HEADING_RE.match(line)
        if heading:
            name = heading.group(2).strip().rstrip(":").lower()
            target = _KNOWN.get(name)
            level = len(heading.group(1))
            if target is not None:
                if name == "decision drivers":
                    buckets["context"].append(f"\n**{heading.group(2).strip()}**\n")
                current = target
                seen_outcome = seen_outcome or target in ("decision", "consequences")
                continue
            if level == 2:  # an optional MADR section: keep its words where a reader would look for them
                current = "consequences" if seen_outcome else "context"
                buckets[current].append(f"\n**{heading.group(2).strip()}**\n")
                continue
        old = _OLD_META_RE.match(line) if current == "context" and not buckets["options"] else None
        if old:
            key = old.group(1).lower()
            meta.setdefault("status" if key == "status" else "date" if key == "date" else "decision-makers",
                            old.group(2).strip())
            continue
        buckets[current].append(line)
    options: list[str] = []
    for line in buckets.pop("options"):
        bullet = _BULLET_RE.match(line)
        if bullet:
            options.append(bullet.group(1).strip())
        elif line.strip() and options:
            options[-1] = f"{options[-1]} {line.strip()}"
    out: dict[str, Any] = {key: "\n".join(value).strip() for key, value in buckets.items()}
    out["options"] = options
    return out


def read_madr_file(path: Path) -> ParsedAdr:
    """One MADR file, read under the same limits as every other input (size, regular files only, UTF-8)."""
    from archassist.agent.model.io import read_text_file

    try:
        text = read_text_file(path)
    except InputError as exc:
        raise AdrFileError(str(exc)) from None
    number = _FILE_NUMBER_RE.match(path.name)
    return parse_madr(text, str(path), int(number.group(1)) if number and int(number.group(1)) > 0 else None)


def adr_files(folder: Path) -> list[Path]:
    """The decision files of a folder: ``*.md`` but not README, index or template files."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; give the folder that holds the MADR files")
    return sorted(p for p in folder.glob("*.md") if p.is_file() and not _SKIP_FILES.match(p.name))


def read_decision_file(path: str | Path) -> list[dict[str, Any]]:
    """Decisions to add from a YAML/JSON file (one mapping, a list, or a design with ``decisions``) or one
    MADR Markdown file. Ids and supersession links are dropped: these become new decisions.

    The file goes through the design loader (size cap, special files refused, YAML alias and nesting limits).
    """
    from archassist.agent.model.io import read_document

    file = Path(path)
    if file.suffix.lower() in (".md", ".markdown"):
        fields = dict(read_madr_file(file).fields)
        for key in ("uid", "created", "updated", "status_reason"):
            fields.pop(key, None)
        return [fields]
    try:
        data = _plain(read_document(file).data)
    except InputError as exc:
        message = str(exc)
        raise InputError(message if message.startswith(str(file)) else f"{file}: {message}") from None
    if isinstance(data, dict) and isinstance(data.get("decisions"), list):
        data = data["decisions"]
    items = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"{file}: decision {index + 1} is not a mapping of fields (title, decision, ...)")
        fields = {str(k): _plain(v) for k, v in item.items()}
        for key in ("id", "uid", "supersedes", "superseded_by", "created", "updated"):
            fields.pop(key, None)
        out.append(fields)
    if not out:
        raise InputError(f"{file}: no decisions in the file")
    return out
