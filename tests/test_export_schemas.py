"""`archassist export --to avro` and `--to jsonschema`: one schema per event and version, accepted by the real
libraries (Apache Avro, fastavro, jsonschema), with the registry subjects and compatibility modes beside them."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import avro.schema
import fastavro
import jsonschema
import pytest
from archassist.agent.contracts.artifacts import avro_datum, example_message
from archassist.agent.contracts.compatibility import check_schemas
from archassist.agent.errors import InputError
from archassist.agent.export.base import Artifact, ExportOptions, export
from archassist.agent.export.schemas import subjects_of
from archassist.agent.model.design import Design, PayloadField, Upcaster
from archassist.agent.planner.compose import plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.export_briefs import BRIEFS, FLAGSHIP

KINDS = ["avro", "jsonschema"]


@cache
def designed(brief: str) -> Design:
    return plan(brief).design


def fresh(brief: str) -> Design:
    return designed(brief).model_copy(deep=True)


def by_path(artifacts: list[Artifact]) -> dict[str, str]:
    return {a.path: a.content for a in artifacts}


def registry(artifacts: list[Artifact], kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(by_path(artifacts)[f"schemas/{kind}/registry.json"])
    return data


def _plain(value: Any) -> Any:
    """A datum as comparable values: what fastavro reads back as UUID objects compared as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# ---- every design: the schemas are what the real libraries accept ------------------------------------------------


@pytest.mark.parametrize("brief", BRIEFS)
def test_every_avro_schema_parses_with_both_libraries_and_its_example_round_trips(brief: str) -> None:
    design = designed(brief)
    files = by_path(export(design, "avro"))
    versions = [v for s in subjects_of(design, "avro") for v in s.versions]
    assert len(versions) == len(design.events)
    for version in versions:
        text = files[f"schemas/avro/{version.file}"]
        schema = json.loads(text)
        avro.schema.parse(text)  # Apache Avro's reference parser
        parsed = fastavro.parse_schema(schema)
        assert schema["name"] and schema["namespace"].startswith("events")
        datum = avro_datum(version.contract, example_message(version.contract))
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, datum)
        buffer.seek(0)
        back = fastavro.schemaless_reader(buffer, parsed, parsed)
        assert _plain(back) == _plain(datum), version.file
        assert isinstance(back["timestamp"], datetime)
        payload = {f.name for f in version.event.fields}
        assert {f["name"] for f in schema["fields"][-1]["type"]["fields"]} == payload


@pytest.mark.parametrize("brief", BRIEFS)
def test_every_json_schema_is_valid_2020_12_and_accepts_the_contract_example(brief: str) -> None:
    design = designed(brief)
    files = by_path(export(design, "jsonschema"))
    versions = [v for s in subjects_of(design, "jsonschema") for v in s.versions]
    assert len(versions) == len(design.events)
    for version in versions:
        schema = json.loads(files[f"schemas/jsonschema/{version.file}"])
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        message = example_message(version.contract)
        assert not list(validator.iter_errors(message)), version.file
        # Closed: a message with a field the contract does not declare is refused.
        assert list(validator.iter_errors({**message, "unexpected": 1}))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("brief", BRIEFS)
def test_registry_lists_every_subject_with_the_events_compatibility_mode(brief: str, kind: str) -> None:
    design = designed(brief)
    artifacts = export(design, kind)
    files = by_path(artifacts)
    data = registry(artifacts, kind)
    assert data["design"] == design.name
    assert data["schema_type"] == {"avro": "AVRO", "jsonschema": "JSON"}[kind]
    events = {e.name: e for e in design.events}
    assert sorted(s["event"] for s in data["subjects"]) == sorted(events)
    for subject in data["subjects"]:
        event = events[subject["event"]]
        assert subject["subject"] == f"{subject['topic']}-{event.name}"
        assert subject["compatibility"] == (event.compatibility or "NONE")
        assert [v["version"] for v in subject["versions"]] == [event.version or 1]
        for version in subject["versions"]:
            assert f"schemas/{kind}/{version['file']}" in files
        # A subject's name is in the README table with its mode, for a person registering by hand.
        assert f"| `{subject['subject']}` |" in files[f"schemas/{kind}/README.md"]
    # Only the schema files, the registry and the README: nothing else lands in the folder.
    assert len(artifacts) == len(design.events) + 2


def test_the_flagship_layout_names_subjects_as_the_contract_mode_does() -> None:
    artifacts = export(designed(FLAGSHIP), "avro")
    paths = [a.path for a in artifacts]
    assert "schemas/avro/orders.events-OrderPlaced/v1.avsc" in paths
    placed = json.loads(by_path(artifacts)["schemas/avro/orders.events-OrderPlaced/v1.avsc"])
    assert placed["name"] == "OrderPlaced" and placed["namespace"] == "events.orders"
    entry = next(s for s in registry(artifacts, "avro")["subjects"] if s["event"] == "OrderPlaced")
    assert entry["record_name"] == "events.orders.OrderPlaced"
    assert "schemas/jsonschema/orders.events-OrderPlaced/v1.schema.json" in [
        a.path for a in export(designed(FLAGSHIP), "jsonschema")
    ]


# ---- versions ------------------------------------------------------------------------------------------------


def _with_a_second_version(design: Design, event_name: str) -> Design:
    """The design holding both shapes of one event: v1 as designed, v2 with one more optional field."""
    event = design.event(event_name)
    assert event is not None
    newer = event.model_copy(deep=True, update={"version": 2, "upcasters": [Upcaster(from_version=1, to_version=2)]})
    newer.fields.append(PayloadField(name="channel", type="string", required=False, description="Sales channel."))
    design.events.append(newer)
    return design


@pytest.mark.parametrize("brief", BRIEFS)
def test_consecutive_versions_pass_the_compatibility_checker_in_the_designs_mode(brief: str) -> None:
    """Each design's first event gains an optional field in v2. Avro accepts that in every mode; a closed JSON
    Schema accepts it only where old readers need not read new events (BACKWARD), and the export says so."""
    design = _with_a_second_version(fresh(brief), designed(brief).events[0].name)
    event = design.events[0]
    mode = event.compatibility or "NONE"
    for kind, schema_type in (("avro", "avro"), ("jsonschema", "json")):
        artifacts = export(design, kind)
        files = by_path(artifacts)
        entry = next(s for s in registry(artifacts, kind)["subjects"] if len(s["versions"]) > 1)
        assert [v["version"] for v in entry["versions"]] == [1, 2]
        old, new = (json.loads(files[f"schemas/{kind}/{v['file']}"]) for v in entry["versions"])
        verdict = check_schemas([("v1", old)], ("v2", new), mode, schema_type)
        assert entry["checks"][0]["compatible"] is verdict.compatible
        assert entry["checks"][0]["mode"] == mode and entry["checks"][0]["against"] == [1]
        expected = kind == "avro" or mode.startswith("BACKWARD") or mode == "NONE"
        assert verdict.compatible is expected, (kind, mode, verdict.summary())
        if not expected:
            assert entry["checks"][0]["breaks"] and entry["checks"][0]["summary"] in files[f"schemas/{kind}/README.md"]


def test_an_incompatible_second_version_is_reported_with_its_breaks() -> None:
    design = fresh(FLAGSHIP)
    placed = design.event("OrderPlaced")
    assert placed is not None and placed.compatibility == "BACKWARD"
    newer = placed.model_copy(deep=True, update={"version": 2})
    newer.fields.append(PayloadField(name="loyalty_tier", type="string", required=True))  # no default: breaks
    design.events.append(newer)
    for kind in KINDS:
        artifacts = export(design, kind)
        entry = next(s for s in registry(artifacts, kind)["subjects"] if s["event"] == "OrderPlaced")
        check = entry["checks"][0]
        assert check["compatible"] is False and check["mode"] == "BACKWARD"
        assert any("loyalty_tier" in b["path"] or "loyalty_tier" in b["change"] for b in check["breaks"])
        assert "is not BACKWARD compatible" in by_path(artifacts)[f"schemas/{kind}/README.md"]


def test_only_the_latest_shape_is_exported_when_the_design_holds_no_other() -> None:
    design = fresh(FLAGSHIP)
    captured = design.event("PaymentCaptured")
    assert captured is not None
    captured.version = 3
    captured.upcasters = [Upcaster(from_version=1, to_version=2), Upcaster(from_version=2, to_version=3)]
    for kind in KINDS:
        artifacts = export(design, kind)
        paths = [a.path for a in artifacts if "PaymentCaptured" in a.path]
        suffix = ".avsc" if kind == "avro" else ".schema.json"
        assert paths == [f"schemas/{kind}/payments.events-PaymentCaptured/v3{suffix}"]
        entry = next(s for s in registry(artifacts, kind)["subjects"] if s["event"] == "PaymentCaptured")
        assert [v["version"] for v in entry["versions"]] == [3] and "checks" not in entry
        note = " ".join(entry["notes"])
        assert "v1, v2 came before" in note and "v1→v2, v2→v3" in note and "not exported" in note
        schema = json.loads(by_path(artifacts)[paths[0]])
        declared = [f.name for f in captured.fields]
        if kind == "avro":
            assert [f["name"] for f in schema["fields"][-1]["type"]["fields"]] == declared
        else:
            assert list(schema["properties"]["payload"]["properties"]) == declared


def test_a_deprecated_version_is_exported_and_marked() -> None:
    design = _with_a_second_version(fresh(FLAGSHIP), "OrderPlaced")
    first = design.events[0]
    assert first.name == "OrderPlaced" and first.version == 1
    first.deprecated = True
    artifacts = export(design, "avro")
    entry = next(s for s in registry(artifacts, "avro")["subjects"] if s["event"] == "OrderPlaced")
    assert [(v["version"], v["deprecated"]) for v in entry["versions"]] == [(1, True), (2, False)]
    assert any(note.startswith("v1 is deprecated") for note in entry["notes"])
    assert "(deprecated)" in by_path(artifacts)["schemas/avro/README.md"]


def test_a_new_version_on_its_own_topic_is_its_own_subject() -> None:
    """The breaking-change procedure publishes v2 on a new topic: a new subject, nothing checked across."""
    design = fresh(FLAGSHIP)
    placed = design.event("OrderPlaced")
    assert placed is not None
    design.events.append(placed.model_copy(deep=True, update={"version": 2, "topic": "orders.events.v2"}))
    data = registry(export(design, "avro"), "avro")
    subjects = {s["subject"]: s for s in data["subjects"] if s["event"] == "OrderPlaced"}
    assert set(subjects) == {"orders.events-OrderPlaced", "orders.events.v2-OrderPlaced"}
    assert all("checks" not in s for s in subjects.values())


# ---- what the export refuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_two_definitions_of_one_version_are_refused(kind: str) -> None:
    design = fresh(FLAGSHIP)
    placed = design.event("OrderPlaced")
    assert placed is not None
    design.events.append(placed.model_copy(deep=True))
    with pytest.raises(InputError, match=r"event 'OrderPlaced' v1 on topic 'orders.events' is defined twice"):
        export(design, kind)


def test_a_field_name_avro_cannot_hold_is_refused_for_avro_only() -> None:
    design = fresh(FLAGSHIP)
    placed = design.event("OrderPlaced")
    assert placed is not None
    placed.fields.append(PayloadField(name="gift-wrap", type="boolean", required=False))
    with pytest.raises(InputError, match=r"field 'gift-wrap' is not a legal Avro field name.*'gift_wrap'") as caught:
        export(design, "avro")
    assert "\n" not in str(caught.value)
    schema = json.loads(by_path(export(design, "jsonschema"))["schemas/jsonschema/orders.events-OrderPlaced/v1.schema.json"])
    assert "gift-wrap" in schema["properties"]["payload"]["properties"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_field_declared_twice_is_refused(kind: str) -> None:
    design = fresh(FLAGSHIP)
    placed = design.event("OrderPlaced")
    assert placed is not None
    placed.fields.append(PayloadField(name="currency", type="string"))
    with pytest.raises(InputError, match="field 'currency' is declared twice"):
        export(design, kind)


def test_options_are_refused_where_the_kind_has_none() -> None:
    with pytest.raises(InputError, match="the avro export has no option 'cluster'; it takes no options"):
        export(designed(FLAGSHIP), "avro", ExportOptions(extra={"cluster": "prod"}))


def test_a_design_without_events_exports_nothing() -> None:
    assert export(Design(name="empty"), "avro") == [] and export(Design(name="empty"), "jsonschema") == []


# ---- any design -------------------------------------------------------------------------------------------------

_NAMES = st.text(alphabet=st.sampled_from("abcdefxyz_-0123456789 "), min_size=1, max_size=12)
_TYPES = st.sampled_from(
    ["string", "integer", "number", "decimal", "boolean", "uuid", "timestamp", "date", "duration", "enum", "object",
     "array", "map", "bytes", "uri"]
)


@st.composite
def designs(draw: st.DrawFn) -> Design:
    events = []
    for position in range(draw(st.integers(1, 3))):
        fields = [
            PayloadField(name=name, type=draw(_TYPES), required=draw(st.booleans()), items=draw(st.none() | _TYPES.filter(lambda t: t != "array")))
            for name in draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True))
        ]
        name = draw(st.sampled_from(["OrderPlaced", "3dPrinted", "meter-read", "Ünïcode", "x"])) + str(position)
        topic = draw(st.sampled_from(["orders.events", "9lives.events", "a-b.c", None]))
        events.append({"name": name, "topic": topic, "fields": [f.model_dump() for f in fields],
                       "compatibility": draw(st.sampled_from(["BACKWARD", "FULL", None]))})
    return Design.model_validate({"name": "generated", "events": events})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs())
def test_any_design_gives_schemas_the_libraries_accept_or_one_clear_refusal(design: Design) -> None:
    try:
        avro_files = [a for a in export(design, "avro") if a.path.endswith(".avsc")]
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("event '")
    else:
        assert len(avro_files) == len(design.events)
        for artifact in avro_files:
            avro.schema.parse(artifact.content)
            fastavro.parse_schema(json.loads(artifact.content))
    for artifact in export(design, "jsonschema"):
        if artifact.path.endswith(".schema.json"):
            jsonschema.Draft202012Validator.check_schema(json.loads(artifact.content))
        assert Path(artifact.path).parts[0] == "schemas"


# ---- the CLI and the MCP tool -----------------------------------------------------------------------------------


def _design_file(tmp_path: Path) -> Path:
    from archassist.agent.model.io import dumps

    path = tmp_path / "flagship.yaml"
    path.write_text(dumps(designed(FLAGSHIP)), encoding="utf-8")
    return path


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from archassist.agent.cli.exits import run
    from archassist.agent.cli.root import app

    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind", KINDS)
def test_cli_writes_the_schemas_into_the_folder(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _cli(capsys, "export", str(_design_file(tmp_path)), "--to", kind, "-o", str(out))
    assert code == 0 and stdout == ""
    expected = export(designed(FLAGSHIP), kind)
    assert stderr == f"wrote {len(expected)} files to {out}\n"
    for artifact in expected:
        assert (out / artifact.path).read_text(encoding="utf-8") == artifact.content


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unknown-kind", "unknown export kind 'avr' (did you mean 'avro'?)"),
        ("not-a-design", "not-a-design.yaml"),
        ("output-is-a-file", "exists and is not a folder"),
        ("symlink-outside", "leaves the output folder"),
        ("many-files-to-stdout", "give a folder with -o DIR"),
    ],
)
def test_cli_bad_input_ends_in_one_line(
    setup: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    design = _design_file(tmp_path)
    out = tmp_path / "out"
    kind = "avro"
    outside = tmp_path / "outside"
    outside.mkdir()
    if setup == "unknown-kind":
        kind = "avr"
    elif setup == "not-a-design":
        design = tmp_path / "not-a-design.yaml"
        design.write_text("- just\n- a list\n", encoding="utf-8")
    elif setup == "output-is-a-file":
        out.write_text("a file\n", encoding="utf-8")
    elif setup == "symlink-outside":
        out.mkdir()
        (out / "schemas").symlink_to(outside, target_is_directory=True)
    args = ["export", str(design), "--to", kind]
    if setup != "many-files-to-stdout":
        args += ["-o", str(out)]
    code, stdout, stderr = _cli(capsys, *args)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("archassist: ") and expected in stderr, stderr
    assert list(outside.iterdir()) == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_mcp_export_returns_the_schemas_or_writes_them_into_the_workspace(kind: str, tmp_path: Path) -> None:
    from archassist.tools.server import build_server
    from mcp import Client

    _design_file(tmp_path)
    async with Client(build_server(tmp_path, None)) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "export")
        inline = await client.call_tool("export", {"kind": kind, "path": "flagship.yaml"})
        assert not inline.is_error, inline.content[0].text
        data = inline.structured_content
        jsonschema.validate(data, tool.output_schema)
        assert len(json.dumps(data)) < 20_000 and data["written_to"] is None
        paths = [f["path"] for f in data["files"]]
        assert f"schemas/{kind}/registry.json" in paths and data["file_count"] == len(designed(FLAGSHIP).events) + 2
        written = await client.call_tool("export", {"kind": kind, "path": "flagship.yaml", "output_dir": "contracts"})
        assert not written.is_error and written.structured_content["written_to"] == "contracts"
        assert (tmp_path / "contracts" / f"schemas/{kind}/registry.json").is_file()
        refused = await client.call_tool("export", {"kind": kind, "text": "name: x\nevents: 3\n"})
        assert refused.is_error


@pytest.mark.parametrize(
    ("schema_format", "kind", "expected"),
    [
        ("json_schema", "jsonschema", "is JSON Schema: these are the schemas to register"),
        ("json_schema", "avro", "is JSON Schema, so producers serialize with that"),
        ("avro", "avro", "is Avro: these are the schemas to register"),
        ("protobuf", "jsonschema", "is Protobuf, so producers serialize with that"),
        ("protobuf", "avro", "is Protobuf, so producers serialize with that"),
    ],
)
def test_the_readme_says_whether_these_are_the_designs_own_schemas(schema_format: str, kind: str, expected: str) -> None:
    design = fresh(FLAGSHIP)
    design.style.schema_format = schema_format  # type: ignore[assignment]
    artifacts = export(design, kind)
    assert expected in by_path(artifacts)[f"schemas/{kind}/README.md"]
    assert registry(artifacts, kind)["design_schema_format"] == schema_format
