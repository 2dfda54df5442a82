"""Schema compatibility: the external corpus, the modes and their directions, explained breaks, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from archassist.agent.errors import InputError
from archassist.agent.modes.contract import check_compatibility
from hypothesis import given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compat" / "cases.json"
FORMATS = {"avro": "avro", "jsonschema": "json"}

# Every case where the verdict differs from the corpus's expectation, and why.
DISAGREEMENTS: dict[str, str] = {
    "avro-rb-147": (
        "avro-ruby matches a record to a union branch by full name (written.Point is not Point), and asserts "
        "incompatible; the Avro specification, Apache Avro Java and Python and Confluent's registry compare "
        "unqualified names, so the reader's Point branch (whose extra field has a default) reads the writer"
    ),
}
# Cases where the Avro specification's decimal rule (same precision and scale match) makes us agree with the
# Ruby source while the Python reference checker, which ignores logical types, says incompatible.
DECIMAL_RULE = {
    "avro-rb-125", "avro-rb-127", "avro-rb-132", "avro-rb-133",
    "avro-rb-140", "avro-rb-141", "avro-rb-142", "avro-rb-143",
}


def _cases() -> list[dict[str, Any]]:
    if not CORPUS.is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    cases: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return cases


def _verdict(case: dict[str, Any], mode: str) -> bool:
    history = case.get("previous") or [case["old"]]
    return check_compatibility(history, case["new"], mode.upper(), FORMATS[case["format"]]).compatible


def test_corpus_agreement_is_at_least_99_percent_and_every_disagreement_is_listed() -> None:
    cases = _cases()
    checks = [(case, mode, expected) for case in cases for mode, expected in case["expected"].items()]
    wrong = {case["id"] for case, mode, expected in checks if _verdict(case, mode) != expected}
    assert len(checks) == 627
    assert wrong == set(DISAGREEMENTS), f"unexplained: {sorted(wrong - set(DISAGREEMENTS))}"
    assert (len(checks) - len(wrong)) / len(checks) >= 0.99


def test_listed_disagreements_are_flagged_by_the_corpus_itself() -> None:
    by_id = {case["id"]: case for case in _cases()}
    for case_id in DISAGREEMENTS:
        assert any("returns True" in c or "union-branch" in c for c in by_id[case_id].get("caveats", []))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_avro_verdicts_match_apache_avro_except_the_decimal_rule() -> None:
    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

    differ = set()
    for case in _cases():
        if case["format"] != "avro":
            continue
        reader, writer = avro.schema.parse(json.dumps(case["new"])), avro.schema.parse(json.dumps(case["old"]))
        reference = ReaderWriterCompatibilityChecker().get_compatibility(reader=reader, writer=writer)
        if (reference.compatibility is SchemaCompatibilityType.compatible) != _verdict(case, "backward"):
            differ.add(case["id"])
    assert differ == DECIMAL_RULE


_PRIMITIVE = st.sampled_from(["null", "boolean", "int", "long", "float", "double", "bytes", "string"])
_FIELD_TYPE = st.one_of(_PRIMITIVE, st.lists(_PRIMITIVE, min_size=1, max_size=3, unique=True))


@st.composite
def _record(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=0, max_size=4, unique=True))
    fields = []
    for name in names:
        field: dict[str, Any] = {"name": name, "type": draw(_FIELD_TYPE)}
        if draw(st.booleans()):
            first = field["type"][0] if isinstance(field["type"], list) else field["type"]
            field["default"] = {"null": None, "boolean": False, "string": "", "bytes": ""}.get(first, 0)
        fields.append(field)
    return {"type": "record", "name": "Event", "fields": fields}


@settings(max_examples=150, deadline=None)
@given(_record(), _record())
def test_avro_checker_agrees_with_apache_avro_on_generated_records(old: dict[str, Any], new: dict[str, Any]) -> None:
    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

    reference = ReaderWriterCompatibilityChecker().get_compatibility(
        reader=avro.schema.parse(json.dumps(new)), writer=avro.schema.parse(json.dumps(old))
    )
    expected = reference.compatibility is SchemaCompatibilityType.compatible
    assert check_compatibility([old], new, "BACKWARD", "avro").compatible == expected


# ---- modes and directions ---------------------------------------------------------------------------------------

V1 = {"type": "record", "name": "InvoicePaid", "fields": [{"name": "invoice_id", "type": "string"}]}
V2_OPTIONAL = {
    "type": "record",
    "name": "InvoicePaid",
    "fields": [
        {"name": "invoice_id", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
V2_REQUIRED = {
    "type": "record",
    "name": "InvoicePaid",
    "fields": [{"name": "invoice_id", "type": "string"}, {"name": "amount", "type": "double"}],
}
V0_NO_ID = {"type": "record", "name": "InvoicePaid", "fields": [{"name": "paid_at", "type": "long", "default": 0}]}


def test_backward_new_field_with_default_passes_without_default_breaks_new_readers() -> None:
    assert check_compatibility([V1], V2_OPTIONAL, "BACKWARD", "avro").compatible
    result = check_compatibility([V1], V2_REQUIRED, "BACKWARD", "avro")
    assert not result.compatible
    (problem,) = result.breaks
    assert problem.path == "/fields/1"
    assert problem.breaks == "new readers"
    assert "amount" in problem.change and "new schema" in problem.change
    assert "default" in problem.fix


def test_forward_removed_required_field_breaks_old_readers() -> None:
    result = check_compatibility([V2_REQUIRED], V1, "FORWARD", "avro")
    assert not result.compatible
    assert [b.breaks for b in result.breaks] == ["old readers"]
    assert "amount" in result.breaks[0].change
    assert check_compatibility([V2_REQUIRED], V1, "BACKWARD", "avro").compatible


def test_full_needs_both_directions() -> None:
    assert check_compatibility([V1], V2_OPTIONAL, "FULL", "avro").compatible
    result = check_compatibility([V1], V2_REQUIRED, "FULL", "avro")
    assert {b.breaks for b in result.breaks} == {"new readers"}
    assert not check_compatibility([V2_REQUIRED], V1, "FULL", "avro").compatible


def test_non_transitive_checks_only_the_latest_transitive_checks_all() -> None:
    # V1 requires invoice_id, which the oldest schema never wrote; only the transitive mode sees that.
    history = [V0_NO_ID, V1]
    assert check_compatibility(history, V1, "BACKWARD", "avro").compatible
    result = check_compatibility(history, V1, "BACKWARD_TRANSITIVE", "avro")
    assert not result.compatible
    assert result.checked == ["schema 1", "schema 2"]
    assert {b.against for b in result.breaks} == {"schema 1"}
    assert not check_compatibility(history, V1, "FULL_TRANSITIVE", "avro").compatible
    assert check_compatibility([V1, V0_NO_ID], V0_NO_ID, "FORWARD", "avro").compatible


def test_none_accepts_anything() -> None:
    result = check_compatibility([V1], {"type": "record", "name": "Other", "fields": []}, "NONE", "avro")
    assert result.compatible and result.breaks == [] and "NONE" in result.summary()


def test_json_schema_directions_with_a_closed_content_model() -> None:
    old = {"type": "object", "additionalProperties": False, "properties": {"id": {"type": "string"}}, "required": ["id"]}
    new = {**old, "properties": {**old["properties"], "note": {"type": "string"}}}
    assert check_compatibility([old], new, "BACKWARD", "json").compatible
    forward = check_compatibility([old], new, "FORWARD", "json")
    assert not forward.compatible
    assert forward.breaks[0].breaks == "old readers"
    assert forward.breaks[0].path == "/properties/note"


def test_json_schema_tightened_bound_is_explained() -> None:
    old = {"type": "object", "properties": {"amount": {"type": "number", "maximum": 100}}}
    new = {"type": "object", "properties": {"amount": {"type": "number", "maximum": 10}}}
    (problem,) = check_compatibility([old], new, "BACKWARD", "json").breaks
    assert problem.path == "/properties/amount/maximum"
    assert "100" in problem.change and "10" in problem.change
    assert problem.kind == "constraint-tightened"


def test_json_schema_enum_and_type_changes() -> None:
    old = {"enum": ["A", "B"]}
    assert check_compatibility([old], {"enum": ["A", "B", "C"]}, "BACKWARD", "json").compatible
    assert not check_compatibility([old], {"enum": ["A"]}, "BACKWARD", "json").compatible
    changed = check_compatibility([{"type": "integer"}], {"type": "string"}, "BACKWARD", "json")
    assert changed.breaks[0].kind == "type-changed"


def test_json_schema_local_ref_is_inlined() -> None:
    by_ref = {"type": "array", "items": {"$ref": "#/$defs/n"}, "$defs": {"n": {"type": "integer", "minimum": 1}}}
    plain = {"type": "array", "items": {"type": "integer", "minimum": 1}}
    assert check_compatibility([plain], by_ref, "FULL", "json").compatible


# ---- bad input --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "new", "schema_type", "message"),
    [
        (['{"type": "record",'], "{}", None, "invalid JSON"),
        ([{"type": "record", "name": "A", "fields": [{"name": "x", "type": "Money"}]}], '"int"', "avro", "Money"),
        ([{"type": "record", "name": "A"}], '"int"', "avro", "not a valid Avro schema"),
        ([{"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}], {}, "json", "$ref cycle"),
        ([{"$ref": "https://example.com/schema.json"}], {}, "json", "never fetched"),
        ([{"$ref": "other.json#/a"}], {}, "json", "never fetched"),
        ([{"type": "record", "name": "A", "fields": []}], {"type": "object", "properties": {}}, None, "mixed schema types"),
        ([{"type": 5}], {}, "json", "not a valid JSON Schema"),
        ([], {"type": "string"}, "json", "only one schema given"),
    ],
)
def test_bad_input_is_one_line(previous: list[Any], new: Any, schema_type: str | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check_compatibility(previous, new, "BACKWARD", schema_type)
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_a_single_schema_with_a_transitive_mode_is_refused() -> None:
    with pytest.raises(InputError, match="only one schema given; BACKWARD_TRANSITIVE"):
        check_compatibility([], V1, "BACKWARD_TRANSITIVE", "avro")


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(InputError, match="unknown compatibility mode"):
        check_compatibility([V1], V1, "SIDEWAYS", "avro")


_JSON_LEAF = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 0},
        {"type": "number", "maximum": 10},
        {"type": "boolean"},
        {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
        {"enum": ["A", "B"]},
        {"type": ["string", "null"]},
        {"type": "array", "items": {"type": "integer"}},
    ]
)


@st.composite
def _json_object(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True))
    schema: dict[str, Any] = {"type": "object", "properties": {n: draw(_JSON_LEAF) for n in names}}
    schema["required"] = [n for n in names if draw(st.booleans())]
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema


@settings(max_examples=150, deadline=None)
@given(_json_object())
def test_every_json_schema_is_fully_compatible_with_itself(schema: dict[str, Any]) -> None:
    assert check_compatibility([schema], schema, "FULL", "json").compatible


@settings(max_examples=150, deadline=None)
@given(_json_object(), st.sampled_from(["e", "f"]), _JSON_LEAF)
def test_an_optional_property_added_to_a_closed_model_is_backward_compatible(
    schema: dict[str, Any], name: str, leaf: dict[str, Any]
) -> None:
    closed = {**schema, "additionalProperties": False}
    grown = {**closed, "properties": {**closed["properties"], name: leaf}}
    assert check_compatibility([closed], grown, "BACKWARD", "json").compatible
    forward = check_compatibility([closed], grown, "FORWARD", "json")
    assert not forward.compatible and {b.breaks for b in forward.breaks} == {"old readers"}
