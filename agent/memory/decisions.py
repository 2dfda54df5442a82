"""Writing and reading decisions and designs: add, supersede, record a design, get, list, stats."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.agent.memory.lineage import design_search_text, resolve_alias, retire_derived
from archassist.agent.memory.records import (
    DECISION_COLUMNS,
    JSON_SORTED,
    JSON_TEXT,
    STATUSES,
    DecisionRecord,
    DesignRecord,
    UnknownIdError,
    check_status,
    clean_list,
    clean_text,
    content_hash,
    decision_from_row,
    format_id,
    new_uid,
    now_iso,
    one_line,
    parse_id,
)
from archassist.agent.memory.store import MemoryStore, sqlite_errors

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

DECISION_FIELDS = frozenset(
    {
        "title", "context", "decision", "consequences", "alternatives", "status", "tags", "cites", "design_id",
        "supersedes", "superseded_by", "uid", "created", "updated", "extra", "id", "status_reason",
    }
)


def decision_row(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A decisions-table row from loose input, normalised the way every write path stores it."""
    unknown = set(fields) - DECISION_FIELDS
    if unknown:
        raise InputError(
            f"unknown decision field {sorted(unknown)[0]!r}; known fields: {', '.join(sorted(DECISION_FIELDS))}"
        )
    title = one_line(str(fields.get("title") or "").replace("\x00", ""))
    if not title:
        raise InputError("a decision needs a title; give --title or a 'title' field")
    context = clean_text(fields.get("context"))
    decision = clean_text(fields.get("decision"))
    consequences = clean_text(fields.get("consequences"))
    alternatives = clean_list(_as_list(fields.get("alternatives"), "alternatives"))
    tags = clean_list(_as_list(fields.get("tags"), "tags"))
    cites = clean_list(_as_list(fields.get("cites"), "cites"))
    extra = fields.get("extra") or {}
    if not isinstance(extra, Mapping):
        raise InputError("'extra' must be a mapping")
    created = str(fields.get("created") or now_iso())
    row: dict[str, Any] = {
        "uid": str(fields.get("uid") or new_uid()),
        "title": title,
        "context": context,
        "decision": decision,
        "consequences": consequences,
        "alternatives": JSON_TEXT.encode(alternatives) if alternatives else "[]",
        "status": check_status(str(fields.get("status") or "accepted")),
        "supersedes": _opt_id(fields.get("supersedes")),
        "superseded_by": _opt_id(fields.get("superseded_by")),
        "tags": JSON_TEXT.encode(tags) if tags else "[]",
        "cites": JSON_TEXT.encode(cites) if cites else "[]",
        "design_id": _opt_int(fields.get("design_id"), "design_id"),
        "content_hash": content_hash(title, context, decision, consequences, alternatives),
        "extra": JSON_SORTED.encode(dict(extra)) if extra else "{}",
        "status_reason": one_line(str(fields.get("status_reason") or "").replace("\x00", "")),
        "created": created,
        "updated": str(fields.get("updated") or created),
    }
    if fields.get("id") is not None:
        row["id"] = parse_id(fields["id"])
    return row


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InputError(f"'{name}' must be a list of strings, got {type(value).__name__}")


def _opt_id(value: Any) -> int | None:
    return None if value in (None, "") else parse_id(value)


def _opt_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"'{name}' must be a number, got {value!r}") from None


def insert_row(conn: sqlite3.Connection, row: Mapping[str, Any]) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(f"INSERT INTO decisions ({columns}) VALUES ({marks})", tuple(row.values()))
    return int(cursor.lastrowid or 0)


def add_decision(store: MemoryStore, **fields: Any) -> DecisionRecord:
    """Record one decision in its own transaction; fields as in :class:`DecisionRecord`."""
    row = decision_row(fields)
    with store.transaction() as conn:
        new_id = insert_row(conn, row)
    return get_decision(store, new_id)


def add_decisions(store: MemoryStore, items: Iterable[Mapping[str, Any]], *, batch_size: int = 500) -> int:
    """Record many decisions in one transaction through sqlite-utils' batched insert; returns the count."""
    rows = [decision_row(item) for item in items]
    with store.transaction():
        store.db.table("decisions").insert_all(rows, batch_size=batch_size)
    return len(rows)


@dataclass
class AddOutcome:
    """What adding a batch did: the decisions added, and those already recorded with the same words."""

    added: list[DecisionRecord] = field(default_factory=list)
    existing: list[DecisionRecord] = field(default_factory=list)


def add_decisions_once(store: MemoryStore, items: Iterable[Mapping[str, Any]]) -> AddOutcome:
    """Record the decisions not yet in memory, all in one transaction: a decision whose words (title, context,
    decision, consequences, options) are already recorded is not added again, so repeating a batch adds
    nothing and an interrupted one leaves the memory as it was."""
    rows = [decision_row(item) for item in items]  # every item is checked before anything is written
    added: list[int] = []
    existing: list[int] = []
    with store.transaction() as conn:
        for row in rows:
            found = conn.execute(
                "SELECT min(id) FROM decisions WHERE content_hash = ?", (row["content_hash"],)
            ).fetchone()[0]
            if found is not None:
                if found not in existing and found not in added:
                    existing.append(int(found))
                continue
            added.append(insert_row(conn, row))
    return AddOutcome(
        added=[get_decision(store, n) for n in added], existing=[get_decision(store, n) for n in existing]
    )


def _fetch(conn: sqlite3.Connection | MemoryStore, number: int) -> DecisionRecord | None:
    sql = f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id = ?"
    rows = conn.query(sql, (number,)) if isinstance(conn, MemoryStore) else list(conn.execute(sql, (number,)))
    return decision_from_row(rows[0]) if rows else None


def get_decision(store: MemoryStore, id: int | str) -> DecisionRecord:
    """The decision with this id (``7`` or ``ADR-0007``); an unknown id is a user error. The id of a copy that
    was folded into another decision gives that decision."""
    number = resolve_id(store, id)
    record = _fetch(store, number)
    if record is None:
        raise UnknownIdError(f"{format_id(number)}: no such decision in {store.path}; see `archassist memory list`")
    return record


def resolve_id(store: MemoryStore | sqlite3.Connection, id: int | str) -> int:
    """The row id a decision id stands for today: itself, or the decision its folded copy became."""
    number = parse_id(id)
    if isinstance(store, MemoryStore) and not store.exists:
        return number
    conn = store.conn if isinstance(store, MemoryStore) else store
    with sqlite_errors(store.path if isinstance(store, MemoryStore) else "memory"):
        if conn.execute("SELECT 1 FROM decisions WHERE id = ?", (number,)).fetchone() is None:
            return resolve_alias(conn, number) or number
    return number


def list_decisions(store: MemoryStore, *, status: str | None = None, limit: int = 20) -> list[DecisionRecord]:
    """Newest first."""
    where, params = _status_filter(status)
    rows = store.query(
        f"SELECT {DECISION_COLUMNS} FROM decisions {where} ORDER BY id DESC LIMIT ?", (*params, max(limit, 0))
    )
    return [decision_from_row(row) for row in rows]


def all_decisions(store: MemoryStore) -> list[DecisionRecord]:
    return [decision_from_row(r) for r in store.query(f"SELECT {DECISION_COLUMNS} FROM decisions ORDER BY id")]


def _status_filter(status: str | None) -> tuple[str, tuple[str, ...]]:
    if status is None:
        return "", ()
    return "WHERE status = ?", (check_status(status),)


@dataclass
class Supersession:
    old: DecisionRecord
    new: DecisionRecord
    retired: list[DecisionRecord] = field(default_factory=list)


def supersede(store: MemoryStore, old_id: int | str, new_id: int | str) -> tuple[DecisionRecord, DecisionRecord]:
    """Mark ``old`` superseded by ``new``, retiring what was derived from ``old``; see :func:`supersede_all`."""
    done = supersede_all(store, old_id, new_id)
    return done.old, done.new


def supersede_all(store: MemoryStore, old_id: int | str, new_id: int | str, *, reason: str = "") -> Supersession:
    """Mark ``old`` superseded by ``new`` (and ``new`` as superseding ``old``) in one transaction, and retire
    every accepted or proposed decision derived from ``old`` (designs' decisions that cite it, and theirs).

    Supersession links form chains: a decision is superseded by at most one other and supersedes at most one
    other. Unknown ids, self-supersession and cycles are refused; repeating a supersession is a no-op.
    """
    old_n, new_n = resolve_id(store, old_id), resolve_id(store, new_id)
    if old_n == new_n:
        raise InputError(f"{format_id(old_n)} cannot supersede itself; give the id of the newer decision")
    retired: list[int] = []
    with store.transaction() as conn:
        old, new = _fetch(conn, old_n), _fetch(conn, new_n)
        for number, record in ((old_n, old), (new_n, new)):
            if record is None:
                raise UnknownIdError(f"{format_id(number)}: no such decision in {store.path}")
        assert old is not None and new is not None
        stamp = now_iso()
        if old.superseded_by == new_n and new.supersedes == old_n and old.status == "superseded":
            retired = retire_derived(conn, old_n, new_n, stamp)  # designs recorded since then may follow it
        else:
            if old.superseded_by not in (None, new_n):
                raise InputError(
                    f"{old.ref} is already superseded by {format_id(old.superseded_by or 0)}; "
                    f"supersede {format_id(old.superseded_by or 0)} instead"
                )
            if new.supersedes not in (None, old_n):
                raise InputError(
                    f"{new.ref} already supersedes {format_id(new.supersedes or 0)}; a decision supersedes one other"
                )
            _refuse_cycle(conn, old_n, new)
            conn.execute(
                "UPDATE decisions SET status = 'superseded', superseded_by = ?, status_reason = ?, updated = ? "
                "WHERE id = ?",
                (new_n, one_line(reason), stamp, old_n),
            )
            conn.execute("UPDATE decisions SET supersedes = ?, updated = ? WHERE id = ?", (old_n, stamp, new_n))
            retired = retire_derived(conn, old_n, new_n, stamp)
    return Supersession(
        old=get_decision(store, old_n),
        new=get_decision(store, new_n),
        retired=[get_decision(store, n) for n in retired],
    )


# Status changes `memory accept|reject|deprecate` make; superseding has its own command because it needs the
# decision that replaces the old one.
SETTABLE_STATUSES = ("accepted", "rejected", "deprecated", "proposed")


def set_status(store: MemoryStore, id: int | str, status: str, *, reason: str = "") -> tuple[DecisionRecord, bool]:
    """Give a decision a new status (with an optional reason) in one transaction; returns the decision and
    whether anything changed. A superseded decision keeps its status: supersede its successor instead."""
    wanted = check_status(status)
    if wanted not in SETTABLE_STATUSES:
        raise InputError(f"use `archassist memory supersede OLD NEW` to mark a decision {wanted}")
    number = resolve_id(store, id)
    reason = one_line(reason.replace("\x00", ""))
    with store.transaction() as conn:
        record = _fetch(conn, number)
        if record is None:
            raise UnknownIdError(f"{format_id(number)}: no such decision in {store.path}; see `archassist memory list`")
        if record.status == "superseded":
            successor = format_id(record.superseded_by) if record.superseded_by else "another decision"
            raise InputError(
                f"{record.ref} is superseded by {successor}; change {successor} instead, or record a new decision"
            )
        if record.status == wanted and (not reason or reason == record.status_reason):
            return record, False
        conn.execute(
            "UPDATE decisions SET status = ?, status_reason = ?, updated = ? WHERE id = ?",
            (wanted, reason, now_iso(), number),
        )
    return get_decision(store, number), True


def _refuse_cycle(conn: sqlite3.Connection, old_n: int, new: DecisionRecord) -> None:
    seen: set[int] = {new.id}
    current = new.superseded_by
    while current is not None and current not in seen:
        if current == old_n:
            raise InputError(
                f"{format_id(old_n)} cannot be superseded by {new.ref}: {new.ref} is itself (transitively) "
                f"superseded by {format_id(old_n)}, which would make a cycle"
            )
        seen.add(current)
        row = conn.execute("SELECT superseded_by FROM decisions WHERE id = ?", (current,)).fetchone()
        current = row[0] if row else None


def record_design(store: MemoryStore, design: Design, *, backend: str) -> int:
    """Store a design and link it to its decisions, in one transaction.

    A decision already in memory with the same words and citations (the standard decisions every design
    makes, a precedent carried over) is linked, not copied; only what is new is added, with this design as
    its origin. The stored Design JSON carries the decision ids.
    """
    stamp = now_iso()
    # Only the decisions change below (they get their ids): copying them, not the whole design, keeps the
    # caller's design as it was.
    stored = design.model_copy(update={"decisions": [d.model_copy() for d in design.decisions]})
    services, events = design_search_text(stored.model_dump(mode="json", include={"services", "aggregates",
                                                                                  "events", "topics"}))
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO designs (name, brief, backend, design_json, created, services, events) "
            "VALUES (?, ?, ?, '{}', ?, ?, ?)",
            (design.name, design.brief or "", backend, stamp, services, events),
        )
        design_id = int(cursor.lastrowid or 0)
        for position, decision in enumerate(stored.decisions):
            fields: dict[str, Any] = {
                "title": decision.title,
                "context": decision.context,
                "decision": decision.decision,
                "consequences": decision.consequences,
                "alternatives": decision.alternatives,
                "status": decision.status,
                "tags": decision.tags,
                "cites": decision.cites,
                "design_id": design_id,
                "created": stamp,
            }
            row = decision_row(fields)
            existing = _same_recorded(conn, decision.id, row["content_hash"])
            if existing is None:
                existing = _same_words(conn, row)
            number = existing if existing is not None else insert_row(conn, row)
            decision.id = format_id(number)
            conn.execute(
                "INSERT INTO design_decisions (design_id, position, decision_id) VALUES (?, ?, ?)",
                (design_id, position, number),
            )
        conn.execute("UPDATE designs SET design_json = ? WHERE id = ?", (stored.model_dump_json(), design_id))
    return design_id


def _same_words(conn: sqlite3.Connection, row: Mapping[str, Any]) -> int | None:
    """The recorded decision with these words and citations, preferring one still in force."""
    found = conn.execute(
        "SELECT id FROM decisions WHERE content_hash = ? AND cites = ? ORDER BY status = 'superseded', id LIMIT 1",
        (row["content_hash"], row["cites"]),
    ).fetchone()
    return int(found[0]) if found else None


def _same_recorded(conn: sqlite3.Connection, id_text: str | None, digest: str) -> int | None:
    if not id_text:
        return None
    try:
        number = parse_id(id_text)
    except InputError:
        return None
    number = resolve_alias(conn, number) or number
    row = conn.execute("SELECT id FROM decisions WHERE id = ? AND content_hash = ?", (number, digest)).fetchone()
    return int(row[0]) if row else None


def _design_from_row(row: Mapping[str, Any] | sqlite3.Row, score: float | None = None) -> DesignRecord:
    ids: list[int] = []
    try:
        for item in json.loads(row["design_json"]).get("decisions", []):
            if item.get("id"):
                ids.append(parse_id(item["id"]))
    except (ValueError, AttributeError, InputError):
        ids = []
    return DesignRecord(
        id=int(row["id"]),
        name=row["name"],
        brief=row["brief"],
        backend=row["backend"],
        design_json=row["design_json"],
        created=row["created"],
        decision_ids=tuple(ids),
        score=score,
    )


def get_design(store: MemoryStore, id: int | str) -> DesignRecord:
    """The stored design with this id (``12``, ``#12`` or ``D12``); ``.design`` parses it into a Design."""
    try:
        number = int(str(id).strip().lstrip("#Dd"))
    except ValueError:
        raise UnknownIdError(f"bad design id {str(id)!r}; design ids are numbers") from None
    rows = store.query("SELECT id, name, brief, backend, design_json, created FROM designs WHERE id = ?", (number,))
    if not rows:
        raise UnknownIdError(f"design {number}: no such design in {store.path}")
    return _design_from_row(rows[0])


def list_designs(store: MemoryStore, *, limit: int = 20) -> list[DesignRecord]:
    rows = store.query(
        "SELECT id, name, brief, backend, design_json, created FROM designs ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [_design_from_row(row) for row in rows]


def stats(store: MemoryStore) -> dict[str, Any]:
    """Counts and facts about the database, as stable JSON-ready data."""
    from archassist.agent.memory.migrations import MIGRATIONS_TABLE, schema_version

    by_status = dict.fromkeys(STATUSES, 0)
    data: dict[str, Any] = {
        "database": str(store.path),
        "exists": store.exists,
        "size_bytes": store.path.stat().st_size if store.path.exists() else 0,
        "schema_version": schema_version(),
        "migrations": [],
        "journal_mode": None,
        "designs": 0,
        "decisions": 0,
        "by_status": by_status,
        "oldest": None,
        "newest": None,
    }
    if not store.exists:
        return data
    for row in store.query("SELECT status, count(*) AS n FROM decisions GROUP BY status"):
        by_status[row["status"]] = row["n"]
    span = store.query("SELECT min(created) AS oldest, max(created) AS newest FROM decisions")[0]
    data.update(
        migrations=[r[0] for r in store.query(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")],
        journal_mode=store.query("PRAGMA journal_mode")[0][0],
        designs=store.query("SELECT count(*) FROM designs")[0][0],
        decisions=sum(by_status.values()),
        oldest=span["oldest"],
        newest=span["newest"],
    )
    return data
