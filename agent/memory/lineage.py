"""How decisions relate across designs: which ones follow (cite) which, what a design links to, and folding
copies of one decision into a single row.

A design's decision that applied a precedent cites it (``cites: [ADR-0007]``); such a decision is *derived*
from the precedent. Retiring a precedent (superseding it) retires what was derived from it, and a decision is
only a precedent while everything it follows is still accepted, so a retired decision never steers a design
through one of its copies.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from archassist.agent.errors import InputError
from archassist.agent.memory.records import JSON_TEXT, format_id, parse_id

# A derivation chain longer than this is not something a planner produces; the bound keeps a hand-made cycle
# of citations from looping.
MAX_CITATION_DEPTH = 32
RETIRABLE = ("accepted", "proposed")


def citing(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
    """Decisions that cite any of ``ids`` directly: id → status."""
    found: dict[int, str] = {}
    for number in ids:
        ref = format_id(number)
        rows = conn.execute(
            """SELECT DISTINCT d.id, d.status FROM decisions AS d, json_each(d.cites) AS j
               WHERE instr(d.cites, ?) > 0 AND j.value = ?""",
            (ref, ref),
        )
        found.update({int(row[0]): str(row[1]) for row in rows})
    return found


def derived_from(conn: sqlite3.Connection, number: int) -> list[int]:
    """Every decision that follows ``number``, directly or through other derived decisions, in id order."""
    seen: set[int] = {number}
    frontier = [number]
    for _ in range(MAX_CITATION_DEPTH):
        if not frontier:
            break
        nxt = [d for d in citing(conn, frontier) if d not in seen]
        seen.update(nxt)
        frontier = nxt
    seen.discard(number)
    return sorted(seen)


def retire_derived(conn: sqlite3.Connection, old: int, new: int, stamp: str) -> list[int]:
    """Mark the accepted or proposed decisions derived from ``old`` as superseded by ``new``; returns their ids.

    Decisions the team rejected or deprecated keep that status: retiring only ever removes a precedent.
    """
    retired: list[int] = []
    reason = f"followed {format_id(old)}, which {format_id(new)} supersedes"
    for number in derived_from(conn, old):
        cursor = conn.execute(
            f"""UPDATE decisions SET status = 'superseded', superseded_by = ?, status_reason = ?, updated = ?
                WHERE id = ? AND status IN ({", ".join("?" for _ in RETIRABLE)})""",
            (new, reason, stamp, number, *RETIRABLE),
        )
        if cursor.rowcount:
            retired.append(number)
    return retired


def standing(conn: sqlite3.Connection, cites_of: Mapping[int, Iterable[str]]) -> set[int]:
    """Of the given decisions (id → the ids it cites), those whose citations are all accepted, transitively.
    A citation of a decision this memory does not have counts as standing."""
    status: dict[int, str] = {}
    cites: dict[int, list[int]] = {}

    def refs(items: Iterable[str]) -> list[int]:
        out: list[int] = []
        for item in items:
            try:
                out.append(parse_id(item))
            except InputError:
                continue
        return out

    pending = {n for items in cites_of.values() for n in refs(items)}
    for _ in range(MAX_CITATION_DEPTH):
        pending -= status.keys()
        if not pending:
            break
        marks = ", ".join("?" for _ in pending)
        for row in conn.execute(f"SELECT id, status, cites FROM decisions WHERE id IN ({marks})", tuple(pending)):
            status[int(row[0])] = str(row[1])
            cites[int(row[0])] = refs(_json_list(row[2]))
        pending = {n for number in pending for n in cites.get(number, [])}

    def stands(number: int, depth: int) -> bool:
        if number not in status:
            return True  # cited but not in this memory (a folder from another team): nothing retired it here
        if depth > MAX_CITATION_DEPTH or status[number] != "accepted":
            return False
        return all(stands(n, depth + 1) for n in cites.get(number, []))

    return {number for number, items in cites_of.items() if all(stands(n, 0) for n in refs(items))}


def _json_list(raw: Any) -> list[str]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def resolve_alias(conn: sqlite3.Connection, number: int) -> int | None:
    """The decision a folded copy's id now stands for, if ``number`` was folded."""
    row = conn.execute("SELECT decision_id FROM decision_aliases WHERE id = ?", (number,)).fetchone()
    return int(row[0]) if row else None


def design_search_text(data: Mapping[str, Any]) -> tuple[str, str]:
    """The words recall finds a design by, beyond its name and brief: its services (with bounded contexts and
    aggregates) and its events (with topics). CamelCase names are split so that ``booking`` finds
    ``BookingConfirmed``."""
    from archassist.agent.model.naming import words_of

    def names(items: Any, *keys: str) -> list[str]:
        out: list[str] = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                for key in keys:
                    value = item.get(key)
                    values = value if isinstance(value, list) else [value]
                    out += [f"{v} {' '.join(words_of(str(v)))}" for v in values if v]
        return out

    services = names(data.get("services"), "name", "bounded_context") + names(data.get("aggregates"), "name")
    events = names(data.get("events"), "name") + names(data.get("topics"), "name")
    return " ".join(services), " ".join(events)


def fold_copies(conn: sqlite3.Connection) -> int:
    """Fold rows that are copies of one decision (same words, status, tags, citations and front matter, no
    supersession links) into the oldest of them; returns how many rows were folded.

    Nothing is lost: each folded row's id, uid and dates are kept in ``decision_aliases`` (so its id still
    resolves and its MADR file is recognised), and designs, citations and supersession links that named it
    name the kept decision instead.
    """
    groups = conn.execute(
        """SELECT group_concat(id) FROM decisions WHERE supersedes IS NULL AND superseded_by IS NULL
           GROUP BY content_hash, status, status_reason, tags, cites, extra HAVING count(*) > 1"""
    ).fetchall()
    renumber: dict[int, int] = {}
    for (ids_text,) in groups:
        ids = sorted(int(part) for part in str(ids_text).split(","))
        renumber.update({dup: ids[0] for dup in ids[1:]})
    if not renumber:
        return 0
    for dup, keeper in renumber.items():
        conn.execute(
            """INSERT INTO decision_aliases (id, uid, decision_id, design_id, created, updated)
               SELECT id, uid, ?, design_id, created, updated FROM decisions WHERE id = ?""",
            (keeper, dup),
        )
        conn.execute("UPDATE design_decisions SET decision_id = ? WHERE decision_id = ?", (keeper, dup))
        conn.execute("UPDATE decisions SET supersedes = ? WHERE supersedes = ?", (keeper, dup))
        conn.execute("UPDATE decisions SET superseded_by = ? WHERE superseded_by = ?", (keeper, dup))
    _rewrite_citations(conn, renumber)
    _rewrite_design_ids(conn, renumber)
    marks = ", ".join("?" for _ in renumber)
    conn.execute(f"DELETE FROM decisions WHERE id IN ({marks})", tuple(renumber))
    return len(renumber)


def _map_refs(items: list[str], refs: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for item in items:
        mapped = refs.get(item, item)
        if mapped not in out:
            out.append(mapped)
    return out


def _rewrite_citations(conn: sqlite3.Connection, renumber: Mapping[int, int]) -> None:
    refs = {format_id(dup): format_id(keeper) for dup, keeper in renumber.items()}
    for row in conn.execute("SELECT id, cites FROM decisions WHERE cites != '[]'").fetchall():
        items = _json_list(row[1])
        mapped = _map_refs(items, refs)
        if mapped != items:
            conn.execute("UPDATE decisions SET cites = ? WHERE id = ?", (JSON_TEXT.encode(mapped), row[0]))


def _rewrite_design_ids(conn: sqlite3.Connection, renumber: Mapping[int, int]) -> None:
    refs = {format_id(dup): format_id(keeper) for dup, keeper in renumber.items()}
    for row in conn.execute("SELECT id, design_json FROM designs").fetchall():
        try:
            data = json.loads(row[1])
        except ValueError:
            continue
        changed = False
        for item in data.get("decisions", []) if isinstance(data, dict) else []:
            if not isinstance(item, dict):
                continue
            if item.get("id") in refs:
                item["id"], changed = refs[item["id"]], True
            if isinstance(item.get("cites"), list):
                mapped = _map_refs([str(c) for c in item["cites"]], refs)
                if mapped != item["cites"]:
                    item["cites"], changed = mapped, True
        if changed:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            conn.execute("UPDATE designs SET design_json = ? WHERE id = ?", (text, row[0]))
