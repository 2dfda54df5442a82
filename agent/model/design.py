"""The Design: the one data model every part of archassist speaks.

A mode produces or reads a Design, the rules engine checks it, the memory stores its decisions and the
renderers turn it into documents. References between parts are plain names; a dangling reference is a rule
finding, never a load error, so a single review can report every problem in a file at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

STANDARD_ENVELOPE: tuple[str, ...] = (
    "event_id",
    "event_type",
    "aggregate_id",
    "timestamp",
    "version",
    "correlation_id",
    "causation_id",
)

Coordination = Literal["choreography", "orchestration", "hybrid"]
Compatibility = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"
]
FieldType = Literal[
    "string",
    "integer",
    "number",
    "decimal",
    "boolean",
    "uuid",
    "timestamp",
    "date",
    "duration",
    "enum",
    "object",
    "array",
    "map",
    "bytes",
    "uri",
]
Protection = Literal["none", "encrypted", "crypto_shredding", "tokenized", "hashed"]


class _Part(BaseModel):
    """Base for every part of a Design: unknown keys are refused so typos surface at load time."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Requirements(_Part):
    """What the brief asks of the system, as numbers the planner and the rules can reason about."""

    throughput_eps: float | None = Field(None, ge=0, description="Sustained events per second, all flows.")
    peak_factor: float = Field(1.0, ge=1, description="Peak load as a multiple of the sustained rate.")
    latency_p99_ms: float | None = Field(None, gt=0, description="End-to-end p99 latency target.")
    consistency: Literal["eventual", "strong", "read_your_writes"] = "eventual"
    delivery: Literal["at_least_once", "at_most_once", "effectively_once"] = "at_least_once"
    audit: bool = False
    retention_days: float | None = Field(None, gt=0, description="How long history must be kept.")
    pii: bool = False
    partition_capacity_eps: float = Field(
        1000, gt=0, description="Events per second one partition is assumed to absorb with one consumer."
    )


# The broker of a design whose source does not say which one it runs on (an AsyncAPI document without servers).
UNSPECIFIED_BROKER = "unspecified"


class Style(_Part):
    """How the services coordinate and whether state is event-sourced."""

    coordination: Coordination = "choreography"
    event_sourcing: bool = False
    cqrs: bool = False
    broker: str = "kafka"
    schema_format: Literal["json_schema", "avro", "protobuf"] = "json_schema"


class Envelope(_Part):
    """Standard metadata every event carries, next to its payload."""

    fields: list[str] = Field(default_factory=lambda: list(STANDARD_ENVELOPE))
    cloudevents: bool = Field(False, description="Map the envelope onto CloudEvents attributes.")


class PayloadField(_Part):
    name: str
    type: FieldType = "string"
    required: bool = True
    description: str = ""
    pii: bool = False
    protection: Protection = "none"
    items: FieldType | None = Field(None, description="Element type when type is array.")


class SyncCall(_Part):
    """A synchronous call a service makes to another service."""

    target: str
    purpose: str = ""
    on_event_path: bool = Field(True, description="Made while handling an event or command.")


class Service(_Part):
    name: str
    bounded_context: str = ""
    description: str = ""
    aggregates: list[str] = Field(default_factory=list)
    database: str | None = None
    publishes: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)
    publishing: Literal["outbox", "cdc", "event_store", "direct", "none"] = Field(
        "none",
        description="How events leave the service: transactional outbox, CDC, the event store, or a dual write.",
    )
    sync_calls: list[SyncCall] = Field(default_factory=list)
    owner: str = ""


class Aggregate(_Part):
    name: str
    service: str
    id_field: str
    commands: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    snapshot_every: int | None = Field(None, gt=0, description="Snapshot after this many events.")
    expected_stream_length: int | None = Field(None, ge=0, description="Typical events per instance.")
    # Review additions (issue 15): hot aggregates snapshot by time, not by count.
    events_per_s: float | None = Field(None, gt=0, description="Peak events per second one instance takes.")
    snapshot_interval_s: float | None = Field(None, gt=0, description="Snapshot by time: every this many seconds.")
    invariants: list[str] = Field(default_factory=list)


class Command(_Part):
    name: str
    aggregate: str
    issued_by: str = ""
    emits: list[str] = Field(default_factory=list)
    idempotency_key: str | None = None
    topic: str | None = Field(None, description="Topic the command travels on, when sent asynchronously.")
    partition_key: str | None = None
    description: str = ""
    # Review additions (issue 15): what the handler reads to accept or refuse the command.
    reads: list[str] = Field(default_factory=list, description="Read models (projections) the decision consults.")
    consistency: Literal["strong", "eventual"] | None = Field(
        None, description="strong: the decision must see every earlier write (a debit against a balance)."
    )


class Upcaster(_Part):
    from_version: int = Field(ge=1)
    to_version: int = Field(ge=2)
    description: str = ""


class Event(_Part):
    name: str
    version: int | None = Field(1, ge=1)
    kind: Literal["domain", "integration"] = "domain"
    description: str = ""
    aggregate: str | None = None
    producer: str | None = None
    topic: str | None = None
    partition_key: str | None = None
    fields: list[PayloadField] = Field(default_factory=list)
    envelope: list[str] | None = Field(
        None, description="Envelope fields, when they differ from the design's."
    )
    owner: str | None = None
    compatibility: Compatibility | None = "BACKWARD"
    ordering: Literal["per_key", "none", "global"] = "per_key"
    ordered_with: list[str] = Field(default_factory=list)
    external: bool = Field(False, description="Published for consumers outside this design.")
    expects_reply: bool = Field(False, description="The producer waits for an answer to this message.")
    role: Literal["event", "command", "request", "reply"] = Field(
        "event",
        description="What the message is: a fact (event), an order to one handler (command), or one half of a "
        "request/reply exchange. Naming and contract rules for events apply to events only.",
    )
    estimated_size_bytes: int | None = Field(None, ge=0)
    upcasters: list[Upcaster] = Field(default_factory=list)
    deprecated: bool = False


class Topic(_Part):
    name: str
    partitions: int | None = Field(None, ge=1)
    replication_factor: int | None = Field(3, ge=1)
    min_insync_replicas: int | None = Field(2, ge=1)
    retention_days: float | None = Field(7, gt=0, description="None keeps data forever.")
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    compression: str = "zstd"
    partition_key: str | None = None
    events: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    purpose: Literal["operational", "audit", "analytics", "dead_letter", "retry", "command"] = "operational"
    # Review addition (issue 15): a topic kept short on purpose names where the full history is.
    replay_source: str | None = Field(
        None, description="Where history older than the retention is kept and replayed from (data lake, archive)."
    )
    durable: bool = True
    throughput_eps: float | None = Field(None, ge=0, description="Peak events per second on this topic.")


class Idempotency(_Part):
    strategy: Literal["dedup_event_id", "idempotency_key", "natural_upsert", "none"] = "none"
    key: str | None = None
    store: str | None = None
    ttl_days: float | None = Field(None, gt=0)


class RetryPolicy(_Part):
    max_attempts: int | None = Field(None, ge=1, description="None retries forever.")
    backoff: Literal["none", "fixed", "linear", "exponential"] = "none"
    initial_delay_ms: int = Field(0, ge=0)
    max_delay_ms: int = Field(0, ge=0)
    multiplier: float = Field(2.0, ge=1)
    jitter: bool = False


class DeadLetter(_Part):
    topic: str
    retention_days: float | None = Field(None, gt=0)
    redrive: Literal["manual", "automatic", "none"] = "manual"
    alert_depth: int | None = Field(None, ge=0, description="Alert when this many messages wait.")


class Consumer(_Part):
    name: str
    service: str
    group: str | None = None
    subscriptions: list[str] = Field(default_factory=list, description="Events or commands consumed.")
    action: str = ""
    emits: list[str] = Field(default_factory=list)
    idempotency: Idempotency = Field(default_factory=Idempotency)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    dead_letter: DeadLetter | None = None
    ordering: Literal["per_key", "none"] = "per_key"
    concurrency: int = Field(1, ge=1)
    processing_time_ms: float | None = Field(None, gt=0)
    in_flight_per_partition: int = Field(
        1, ge=1, description="Calls in flight per partition for a keyed parallel consumer (order kept per key)."
    )
    delivery: Literal["at_least_once", "at_most_once"] = "at_least_once"


class Projection(_Part):
    name: str
    service: str | None = None
    purpose: str = ""
    source_events: list[str] = Field(default_factory=list)
    store: str = "postgresql"
    key: str | None = None
    update_strategy: Literal["eventual", "synchronous"] = "eventual"
    idempotent: bool = False
    rebuild: Literal["replay", "snapshot_and_replay", "none"] = "none"
    # Review addition (issue 15): deltas (counters, balances) must be applied once; state can be upserted.
    applies: Literal["state", "deltas"] = Field(
        "state", description="state: each event carries the new state; deltas: events carry changes to add up."
    )
    lag_target_ms: int | None = Field(None, gt=0)


class SagaStep(_Part):
    name: str
    service: str
    action: str = ""
    command: str | None = None
    success_event: str | None = None
    failure_event: str | None = None
    compensation: str | None = None
    compensation_command: str | None = None
    compensation_event: str | None = None
    compensation_idempotent: bool = False
    timeout_s: float | None = Field(None, gt=0)
    retriable: bool = True
    pivot: bool = False
    side_effect: bool = True


class Saga(_Part):
    name: str
    coordination: Literal["choreography", "orchestration"] = "orchestration"
    orchestrator: str | None = Field(None, description="Service that runs the saga, when orchestrated.")
    trigger_event: str | None = None
    steps: list[SagaStep] = Field(default_factory=list)
    state_store: str | None = None
    completion_event: str | None = None
    failure_event: str | None = None
    timeout_s: float | None = Field(None, gt=0)
    # Review addition (issue 15): a saga started by an irrevocable fact (a payment settled) only moves forward.
    forward_only: bool = Field(False, description="Started by an irrevocable fact: steps are retried, never undone.")


class Column(_Part):
    name: str
    type: str
    nullable: bool = False


class EventStore(_Part):
    table: str = "event_store"
    columns: list[Column] = Field(default_factory=list)
    partitioning: str = "by aggregate_id"
    indexes: list[str] = Field(default_factory=list)
    unique: list[list[str]] = Field(default_factory=list)
    snapshot_table: str | None = "snapshots"
    snapshot_every: int | None = Field(None, gt=0)
    retention_days: float | None = Field(None, gt=0, description="None keeps events forever.")


class DeadLetterPolicy(_Part):
    """Design-wide default for failed messages; consumers may override it."""

    max_attempts: int = Field(5, ge=1)
    backoff: Literal["fixed", "linear", "exponential"] = "exponential"
    initial_delay_ms: int = Field(1000, ge=0)
    max_delay_ms: int = Field(60_000, ge=0)
    jitter: bool = True
    topic_suffix: str = ".dlq"
    retention_days: float = Field(14, gt=0)
    redrive: Literal["manual", "automatic", "none"] = "manual"
    alert_depth: int = Field(1, ge=0)


class Metric(_Part):
    name: str
    kind: Literal["gauge", "counter", "histogram"] = "gauge"
    description: str = ""
    labels: list[str] = Field(default_factory=list)


class Alert(_Part):
    name: str
    metric: str
    condition: Literal[">", ">=", "<", "<="] = ">"
    threshold: float
    unit: str = ""
    for_duration: str = "5m"
    severity: Literal["page", "ticket", "info"] = "ticket"
    target: str | None = Field(None, description="Consumer group, topic or projection the alert watches.")


class Observability(_Part):
    metrics: list[Metric] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    correlation_propagation: bool = False
    causation_propagation: bool = False
    tracing: str | None = None


class Decision(_Part):
    id: str | None = None
    title: str
    context: str = ""
    decision: str = ""
    consequences: str = ""
    alternatives: list[str] = Field(default_factory=list)
    status: Literal["proposed", "accepted", "rejected", "deprecated", "superseded"] = "accepted"
    cites: list[str] = Field(default_factory=list, description="Ids of recorded precedents this follows.")
    tags: list[str] = Field(default_factory=list)


class Tradeoff(_Part):
    title: str
    benefit: str = ""
    cost: str = ""
    mitigation: str = ""


class Suppression(_Part):
    code: str
    reason: str = Field(min_length=1)
    pointer: str | None = Field(None, description="Limit the suppression to this JSON pointer and below.")


class Design(_Part):
    """A complete event-driven design."""

    schema_version: int = SCHEMA_VERSION
    name: str
    brief: str = ""
    summary: str = ""
    style: Style = Field(default_factory=Style)
    requirements: Requirements = Field(default_factory=Requirements)
    assumptions: list[str] = Field(default_factory=list)
    envelope: Envelope = Field(default_factory=Envelope)
    services: list[Service] = Field(default_factory=list)
    aggregates: list[Aggregate] = Field(default_factory=list)
    commands: list[Command] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    consumers: list[Consumer] = Field(default_factory=list)
    projections: list[Projection] = Field(default_factory=list)
    sagas: list[Saga] = Field(default_factory=list)
    event_store: EventStore | None = None
    dead_letter_policy: DeadLetterPolicy = Field(default_factory=DeadLetterPolicy)
    observability: Observability = Field(default_factory=Observability)
    decisions: list[Decision] = Field(default_factory=list)
    tradeoffs: list[Tradeoff] = Field(default_factory=list)
    suppressions: list[Suppression] = Field(default_factory=list)

    # Lookups by name; small designs make a linear scan the simplest correct choice, large ones are indexed
    # by the rules engine itself.
    def event(self, name: str) -> Event | None:
        return next((e for e in self.events if e.name == name), None)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def topic(self, name: str) -> Topic | None:
        return next((t for t in self.topics if t.name == name), None)

    def aggregate(self, name: str) -> Aggregate | None:
        return next((a for a in self.aggregates if a.name == name), None)

    def command(self, name: str) -> Command | None:
        return next((c for c in self.commands if c.name == name), None)


def design_json_schema() -> dict[str, object]:
    """The JSON Schema of the Design file format."""
    schema = Design.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "archassist Design"
    return schema
