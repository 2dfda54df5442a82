"""The LLM-facing schema of the Design, and the lossless conversion between it and the Design model.

Claude's structured outputs compile the JSON schema into a grammar, and that compiler accepts a subset of JSON
Schema with hard budgets (documented: at most 24 optional properties and 16 union-typed properties per request;
no ``minimum``/``maximum``/``minLength``; every object ``additionalProperties: false``). The full Design schema
has hundreds of optional properties and 58 nullable unions, so the schema Claude sees is derived from it:

- ``$defs`` are inlined (the Design is not recursive), titles, descriptions and defaults are dropped, and so are
  numeric and length constraints: pydantic checks those when the answer is converted back;
- every property is required and every object closed, so the grammar has no optional branches;
- a nullable property (``X | None``) becomes an array of at most one item, ``[]`` for None and ``[x]`` for x,
  so there is no union; a nullable enum becomes an enum that includes null.

:func:`to_llm` and :func:`from_llm` walk the same shape tree, so ``from_llm(to_llm(d)) == d`` for every Design.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from archassist.agent.model.design import Design
from pydantic import ValidationError

OPTIONAL_NOTE = "0 or 1 item: [] = none"


class LLMFormatError(ValueError):
    """An answer does not have the shape of the LLM-facing schema (say, two items in an optional wrapper)."""


@dataclass(frozen=True)
class _Scalar:
    schema: dict[str, Any]


@dataclass(frozen=True)
class _Array:
    items: _Node


@dataclass(frozen=True)
class _Optional:
    inner: _Node


@dataclass(frozen=True)
class _Object:
    properties: tuple[tuple[str, _Node], ...]


_Node = _Scalar | _Array | _Optional | _Object


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        raise NotImplementedError(f"unsupported reference {ref!r} in the Design schema")
    return defs[ref[len(prefix) :]]


def _literal_values(schema: dict[str, Any]) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _build(schema: dict[str, Any], defs: dict[str, Any], where: str) -> _Node:
    schema = _resolve(schema, defs)
    variants = schema.get("anyOf")
    if variants is not None:
        others = [v for v in variants if v.get("type") != "null"]
        if len(others) != 1 or len(others) == len(variants):
            raise NotImplementedError(f"{where}: only `X | None` unions are supported in the LLM schema")
        inner = _resolve(others[0], defs)
        literals = _literal_values(inner)
        if literals is not None:
            return _Scalar({"enum": [*literals, None]})
        return _Optional(_build(inner, defs, where))
    literals = _literal_values(schema)
    if literals is not None:
        out: dict[str, Any] = {"enum": literals}
        if "type" in schema:
            out = {"type": schema["type"], **out}
        return _Scalar(out)
    kind = schema.get("type")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            raise NotImplementedError(f"{where}: maps (additionalProperties schemas) are not supported")
        props = schema.get("properties", {})
        return _Object(tuple((name, _build(sub, defs, f"{where}/{name}")) for name, sub in props.items()))
    if kind == "array":
        return _Array(_build(schema.get("items", {}), defs, f"{where}/items"))
    if kind in ("string", "integer", "number", "boolean"):
        return _Scalar({"type": kind})
    raise NotImplementedError(f"{where}: unsupported schema {json.dumps(schema)[:80]}")


@cache
def _shape() -> _Object:
    full = Design.model_json_schema()
    node = _build(full, full.get("$defs", {}), "")
    assert isinstance(node, _Object)
    return node


def _emit(node: _Node) -> dict[str, Any]:
    if isinstance(node, _Scalar):
        return dict(node.schema)
    if isinstance(node, _Array):
        return {"type": "array", "items": _emit(node.items)}
    if isinstance(node, _Optional):
        return {"type": "array", "description": OPTIONAL_NOTE, "items": _emit(node.inner)}
    return {
        "type": "object",
        "properties": {name: _emit(sub) for name, sub in node.properties},
        "required": [name for name, _ in node.properties],
        "additionalProperties": False,
    }


def llm_schema() -> dict[str, Any]:
    """The JSON schema Claude answers in (a fresh copy; callers may mutate it)."""
    return _emit(_shape())


@cache
def llm_schema_json() -> str:
    """The LLM schema as compact JSON, the exact bytes sent in a request."""
    return json.dumps(llm_schema(), separators=(",", ":"), ensure_ascii=False)


def _encode(node: _Node, value: Any) -> Any:
    if isinstance(node, _Scalar):
        return value
    if isinstance(node, _Optional):
        return [] if value is None else [_encode(node.inner, value)]
    if isinstance(node, _Array):
        return [_encode(node.items, item) for item in value]
    return {name: _encode(sub, value[name]) for name, sub in node.properties}


def _decode(node: _Node, value: Any, pointer: str) -> Any:
    if isinstance(node, _Scalar):
        return value
    if isinstance(node, _Optional):
        if not isinstance(value, list) or len(value) > 1:
            raise LLMFormatError(f"{pointer or '/'}: expected [] or a one-item array, got {_short(value)}")
        return None if not value else _decode(node.inner, value[0], f"{pointer}/0")
    if isinstance(node, _Array):
        if not isinstance(value, list):
            raise LLMFormatError(f"{pointer or '/'}: expected an array, got {_short(value)}")
        return [_decode(node.items, item, f"{pointer}/{i}") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        raise LLMFormatError(f"{pointer or '/'}: expected an object, got {_short(value)}")
    known = dict(node.properties)
    # Unknown keys pass through unchanged so the Design model reports them as the typos they are.
    return {
        key: _decode(known[key], item, f"{pointer}/{key}") if key in known else item
        for key, item in value.items()
    }


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def to_llm(design: Design) -> dict[str, Any]:
    """The Design in the LLM schema's shape (what a perfect answer for this design looks like)."""
    return dict(_encode(_shape(), design.model_dump(mode="json")))


def to_llm_json(design: Design) -> str:
    """Compact JSON of :func:`to_llm`, as the assistant turn of a repair conversation carries it."""
    return json.dumps(to_llm(design), separators=(",", ":"), ensure_ascii=False)


def from_llm(data: Any) -> Design:
    """Convert an answer in the LLM schema's shape back into a Design.

    Raises :class:`LLMFormatError` for a shape error and pydantic's ``ValidationError`` when the values break
    the Design's own constraints (a negative partition count, an unknown enum value).
    """
    return Design.model_validate(_decode(_shape(), data, ""))


def parse_answer(text: str) -> Design:
    """Parse Claude's JSON text into a Design; raise :class:`LLMFormatError` with the reason when it is not one."""
    body = text.strip()
    if body.startswith("```"):
        # Only needed when the schema travels in the prompt instead of the grammar; harmless otherwise.
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise LLMFormatError(f"the answer is not JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        return from_llm(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "/" + "/".join(str(p) for p in first["loc"])
        raise LLMFormatError(
            f"the answer does not fit the Design model: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
        ) from None


def schema_stats(schema: dict[str, Any] | None = None) -> dict[str, int]:
    """Counts the structured-output budgets are measured in: optional and union-typed properties, objects."""
    counts = {"objects": 0, "properties": 0, "optional": 0, "unions": 0}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                counts["objects"] += 1
                props = node.get("properties", {})
                counts["properties"] += len(props)
                counts["optional"] += len(set(props) - set(node.get("required", [])))
            if "anyOf" in node or "oneOf" in node or isinstance(node.get("type"), list):
                counts["unions"] += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema if schema is not None else llm_schema())
    return counts


def llm_pointer(pointer: str) -> str:
    """A Design JSON pointer rewritten for the LLM shape: a step into an optional value goes through ``/0``."""
    if not pointer:
        return pointer
    node: _Node | None = _shape()
    out: list[str] = []
    for token in pointer.lstrip("/").split("/"):
        while isinstance(node, _Optional):
            out.append("0")
            node = node.inner
        out.append(token)
        if isinstance(node, _Object):
            node = dict(node.properties).get(token.replace("~1", "/").replace("~0", "~"))
        elif isinstance(node, _Array):
            node = node.items
        else:
            node = None
    return "/" + "/".join(out)
