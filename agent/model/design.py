"""The Design: the one data model every part of archassist speaks.

A mode produces or reads a Design, the rules engine checks it, the memory stores its decisions and the
renderers turn it into documents. References between parts are plain names; a dangling reference is a rule
finding, never a load error, so a single review can report every problem in a file at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

# Bounds on the numbers a Design holds. Each is far beyond any real system, so it only refuses typos and hostile
# input, and it keeps every computation on a design finite (no overflow, no range over a trillion versions).
MAX_RATE_EPS = 1e9  # events per second: a thousand times the largest published Kafka deployments
MAX_PEAK_FACTOR = 1000.0
MIN_PARTITION_CAPACITY_EPS = 0.001  # one event every quarter of an hour per partition
MAX_PARTITIONS = 100_000  # Kafka's own guidance tops out at a few hundred thousand per cluster
MAX_REPLICAS = 100
MAX_VERSION = 10_000  # schema versions of one event; upcaster chains are checked version by version
MAX_RETENTION_DAYS = 36_500  # a hundred years
MAX_DELAY_MS = 7 * 24 * 3600 * 1000  # a week: delays, handler times and latency targets
MAX_TIMEOUT_S = 366 * 24 * 3600  # a year: sagas may wait for people (approvals, shipments), not for ever
MAX_ATTEMPTS = 10_000
MAX_MULTIPLIER = 100.0
MAX_IN_FLIGHT = 10_000
MAX_MESSAGE_BYTES = 1024**3  # no broker carries a single message above a gigabyte
MAX_COUNT = 10**12  # event counts: stream lengths, snapshot intervals, queue depths

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


def _empty_list() -> list[Any]:
    """The default of every list field. pydantic reads the signature of each default factory when it builds a model,
    and reading the builtin `list`'s signature runs the tokenizer (about 10 ms over the Design's list fields)."""
    return []


class _Part(BaseModel):
    """Base for every part of a Design: unknown keys are refused so typos surface at load time."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# -- parts added for designs read from what a brief says (event storming) --------------------------------------


class BusinessRate(_Part):
    """A rate as the brief states it, in its own unit, and the events per second it produces."""

    quantity: float = Field(
        ge=0,
        le=1e15,
        allow_inf_nan=False,
        description="How many business things happen per period (or are in the fleet).",
    )
    unit: str = Field(description="What is counted, in the brief's words: 'purchases', 'meters', 'orders'.")
    per_seconds: float = Field(
        gt=0,
        le=MAX_RETENTION_DAYS * 86_400,
        allow_inf_nan=False,
        description="The period the quantity happens in, in seconds.",
    )
    events_per_transaction: float = Field(
        1,
        gt=0,
        le=10_000,
        allow_inf_nan=False,
        description="Events one business thing produces on its way through the design.",
    )
    peak: bool = Field(False, description="The brief states this rate for its busiest moment.")
    assumed: bool = Field(False, description="The planner assumed the quantity (say so in the assumptions).")
    source: str = Field("", description="The words of the brief the rate was read from.")

    @property
    def things_per_second(self) -> float:
        return self.quantity / self.per_seconds

    @property
    def events_per_second(self) -> float:
        return self.things_per_second * self.events_per_transaction


class TopicCapacity(_Part):
    """How a topic's partition count follows from its peak rate and its slowest consumer."""

    peak_eps: float = Field(
        ge=0,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="Peak events per second of the events the topic carries.",
    )
    partition_capacity_eps: float = Field(
        ge=MIN_PARTITION_CAPACITY_EPS,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="What one partition absorbs on the broker side.",
    )
    handler_ms: float | None = Field(
        None,
        gt=0,
        le=MAX_DELAY_MS,
        allow_inf_nan=False,
        description="Processing time of the slowest consumer.",
    )
    consumer_eps_per_partition: float | None = Field(
        None,
        gt=0,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="concurrency × 1000 / handler ms for one consumer on one partition.",
    )
    target_utilisation: float = Field(
        0.7, gt=0, allow_inf_nan=False, description="Share of capacity the sizing aims to use."
    )
    partitions: int = Field(ge=1, le=MAX_PARTITIONS)
    derivation: str = Field("", description="The arithmetic, written out.")


class SagaOutcome(_Part):
    """An ending of a saga besides success and failure: waitlisted, expired, carried forward."""

    name: str
    event: str | None = None
    description: str = ""


class RetryTopic(_Part):
    """A non-blocking retry stage of a consumer: failed messages wait here, then return to the handler."""

    topic: str
    delay_ms: int = Field(ge=0, le=MAX_DELAY_MS)


class Archive(_Part):
    """Long-term history outside the broker: the retention tier and the replay source of read models."""

    store: str = Field(description="Where history is kept: an object store, a data lake, a warehouse.")
    retention_days: float | None = Field(
        None, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False, description="None keeps it forever."
    )
    format: str = "parquet"
    source_topics: list[str] = Field(default_factory=_empty_list)


class NotModelled(_Part):
    """Something the brief says that the design does not turn into a part, and why."""

    text: str
    reason: str


class Requirements(_Part):
    """What the brief asks of the system, as numbers the planner and the rules can reason about."""

    throughput_eps: float | None = Field(
        None,
        ge=0,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="Sustained events per second, all flows.",
    )
    peak_factor: float = Field(
        1.0,
        ge=1,
        le=MAX_PEAK_FACTOR,
        allow_inf_nan=False,
        description="Peak load as a multiple of the sustained rate.",
    )
    latency_p99_ms: float | None = Field(
        None, gt=0, le=MAX_DELAY_MS, allow_inf_nan=False, description="End-to-end p99 latency target."
    )
    consistency: Literal["eventual", "strong", "read_your_writes"] = "eventual"
    delivery: Literal["at_least_once", "at_most_once", "effectively_once"] = "at_least_once"
    audit: bool = False
    retention_days: float | None = Field(
        None, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False, description="How long history must be kept."
    )
    pii: bool = False
    partition_capacity_eps: float = Field(
        1000,
        ge=MIN_PARTITION_CAPACITY_EPS,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="Events per second one partition is assumed to absorb with one consumer.",
    )
    business_rates: list[BusinessRate] = Field(
        default_factory=_empty_list, description="Rates as the brief states them; throughput_eps derives from them."
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
    aggregates: list[str] = Field(default_factory=_empty_list)
    database: str | None = None
    publishes: list[str] = Field(default_factory=_empty_list)
    consumes: list[str] = Field(default_factory=_empty_list)
    publishing: Literal["outbox", "cdc", "event_store", "direct", "none"] = Field(
        "none",
        description="How events leave the service: transactional outbox, CDC, the event store, or a dual write.",
    )
    sync_calls: list[SyncCall] = Field(default_factory=_empty_list)
    owner: str = ""
    event_sourced: bool | None = Field(
        None, description="This service keeps its state as events; None follows style.event_sourcing."
    )
    ingestion: str | None = Field(
        None, description="An ingestion path outside the broker (an MQTT gateway, an engine's own log)."
    )


class Aggregate(_Part):
    name: str
    service: str
    id_field: str
    commands: list[str] = Field(default_factory=_empty_list)
    events: list[str] = Field(default_factory=_empty_list)
    snapshot_every: int | None = Field(
        None, gt=0, le=MAX_COUNT, description="Snapshot after this many events."
    )
    expected_stream_length: int | None = Field(
        None, ge=0, le=MAX_COUNT, description="Typical events per instance."
    )
    # Hot aggregates snapshot by time, not by count.
    events_per_s: float | None = Field(
        None, gt=0, le=MAX_RATE_EPS, allow_inf_nan=False, description="Peak events per second one instance takes."
    )
    snapshot_interval_s: float | None = Field(
        None, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False, description="Snapshot by time: every this many seconds."
    )
    invariants: list[str] = Field(default_factory=_empty_list)


class Command(_Part):
    name: str
    aggregate: str
    issued_by: str = ""
    emits: list[str] = Field(default_factory=_empty_list)
    idempotency_key: str | None = None
    topic: str | None = Field(None, description="Topic the command travels on, when sent asynchronously.")
    partition_key: str | None = None
    description: str = ""
    # Review additions (issue 15): what the handler reads to accept or refuse the command.
    reads: list[str] = Field(default_factory=_empty_list, description="Read models (projections) the decision consults.")
    consistency: Literal["strong", "eventual"] | None = Field(
        None, description="strong: the decision must see every earlier write (a debit against a balance)."
    )


class Upcaster(_Part):
    from_version: int = Field(ge=1, le=MAX_VERSION)
    to_version: int = Field(ge=2, le=MAX_VERSION)
    description: str = ""


class Event(_Part):
    name: str
    version: int | None = Field(1, ge=1, le=MAX_VERSION)
    kind: Literal["domain", "integration"] = "domain"
    description: str = ""
    aggregate: str | None = None
    producer: str | None = None
    topic: str | None = None
    partition_key: str | None = None
    fields: list[PayloadField] = Field(default_factory=_empty_list)
    envelope: list[str] | None = Field(
        None, description="Envelope fields, when they differ from the design's."
    )
    owner: str | None = None
    compatibility: Compatibility | None = "BACKWARD"
    ordering: Literal["per_key", "none", "global"] = "per_key"
    ordered_with: list[str] = Field(default_factory=_empty_list)
    external: bool = Field(False, description="Published for consumers outside this design.")
    expects_reply: bool = Field(False, description="The producer waits for an answer to this message.")
    role: Literal["event", "command", "request", "reply"] = Field(
        "event",
        description="What the message is: a fact (event), an order to one handler (command), or one half of a "
        "request/reply exchange. Naming and contract rules for events apply to events only.",
    )
    estimated_size_bytes: int | None = Field(None, ge=0, le=MAX_MESSAGE_BYTES)
    upcasters: list[Upcaster] = Field(default_factory=_empty_list)
    deprecated: bool = False


class Topic(_Part):
    name: str
    partitions: int | None = Field(None, ge=1, le=MAX_PARTITIONS)
    replication_factor: int | None = Field(3, ge=1, le=MAX_REPLICAS)
    min_insync_replicas: int | None = Field(2, ge=1, le=MAX_REPLICAS)
    retention_days: float | None = Field(
        7, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False, description="None keeps data forever."
    )
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    compression: str = "zstd"
    partition_key: str | None = None
    events: list[str] = Field(default_factory=_empty_list)
    commands: list[str] = Field(default_factory=_empty_list)
    purpose: Literal["operational", "audit", "analytics", "dead_letter", "retry", "command"] = "operational"
    # Review addition (issue 15): a topic kept short on purpose names where the full history is.
    replay_source: str | None = Field(
        None, description="Where history older than the retention is kept and replayed from (data lake, archive)."
    )
    durable: bool = True
    throughput_eps: float | None = Field(
        None, ge=0, le=MAX_RATE_EPS, allow_inf_nan=False, description="Peak events per second on this topic."
    )
    partition_capacity_eps: float | None = Field(
        None,
        ge=MIN_PARTITION_CAPACITY_EPS,
        le=MAX_RATE_EPS,
        allow_inf_nan=False,
        description="What one partition of this topic absorbs, when it differs from the design's.",
    )
    capacity: TopicCapacity | None = Field(None, description="How the partition count was derived.")


class Idempotency(_Part):
    strategy: Literal["dedup_event_id", "idempotency_key", "natural_upsert", "none"] = "none"
    key: str | None = None
    store: str | None = None
    ttl_days: float | None = Field(None, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False)


class RetryPolicy(_Part):
    max_attempts: int | None = Field(None, ge=1, le=MAX_ATTEMPTS, description="None retries forever.")
    backoff: Literal["none", "fixed", "linear", "exponential"] = "none"
    initial_delay_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    max_delay_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    multiplier: float = Field(2.0, ge=1, le=MAX_MULTIPLIER, allow_inf_nan=False)
    jitter: bool = False


class DeadLetter(_Part):
    topic: str
    retention_days: float | None = Field(None, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False)
    redrive: Literal["manual", "automatic", "none"] = "manual"
    alert_depth: int | None = Field(
        None, ge=0, le=MAX_COUNT, description="Alert when this many messages wait."
    )


class Consumer(_Part):
    name: str
    service: str
    group: str | None = None
    subscriptions: list[str] = Field(default_factory=_empty_list, description="Events or commands consumed.")
    action: str = ""
    emits: list[str] = Field(default_factory=_empty_list)
    idempotency: Idempotency = Field(default_factory=Idempotency)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    dead_letter: DeadLetter | None = None
    ordering: Literal["per_key", "none"] = "per_key"
    concurrency: int = Field(1, ge=1, le=MAX_PARTITIONS)
    processing_time_ms: float | None = Field(None, gt=0, le=MAX_DELAY_MS, allow_inf_nan=False)
    in_flight_per_partition: int = Field(
        1,
        ge=1,
        le=MAX_IN_FLIGHT,
        description="Calls in flight per partition for a keyed parallel consumer (order kept per key).",
    )
    delivery: Literal["at_least_once", "at_most_once"] = "at_least_once"
    retry_topics: list[RetryTopic] = Field(
        default_factory=_empty_list, description="Non-blocking retry stages before the dead-letter topic."
    )


class Projection(_Part):
    name: str
    service: str | None = None
    purpose: str = ""
    source_events: list[str] = Field(default_factory=_empty_list)
    store: str = "postgresql"
    key: str | None = None
    update_strategy: Literal["eventual", "synchronous"] = "eventual"
    idempotent: bool = False
    rebuild: Literal["replay", "snapshot_and_replay", "none"] = "none"
    # Deltas (counters, balances) must be applied once; state can be upserted.
    applies: Literal["state", "deltas"] = Field(
        "state", description="state: each event carries the new state; deltas: events carry changes to add up."
    )
    lag_target_ms: int | None = Field(None, gt=0, le=MAX_DELAY_MS)
    replay_source: Literal["topic", "event_store", "archive"] | None = Field(
        None, description="Where a rebuild reads history from."
    )


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
    timeout_s: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    retriable: bool = True
    pivot: bool = False
    side_effect: bool = True


class Saga(_Part):
    name: str
    coordination: Literal["choreography", "orchestration"] = "orchestration"
    orchestrator: str | None = Field(None, description="Service that runs the saga, when orchestrated.")
    trigger_event: str | None = None
    steps: list[SagaStep] = Field(default_factory=_empty_list)
    state_store: str | None = None
    completion_event: str | None = None
    failure_event: str | None = None
    timeout_s: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    starts_after_pivot: bool = Field(
        False, description="The trigger is the point of no return: every step is retried forward."
    )
    outcomes: list[SagaOutcome] = Field(
        default_factory=_empty_list, description="Endings besides success and failure."
    )


class Column(_Part):
    name: str
    type: str
    nullable: bool = False


class EventStore(_Part):
    table: str = "event_store"
    columns: list[Column] = Field(default_factory=_empty_list)
    partitioning: str = "by aggregate_id"
    indexes: list[str] = Field(default_factory=_empty_list)
    unique: list[list[str]] = Field(default_factory=_empty_list)
    snapshot_table: str | None = "snapshots"
    snapshot_every: int | None = Field(None, gt=0, le=MAX_COUNT)
    retention_days: float | None = Field(
        None, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False, description="None keeps events forever."
    )


class DeadLetterPolicy(_Part):
    """Design-wide default for failed messages; consumers may override it."""

    max_attempts: int = Field(5, ge=1, le=MAX_ATTEMPTS)
    backoff: Literal["fixed", "linear", "exponential"] = "exponential"
    initial_delay_ms: int = Field(1000, ge=0, le=MAX_DELAY_MS)
    max_delay_ms: int = Field(60_000, ge=0, le=MAX_DELAY_MS)
    jitter: bool = True
    topic_suffix: str = ".dlq"
    retention_days: float = Field(14, gt=0, le=MAX_RETENTION_DAYS, allow_inf_nan=False)
    redrive: Literal["manual", "automatic", "none"] = "manual"
    alert_depth: int = Field(1, ge=0, le=MAX_COUNT)


class Metric(_Part):
    name: str
    kind: Literal["gauge", "counter", "histogram"] = "gauge"
    description: str = ""
    labels: list[str] = Field(default_factory=_empty_list)


class Alert(_Part):
    name: str
    metric: str
    condition: Literal[">", ">=", "<", "<="] = ">"
    threshold: float = Field(allow_inf_nan=False)
    unit: str = ""
    for_duration: str = "5m"
    severity: Literal["page", "ticket", "info"] = "ticket"
    target: str | None = Field(None, description="Consumer group, topic or projection the alert watches.")


class Observability(_Part):
    metrics: list[Metric] = Field(default_factory=_empty_list)
    alerts: list[Alert] = Field(default_factory=_empty_list)
    correlation_propagation: bool = False
    causation_propagation: bool = False
    tracing: str | None = None


class Decision(_Part):
    id: str | None = None
    title: str
    context: str = ""
    decision: str = ""
    consequences: str = ""
    alternatives: list[str] = Field(default_factory=_empty_list)
    status: Literal["proposed", "accepted", "rejected", "deprecated", "superseded"] = "accepted"
    cites: list[str] = Field(default_factory=_empty_list, description="Ids of recorded precedents this follows.")
    tags: list[str] = Field(default_factory=_empty_list)


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
    assumptions: list[str] = Field(default_factory=_empty_list)
    envelope: Envelope = Field(default_factory=Envelope)
    services: list[Service] = Field(default_factory=_empty_list)
    aggregates: list[Aggregate] = Field(default_factory=_empty_list)
    commands: list[Command] = Field(default_factory=_empty_list)
    events: list[Event] = Field(default_factory=_empty_list)
    topics: list[Topic] = Field(default_factory=_empty_list)
    consumers: list[Consumer] = Field(default_factory=_empty_list)
    projections: list[Projection] = Field(default_factory=_empty_list)
    sagas: list[Saga] = Field(default_factory=_empty_list)
    event_store: EventStore | None = None
    dead_letter_policy: DeadLetterPolicy = Field(default_factory=DeadLetterPolicy)
    observability: Observability = Field(default_factory=Observability)
    decisions: list[Decision] = Field(default_factory=_empty_list)
    tradeoffs: list[Tradeoff] = Field(default_factory=_empty_list)
    suppressions: list[Suppression] = Field(default_factory=_empty_list)
    archive: Archive | None = None
    not_modelled: list[NotModelled] = Field(
        default_factory=_empty_list, description="What the brief says that no part of the design models, and why."
    )
    notices: list[str] = Field(
        default_factory=_empty_list, description="What the reader must know about this design."
    )

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
