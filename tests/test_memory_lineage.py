"""Decisions across designs: superseding retires what followed the old decision, standard decisions are stored
once and linked, old databases fold their copies, and recall finds decisions through their designs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from archassist.agent.memory import (
    add_decision,
    get_decision,
    get_design,
    list_decisions,
    open_store,
    precedents_for_brief,
    recall,
    record_design,
    supersede,
)
from archassist.agent.memory.decisions import set_status, supersede_all
from archassist.agent.memory.migrations import MIGRATIONS, MIGRATIONS_TABLE
from archassist.agent.memory.records import content_hash, format_id
from archassist.agent.memory.sync import export_adr, import_adr
from archassist.agent.model.naming import words_of
from archassist.agent.modes.design import run_design_mode
from archassist.agent.planner.compose import plan

ORDERS = "Order fulfillment: customers place orders, we take payment, reserve inventory and ship the parcel."
BRIEFS = (
    "Hotel booking: guests search rooms, reserve a room, pay a deposit and get a confirmation email",
    ORDERS,
    "Food delivery: customers order meals, restaurants accept, couriers deliver",
    "Car rental: customers reserve cars, pay, pick up and return them",
)
OUTBOX = "Publish through a transactional outbox"


def test_superseding_a_precedent_steers_the_next_design(tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    with open_store(db) as store:
        old = add_decision(
            store,
            title="Order workflows use orchestration",
            decision="An orchestrated saga in the order service drives payment, inventory and shipping.",
        )
    first = run_design_mode(ORDERS, db=db)
    assert first.design is not None and first.design.style.coordination == "orchestration"
    assert first.precedents_applied == [old.ref]
    assert first.design_id is not None
    with open_store(db) as store:
        stored = get_design(store, first.design_id).design
        derived = next(d for d in stored.decisions if d.cites == [old.ref])
        assert derived.id is not None and get_decision(store, derived.id).status == "accepted"

        # Fewer matching words than the derived decision, which names the whole order workflow: before
        # superseding retired derived decisions, the derived copy out-ranked this one and kept orchestration.
        new = add_decision(store, title="Use choreography for orders", decision="No orchestrator.")
        done = supersede_all(store, old.ref, new.ref)
        assert [r.ref for r in done.retired] == [derived.id]
        retired = get_decision(store, derived.id)
        assert (retired.status, retired.superseded_by) == ("superseded", new.id)
        assert old.ref in retired.status_reason and new.ref in retired.status_reason
        assert [p.id for p in precedents_for_brief(store, ORDERS)] == [new.ref]

    second = run_design_mode(ORDERS, db=db)
    assert second.design is not None and second.design.style.coordination == "choreography"
    assert second.precedents_applied == [new.ref]
    assert [p.id for p in second.precedents] == [new.ref]


def test_a_decision_citing_a_retired_one_is_no_precedent(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.db") as store:
        base = add_decision(store, title="Order workflows use orchestration")
        follower = add_decision(store, title="Order saga runs in the order service", cites=[base.ref])
        assert {p.id for p in precedents_for_brief(store, ORDERS)} == {base.ref, follower.ref}
        set_status(store, base.ref, "rejected", reason="too much coupling")
        assert precedents_for_brief(store, ORDERS) == []
        assert get_decision(store, follower.ref).status == "accepted"  # the team's own status is left alone
        set_status(store, base.ref, "accepted")
        assert {p.id for p in precedents_for_brief(store, ORDERS)} == {base.ref, follower.ref}
        stranger = add_decision(store, title="Order refunds follow the payment saga", cites=["ADR-0999", "x"])
        assert stranger.ref in {p.id for p in precedents_for_brief(store, ORDERS)}


def test_four_designs_store_each_standard_decision_once(tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    designs = [run_design_mode(brief, db=db) for brief in BRIEFS]
    with open_store(db) as store:
        decisions = list_decisions(store, limit=1000)
        assert [d.title for d in decisions].count(OUTBOX) == 1
        hashes = [content_hash(d.title, d.context, d.decision, d.consequences, list(d.alternatives))
                  for d in decisions]
        assert len(hashes) == len(set(hashes))
        outbox = next(d for d in decisions if d.title == OUTBOX)
        for outcome in designs:
            assert outcome.design is not None and outcome.design_id is not None
            stored = get_design(store, outcome.design_id)
            assert len(stored.decision_ids) == len(outcome.design.decisions)
            assert set(stored.decision_ids) <= {d.id for d in decisions}
            assert outbox.id in stored.decision_ids
            assert [d.id for d in stored.design.decisions] == [format_id(n) for n in stored.decision_ids]
        assert [r.id for r in recall(store, "transactional outbox")].count(outbox.id) == 1
        result = export_adr(store, tmp_path / "adr")
    files = sorted((tmp_path / "adr").glob("*.md"))
    assert len(files) == len(decisions) == len(result.written)
    assert sum(OUTBOX in f.read_text() for f in files) == 1


def test_recall_finds_decisions_through_the_designs_they_belong_to(tmp_path: Path) -> None:
    hotel = plan(BRIEFS[0]).design
    with open_store(tmp_path / "m.db") as store:
        unrelated = add_decision(store, title="Telemetry batches device readings")
        assert recall(store, "booking") == []
        design_id = record_design(store, hotel, backend="offline")
        rental_id = record_design(store, plan(BRIEFS[3]).design, backend="offline")  # no word 'booking'
        found = recall(store, "booking")
        linked = set(get_design(store, design_id).decision_ids)
        assert found and {r.id for r in found} <= linked and len(found) == len({r.id for r in found})
        assert all(r.via_design in (design_id, None) for r in found)
        assert any(r.via_design == design_id for r in found)
        assert unrelated.id not in {r.id for r in found}
        assert all(r.to_json()["via_design"] == design_id for r in found if r.via_design is not None)
        assert recall(store, "booking", status="rejected") == []
        # Services and events are searchable too: whole names, and CamelCase split into words.
        both = linked | set(get_design(store, rental_id).decision_ids)
        for query in (hotel.events[0].name, " ".join(words_of(hotel.events[0].name)), hotel.services[0].name):
            hits = recall(store, query)
            assert hits and {r.id for r in hits} <= both, query


def test_status_changes_keep_their_reason_through_madr(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as store:
        record = add_decision(store, title="Crypto-shred personal data", status="proposed")
        changed, did = set_status(store, record.id, "accepted", reason="legal signed off")
        assert did and (changed.status, changed.status_reason) == ("accepted", "legal signed off")
        again, did = set_status(store, record.id, "accepted")
        assert not did and again.updated == changed.updated
        other = add_decision(store, title="Encrypt personal data")
        supersede(store, other.id, record.id)
        with pytest.raises(Exception, match="superseded by ADR-0001"):
            set_status(store, other.id, "accepted")
        with pytest.raises(Exception, match="memory supersede"):
            set_status(store, record.id, "superseded")
        export_adr(store, tmp_path / "adr")
    text = (tmp_path / "adr" / "0001-crypto-shred-personal-data.md").read_text()
    assert "status_reason: legal signed off" in text
    with open_store(tmp_path / "b.db") as copy:
        import_adr(copy, tmp_path / "adr")
        assert get_decision(copy, 1).status_reason == "legal signed off"
        assert import_adr(copy, tmp_path / "adr").updated == []


# -- upgrading a database written before designs linked their decisions -------------------------------------


def _old_database(path: Path) -> None:
    """A memory as the previous version left it: every design stored its own copy of each decision."""
    from sqlite_utils import Database

    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    conn.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for fn in MIGRATIONS[:2]:
        fn(db)
        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, 'then')", (fn.__name__,))
    conn.execute("PRAGMA user_version = 2")

    def decision(number: int, title: str, design: int | None, status: str = "proposed", cites: str = "[]",
                 superseded_by: int | None = None, supersedes: int | None = None) -> None:
        conn.execute(
            "INSERT INTO decisions (id, uid, title, decision, status, cites, design_id, content_hash, created, "
            "updated, superseded_by, supersedes) VALUES (?, ?, ?, 'd', ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, f"uid{number}", title, status, cites, design, content_hash(title, "", "d", "", []),
             f"2025-01-0{number % 9 + 1}", f"2025-02-0{number % 9 + 1}", superseded_by, supersedes),
        )

    decision(1, "Order workflows use orchestration", None, "superseded", superseded_by=2)
    decision(2, "Order workflows use choreography", None, "accepted", supersedes=1)
    for design, first in ((1, 3), (2, 6), (3, 9)):
        ids = [first, first + 1, first + 2]
        decision(first, OUTBOX, design)
        decision(first + 1, "Key every topic by aggregate id", design, "accepted" if design == 2 else "proposed")
        decision(first + 2, "Coordinate by orchestration", design, "accepted", cites='["ADR-0001"]')
        event = {1: "RoomBooked", 2: "OrderPlaced", 3: "MealDelivered"}[design]
        data = {"name": f"d{design}", "brief": "hotel booking" if design == 1 else "orders",
                "services": [{"name": "reservation-service"}], "events": [{"name": event}],
                "decisions": [{"id": format_id(n), "title": "t", "cites": []} for n in ids]}
        conn.execute("INSERT INTO designs (id, name, brief, backend, design_json, created) VALUES (?, ?, ?, ?, ?, ?)",
                     (design, data["name"], data["brief"], "offline", json.dumps(data), "then"))
    decision(12, "Order saga state lives in the order service", None, "accepted", cites='["ADR-0006"]')
    conn.close()


def test_an_old_database_is_upgraded_and_its_copies_folded_into_links(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    with open_store(path) as store:
        titles = [d.title for d in list_decisions(store, limit=100)]
        assert titles.count(OUTBOX) == 1
        # Copies with another status are a different record of the team's mind: kept, not merged.
        assert titles.count("Key every topic by aggregate id") == 2
        outbox = get_decision(store, 9)  # a folded copy's id still resolves, to the oldest copy
        assert outbox.id == 3 and outbox.title == OUTBOX and outbox.created == "2025-01-04"
        for design in (1, 2, 3):
            stored = get_design(store, design)
            assert 3 in stored.decision_ids and len(stored.decision_ids) == 3
            assert [d.id for d in stored.design.decisions] == [format_id(n) for n in stored.decision_ids]
        assert get_decision(store, 11).id == 5 and get_decision(store, 10).id == 4
        # Citations of a folded copy name the kept decision.
        assert get_decision(store, 12).cites == ("ADR-0003",)
        # The copies that followed a decision superseded before the upgrade are retired now.
        derived = get_decision(store, 5)
        assert (derived.status, derived.superseded_by) == ("superseded", 2)
        # ADR-0012 is accepted but follows a proposal, so only the choreography decision is a precedent.
        assert [p.id for p in precedents_for_brief(store, "order orchestration workflows")] == ["ADR-0002"]
        aliases = store.query("SELECT id, uid, decision_id FROM decision_aliases ORDER BY id")
        assert [tuple(row) for row in aliases] == [
            (6, "uid6", 3), (8, "uid8", 5), (9, "uid9", 3), (10, "uid10", 4), (11, "uid11", 5)
        ]
        found = recall(store, "booking")
        assert {r.id for r in found} == {3, 4, 5} and {r.via_design for r in found} == {1}
        assert {r.id for r in recall(store, "reservation")} == {3, 4, 5, 7}
        assert store.query("SELECT count(*) FROM decisions WHERE title = ?", (OUTBOX,))[0][0] == 1
    assert len(titles) == 7
    with open_store(path) as store:  # upgrading is done once
        assert store.query("SELECT count(*) FROM decisions")[0][0] == 7


def test_madr_files_of_folded_copies_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    with open_store(path) as store:
        before = store.query("SELECT count(*) FROM decisions")[0][0]
    # A folder exported by the previous version holds one file per copy, each with its own uid.
    folder = tmp_path / "adr"
    folder.mkdir()
    for number in (3, 6, 9):
        (folder / f"{number:04d}-publish.md").write_text(
            f"---\nstatus: proposed\nid: ADR-{number:04d}\nuid: uid{number}\n---\n\n# {OUTBOX}\n\n"
            "## Decision Outcome\n\nd\n"
        )
    with open_store(path) as store:
        result = import_adr(store, folder)
        assert result.added == [] and store.query("SELECT count(*) FROM decisions")[0][0] == before
        export = export_adr(store, folder)
    names = sorted(p.name for p in folder.glob("*publish*"))
    assert names == ["0003-publish-through-a-transactional-outbox.md"]
    assert {p.name for p in export.removed} >= {"0006-publish.md", "0009-publish.md"}
