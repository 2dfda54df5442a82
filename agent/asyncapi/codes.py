"""The finding codes of the AsyncAPI importer: one table, used by the importer and by docs/asyncapi.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archassist.agent.model.findings import Severity

CodeGroup = Literal["schema", "not-declared", "limitation", "reference", "hygiene"]


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    group: CodeGroup
    title: str
    fix: str
    # For "not declared" kinds: the words used in the summary ("consumer idempotency: 3").
    label: str = ""
    # Rule codes whose findings on an imported design only restate this "not declared" fact.
    covers: tuple[str, ...] = ()
    # The protocol families (rules.index.PROTOCOL_FAMILIES) on which the note is worth a finding; elsewhere the
    # fact is remembered quietly (it still stands in for the rules it covers). None: every protocol.
    protocols: frozenset[str] | None = None


_ALL: tuple[Code, ...] = (
    Code(
        "AAPI001", "schema-violation", "error", "schema",
        "The document violates the official AsyncAPI JSON Schema of its version.",
        "Change the document at the reported place so that it matches the AsyncAPI specification of its version.",
    ),
    Code(
        "AAPI101", "partition-key", "info", "not-declared",
        "No Kafka message key (partition key) is declared for a channel's messages.",
        "Declare the Kafka message key on the message, with a title naming the payload field it holds: "
        "`bindings: {kafka: {key: {type: string, title: order_id}}}`; or add `x-partition-key: order_id` to the "
        "message or the channel.",
        "partition key",
        covers=("EDA302",)
    ),
    Code(
        "AAPI102", "topic-sizing", "info", "not-declared",
        "A Kafka channel declares no partition count, replication factor or minimum of in-sync replicas.",
        "Add Kafka channel bindings: `bindings: {kafka: {partitions: 12, replicas: 3, topicConfiguration: "
        "{min.insync.replicas: 2}}}`.",
        "partitions / replicas / min in-sync",
        covers=("EDA308", "EDA310", "EDA311",)
    ),
    Code(
        "AAPI103", "topic-retention", "info", "not-declared",
        "A Kafka channel declares no retention or cleanup policy.",
        "Add `bindings: {kafka: {topicConfiguration: {retention.ms: 604800000, cleanup.policy: [delete]}}}` to "
        "the channel.",
        "retention / cleanup policy",
        covers=("EDA312",)
    ),
    Code(
        "AAPI104", "consumer-idempotency", "info", "not-declared",
        "A receive operation does not say how duplicates are handled (consumer idempotency).",
        "AsyncAPI has no field for it: add `x-idempotency: {strategy: dedup_event_id, key: event_id}` to the "
        "receive operation.",
        "consumer idempotency",
        covers=("EDA401", "EDA402",),
        protocols=frozenset({"kafka", "amqp", "mqtt", "nats", "other", "unspecified"}),
    ),
    Code(
        "AAPI105", "consumer-retry", "info", "not-declared",
        "A receive operation does not say how failed messages are retried.",
        "Add `x-retry: {max_attempts: 5, backoff: exponential, initial_delay_ms: 1000, max_delay_ms: 60000}` to "
        "the receive operation.",
        "retry policy",
        covers=("EDA403", "EDA404", "EDA405", "EDA406",),
        # Retries are the consumer's own business and AsyncAPI has no field for them; the dead-letter note asks
        # the question that matters (where does a message go that keeps failing), so this one stays quiet.
        protocols=frozenset(),
    ),
    Code(
        "AAPI106", "dead-letter", "info", "not-declared",
        "A receive operation does not say where messages go that cannot be processed (dead letter).",
        "Add `x-dead-letter: {topic: orders.dlq, redrive: manual}` to the receive operation.",
        "dead letter",
        covers=("EDA407", "EDA408",),
        protocols=frozenset({"kafka", "amqp", "nats", "other"}),
    ),
    Code(
        "AAPI107", "consumer-group", "info", "not-declared",
        "A Kafka receive operation declares no consumer group.",
        "Add the Kafka operation binding `bindings: {kafka: {groupId: {type: string, enum: [billing]}}}` or "
        "`x-consumer-group: billing` to the receive operation.",
        "consumer group",
    ),
    Code(
        "AAPI108", "envelope-fields", "info", "not-declared",
        "A message declares no header for some standard envelope fields (event id, type, aggregate id, timestamp, "
        "version, causation id).",
        "Declare them in the message's `headers` schema (e.g. `eventId: {type: string, format: uuid}`, `eventType`, "
        "`aggregateId`, `timestamp`, `version`, `causationId`, or the CloudEvents `ce_id`, `ce_type`, "
        "`ce_subject`, `ce_time`), best in a message trait every message uses.",
        "envelope headers",
        covers=("EDA201",),
        protocols=frozenset({"kafka", "amqp", "nats", "other", "unspecified"}),
    ),
    Code(
        "AAPI109", "correlation-id", "info", "not-declared",
        "A message declares no correlation id (header or `correlationId`).",
        "Add `correlationId: {location: '$message.header#/correlationId'}` to the message and declare the "
        "`correlationId` header in its `headers` schema.",
        "envelope correlation id header",
        covers=("EDA201",),
        protocols=frozenset({"kafka", "amqp", "nats", "other", "unspecified"}),
    ),
    Code(
        "AAPI110", "event-version", "info", "not-declared",
        "A message does not declare the version of its schema.",
        "Add `x-version: 1` to the message (and raise it with every breaking change).",
        "event version",
        covers=("EDA202",),
        protocols=frozenset({"kafka", "amqp", "nats", "other", "unspecified"}),
    ),
    Code(
        "AAPI111", "compatibility", "info", "not-declared",
        "A message does not declare the compatibility mode its schema evolves under.",
        "Add `x-compatibility: BACKWARD` (or FORWARD, FULL, NONE, …_TRANSITIVE) to the message.",
        "schema compatibility mode",
        covers=("EDA203",),
        protocols=frozenset({"kafka", "nats", "other"}),
    ),
    Code(
        "AAPI112", "payload-schema", "info", "not-declared",
        "A message has no payload schema the importer could read, so its fields are unknown.",
        "Give the message a `payload` JSON Schema: `{type: object, properties: {...}, required: [...]}`.",
        "payload fields",
        covers=("EDA208",)
    ),
    Code(
        "AAPI113", "event-producer", "info", "not-declared",
        "A message is only received: the document does not say which service produces it.",
        "Import the producing application's own AsyncAPI document too, or add `x-producer: service-name` to the "
        "message.",
        "event producer",
        covers=("EDA204", "EDA205",),
        protocols=frozenset(),
    ),
    Code(
        "AAPI114", "broker", "info", "not-declared",
        "The document declares no server protocol and no protocol bindings, so the broker is unknown.",
        "Declare `servers: {prod: {host: broker:9092, protocol: kafka}}` (or mqtt, amqp, ws, nats, …).",
        "broker",
    ),
    Code(
        "AAPI115", "field-protection", "info", "not-declared",
        "A payload field that holds personal data does not say how it is protected.",
        "Add `x-protection: encrypted` (or tokenized, hashed, crypto_shredding) to the property's schema; mark "
        "personal fields the importer cannot recognise by name with `x-pii: true`.",
        "personal data protection",
        covers=("EDA911",),
    ),
    Code(
        "AAPI116", "observability", "info", "not-declared",
        "Monitoring (consumer lag alerts, dead-letter alerts, correlation and causation propagation) cannot be said "
        "in AsyncAPI.",
        "AsyncAPI has no place for it: add it to the imported design's `observability` section.",
        "monitoring",
        covers=("EDA409", "EDA901", "EDA902", "EDA903"),
        protocols=frozenset(),
    ),
    Code(
        "AAPI117", "shared-message", "info", "limitation",
        "One message travels on several channels, while a Design event has one topic: it is placed on the first "
        "channel that sends it.",
        "Nothing to change if the channels are meant to carry the same fact. If they carry different facts, give "
        "each channel its own message (LightTurnedOn and LightTurnedOff rather than one turnOnOff), so consumers "
        "and ordering follow the fact.",
        covers=("EDA314", "EDA926"),
    ),
    Code(
        "AAPI900", "unsupported-feature", "info", "limitation",
        "Part of the document uses something the importer does not read (remote `$ref`, payload format, version).",
        "Nothing to change in the document; the named part is simply not imported. Inline or copy remote schemas "
        "next to the document if you want them imported.",
    ),
    Code(
        "AAPI901", "unresolved-ref", "warning", "reference",
        "A `$ref` points at a file or a place that does not exist.",
        "Fix the `$ref` so that it names an existing file and a JSON pointer that exists in it.",
    ),
    Code(
        "AAPI902", "ref-cycle", "warning", "reference",
        "A `$ref` chain loops back to itself without reaching a value.",
        "Break the loop: one of the references in the chain must point at a real object.",
    ),
    Code(
        "AAPI903", "ref-outside-root", "warning", "reference",
        "A `$ref` points at a file outside the document's folder tree; it is not read.",
        "Move the referenced file into the document's folder tree, or allow the wider folder explicitly "
        "(`--ref-root DIR`).",
    ),
    Code(
        "AAPI907", "ref-key-unescaped", "warning", "reference",
        "A `$ref` reaches its target only by guessing: a key with a `/` in it is written unescaped in the pointer.",
        "Write the `/` inside the key as `~1` (and `~` as `~0`): `#/components/messages/user~1signedup`. Other "
        "tools resolve the pointer level by level and do not find the target.",
    ),
    Code(
        "AAPI908", "operation-id-missing", "warning", "hygiene",
        "A 2.x operation has no `operationId`; code generators and linters need one, and findings have to invent "
        "a name for it.",
        "Add `operationId: onOrderPlaced` (a unique name) to the operation.",
    ),
    Code(
        "AAPI909", "unused-component", "info", "hygiene",
        "A component (message, schema, trait, parameter, channel, operation …) is never referenced.",
        "Reference it where it is meant to be used, or delete it.",
    ),
    Code(
        "AAPI904", "schema-approximated", "info", "limitation",
        "The document was validated with the nearest available official schema, not its own version's.",
        "Nothing to change; provide the exact schema version in the schema folder for an exact check.",
    ),
    Code(
        "AAPI905", "schema-unavailable", "info", "limitation",
        "The official AsyncAPI JSON Schema was not available, so the document was not validated.",
        "Point ARCHASSIST_ASYNCAPI_SCHEMAS at a folder holding the official bundled schemas "
        "(2.0.0.json, 2.6.0.json, 3.0.0.json, … from asyncapi/spec-json-schemas).",
    ),
    Code(
        "AAPI906", "invalid-extension", "warning", "limitation",
        "An `x-` extension the importer reads has a value it cannot use; it was ignored.",
        "Give the extension a value of the documented shape (see docs/asyncapi.md).",
    ),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}

NOT_DECLARED: tuple[Code, ...] = tuple(c for c in _ALL if c.group == "not-declared")



def _overlap() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for code in _ALL:
        for rule in code.covers:
            out[rule] = (*out.get(rule, ()), code.name)
    return out


# Rule code → the kinds (code names) of notes whose facts its findings would only restate.
RULE_OVERLAP: dict[str, tuple[str, ...]] = _overlap()


def code_table_markdown() -> str:
    """The codes as a Markdown table (docs/asyncapi.md carries the same table; a test keeps them in step)."""
    lines = [
        "| code | name | severity | meaning | how to fix / declare | stands in for |",
        "|---|---|---|---|---|---|",
    ]
    for c in _ALL:
        fix = c.fix.replace("|", "\\|")
        covers = ", ".join(c.covers) or "–"
        lines.append(f"| {c.code} | {c.name} | {c.severity} | {c.title} | {fix} | {covers} |")
    return "\n".join(lines)
