"""Payload schemas (JSON Schema / AsyncAPI Schema, and inline Avro) → the Design's payload fields."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, cast, get_args

from archassist.agent.asyncapi.refs import Node, Resolver
from archassist.agent.model.design import FieldType, Protection
from archassist.agent.model.naming import words_of

MAX_DEPTH = 12

_STRING_FORMATS: dict[str, FieldType] = {
    "date-time": "timestamp",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "date": "date",
    "duration": "duration",
    "uuid": "uuid",
    "uri": "uri",
    "url": "uri",
    "iri": "uri",
    "uri-reference": "uri",
    "iri-reference": "uri",
    "binary": "bytes",
    "byte": "bytes",
    "base64": "bytes",
    "decimal": "decimal",
}
_PROTECTIONS: set[str] = {"none", "encrypted", "crypto_shredding", "tokenized", "hashed"}
# `x-archassist-type` names a Design field type where the schema's own words are ambiguous (an enum without
# its symbols); archassist's AsyncAPI export writes it.
_FIELD_TYPES: frozenset[str] = frozenset(get_args(FieldType))
_PII_FORMATS = {"email", "idn-email", "phone", "phone-number", "ipv4", "ipv6"}
_PII_WORDS = {
    "email", "phone", "mobile", "msisdn", "address", "ssn", "passport", "iban", "dob", "birthdate", "birthday",
    "surname", "firstname", "lastname", "fullname", "telephone", "postcode",
}
_PII_PAIRS = {
    ("first", "name"), ("last", "name"), ("full", "name"), ("given", "name"), ("family", "name"),
    ("birth", "date"), ("date", "birth"), ("postal", "code"), ("zip", "code"), ("card", "number"),
    ("social", "security"), ("tax", "id"), ("national", "id"),
}

_AVRO_PRIMITIVES: dict[str, FieldType] = {
    "string": "string",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "bytes": "bytes",
    "fixed": "bytes",
    "null": "string",
    "record": "object",
    "enum": "enum",
    "array": "array",
    "map": "map",
}
_AVRO_LOGICAL: dict[str, FieldType] = {
    "timestamp-millis": "timestamp",
    "timestamp-micros": "timestamp",
    "local-timestamp-millis": "timestamp",
    "local-timestamp-micros": "timestamp",
    "date": "date",
    "uuid": "uuid",
    "decimal": "decimal",
    "duration": "duration",
}


def is_pii_name(name: str) -> bool:
    words = words_of(name)
    if any(w in _PII_WORDS for w in words):
        return True
    return any(pair in _PII_PAIRS for pair in itertools.pairwise(words))


@dataclass
class FieldDraft:
    name: str
    type: FieldType
    required: bool
    description: str
    pii: bool
    items: FieldType | None
    anchor: str
    protection: Protection = "none"


@dataclass
class _Flat:
    """A JSON Schema with its allOf/oneOf/anyOf parts folded together, as far as payload fields need."""

    types: list[str]
    format: str | None
    encoding: str | None
    description: str
    title: str
    enum: bool
    const: Any
    has_const: bool
    properties: dict[str, tuple[Node, bool]]  # name → (schema node, required)
    additional: bool
    items: Node | None
    pii: bool
    protection: Protection | None = None
    pii_said: bool | None = None  # x-pii given explicitly, true or false
    declared_type: FieldType | None = None


def _declared_type(value: Any) -> FieldType | None:
    return cast(FieldType, value) if isinstance(value, str) and value in _FIELD_TYPES else None


class SchemaReader:
    """Reads JSON Schemas through the resolver, guarding against cycles and runaway nesting."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def flatten(self, node: Node | None, depth: int = 0, seen: frozenset[tuple[str, str]] = frozenset()) -> _Flat:
        flat = _Flat([], None, None, "", "", False, None, False, {}, False, None, False)
        self._fold(node, flat, True, depth, seen)
        return flat

    def _fold(
        self, raw: Node | None, flat: _Flat, required_ok: bool, depth: int, seen: frozenset[tuple[str, str]]
    ) -> None:
        if raw is None or depth > MAX_DEPTH:
            return
        # A description beside a $ref is the author's word about this use of the referenced schema.
        if isinstance(raw.value, dict) and isinstance(raw.value.get("description"), str) and not flat.description:
            flat.description = raw.value["description"].strip()
        node = self.resolver.deref(raw)
        if node is None or node.identity in seen:
            return
        seen = seen | {node.identity}
        schema = node.value
        if not isinstance(schema, dict):
            return
        kind = schema.get("type")
        for t in kind if isinstance(kind, list) else [kind]:
            if isinstance(t, str) and t != "null" and t not in flat.types:
                flat.types.append(t)
        if isinstance(schema.get("format"), str) and flat.format is None:
            flat.format = schema["format"].lower()
        if isinstance(schema.get("contentEncoding"), str) and flat.encoding is None:
            flat.encoding = schema["contentEncoding"].lower()
        if isinstance(schema.get("description"), str) and not flat.description:
            flat.description = schema["description"].strip()
        if isinstance(schema.get("title"), str) and not flat.title:
            flat.title = schema["title"].strip()
        if isinstance(schema.get("enum"), list):
            flat.enum = True
        if "const" in schema and not flat.has_const:
            flat.has_const, flat.const = True, schema["const"]
        if isinstance(schema.get("x-pii"), bool) and flat.pii_said is None:
            flat.pii = flat.pii_said = schema["x-pii"]
        if flat.declared_type is None:
            flat.declared_type = _declared_type(schema.get("x-archassist-type"))
        protection = schema.get("x-protection")
        if isinstance(protection, str) and protection in _PROTECTIONS and flat.protection is None:
            flat.protection = cast(Protection, protection)
        required = schema.get("required")
        required_names = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        props = node.child("properties")
        if props is not None and isinstance(props.value, dict):
            for name in props.value:
                if not isinstance(name, str):
                    continue
                child = props.child(name)
                if child is None:
                    continue
                is_required = required_ok and name in required_names
                if name in flat.properties:
                    old_node, old_required = flat.properties[name]
                    flat.properties[name] = (old_node, old_required or is_required)
                else:
                    flat.properties[name] = (child, is_required)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) or extra is True:
            flat.additional = True
        if flat.items is None:
            items = node.child("items")
            if items is not None and isinstance(items.value, dict):
                flat.items = items
        for word, keeps_required in (("allOf", True), ("oneOf", False), ("anyOf", False)):
            parts = node.child(word)
            if parts is None or not isinstance(parts.value, list):
                continue
            for i in range(len(parts.value)):
                self._fold(parts.child(i), flat, required_ok and keeps_required, depth + 1, seen)
        if required_names and required_ok:
            # `required` in one allOf part may name properties that another part declares.
            for name in required_names:
                if name in flat.properties:
                    flat.properties[name] = (flat.properties[name][0], True)

    def field_type(self, flat: _Flat, depth: int = 0) -> tuple[FieldType, FieldType | None]:
        if flat.declared_type is not None and flat.declared_type != "array":
            return flat.declared_type, None
        if flat.format in _STRING_FORMATS:
            found = _STRING_FORMATS[flat.format]
            if found != "decimal" or not flat.types or "string" in flat.types or "number" in flat.types:
                return found, None
        if flat.encoding in ("base64", "base64url", "binary"):
            return "bytes", None
        if flat.enum:
            return "enum", None
        kinds = flat.types
        if not kinds and flat.has_const:
            kinds = [_json_type_of(flat.const)]
        if not kinds:
            if flat.properties:
                kinds = ["object"]
            elif flat.items is not None:
                kinds = ["array"]
        kind = kinds[0] if kinds else "object"
        if kind == "array":
            items: FieldType | None = None
            if flat.items is not None and depth < MAX_DEPTH:
                items, _ = self.field_type(self.flatten(flat.items, depth + 1), depth + 1)
            return "array", items
        if kind == "object":
            return ("map" if flat.additional and not flat.properties else "object"), None
        simple: dict[str, FieldType] = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
        return simple.get(kind, "object"), None

    def fields(self, payload: Node) -> list[FieldDraft] | None:
        """The payload's fields; None when nothing can be read (no schema, or a schema that is not an object)."""
        flat = self.flatten(payload)
        if flat.properties:
            out: list[FieldDraft] = []
            for name, (prop, required) in flat.properties.items():
                sub = self.flatten(prop, 1)
                kind, items = self.field_type(sub)
                out.append(
                    FieldDraft(
                        name=name,
                        type=kind,
                        required=required,
                        description=sub.description,
                        pii=sub.pii if sub.pii_said is not None else (sub.format in _PII_FORMATS) or is_pii_name(name),
                        items=items,
                        anchor=prop.anchor,
                        protection=sub.protection or "none",
                    )
                )
            return out
        if (flat.types and flat.types[0] != "object") or flat.format or flat.encoding:
            kind, items = self.field_type(flat)
            return [FieldDraft("payload", kind, True, flat.description, flat.pii, items, payload.anchor)]
        return None


def _json_type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def avro_fields(schema: Any, anchor: str) -> list[FieldDraft] | None:
    """Fields of an inline Avro record schema; None when it is not a record with fields."""
    if not isinstance(schema, dict) or schema.get("type") != "record" or not isinstance(schema.get("fields"), list):
        return None
    out: list[FieldDraft] = []
    for item in schema["fields"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        kind, items, optional = _avro_type(item.get("type"), 0)
        name = item["name"]
        # Avro allows attributes of its own on a field; archassist's export writes its type and personal-data
        # marks there where Avro's types say less (a uri or an enum written as a string).
        kind = _declared_type(item.get("x-archassist-type")) or kind
        items = _declared_type(item.get("x-archassist-items")) or items
        protection = item.get("x-protection")
        out.append(
            FieldDraft(
                name=name,
                type=kind,
                required=not optional and "default" not in item,
                description=item["doc"].strip() if isinstance(item.get("doc"), str) else "",
                pii=item["x-pii"] if isinstance(item.get("x-pii"), bool) else is_pii_name(name),
                items=items if kind == "array" else None,
                anchor=anchor,
                protection=cast(Protection, protection) if protection in _PROTECTIONS else "none",
            )
        )
    return out


def _avro_type(t: Any, depth: int) -> tuple[FieldType, FieldType | None, bool]:
    if depth > MAX_DEPTH:
        return "object", None, False
    if isinstance(t, list):
        branches = [b for b in t if b != "null"]
        optional = len(branches) < len(t)
        if len(branches) == 1:
            kind, items, _ = _avro_type(branches[0], depth + 1)
            return kind, items, optional
        return "object", None, optional
    if isinstance(t, str):
        return _AVRO_PRIMITIVES.get(t, "object"), None, False
    if isinstance(t, dict):
        logical = t.get("logicalType")
        if isinstance(logical, str) and logical in _AVRO_LOGICAL:
            return _AVRO_LOGICAL[logical], None, False
        base = t.get("type")
        if base == "array":
            items, _, _ = _avro_type(t.get("items"), depth + 1)
            return "array", items, False
        if isinstance(base, str):
            return _AVRO_PRIMITIVES.get(base, "object"), None, False
    return "object", None, False
