"""EDA3xx: topics, partitions, keys, durability and retention."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from archassist.agent.capacity import sizing
from archassist.agent.capacity.analysis import topic_peak_eps
from archassist.agent.model.design import UNSPECIFIED_BROKER, Design, Topic
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import (
    DEAD_LETTER_SUFFIXES,
    TOPIC_BROKERS,
    DesignIndex,
    is_dead_letter_topic,
    is_retry_topic,
)
from archassist.agent.rules.words import TECHNICAL_WORDS

MIN_REPLICATION = 3
MIN_INSYNC = 2
OPERATIONAL_RETENTION_DAYS = 7
HISTORY_RETENTION_DAYS = 30
_MAX_NAME_PARTS = 8

_TOPIC_SHAPE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*){1,2}$")
# MQTT topics are '/'-separated hierarchies, and a level per device or entity is idiomatic there.
_MQTT_SHAPE = re.compile(r"^[a-z][a-z0-9_-]*(/([a-z0-9][a-z0-9_-]*|\{[A-Za-z_][A-Za-z0-9_]*\}|\+))+$")
_KAFKA_LEGAL = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_PARAMETER = re.compile(r"\{[^{}]*\}")
# HTTP and WebSocket channels are URL paths, not broker topics: the naming convention has nothing to say there.
_PATH_BROKERS = frozenset({"http", "https", "ws", "wss", "websocket", "websockets", "sse"})
_TOKEN = re.compile(r"[a-z]+")
# Words that name infrastructure, not a business domain.


def _exempt_from_shape(topic: Topic) -> bool:
    return is_dead_letter_topic(topic) or is_retry_topic(topic)


@rule("EDA301", "event-topic-missing", severity="error")
def event_topic_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is not assigned to any topic.

    Why: An event that travels on no declared topic cannot be provisioned, secured, partitioned or monitored;
    in practice it ends up on whatever topic the producer's code happens to use.

    Anti-pattern: `{name: RefundIssued, topic: null}` and no topic listing it in `events`.

    Fix: Set the event's `topic` (for example `payments.events`) and list the event on that topic.
    """
    for position, event in enumerate(design.events):
        if index.event_topic[position] is None:
            yield Violation(
                f"/events/{position}/topic",
                f"event '{event.name}' is on no topic",
                "set topic to the domain's topic, e.g. <domain>.events, and list the event there",
            )


@rule("EDA302", "partition-key-missing", severity="error")
def partition_key_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event has no partition key (neither its own nor its topic's).

    Why: Without a key the broker spreads the events of one entity across partitions, so they are consumed out
    of order and in parallel: a cancellation can be applied before the order it cancels.

    Anti-pattern: `{name: OrderCancelled, partition_key: null}` on a topic without a key.

    Fix: Key the event by the id of the aggregate it is about (`partition_key: order_id`).
    """
    for position, event in enumerate(design.events):
        if index.partition_key_of(position) is None:
            hint = _aggregate_id(design, index, event.aggregate) or "the aggregate id"
            yield Violation(
                f"/events/{position}/partition_key",
                f"event '{event.name}' has no partition key",
                f"set partition_key: {hint}",
            )


def _aggregate_id(design: Design, index: DesignIndex, aggregate: str | None) -> str | None:
    position = index.aggregates.get(aggregate) if aggregate else None
    return None if position is None else design.aggregates[position].id_field


@rule("EDA303", "ordering-key-not-aggregate-id", severity="warning")
def ordering_key_not_aggregate_id(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event that needs per-key ordering is not keyed by its aggregate's id.

    Why: Order is only guaranteed within a partition. The changes of one aggregate must stay in sequence, so they
    must share a key; keying by another field (a customer, a region) can interleave two updates of the same
    aggregate across partitions.

    Anti-pattern: `{name: OrderShipped, aggregate: Order, partition_key: warehouse_id, ordering: per_key}`
    where the Order's id is `order_id`.

    Fix: Key the event by the aggregate id (`partition_key: order_id`), or declare `ordering: none` when the order
    truly does not matter.
    """
    for position, event in enumerate(design.events):
        if event.ordering != "per_key":
            continue
        id_field = _aggregate_id(design, index, event.aggregate)
        key = index.partition_key_of(position)
        if id_field and key and key not in (id_field, "aggregate_id"):
            yield Violation(
                f"/events/{position}/partition_key",
                f"event '{event.name}' needs ordering per {event.aggregate} but is keyed by '{key}'",
                f"set partition_key: {id_field}",
            )


@rule("EDA304", "ordered-events-split", severity="error")
def ordered_events_split(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Events that must be ordered against each other travel on different topics or keys.

    Why: The broker orders messages only within one partition of one topic. If `PaymentRefunded` must follow
    `PaymentCaptured`, both must sit on the same topic with the same key, or a consumer can see the refund first.

    Anti-pattern: `{name: PaymentRefunded, ordered_with: [PaymentCaptured], topic: payments.refunds}` while
    `PaymentCaptured` is on `payments.events`.

    Fix: Put the events on one topic and key them by the same field.
    """
    for position, event in enumerate(design.events):
        for number, other_name in enumerate(event.ordered_with):
            other = index.events.get(other_name)
            if other is None:
                continue  # an unknown name is reported as an unresolved reference
            my_topic, other_topic = index.event_topic[position], index.event_topic[other]
            my_key, other_key = index.partition_key_of(position), index.partition_key_of(other)
            if my_topic != other_topic:
                problem = f"on topic '{my_topic}' while '{other_name}' is on '{other_topic}'"
            elif my_key != other_key:
                problem = f"keyed by '{my_key}' while '{other_name}' is keyed by '{other_key}'"
            else:
                continue
            yield Violation(
                f"/events/{position}/ordered_with/{number}",
                f"event '{event.name}' must be ordered with '{other_name}' but is {problem}",
                "put both events on the same topic with the same partition key",
            )


@rule("EDA305", "topic-name-shape", severity="warning", protocols=TOPIC_BROKERS)
def topic_name_shape(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic name does not follow `{domain}.{event}` or `{domain}.events`.

    Why: A predictable name tells operators who owns a topic and what it carries, lets access control and
    retention policies be written by prefix, and keeps hundreds of topics navigable.

    Anti-pattern: `name: OrderEvents`, `name: orders`, `name: service-a-out`.

    Fix: Use lowercase `<domain>.<event>` (`orders.order-placed`) or `<domain>.events`; on MQTT, levels
    separated by `/` (`orders/order-placed`, `fleet/{vehicle_id}/position`). Dead-letter and retry topics are
    exempt, and so are the URL paths of HTTP and WebSocket channels, which are not broker topics.
    """
    broker = design.style.broker.lower()
    if broker in _PATH_BROKERS:
        return
    for position, topic in enumerate(design.topics):
        if _exempt_from_shape(topic) or _TOPIC_SHAPE.match(topic.name):
            continue
        pointer = f"/topics/{position}/name"
        if broker == "mqtt" or (broker in ("", UNSPECIFIED_BROKER) and "/" in topic.name):
            if not _MQTT_SHAPE.match(topic.name):
                yield Violation(
                    pointer,
                    f"topic '{topic.name}' does not follow <domain>/<event> (lowercase levels separated by '/')",
                    "rename it with the business domain first, e.g. orders/order-placed or fleet/{vehicle_id}/position",
                )
            continue
        # A channel parameter ({env}) is filled in before the name reaches the broker.
        if broker == "kafka" and not _KAFKA_LEGAL.match(_PARAMETER.sub("x", topic.name)):
            yield Violation(
                pointer,
                f"topic '{topic.name}' is not a legal Kafka topic name (letters, digits, '.', '_' and '-' only)",
                "rename it in lowercase with dots, e.g. orders.events or orders.order-placed",
            )
            continue
        yield Violation(
            pointer,
            f"topic '{topic.name}' does not follow <domain>.<event> or <domain>.events",
            "rename it in lowercase, e.g. orders.events or orders.order-placed",
        )


def _technical_words(topic_name: str) -> list[str]:
    domain = re.split(r"[./]", topic_name.lower(), maxsplit=1)[0]
    found = [w for w in _TOKEN.findall(domain) if w in TECHNICAL_WORDS]
    # "topic1", "queue2": numbered channels say nothing about the business
    found += [w for w in re.findall(r"(topic|queue|channel)\d+", topic_name.lower()) if w not in found]
    return found


@rule("EDA306", "topic-name-technical", severity="warning", protocols=TOPIC_BROKERS)
def topic_name_technical(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic is named after technology or plumbing instead of a business domain.

    Why: Names like `database.changes` or `kafka.topic1` describe how data moves, not what it means. Consumers
    cannot tell what they subscribe to, ownership is unclear, and the topic tends to become a dumping ground
    for unrelated messages.

    Anti-pattern: `database.changes`, `kafka.topic1`, `service-a-out`.

    Fix: Name the business domain first: `orders.events`, `payments.payment-captured`.
    """
    for position, topic in enumerate(design.topics):
        if _exempt_from_shape(topic):
            continue
        words = _technical_words(topic.name)
        if words:
            yield Violation(
                f"/topics/{position}/name",
                f"topic '{topic.name}' is named after infrastructure ({', '.join(words)}), not a business domain",
                "name the business domain first, e.g. orders.events",
            )


def _strip_dead_letter_suffix(name: str) -> str:
    lowered = name.lower()
    for suffix in DEAD_LETTER_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


@rule("EDA307", "dead-letter-topic-source-unnamed", severity="warning")
def dead_letter_topic_source_unnamed(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A dead-letter topic's name does not say which topic or consumer its messages came from.

    Why: When a message lands in a dead-letter topic, the operator needs to know where it failed and where to
    redrive it. A shared `errors.dlq` mixes failures from many consumers and makes redrive guesswork.

    Anti-pattern: `name: dlq` or `name: errors.dlq` used by several consumers.

    Fix: Name the source: `<source-topic>.<consumer-group>.dlq`, e.g. `orders.events.payment-service.dlq`.
    """
    known = set(index.topics) | set(index.consumers) | index.consumer_groups | set(index.services)
    known_parts = {tuple(name.split(".")) for name in known}
    first_parts = {parts[0] for parts in known_parts}
    widths = sorted({len(parts) for parts in known_parts if len(parts) <= _MAX_NAME_PARTS})
    for position, topic in enumerate(design.topics):
        if not is_dead_letter_topic(topic):
            continue
        parts = _strip_dead_letter_suffix(topic.name).split(".")
        # Only windows that start like a known name and are as wide as one can match: linear in the name.
        spans = (
            tuple(parts[i : i + width])
            for i in range(len(parts))
            if parts[i] in first_parts
            for width in widths
        )
        if not any(span in known_parts for span in spans):
            yield Violation(
                f"/topics/{position}/name",
                f"dead-letter topic '{topic.name}' does not name its source topic or consumer",
                "name it <source-topic>.<consumer>.dlq, e.g. orders.events.payment-service.dlq",
            )


def peak_eps(design: Design, topic: Topic) -> float | None:
    """The peak rate a topic must absorb (the capacity model's figure)."""
    return topic_peak_eps(design, topic)


# Above any count a broker accepts; a ratio beyond it (from values built without validation) is reported as this.
_PARTITIONS_CEILING = 10**15


def partitions_needed(design: Design, topic: Topic) -> int | None:
    """Partitions the broker side needs at full use: ceil(peak / partition capacity)."""
    peak = peak_eps(design, topic)
    if peak is None:
        return None
    capacity = topic.partition_capacity_eps or design.requirements.partition_capacity_eps
    ratio = peak / capacity
    if not math.isfinite(ratio) or ratio > _PARTITIONS_CEILING:
        return _PARTITIONS_CEILING
    return sizing.partitions_needed(peak, partition_capacity_eps=capacity, target_utilisation=1.0)


@rule("EDA308", "partitions-below-throughput", severity="error")
def partitions_below_throughput(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic has fewer partitions than its peak throughput needs (or declares no partition count).

    Why: A partition is consumed by at most one member of a consumer group, so partitions cap parallelism.
    If the peak rate divided by what one partition absorbs (`requirements.partition_capacity_eps`) exceeds
    the partition count, lag grows at every peak, and messages can expire before they are read. Adding
    partitions later reshuffles keys and breaks per-key ordering during the change.

    Anti-pattern: 3 partitions for a topic that peaks at 20,000 events/s when one partition absorbs 1,000.

    Fix: Provision at least ceil(peak / capacity) partitions, with headroom for growth.
    """
    capacity = design.requirements.partition_capacity_eps
    for position, topic in enumerate(design.topics):
        needed = partitions_needed(design, topic)
        if topic.partitions is None:
            yield Violation(
                f"/topics/{position}/partitions",
                f"topic '{topic.name}' declares no partition count",
                f"set partitions (at least {needed or 1})",
                severity="warning",
            )
        elif needed is not None and topic.partitions < needed:
            peak = peak_eps(design, topic) or 0.0
            capacity = topic.partition_capacity_eps or design.requirements.partition_capacity_eps
            yield Violation(
                f"/topics/{position}/partitions",
                f"topic '{topic.name}' has {topic.partitions} partitions but its peak of {peak:,.0f} events/s "
                f"needs {needed} at {capacity:,.0f} events/s per partition",
                f"set partitions: {needed} or more",
            )


@rule("EDA309", "consumer-concurrency-exceeds-partitions", severity="warning")
def consumer_concurrency_exceeds_partitions(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer runs more parallel instances than the topic it reads has partitions.

    Why: Within a consumer group each partition goes to one instance; instances beyond the partition count sit
    idle and only cost money, while the group is still capped by the partitions.

    Anti-pattern: `concurrency: 12` on a consumer of a 6-partition topic.

    A group that reads several topics is assigned partitions of each, so an instance idles only when the
    largest of its topics has fewer partitions than the group has instances (with the range assignor; the
    round-robin and sticky assignors spread all partitions together and idle even fewer).

    Fix: Lower the concurrency to the partition count, or raise the partition count if the load needs it.
    """
    for position, consumer in enumerate(design.consumers):
        topics = [index.topic(name) for name in sorted(index.consumer_topics[position])]
        sized = [t for t in topics if t is not None and t.partitions is not None]
        if not sized or len(sized) < len([t for t in topics if t is not None]):
            continue  # a topic of unknown size may hold partitions for every instance
        widest = max(sized, key=lambda t: t.partitions or 0)
        partitions = widest.partitions or 0
        if consumer.concurrency > partitions:
            where = f"'{widest.name}' has" if len(sized) == 1 else f"the largest of its topics, '{widest.name}', has"
            yield Violation(
                f"/consumers/{position}/concurrency",
                f"consumer '{consumer.name}' runs {consumer.concurrency} instances but {where} "
                f"{partitions} partitions; {consumer.concurrency - partitions} would sit idle",
                f"set concurrency to {partitions} or add partitions",
            )


@rule("EDA310", "replication-too-low", severity="error")
def replication_too_low(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A durable topic is replicated fewer than three times.

    Why: With one or two copies, a single broker failure (or a failure during maintenance) loses acknowledged
    events or stops the topic. Three replicas survive one failure while a second broker is being patched.

    Anti-pattern: `replication_factor: 1` on `orders.events`.

    Fix: Set `replication_factor: 3` (or more) for every durable topic.
    """
    for position, topic in enumerate(design.topics):
        if topic.durable and (topic.replication_factor is None or topic.replication_factor < MIN_REPLICATION):
            shown = topic.replication_factor or "no"
            yield Violation(
                f"/topics/{position}/replication_factor",
                f"durable topic '{topic.name}' has {shown} replication (needs {MIN_REPLICATION})",
                f"set replication_factor: {MIN_REPLICATION}",
            )


@rule("EDA311", "min-insync-replicas", severity="error")
def min_insync_replicas(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A durable topic requires fewer than two in-sync replicas, or as many as it has replicas.

    Why: With `min.insync.replicas` of 1, a write acknowledged by a single broker is lost if that broker dies
    before followers copy it. With `min.insync.replicas` equal to the replication factor, losing any one broker
    stops all writes.

    Anti-pattern: `replication_factor: 3, min_insync_replicas: 1`, or `replication_factor: 2,
    min_insync_replicas: 2`.

    Fix: Use `min_insync_replicas: 2` with `replication_factor: 3`, and produce with `acks=all`.
    """
    for position, topic in enumerate(design.topics):
        if not topic.durable:
            continue
        pointer = f"/topics/{position}/min_insync_replicas"
        misr, replicas = topic.min_insync_replicas, topic.replication_factor
        if misr is None or misr < MIN_INSYNC:
            yield Violation(
                pointer,
                f"durable topic '{topic.name}' acknowledges writes with {misr or 'no'} in-sync replica(s)",
                f"set min_insync_replicas: {MIN_INSYNC} and produce with acks=all",
            )
        elif replicas is not None and misr >= replicas:
            yield Violation(
                pointer,
                f"topic '{topic.name}' needs {misr} in-sync replicas out of {replicas}; one broker down stops writes",
                f"keep min_insync_replicas below replication_factor (e.g. {MIN_INSYNC} of {MIN_REPLICATION})",
                severity="warning",
            )


def store_keeps_history(design: Design, days: float) -> bool:
    """Whether the event store keeps events at least this long (None keeps them forever)."""
    store = design.event_store
    return store is not None and (store.retention_days is None or store.retention_days >= days)


def required_retention_days(design: Design, topic: Topic) -> tuple[float, str]:
    """The minimum retention for a topic and the reason for it."""
    if topic.purpose in ("audit", "analytics"):
        required, why = float(HISTORY_RETENTION_DAYS), f"{topic.purpose} topics keep at least 30 days"
        wanted = design.requirements.retention_days
        if (
            topic.purpose == "audit"
            and design.requirements.audit
            and wanted
            and wanted > required
            and not store_keeps_history(design, wanted)  # the event store is then the audit trail
        ):
            return wanted, f"the design requires {wanted:g} days of audit history and no event store keeps it"
        return required, why
    return float(OPERATIONAL_RETENTION_DAYS), "operational topics keep at least 7 days to survive outages"


@rule("EDA312", "retention-too-short", severity="warning")
def retention_too_short(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic keeps its events for less time than its purpose needs.

    Why: Retention is the window in which a stopped consumer can catch up and a bug can be fixed by replaying.
    Operational topics need about a week to outlive a long weekend's outage; audit and analytics topics need at
    least 30 days, and audit topics the retention the requirements state unless an event store keeps that
    history.

    Anti-pattern: `retention_days: 1` on `orders.events`, or 7 days on an audit topic when the requirements ask
    for a year.

    Fix: Keep 7 days or more for operational topics, 30 or more for audit and analytics, or archive to an event
    store or cold storage before deletion. A raw high-volume stream kept short on purpose (personal location
    data, telemetry landed in a data lake within minutes) names its `replay_source`; the minimum does not apply.
    """
    for position, topic in enumerate(design.topics):
        if not topic.durable or topic.retention_days is None or topic.replay_source:
            continue
        required, why = required_retention_days(design, topic)
        if topic.retention_days < required:
            from_requirement = topic.purpose == "audit" and required > HISTORY_RETENTION_DAYS
            yield Violation(
                f"/topics/{position}/retention_days",
                f"topic '{topic.name}' keeps {topic.retention_days:g} days; {why}",
                f"set retention_days: {required:g} or more",
                severity="error" if from_requirement else None,
            )


@rule("EDA313", "compacted-topic-unkeyed", severity="error")
def compacted_topic_unkeyed(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A compacted topic carries messages without a key.

    Why: Compaction keeps the latest message per key; a message without a key has nothing to be compacted by.
    Kafka rejects unkeyed writes to compacted topics, so the producer fails at run time.

    Anti-pattern: `cleanup_policy: compact` with no `partition_key` on the topic or its events.

    Fix: Key every message on the topic by the entity id (`partition_key: customer_id`), or use
    `cleanup_policy: delete`.
    """
    for position, topic in enumerate(design.topics):
        if "compact" not in topic.cleanup_policy or topic.partition_key:
            continue
        unkeyed = [
            design.events[p].name
            for p in index.topic_events.get(topic.name, ())
            if not design.events[p].partition_key
        ]
        if unkeyed or not index.topic_events.get(topic.name):
            what = f"events {', '.join(unkeyed[:3])}" if unkeyed else "its messages"
            yield Violation(
                f"/topics/{position}/cleanup_policy",
                f"compacted topic '{topic.name}' has no key for {what}",
                "set the topic's partition_key (the entity id) or use cleanup_policy: delete",
            )


@rule("EDA314", "topic-event-mismatch", severity="warning")
def topic_event_mismatch(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic lists an event that the event itself places on another topic.

    Why: Two answers to "where does this event travel" mean that producers and consumers configured from
    different parts of the design will disagree, and messages are published where nobody listens.

    Anti-pattern: `topics: [{name: orders.events, events: [PaymentCaptured]}]` while `PaymentCaptured` has
    `topic: payments.events`.

    Fix: Keep one topic per event: fix either the topic's `events` list or the event's `topic`.
    """
    for position, topic in enumerate(design.topics):
        for number, name in enumerate(topic.events):
            event = index.event(name)
            if event is not None and event.topic and event.topic != topic.name:
                yield Violation(
                    f"/topics/{position}/events/{number}",
                    f"topic '{topic.name}' lists '{name}', which the event places on '{event.topic}'",
                    f"remove '{name}' from this topic or change the event's topic",
                )


@rule("EDA315", "global-ordering-multi-partition", severity="error")
def global_ordering_multi_partition(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event needs global ordering but its topic has several partitions.

    Why: Order holds only within a partition; across partitions consumers see messages interleaved. A topic
    that promises a total order must have exactly one partition, which also caps its throughput.

    Anti-pattern: `{name: LedgerEntryPosted, ordering: global}` on a 12-partition topic.

    Fix: Narrow the need to per-key ordering (by account, by aggregate), or give the topic one partition and
    accept its throughput limit.
    """
    for position, event in enumerate(design.events):
        if event.ordering != "global":
            continue
        topic = index.topic(index.event_topic[position])
        if topic and topic.partitions is not None and topic.partitions > 1:
            yield Violation(
                f"/events/{position}/ordering",
                f"event '{event.name}' needs global ordering but '{topic.name}' has {topic.partitions} partitions",
                "order per key instead (ordering: per_key), or use a single-partition topic",
            )


@rule("EDA316", "audit-trail-missing", severity="warning")
def audit_trail_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The requirements ask for an audit trail, but nothing keeps the history long enough.

    Why: An audit needs the full, unaltered history. Operational topics delete events after days, so a design
    that requires audit must keep events somewhere that does not forget: an event store kept forever or an
    audit topic with long retention.

    Anti-pattern: `requirements: {audit: true}` with only 7-day operational topics and no event store.

    Fix: Add an event store that keeps events forever, or an audit topic (`purpose: audit`) with the retention
    the requirements state.
    """
    if not design.requirements.audit:
        return
    store = design.event_store
    if store is not None and store.retention_days is None:
        return
    if any(t.purpose == "audit" for t in design.topics):
        return
    yield Violation(
        "/requirements/audit",
        "the design requires an audit trail but keeps no long-lived history (no audit topic, no event store)",
        "add an event store that keeps events forever, or an audit topic with purpose: audit",
    )
