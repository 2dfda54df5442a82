"""The artifacts of a contract: a JSON Schema (2020-12), an Avro schema and an example message, all from the same
contract so they cannot drift apart.

The message is the envelope's fields at the top level and the payload under ``payload``. Both schemas are closed
(no undeclared properties; Avro records are closed by nature), which is what lets a new optional field with a
default pass a BACKWARD check in a schema registry.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from archassist.agent.contracts.model import Contract, ContractField, EnvelopeField
from archassist.agent.model.naming import pascal, snake

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PRECISION, DECIMAL_SCALE = 18, 4
_DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "decimal": {"type": "string", "pattern": _DECIMAL_PATTERN, "description": "a decimal number as text"},
    "boolean": {"type": "boolean"},
    "uuid": {"type": "string", "format": "uuid"},
    "timestamp": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "duration": {"type": "string", "format": "duration"},
    "enum": {"type": "string"},
    "object": {"type": "object", "additionalProperties": {"type": "string"}},
    "map": {"type": "object", "additionalProperties": {"type": "string"}},
    "bytes": {"type": "string", "contentEncoding": "base64"},
    "uri": {"type": "string", "format": "uri"},
}
_AVRO_TYPES: dict[str, Any] = {
    "string": "string",
    "integer": "long",
    "number": "double",
    "decimal": {"type": "bytes", "logicalType": "decimal", "precision": DECIMAL_PRECISION, "scale": DECIMAL_SCALE},
    "boolean": "boolean",
    "uuid": {"type": "string", "logicalType": "uuid"},
    "timestamp": {"type": "long", "logicalType": "timestamp-millis"},
    "date": {"type": "int", "logicalType": "date"},
    "duration": "string",
    "enum": "string",
    "object": {"type": "map", "values": "string"},
    "map": {"type": "map", "values": "string"},
    "bytes": "bytes",
    "uri": "string",
}
_EXAMPLES: dict[str, Any] = {
    "string": "text",
    "integer": 3,
    "number": 2.5,
    "decimal": "129.90",
    "boolean": True,
    "uuid": "3f1c2b8e-5d4a-4e7b-9a61-0c2d8e9f1a23",
    "timestamp": "2026-03-14T09:26:53.589Z",
    "date": "2026-03-14",
    "duration": "PT15M",
    "enum": "standard",
    "object": {"key": "value"},
    "map": {"key": "value"},
    "bytes": "aGVsbG8=",
    "uri": "https://files.example.com/documents/42.pdf",
}


def _json_type(type_: str, items: str | None) -> dict[str, Any]:
    if type_ == "array":
        return {"type": "array", "items": dict(_JSON_TYPES.get(items or "string", {"type": "string"}))}
    return dict(_JSON_TYPES[type_])


def _avro_type(type_: str, items: str | None) -> Any:
    if type_ == "array":
        return {"type": "array", "items": _AVRO_TYPES.get(items or "string", "string")}
    return _AVRO_TYPES[type_]


def _json_property(part: ContractField | EnvelopeField) -> dict[str, Any]:
    schema = _json_type(part.type, getattr(part, "items", None))
    if part.description:
        schema["description"] = part.description
    if not part.required:
        schema["type"] = [schema["type"], "null"]
        schema["default"] = None
    return schema


def json_schema(contract: Contract) -> dict[str, Any]:
    """The contract as a JSON Schema 2020-12 document."""
    payload = {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in contract.fields if f.required],
        "properties": {f.name: _json_property(f) for f in contract.fields},
    }
    properties: dict[str, Any] = {e.name: _json_property(e) for e in contract.envelope}
    properties["event_type"] = {**properties.get("event_type", {}), "const": contract.event}
    properties["payload"] = payload
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:archassist:contract:{contract.subject}:v{contract.version}",
        "title": f"{contract.event} v{contract.version}",
        "description": contract.description or f"The {contract.event} event.",
        "type": "object",
        "additionalProperties": False,
        "required": [*[e.name for e in contract.envelope if e.required], "payload"],
        "properties": properties,
    }


def _avro_field(part: ContractField | EnvelopeField) -> dict[str, Any]:
    base = _avro_type(part.type, getattr(part, "items", None))
    field: dict[str, Any] = {"name": part.name, "type": base if part.required else ["null", base]}
    if not part.required:
        field["default"] = None
    if part.description:
        field["doc"] = part.description
    return field


def avro_namespace(contract: Contract) -> str:
    """events.<domain>, the domain being the topic's first level (orders.events -> events.orders)."""
    domain = snake(contract.topic.split(".")[0]) if contract.topic else ""
    return f"events.{domain}" if domain else "events"


def avro_schema(contract: Contract) -> dict[str, Any]:
    """The contract as an Avro record schema (.avsc)."""
    namespace = avro_namespace(contract)
    payload = {
        "type": "record",
        "name": f"{pascal(contract.event)}Payload",
        "fields": [_avro_field(f) for f in contract.fields],
    }
    return {
        "type": "record",
        "name": pascal(contract.event),
        "namespace": namespace,
        "doc": contract.description or f"The {contract.event} event.",
        "fields": [*[_avro_field(e) for e in contract.envelope], {"name": "payload", "type": payload}],
        "version": contract.version,
    }


def _example_value(part: ContractField | EnvelopeField, contract: Contract) -> Any:
    if part.name == "event_type":
        return contract.event
    if part.name == "version":
        return contract.version
    if part.name == "causation_id":
        return "7a0d4c1e-2f3b-4c5d-8e9f-0a1b2c3d4e5f"
    if part.type == "array":
        return [_EXAMPLES.get(getattr(part, "items", None) or "string", "text")]
    if part.type == "string" and part.name.endswith("currency"):
        return "EUR"
    if part.type == "string" and part.name.endswith("_number"):
        return "2026-000042"
    if part.type == "string" and part.name == "country":
        return "DE"
    if part.type == "string" and "email" in part.name:
        return "ada@example.com"
    return _EXAMPLES[part.type]


def example_message(contract: Contract) -> dict[str, Any]:
    """A message that both schemas accept, as it travels in JSON."""
    message: dict[str, Any] = {e.name: _example_value(e, contract) for e in contract.envelope}
    message["payload"] = {f.name: _example_value(f, contract) for f in contract.fields}
    if "correlation_id" in message:
        message["correlation_id"] = "c0ffee00-1d2e-4f3a-8b4c-5d6e7f8a9b0c"
    key = message["payload"].get(contract.partition_key or "")
    if "aggregate_id" in message and isinstance(key, str):
        message["aggregate_id"] = key
    return message


def _avro_value(type_: str, value: Any) -> Any:
    if value is None:
        return None
    if type_ == "timestamp":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if type_ == "date":
        return date.fromisoformat(str(value))
    if type_ == "decimal":
        return Decimal(str(value))
    if type_ == "bytes":
        import base64

        return base64.b64decode(str(value))
    return value


def avro_datum(contract: Contract, message: dict[str, Any]) -> dict[str, Any]:
    """The message as an Avro datum: JSON text values of logical types (time, date, decimal, bytes) decoded."""
    datum = {e.name: _avro_value(e.type, message.get(e.name)) for e in contract.envelope}
    payload = message.get("payload") or {}
    datum["payload"] = {f.name: _avro_value(f.type, payload.get(f.name)) for f in contract.fields}
    return datum


def validate_artifacts(contract: Contract) -> list[str]:
    """Problems with the artifacts: each schema under its own library, and the example under both (empty: none)."""
    import fastavro
    import jsonschema

    problems: list[str] = []
    schema = json_schema(contract)
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        problems.append(f"JSON Schema: {exc.message}")
    message = example_message(contract)
    error = jsonschema.exceptions.best_match(
        validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).iter_errors(message)
    )
    if error is not None:
        problems.append(f"example against the JSON Schema: {error.message}")
    try:
        parsed = fastavro.parse_schema(avro_schema(contract))
    except Exception as exc:  # fastavro raises several unrelated types for a bad schema
        problems.append(f"Avro schema: {exc}")
        return problems
    try:
        fastavro.validation.validate(avro_datum(contract, message), parsed, raise_errors=True)
    except fastavro.validation.ValidationError as exc:
        problems.append(f"example against the Avro schema: {exc}")
    return problems
