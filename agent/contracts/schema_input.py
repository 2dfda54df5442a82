"""Schemas as users give them: text or files, Avro or JSON Schema, refused with one clear line when unusable.

JSON Schema ``$ref`` is resolved locally only: a reference into the same document (``#/$defs/...``) is inlined;
a reference to another document or URL is refused and never fetched, and a reference cycle is refused too
(an inlined cycle has no end, and registries reject such schemas for compatibility checks as well).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from archassist.agent.errors import InputError

SchemaType = Literal["avro", "json"]
SCHEMA_TYPES: tuple[str, ...] = ("avro", "json")
MAX_SCHEMA_BYTES = 4 * 1024 * 1024

_AVRO_TYPES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "fixed", "map", "error"}
)
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_JSON_MARKERS = frozenset(
    {"$schema", "$ref", "$defs", "definitions", "properties", "required", "allOf", "anyOf", "oneOf", "not",
     "additionalProperties", "patternProperties", "enum", "const", "minimum", "maximum", "pattern", "prefixItems"}
)
_AVRO_MARKERS = frozenset({"fields", "symbols", "size", "logicalType", "values", "namespace", "aliases"})


@dataclass
class SchemaDoc:
    """One schema: where it came from, its type, and its data (JSON Schema with local $refs inlined)."""

    label: str
    schema_type: SchemaType
    data: Any
    parsed: Any = None  # Avro: the avro.schema.Schema


def parse_json_text(text: str, label: str) -> Any:
    if not text.strip():
        raise InputError(f"{label}: the schema is empty; give an Avro (.avsc) or JSON Schema document")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; fix the syntax there") from None
    except RecursionError:
        raise InputError(f"{label}: the schema nests too deeply") from None


def read_schema_file(path: str | Path) -> tuple[str, str]:
    """(label, text) of a schema file, with the checks every input file gets."""
    p = Path(path)
    label = str(path)
    if not p.exists():
        raise InputError(f"{label}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{label}: is a directory; give a schema file (.avsc or .json)")
    if not p.is_file():
        raise InputError(f"{label}: is not a regular file; give a schema file (.avsc or .json)")
    if p.stat().st_size > MAX_SCHEMA_BYTES:
        raise InputError(f"{label}: over the {MAX_SCHEMA_BYTES // 1048576} MiB limit for one schema")
    try:
        return label, p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text; save the schema as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None


def guess_type(data: Any) -> SchemaType | None:
    """Avro or JSON Schema when the document says so unambiguously; None for shapes both accept."""
    if isinstance(data, bool):
        return "json"
    if isinstance(data, (str, list)):
        return "avro"
    if not isinstance(data, dict):
        return None
    declared = data.get("type")
    if isinstance(declared, list) or isinstance(data.get("items"), dict | bool):
        return "json"
    if isinstance(data.get("items"), str):
        return "avro"
    keys = set(data) & _AVRO_MARKERS
    if keys and (not set(data) & _JSON_MARKERS or "fields" in keys or "symbols" in keys):
        return "avro"
    if set(data) & _JSON_MARKERS:
        return "json"
    if isinstance(declared, str) and declared in _AVRO_TYPES and declared not in _JSON_TYPES:
        return "avro"
    if isinstance(declared, str) and declared in _JSON_TYPES - _AVRO_TYPES:
        return "json"
    if not data:
        return "json"
    return None


def decide_type(datas: list[tuple[str, Any]], requested: str | None) -> SchemaType:
    """The one schema type of all inputs; mixed types are refused."""
    if requested is not None:
        if requested not in SCHEMA_TYPES:
            raise InputError(f"unknown schema type '{requested}'; use avro or json")
        return requested  # type: ignore[return-value]
    seen: dict[SchemaType, str] = {}
    for label, data in datas:
        found = guess_type(data)
        if found is not None:
            seen.setdefault(found, label)
    if len(seen) > 1:
        raise InputError(
            f"mixed schema types: {seen['avro']} is Avro but {seen['json']} is JSON Schema; compare schemas of "
            "one type (or pass --schema-type)"
        )
    return next(iter(seen), "json")


# ---- JSON Schema ----------------------------------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _follow(root: Any, ref: str, label: str) -> Any:
    node = root
    for token in ref[1:].split("/")[1:] if ref.startswith("#/") else []:
        key = _unescape(token)
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise InputError(f"{label}: $ref '{ref}' points at nothing in this schema; fix the reference")
    return node


def inline_refs(schema: Any, label: str) -> Any:
    """The schema with every local $ref replaced by what it points at."""

    def walk(node: Any, trail: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, trail) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not (ref == "#" or ref.startswith("#/")):
                raise InputError(
                    f"{label}: $ref '{ref}' points outside this schema; remote and file references are refused "
                    "(never fetched): inline the referenced schema under $defs"
                )
            if ref in trail:
                raise InputError(
                    f"{label}: $ref cycle {' -> '.join((*trail[trail.index(ref):], ref))}; a recursive schema "
                    "cannot be checked for compatibility: unroll it to a fixed depth"
                )
            target = walk(_follow(schema, ref, label), (*trail, ref))
            siblings = {k: walk(v, trail) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if isinstance(target, dict) and siblings else target
        return {key: walk(value, trail) for key, value in node.items()}

    return walk(schema, ())


def check_json_schema(data: Any, label: str) -> None:
    """Refuse a document that is not a JSON Schema of its declared draft (draft 7 when it declares none)."""
    if not isinstance(data, dict | bool):
        raise InputError(f"{label}: a JSON Schema is an object or a boolean, found {type(data).__name__}")
    from jsonschema import Draft7Validator, exceptions, validators

    cls = validators.validator_for(data, default=Draft7Validator) if isinstance(data, dict) else Draft7Validator
    validator = _metaschema_validator(cls)
    if validator.is_valid(data):
        return
    error = exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path) if error.absolute_path else "the top level"
        raise InputError(f"{label}: not a valid JSON Schema at {where}: {error.message}")


@cache
def _metaschema_validator(cls: Any) -> Any:
    # One validator per draft: building it is most of the cost of checking a small schema.
    return cls(cls.META_SCHEMA)


# ---- Avro -----------------------------------------------------------------------------------------------------


def parse_avro(data: Any, label: str) -> Any:
    """The Apache Avro parse of a schema; unknown named types and malformed schemas are refused."""
    import avro.errors
    import avro.schema

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown logical types fall back to their base type, as the spec says
            return avro.schema.make_avsc_object(data, avro.schema.Names())
    except avro.errors.SchemaParseException as exc:
        message = " ".join(str(exc).split())
        if "Unknown named type" in message or "is not a defined type" in message or "Could not make an Avro" in message:
            raise InputError(f"{label}: not a valid Avro schema: {message}; define the named type before it is used") from None
        raise InputError(f"{label}: not a valid Avro schema: {message}") from None
    except (avro.errors.AvroException, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"{label}: not a valid Avro schema: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError(f"{label}: the Avro schema nests too deeply") from None


def load_schema(data: Any, label: str, schema_type: SchemaType) -> SchemaDoc:
    if schema_type == "avro":
        return SchemaDoc(label=label, schema_type="avro", data=data, parsed=parse_avro(data, label))
    check_json_schema(data, label)
    return SchemaDoc(label=label, schema_type="json", data=inline_refs(data, label))
