"""The LLM-facing Design schema: inside the structured-output subset, and converted back losslessly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from archassist.agent.backends.llm_schema import (
    OPTIONAL_NOTE,
    LLMFormatError,
    _Array,
    _Node,
    _Object,
    _Optional,
    _Scalar,
    _shape,
    from_llm,
    llm_pointer,
    llm_schema,
    llm_schema_json,
    parse_answer,
    schema_stats,
    to_llm,
    to_llm_json,
)
from archassist.agent.errors import InputError
from archassist.agent.model.design import Design
from archassist.agent.model.io import load_design
from archassist.agent.planner.compose import plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_planner import MULTI_DOMAIN_BRIEFS

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_KEYS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "description",
}
UNSUPPORTED = {
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
}


def walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        out.append((path, node))
        for key, value in node.get("properties", {}).items():
            out += walk(value, f"{path}/{key}")
        if "items" in node:
            out += walk(node["items"], f"{path}/items")
    return out


def test_schema_fits_the_structured_output_subset() -> None:
    schema = llm_schema()
    stats = schema_stats(schema)
    assert stats["optional"] == 0  # the API allows at most 24 optional properties per request
    assert stats["unions"] == 0  # and at most 16 union-typed ones
    for path, node in walk(schema):
        assert set(node) <= ALLOWED_KEYS, (path, set(node) - ALLOWED_KEYS)
        assert not set(node) & UNSUPPORTED
        assert "$ref" not in node and "$defs" not in node and "default" not in node and "title" not in node
        if node.get("type") == "object":
            assert node["additionalProperties"] is False, path
            assert node["required"] == list(node["properties"]), path
        if "enum" in node:
            assert all(v is None or isinstance(v, str | int | float | bool) for v in node["enum"])
        if "description" in node:
            assert node["description"] == OPTIONAL_NOTE and node["type"] == "array"
    assert "$defs" not in llm_schema_json() and "$ref" not in llm_schema_json()
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_covers_every_design_field() -> None:
    def fields(model: Any) -> int:
        return len(model.model_fields)

    assert set(llm_schema()["properties"]) == set(Design.model_fields)
    assert schema_stats()["properties"] >= fields(Design)


def test_nullable_enum_stays_an_enum_with_null() -> None:
    compatibility = llm_schema()["properties"]["events"]["items"]["properties"]["compatibility"]
    assert compatibility["enum"][-1] is None and "BACKWARD" in compatibility["enum"]
    partitions = llm_schema()["properties"]["topics"]["items"]["properties"]["partitions"]
    assert partitions == {"type": "array", "description": OPTIONAL_NOTE, "items": {"type": "integer"}}


def planner_designs() -> list[Design]:
    return [plan(brief).design for brief in MULTI_DOMAIN_BRIEFS]


def test_conversion_is_lossless_for_planner_and_fixture_designs() -> None:
    validator = jsonschema.Draft202012Validator(llm_schema())
    designs = planner_designs()
    designs += [load_design(p) for p in sorted((ROOT / "tests").glob("**/*.yaml")) if _is_design(p)]
    assert len(designs) > len(MULTI_DOMAIN_BRIEFS)
    for design in designs:
        data = to_llm(design)
        validator.validate(data)
        assert from_llm(data) == design
        assert from_llm(json.loads(to_llm_json(design))) == design
        assert to_llm(from_llm(data)) == data


def _is_design(path: Path) -> bool:
    if "cassettes" in path.parts:
        return False
    try:
        load_design(path)
    except InputError:  # only the files that are designs take part
        return False
    return True


# Hypothesis: arbitrary Designs built from the model's own shape, including every optional value absent.
_TEXT = st.text(alphabet="abcxyz_-. ", min_size=1, max_size=6)


def _values(node: _Node) -> st.SearchStrategy[Any]:
    if isinstance(node, _Scalar):
        if "enum" in node.schema:
            return st.sampled_from(node.schema["enum"])
        kind = node.schema["type"]
        if kind == "string":
            return _TEXT
        if kind == "integer":
            return st.integers(min_value=2, max_value=100)
        if kind == "number":
            return st.floats(min_value=1.5, max_value=100.0, allow_nan=False)  # under every float bound of the model
        return st.booleans()
    if isinstance(node, _Optional):
        return st.none() | _values(node.inner)
    if isinstance(node, _Array):
        return st.lists(_values(node.items), max_size=2)
    assert isinstance(node, _Object)
    return st.fixed_dictionaries({name: _values(sub) for name, sub in node.properties})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(_values(_shape()))
def test_conversion_is_lossless_for_arbitrary_designs(data: dict[str, Any]) -> None:
    design = Design.model_validate(data)  # the strategy keeps every number inside the model's limits
    encoded = to_llm(design)
    jsonschema.Draft202012Validator(llm_schema()).validate(encoded)
    assert from_llm(encoded) == design
    assert from_llm(json.loads(json.dumps(encoded))) == design


def test_an_empty_design_round_trips() -> None:
    design = Design(name="empty")
    assert from_llm(to_llm(design)) == design
    assert to_llm(design)["event_store"] == []


def test_shape_errors_name_the_place() -> None:
    data = to_llm(plan(MULTI_DOMAIN_BRIEFS[0]).design)
    data["topics"][0]["partitions"] = [3, 4]
    with pytest.raises(LLMFormatError, match=r"/topics/0/partitions: expected \[\] or a one-item array"):
        from_llm(data)
    data["topics"][0]["partitions"] = 3
    with pytest.raises(LLMFormatError, match="/topics/0/partitions"):
        from_llm(data)
    with pytest.raises(LLMFormatError, match="expected an object"):
        from_llm([])


def test_parse_answer_reports_json_and_model_errors() -> None:
    design = plan(MULTI_DOMAIN_BRIEFS[0]).design
    assert parse_answer(to_llm_json(design)) == design
    assert parse_answer("```json\n" + to_llm_json(design) + "\n```") == design
    with pytest.raises(LLMFormatError, match="not JSON"):
        parse_answer('{"name": ')
    data = to_llm(design)
    data["topics"][0]["partitions"] = [0]
    with pytest.raises(LLMFormatError, match="does not fit the Design model: /topics/0/partitions"):
        parse_answer(json.dumps(data))
    data = to_llm(design)
    data["colour"] = "blue"
    with pytest.raises(LLMFormatError, match="colour"):
        parse_answer(json.dumps(data))


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", ""),
        ("/name", "/name"),
        ("/topics/0/partitions", "/topics/0/partitions"),
        ("/consumers/1/dead_letter/topic", "/consumers/1/dead_letter/0/topic"),
        ("/event_store/columns/2/name", "/event_store/0/columns/2/name"),
        ("/events/3/envelope/1", "/events/3/envelope/0/1"),
        ("/unknown/7", "/unknown/7"),
    ],
)
def test_pointers_are_rewritten_for_the_llm_shape(pointer: str, expected: str) -> None:
    assert llm_pointer(pointer) == expected
