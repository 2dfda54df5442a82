"""AsyncAPI message objects from the contract mode: the envelope as headers, the payload schema, the key, an example.

Every schema here comes from `archassist.agent.contracts`, so an AsyncAPI document and the contract of the same
event cannot drift apart. Where the contract's JSON Schema says less than the Design (it writes a decimal as a
plain string, an enum without its symbols, a nested object as a string map), the property gets the standard
keyword that says it (`format: decimal`, an open `object`) or, where JSON Schema has none, an
`x-archassist-type` extension, so importing the document gives the field its type back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from archassist.agent.asyncapi.schema_fields import is_pii_name
from archassist.agent.contracts.artifacts import avro_schema, example_message, json_schema
from archassist.agent.contracts.define import from_design
from archassist.agent.contracts.model import Contract
from archassist.agent.export.asyncapi_flows import Message
from archassist.agent.model.design import Command, Design, Event, FieldType, PayloadField

KAFKA_BINDING_VERSION = "0.5.0"  # the first Kafka binding whose topicConfiguration takes any Kafka topic setting
AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
AVRO_CONTENT_TYPE = "avro/binary"
JSON_CONTENT_TYPE = "application/json"
CORRELATION_ID = "correlation_id"

# CloudEvents attribute names of the envelope fields (Kafka binary content mode puts each in a `ce_` header).
_CLOUDEVENTS = {
    "event_id": "id",
    "event_type": "type",
    "timestamp": "time",
    "aggregate_id": "subject",
    "version": "schemaversion",
    "correlation_id": "correlationid",
    "causation_id": "causationid",
}
# Types an Avro schema writes as another one (a uri is a string, an object a string map).
_AVRO_LOSSY: frozenset[str] = frozenset({"enum", "duration", "uri", "object"})


def header_name(field: str, cloudevents: bool) -> str:
    """The header an envelope field travels in: its CloudEvents attribute when the design maps onto CloudEvents
    (a field of the design's own stays a plain header beside them)."""
    if cloudevents and field in _CLOUDEVENTS:
        return f"ce_{_CLOUDEVENTS[field]}"
    return field


@dataclass
class MessageParts:
    """What one message contributes to a document: its object, its envelope and payload schemas."""

    message: dict[str, Any]
    envelope_key: str
    envelope: dict[str, Any]
    payload_key: str
    payload: dict[str, Any]
    correlation: str | None  # the header the correlation id travels in


def _field_type_of(design: Design, name: str, aggregate: str | None) -> tuple[FieldType, FieldType | None]:
    """The type a field of that name has in the design's events, preferring the aggregate's own."""
    ordered = sorted(design.events, key=lambda e: e.aggregate != aggregate)
    for event in ordered:
        for f in event.fields:
            if f.name == name:
                return f.type, f.items
    return "string", None


def command_event(design: Design, command: Command, topic: str) -> Event:
    """A command as the contract mode sees a message: its key fields are all the Design says it carries."""
    names = [n for n in (command.partition_key, command.idempotency_key) if n and not n.startswith("'")]
    fields = []
    for name in dict.fromkeys(names):
        type_, items = _field_type_of(design, name, command.aggregate)
        fields.append(PayloadField(name=name, type=type_, items=items, description=f"The {name} the command is for."))
    return Event(
        name=command.name,
        version=None,
        description=command.description,
        aggregate=command.aggregate,
        producer=command.issued_by or None,
        topic=topic,
        partition_key=command.partition_key,
        fields=fields,
        compatibility=None,
        role="command",
    )


def _command_owner(design: Design, command: Command) -> str | None:
    """A command belongs to the service that handles it: the one that owns its aggregate."""
    aggregate = design.aggregate(command.aggregate)
    if aggregate is None:
        return None
    service = design.service(aggregate.service)
    return (service.owner or service.name) if service is not None else aggregate.service


def contract_of(design: Design, message: Message) -> tuple[Contract, Event]:
    """The contract of a message; a command is seen as an event carrying its key fields."""
    if message.event is not None:
        event = message.event
    else:
        assert message.command is not None
        event = command_event(design, message.command, message.topic)
    return from_design(design, event, source=design.name), event


def _patch_property(prop: dict[str, Any], type_: str, items: str | None, described: bool) -> None:
    """Say in the JSON Schema property what the contract's form of it leaves ambiguous."""
    if type_ == "decimal":
        prop["format"] = "decimal"
        if not described:
            prop.pop("description", None)
    elif type_ == "object":
        prop.pop("additionalProperties", None)
        prop["type"] = ["object", "null"] if isinstance(prop.get("type"), list) else "object"
    elif type_ == "enum":
        prop["x-archassist-type"] = "enum"  # the design keeps no symbols to write an `enum` keyword with
    elif type_ == "array" and items and isinstance(prop.get("items"), dict):
        _patch_property(prop["items"], items, None, False)


def _personal_data(target: dict[str, Any], field: PayloadField) -> None:
    if field.pii:
        target["x-pii"] = True
    elif is_pii_name(field.name):
        target["x-pii"] = False  # the name reads as personal data; the design says it is not
    if field.protection != "none":
        target["x-protection"] = field.protection


def json_payload(contract: Contract, event: Event) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "description": f"The payload of {event.name}" + (f" v{event.version}." if event.version else "."),
        **copy.deepcopy(json_schema(contract)["properties"]["payload"]),
    }
    for field in event.fields:
        prop = payload["properties"].get(field.name)
        if prop is None:
            continue
        _patch_property(prop, field.type, field.items, bool(field.description))
        _personal_data(prop, field)
    if not payload["required"]:
        del payload["required"]
    if event.role == "command":
        # The Design names only the command's key fields; the rest of what it carries is the handler's to say.
        del payload["additionalProperties"]
    return payload


def avro_payload(contract: Contract, event: Event) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(avro_schema(contract)["fields"][-1]["type"])
    record["namespace"] = avro_schema(contract)["namespace"]
    record["doc"] = f"The payload of {event.name}" + (f" v{event.version}." if event.version else ".")
    by_name = {f.name: f for f in event.fields}
    for item in record["fields"]:
        field = by_name.get(item["name"])
        if field is None:
            continue
        if field.type in _AVRO_LOSSY or (field.type == "array" and field.items in _AVRO_LOSSY):
            item["x-archassist-type"] = field.type
            if field.items:
                item["x-archassist-items"] = field.items
        _personal_data(item, field)
    return {"schemaFormat": AVRO_FORMAT, "schema": record}


def envelope_schema(contract: Contract, cloudevents: bool) -> dict[str, Any]:
    """The envelope as a headers schema (without the event type's value, so many messages can share it)."""
    schema = json_schema(contract)
    properties = {
        header_name(name, cloudevents): {k: v for k, v in prop.items() if k != "const"}
        for name, prop in schema["properties"].items()
        if name != "payload"
    }
    required = [header_name(n, cloudevents) for n in schema["required"] if n != "payload"]
    if cloudevents:
        properties = {
            "ce_specversion": {"type": "string", "const": "1.0", "description": "CloudEvents version."},
            "ce_source": {"type": "string", "format": "uri-reference", "description": "Who produced the event."},
            **properties,
        }
        required = ["ce_specversion", "ce_source", *required]
    return {"type": "object", "required": required, "properties": properties}


def key_schema(partition_key: str, contract: Contract) -> dict[str, Any]:
    """The Kafka message key: the schema of the field it is taken from, titled with the field's name."""
    if partition_key.startswith("'") and partition_key.endswith("'") and len(partition_key) > 1:
        return {"type": "string", "const": partition_key[1:-1], "description": "One key for every message."}
    typed = json_schema(contract)["properties"]
    field = next((f for f in contract.fields if f.name == partition_key), None)
    header = next((e for e in contract.envelope if e.name == partition_key), None)
    base: dict[str, Any] = {"type": "string"}  # a key the design names but the message does not carry
    if field is not None or header is not None:
        prop = typed["payload"]["properties"][partition_key] if field is not None else typed[partition_key]
        base = {k: v for k, v in prop.items() if k in ("type", "format", "pattern")}
        if isinstance(base.get("type"), list):
            base["type"] = next(t for t in base["type"] if t != "null")
        if field is not None:
            _patch_property(base, field.type, field.items, True)
    return {
        **base,
        "title": partition_key,
        "description": f"The {partition_key} of the message: Kafka partitions by it, so messages with the same "
        f"{partition_key} are read in the order they were written.",
    }


def shares_envelope(design: Design, event: Event) -> bool:
    """The event carries the design-wide envelope (so its headers can point at the one shared schema)."""
    return event.envelope is None or list(event.envelope) == list(design.envelope.fields)


def message_parts(
    design: Design, message: Message, *, kafka: bool, envelope_key: str, payload_key: str
) -> MessageParts:
    contract, event = contract_of(design, message)
    cloudevents = design.envelope.cloudevents
    avro = design.style.schema_format == "avro"
    out: dict[str, Any] = {"name": message.name}
    if event.description:
        out["description"] = event.description
    out["contentType"] = AVRO_CONTENT_TYPE if avro else JSON_CONTENT_TYPE
    envelope = envelope_schema(contract, cloudevents)
    type_header = header_name("event_type", cloudevents)
    headers: dict[str, Any] = {"$ref": f"#/components/schemas/{envelope_key}"}
    if type_header in envelope["properties"]:
        # Consumers of a topic that carries several messages tell them apart by this header.
        headers = {
            "type": "object",
            "allOf": [headers],
            "properties": {type_header: {"type": "string", "const": message.name}},
        }
    out["headers"] = headers
    out["payload"] = {"$ref": f"#/components/schemas/{payload_key}"}
    correlation: str | None = header_name(CORRELATION_ID, cloudevents)
    if correlation in envelope["properties"]:
        out["correlationId"] = {"$ref": f"#/components/correlationIds/{correlation}"}
    else:
        correlation = None
    if kafka and contract.partition_key:
        out["bindings"] = {
            "kafka": {"key": key_schema(contract.partition_key, contract), "bindingVersion": KAFKA_BINDING_VERSION}
        }
    elif contract.partition_key:
        out["x-partition-key"] = contract.partition_key  # no binding of this broker holds an ordering key
    if not avro:
        example = example_message(contract)
        headers_example = {header_name(e.name, cloudevents): example[e.name] for e in contract.envelope}
        if cloudevents:
            headers_example = {"ce_specversion": "1.0", "ce_source": f"/{contract.producer}", **headers_example}
        out["examples"] = [
            {"name": f"{message.name}-example", "headers": headers_example, "payload": example["payload"]}
        ]
    if event.deprecated:
        out["deprecated"] = True
    if event.version is not None and message.event is not None:
        out["x-version"] = event.version
    if event.compatibility is not None and message.event is not None:
        out["x-compatibility"] = event.compatibility
    producer = message.producer
    if producer and (message.event is not None or design.service(producer) is not None):
        out["x-producer"] = producer
    owner = event.owner if message.command is None else _command_owner(design, message.command)
    if owner:
        out["x-archassist-owner"] = owner
    out["x-archassist-role"] = message.role
    payload = avro_payload(contract, event) if avro else json_payload(contract, event)
    return MessageParts(out, envelope_key, envelope, payload_key, payload, correlation)
