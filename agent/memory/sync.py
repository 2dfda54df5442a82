"""Export decisions to a folder of MADR files and import them back, losslessly and idempotently.

Identity on import: a file's ``uid`` names the decision it was exported from; a file without one (hand-written,
or a ``uid`` this database does not know) is matched by its front-matter ``id`` if it has an ``id`` but no
``uid``, else by a hash of its words. A matched decision is brought in line with the file (the file wins); an
unmatched one is added, keeping the file's id when that id is free here. Supersession links are mapped through
the same renumbering, so a folder exported from one database imports into another with its links intact.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archassist.agent.errors import InputError
from archassist.agent.memory.adr import (
    AdrFileError,
    ParsedAdr,
    _split_front_matter,
    adr_files,
    file_name,
    read_madr_file,
    render_madr,
)
from archassist.agent.memory.decisions import all_decisions, decision_row, insert_row
from archassist.agent.memory.records import format_id, now_iso
from archassist.agent.memory.store import MemoryStore

_COMPARED = (
    "title", "context", "decision", "consequences", "alternatives", "status", "status_reason", "tags", "cites",
    "extra",
)


@dataclass
class ExportResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)


@dataclass
class ImportResult:
    folder: Path
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _uid_of(path: Path) -> str | None:
    from archassist.agent.model.io import read_text_file

    try:
        meta, _ = _split_front_matter(read_text_file(path), str(path))
    except (OSError, InputError):
        return None
    uid = meta.get("uid")
    return str(uid) if uid else None


def export_adr(store: MemoryStore, folder: str | Path) -> ExportResult:
    """Write every decision as ``NNNN-title.md``. Files already up to date are left untouched; a decision
    whose title changed has its old file replaced. Files of decisions not in this database are kept."""
    from archassist.agent.model.io import write_text_atomic

    target_dir = Path(folder).expanduser()
    if target_dir.exists() and not target_dir.is_dir():
        raise InputError(f"{target_dir}: is a file; give a folder for the MADR files")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{target_dir}: cannot create the folder ({exc.strerror or exc})") from None
    # A file of a copy that was folded into another decision is that decision's file from now on.
    folded: dict[str, str] = {
        str(row[0]): str(row[1])
        for row in store.query(
            "SELECT a.uid, d.uid FROM decision_aliases AS a JOIN decisions AS d ON d.id = a.decision_id"
        )
    }
    by_uid: dict[str, Path] = {}
    stale: dict[str, list[Path]] = {}
    for path in adr_files(target_dir):
        uid = _uid_of(path)
        if uid in folded:
            stale.setdefault(folded[uid], []).append(path)
        elif uid:
            by_uid.setdefault(uid, path)
    owner = {path: uid for uid, path in by_uid.items()}
    result = ExportResult(folder=target_dir)
    for record in all_decisions(store):
        target = target_dir / file_name(record)
        if target.exists() and owner.get(target, record.uid) != record.uid:
            target = target.with_name(f"{target.stem}-{record.uid[:8]}.md")  # same id in another database
        text = render_madr(record)
        try:
            current = target.read_text(encoding="utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError):
            current = None
        if current == text:
            result.unchanged += 1
        else:
            write_text_atomic(target, text)
            result.written.append(target)
        for previous in [by_uid.get(record.uid), *stale.get(record.uid, [])]:
            if previous is not None and previous != target and previous.exists():
                previous.unlink()
                result.removed.append(previous)
    return result


@dataclass
class _Plan:
    parsed: ParsedAdr
    row: dict[str, Any]
    match: int | None
    final_id: int = 0
    folded: bool = False  # the file of a copy that was since folded into the matched decision


def _match(conn: sqlite3.Connection, parsed: ParsedAdr, digest: str) -> tuple[int | None, bool]:
    """The decision a file describes, and whether it names it through a folded copy's uid."""
    uid = parsed.fields.get("uid")
    if uid:
        found = conn.execute("SELECT id FROM decisions WHERE uid = ?", (uid,)).fetchone()
        if found is not None:
            return int(found[0]), False
        alias = conn.execute("SELECT decision_id FROM decision_aliases WHERE uid = ?", (uid,)).fetchone()
        return (int(alias[0]), True) if alias else (None, False)
    return _match_words(conn, parsed, digest), False


def _match_words(conn: sqlite3.Connection, parsed: ParsedAdr, digest: str) -> int | None:
    if parsed.ref_explicit and parsed.ref is not None:
        found = conn.execute("SELECT id FROM decisions WHERE id = ?", (parsed.ref,)).fetchone()
        if found:
            return int(found[0])
    found = conn.execute("SELECT min(id) FROM decisions WHERE content_hash = ?", (digest,)).fetchone()
    return int(found[0]) if found and found[0] is not None else None


def import_adr(store: MemoryStore, folder: str | Path) -> ImportResult:
    """Read every MADR file of ``folder`` into the database in one transaction."""
    source = Path(folder).expanduser()
    parsed_files = [read_madr_file(path) for path in adr_files(source)]
    result = ImportResult(folder=source)
    seen_uids: dict[str, str] = {}
    for parsed in parsed_files:
        uid = parsed.fields.get("uid")
        if uid and uid in seen_uids:
            raise AdrFileError(f"{parsed.path}: same uid as {seen_uids[uid]}; remove one of the two copies")
        if uid:
            seen_uids[uid] = parsed.path
    with store.transaction() as conn:
        plans: list[_Plan] = []
        for parsed in parsed_files:
            row = decision_row(dict(parsed.fields))
            match, folded = _match(conn, parsed, row["content_hash"])
            plans.append(_Plan(parsed, row, match, folded=folded))
        plans = _drop_folded_duplicates(plans, result.warnings)
        claimed: dict[int, str] = {}
        for plan in plans:
            if plan.match is not None:
                if plan.match in claimed:
                    raise AdrFileError(
                        f"{plan.parsed.path}: describes {format_id(plan.match)} like {claimed[plan.match]}; "
                        "remove one of the two"
                    )
                claimed[plan.match] = plan.parsed.path
        for plan in plans:
            if plan.match is not None:
                plan.final_id = plan.match
                continue
            wanted = plan.parsed.ref
            free = wanted is not None and wanted not in claimed and conn.execute(
                "SELECT 1 FROM decisions WHERE id = ?", (wanted,)
            ).fetchone() is None
            row = dict(plan.row)
            if free and wanted is not None:
                row["id"] = wanted
            plan.final_id = insert_row(conn, row)
            claimed[plan.final_id] = plan.parsed.path
            result.added.append(plan.final_id)
        ref_map: dict[int, int] = {}
        for plan in plans:
            if plan.parsed.ref is not None:
                ref_map.setdefault(plan.parsed.ref, plan.final_id)
        for plan in plans:
            changed = _apply(conn, plan, ref_map, result.warnings)
            if plan.match is not None:
                (result.updated if changed else result.unchanged).append(plan.final_id)
    return result


def _drop_folded_duplicates(plans: list[_Plan], warnings: list[str]) -> list[_Plan]:
    """Files of copies folded into one decision describe that decision once: its own file wins, else the first
    copy's file; the other copies' files are skipped with a warning (the next export removes them)."""
    files_of: dict[int, list[_Plan]] = {}
    for plan in plans:
        if plan.match is not None:
            files_of.setdefault(plan.match, []).append(plan)
    skipped: set[int] = set()
    for number, group in files_of.items():
        if len(group) < 2 or not any(p.folded for p in group):
            continue
        own = [p for p in group if not p.folded]
        keep = own[0] if own else group[0]
        for plan in group:
            if plan is not keep and plan.folded:
                skipped.add(id(plan))
                warnings.append(
                    f"{plan.parsed.path}: a copy of {format_id(number)} folded into it; skipped in favour of "
                    f"{keep.parsed.path} (export again to remove the copy)"
                )
    return [plan for plan in plans if id(plan) not in skipped]


def _resolve(conn: sqlite3.Connection, ref: int | None, ref_map: dict[int, int], plan: _Plan,
             key: str, warnings: list[str]) -> int | None:
    if ref is None:
        return None
    if ref in ref_map:
        return ref_map[ref]
    if conn.execute("SELECT 1 FROM decisions WHERE id = ?", (ref,)).fetchone():
        return ref
    warnings.append(f"{plan.parsed.path}: {key} {format_id(ref)} is neither in the folder nor in the database; "
                    "link dropped")
    return None


def _apply(conn: sqlite3.Connection, plan: _Plan, ref_map: dict[int, int], warnings: list[str]) -> bool:
    """Bring the row in line with its file; True when anything changed."""
    current = conn.execute("SELECT * FROM decisions WHERE id = ?", (plan.final_id,)).fetchone()
    wanted: dict[str, Any] = {key: plan.row[key] for key in _COMPARED}
    fields = plan.parsed.fields
    for key in ("design_id", "created", "updated"):
        if fields.get(key) is not None:
            wanted[key] = plan.row[key]
    if "supersedes" in plan.parsed.links:
        wanted["supersedes"] = _resolve(conn, plan.parsed.supersedes, ref_map, plan, "supersedes", warnings)
    if "superseded_by" in plan.parsed.links:
        wanted["superseded_by"] = _resolve(conn, plan.parsed.superseded_by, ref_map, plan, "superseded_by", warnings)
    changes = {key: value for key, value in wanted.items() if current[key] != value}
    if not changes:
        return False
    if {"title", "context", "decision", "consequences", "alternatives"} & changes.keys():
        changes["content_hash"] = plan.row["content_hash"]
    if plan.match is not None and "updated" not in changes and fields.get("updated") is None:
        changes["updated"] = now_iso()
    assignments = ", ".join(f"{key} = ?" for key in changes)
    conn.execute(f"UPDATE decisions SET {assignments} WHERE id = ?", (*changes.values(), plan.final_id))
    return plan.match is not None
