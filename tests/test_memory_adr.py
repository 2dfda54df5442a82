"""MADR 4.0 export and import: lossless, idempotent, and tolerant of hand-written files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from archassist.agent.errors import InputError
from archassist.agent.memory import STATUSES, MemoryStore, add_decision, open_store, supersede
from archassist.agent.memory.adr import OWN_KEYS, parse_madr, read_decision_file, render_madr
from archassist.agent.memory.decisions import all_decisions, decision_row, get_decision
from archassist.agent.memory.records import DecisionRecord, decision_from_row
from archassist.agent.memory.sync import export_adr, import_adr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _populate(store: MemoryStore) -> None:
    for status in STATUSES:
        add_decision(
            store,
            title=f"Ünïcode {status} décision — 日本語 🙂",
            context="## Context and Problem Statement\n---\n# not a title\n\\### Consequences\nkey: value",
            decision="Chosen option: \"A\", because: it's {fine} & [ok] | > !",
            consequences="* Good, because x\n* Bad, because y\n\n### Consequences",
            alternatives=["A", "B: with colon", "- dash", "# hash"],
            status=status,
            tags=["kafka", "yes", "123", "null", "ü"],
            cites=["ADR-0001"],
            design_id=41,
            extra={"decision-makers": ["Ann", "Bo"], "consulted": "team-x"},
        )
    add_decision(store, title="Bare minimum")
    supersede(store, 2, 6)  # accepted -> superseded by "Bare minimum"
    supersede(store, 1, 2)  # a chain of supersessions


def test_export_import_round_trip_is_lossless_and_idempotent(tmp_path: Path) -> None:
    adr = tmp_path / "adr"
    with open_store(tmp_path / "a.db") as source:
        _populate(source)
        result = export_adr(source, adr)
        assert len(result.written) == 6
        originals = all_decisions(source)
    names = sorted(p.name for p in adr.iterdir())
    assert names[0].startswith("0001-unicode-proposed-decision") and len(names) == 6
    with open_store(tmp_path / "b.db") as target:
        first = import_adr(target, adr)
        assert (len(first.added), first.updated, first.warnings) == (6, [], [])
        assert all_decisions(target) == originals
        second = import_adr(target, adr)
        assert (second.added, second.updated, len(second.unchanged)) == ([], [], 6)
        assert all_decisions(target) == originals
        again = export_adr(target, adr)  # the copy writes byte-identical files
        assert (again.written, again.unchanged) == ([], 6)
    with open_store(tmp_path / "a.db") as source:
        assert len(import_adr(source, adr).unchanged) == 6


def test_import_renumbers_around_existing_ids_and_keeps_links(tmp_path: Path) -> None:
    adr = tmp_path / "adr"
    with open_store(tmp_path / "a.db") as source:
        old = add_decision(source, title="Payments via REST")
        new = add_decision(source, title="Payments via events")
        supersede(source, old.id, new.id)
        export_adr(source, adr)
    with open_store(tmp_path / "b.db") as target:
        mine = add_decision(target, title="Something local")
        result = import_adr(target, adr)
        assert len(result.added) == 2 and mine.id == 1
        imported_old = get_decision(target, result.added[0])
        imported_new = get_decision(target, result.added[1])
        assert imported_old.title == "Payments via REST" and imported_old.id != 1
        assert imported_old.superseded_by == imported_new.id and imported_new.supersedes == imported_old.id
        assert get_decision(target, 1).title == "Something local"
        assert len(import_adr(target, adr).unchanged) == 2


def test_editing_a_file_updates_the_decision(tmp_path: Path) -> None:
    adr = tmp_path / "adr"
    with open_store(tmp_path / "a.db") as store:
        record = add_decision(store, title="Use Avro", status="proposed")
        export_adr(store, adr)
        file = next(adr.glob("0001-*.md"))
        file.write_text(file.read_text().replace("status: proposed", "status: accepted").replace(
            "# Use Avro", "# Use Avro with a schema registry"))
        result = import_adr(store, adr)
        assert result.updated == [record.id]
        changed = get_decision(store, record.id)
        assert (changed.status, changed.title, changed.uid) == ("accepted", "Use Avro with a schema registry",
                                                                record.uid)
        renamed = export_adr(store, adr)
        assert [p.name for p in renamed.written] == ["0001-use-avro-with-a-schema-registry.md"]
        assert renamed.removed == [file] and not file.exists()


HAND_WRITTEN_MADR4 = """---
# These are optional metadata elements. Feel free to remove any of them.
status: accepted
date: 2024-03-05
decision-makers: [Ann, Bo]
---

# Use Kafka for order events

## Context and Problem Statement

Orders must reach billing and shipping.

<!-- This is an optional element. Feel free to remove. -->
## Decision Drivers

* durability
* replay

## Considered Options

* Kafka
* RabbitMQ
* Polling the orders table

## Decision Outcome

Chosen option: "Kafka", because it keeps history for replay.

<!-- This is an optional element. Feel free to remove. -->
### Consequences

* Good, because consumers can replay.
* Bad, because we run a cluster.

## More Information

See the platform wiki.
"""

HAND_WRITTEN_MADR2 = """# Poll the orders table

* Status: superseded by [ADR-0001](0001-use-kafka-for-order-events.md)
* Deciders: Ann
* Date: 2023-01-10

## Context and Problem Statement

We had no broker.

## Decision Outcome

Chosen option: "Polling".
"""


def test_hand_written_madr_files_import_leniently_and_idempotently(tmp_path: Path) -> None:
    adr = tmp_path / "decisions"
    adr.mkdir()
    (adr / "0001-use-kafka-for-order-events.md").write_text(HAND_WRITTEN_MADR4)
    (adr / "0002-poll-the-orders-table.md").write_text(HAND_WRITTEN_MADR2)
    (adr / "README.md").write_text("# Decisions\n")
    (adr / "adr-template.md").write_text("---\nstatus: \"{proposed | accepted}\"\n---\n# {title}\n")
    with open_store(tmp_path / "m.db") as store:
        add_decision(store, title="Already here")
        result = import_adr(store, adr)
        assert len(result.added) == 2 and result.warnings == []
        kafka, polling = (get_decision(store, i) for i in result.added)
        assert kafka.title == "Use Kafka for order events" and kafka.status == "accepted"
        assert kafka.alternatives == ("Kafka", "RabbitMQ", "Polling the orders table")
        assert kafka.decision.startswith('Chosen option: "Kafka"')
        assert "Bad, because we run a cluster." in kafka.consequences
        assert "See the platform wiki." in kafka.consequences and "durability" in kafka.context
        assert "<!--" not in kafka.context + kafka.consequences
        assert kafka.extra == {"decision-makers": ["Ann", "Bo"]}
        assert kafka.created == "2024-03-05"
        assert polling.status == "superseded" and polling.superseded_by == kafka.id
        assert polling.extra == {"decision-makers": "Ann"} and polling.created == "2023-01-10"
        again = import_adr(store, adr)
        assert (again.added, again.updated, sorted(again.unchanged)) == ([], [], sorted(result.added))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nstatus: approved\n---\n# T\n", "unknown status"),
        ("---\nstatus: [unclosed\n---\n# T\n", "invalid YAML"),
        ("---\nstatus: accepted\n# T\n", "never ends"),
        ("no title here\n", "no '# ' title"),
        ("---\nid: seven\nuid: x\n---\n# T\n", "'id' must be a decision id"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    adr = tmp_path / "adr"
    adr.mkdir()
    (adr / "0001-x.md").write_text(text)
    with open_store(tmp_path / "m.db") as store:
        with pytest.raises(InputError, match=message) as info:
            import_adr(store, adr)
        assert "0001-x.md" in str(info.value) and "\n" not in str(info.value)
        assert all_decisions(store) == []  # nothing half-imported


def test_read_decision_file_accepts_yaml_json_designs_and_madr(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("title: Use Avro\ntags: [schemas]\nid: ADR-0009\n")
    (tmp_path / "many.json").write_text('[{"title": "A"}, {"title": "B", "status": "proposed"}]')
    (tmp_path / "design.yaml").write_text("name: d\ndecisions:\n  - title: From a design\n")
    (tmp_path / "x.md").write_text(HAND_WRITTEN_MADR4)
    assert read_decision_file(tmp_path / "one.yaml") == [{"title": "Use Avro", "tags": ["schemas"]}]
    assert [d["title"] for d in read_decision_file(tmp_path / "many.json")] == ["A", "B"]
    assert read_decision_file(tmp_path / "design.yaml")[0]["title"] == "From a design"
    assert read_decision_file(tmp_path / "x.md")[0]["title"] == "Use Kafka for order events"
    (tmp_path / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="not a mapping"):
        read_decision_file(tmp_path / "bad.yaml")


# -- property: any text survives the file format -----------------------------------------------------------

AWKWARD_LINES = st.sampled_from(
    ["---", "...", "# title?", "## Context and Problem Statement", "\\## Decision Outcome", "\\\\### Consequences",
     "## Considered Options", "### Consequences", "* bullet", "key: value", "- item", "'quoted'", '"dq"', "{a: b}",
     "[x]", "&anchor", "*alias", "!!python/object", "%YAML", "@at", "`tick`", "| pipe", "> fold", "<!-- c -->",
     "\t tab", "  indented", "", "\x85nel", "\u2028ls", "\r", "\ufeffbom"]
)
TEXT = st.lists(st.one_of(st.text(max_size=40), AWKWARD_LINES), max_size=6).map("\n".join)
LINE = st.one_of(st.text(max_size=40), AWKWARD_LINES)
EXTRA_KEYS = st.text(min_size=1, max_size=12).filter(lambda k: k not in OWN_KEYS)
EXTRA_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30), AWKWARD_LINES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def records(draw: st.DrawFn) -> DecisionRecord:
    fields: dict[str, Any] = {
        "title": draw(LINE.filter(lambda t: bool(t.replace("\x00", "").split()))),
        "context": draw(TEXT),
        "decision": draw(TEXT),
        "consequences": draw(TEXT),
        "alternatives": draw(st.lists(LINE, max_size=4)),
        "status": draw(st.sampled_from(STATUSES)),
        "tags": draw(st.lists(LINE, max_size=4)),
        "cites": draw(st.lists(LINE, max_size=2)),
        "design_id": draw(st.none() | st.integers(min_value=1, max_value=2**40)),
        "supersedes": draw(st.none() | st.integers(min_value=1, max_value=10**6)),
        "superseded_by": draw(st.none() | st.integers(min_value=1, max_value=10**6)),
        "extra": draw(st.dictionaries(EXTRA_KEYS, EXTRA_VALUES, max_size=3)),
        "created": draw(st.datetimes(timezones=st.just(dt.UTC))).isoformat(),
    }
    row = decision_row(fields)
    row["id"] = draw(st.integers(min_value=1, max_value=10**7))
    return decision_from_row(row)


@settings(max_examples=300, deadline=None)
@given(records())
def test_any_decision_survives_render_and_parse(record: DecisionRecord) -> None:
    text = render_madr(record)
    parsed = parse_madr(text, "x.md")
    assert parsed.exact and parsed.ref == record.id
    assert (parsed.supersedes, parsed.superseded_by) == (record.supersedes, record.superseded_by)
    row = decision_row({**parsed.fields, "id": parsed.ref, "supersedes": parsed.supersedes,
                        "superseded_by": parsed.superseded_by})
    assert decision_from_row(row) == record


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(records(), min_size=1, max_size=3, unique_by=lambda r: r.id))
def test_any_decisions_survive_export_and_import(tmp_path_factory: pytest.TempPathFactory,
                                                 items: list[DecisionRecord]) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    ids = {r.id for r in items}
    with open_store(folder / "a.db") as source:
        with source.transaction() as conn:
            for record in items:
                row = decision_row({**record.to_json(), "id": record.id, "extra": dict(record.extra),
                                    "supersedes": None, "superseded_by": None})
                row["supersedes"] = record.supersedes if record.supersedes in ids else None
                row["superseded_by"] = record.superseded_by if record.superseded_by in ids else None
                columns = ", ".join(row)
                conn.execute(f"INSERT INTO decisions ({columns}) VALUES ({', '.join('?' * len(row))})",
                             tuple(row.values()))
        export_adr(source, folder / "adr")
        originals = all_decisions(source)
    with open_store(folder / "b.db") as target:
        import_adr(target, folder / "adr")
        assert all_decisions(target) == originals
        assert len(import_adr(target, folder / "adr").unchanged) == len(items)
