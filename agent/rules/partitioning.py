"""EDA317–EDA320: what the broker does with a topic's name, key, consumer groups and retention."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex, is_dead_letter_topic, is_retry_topic
from archassist.agent.rules.topology import store_keeps_history
from archassist.agent.rules.words import split_words

KAFKA_NAME_MAX = 249
_KAFKA_CHARS = re.compile(r"^[A-Za-z0-9._-]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TIME_WORDS = frozenset({"time", "timestamp", "ts", "date", "datetime", "at", "created", "updated", "epoch"})
_TIME_TYPES = frozenset({"timestamp", "date", "datetime", "date-time", "instant"})


def _is_entity_id(placeholder: str) -> bool:
    words = split_words(placeholder)
    return bool(words) and words[-1] in ("id", "key", "uuid", "ref", "number", "no")


@rule("EDA317", "topic-name-rejected-or-per-entity", severity="error", protocols=("kafka",))
def topic_name_rejected_or_per_entity(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A Kafka topic name is one Kafka rejects, or holds an entity id and so makes a topic per entity.

    Why: Kafka refuses topic names longer than 249 characters or with characters other than letters, digits,
    `.`, `_` and `-`, so the topic is never created. A name with an entity id in it
    (`…event.{streetlightId}.lighting.measured`) creates one topic per streetlight: thousands of topics, each with
    its own partitions and files, no consumer that sees the whole stream without a pattern subscription, and no
    way to keep order across an entity's topics.

    Anti-pattern: `name: fleet.{vehicle_id}.positions` on Kafka, or a 300-character generated topic name.

    Fix: Use one topic for the stream (`fleet.positions`) keyed by the entity id (`partition_key: vehicle_id`);
    shorten the name and keep to letters, digits, `.`, `_` and `-`. Placeholders for the environment or the
    version (`{env}`) are filled in per deployment and are fine.
    """
    for position, topic in enumerate(design.topics):
        placeholders = _PLACEHOLDER.findall(topic.name)
        entity = [p for p in placeholders if _is_entity_id(p)]
        filled = _PLACEHOLDER.sub("x", topic.name)
        pointer = f"/topics/{position}/name"
        if len(filled) > KAFKA_NAME_MAX:
            yield Violation(
                pointer,
                f"topic name is {len(filled)} characters long; Kafka refuses names over {KAFKA_NAME_MAX}",
                "shorten it to <domain>.<event>, e.g. orders.events",
            )
        elif not _KAFKA_CHARS.match(filled):
            bad = "".join(sorted({c for c in filled if not _KAFKA_CHARS.match(c)}))
            yield Violation(
                pointer,
                f"topic '{topic.name}' has characters Kafka refuses in a topic name ({bad!r})",
                "keep to letters, digits, '.', '_' and '-', e.g. orders.order-placed",
            )
        if entity:
            stream = ".".join(part for part in re.split(r"[.]", _PLACEHOLDER.sub("", topic.name)) if part)
            yield Violation(
                pointer,
                f"topic '{topic.name}' has the entity id {{{entity[0]}}} in its name: one topic per entity",
                f"use one topic ({stream or 'the stream'}) keyed by {entity[0]}",
                severity="warning",
            )


@rule("EDA318", "partition-key-loses-entity-order", severity="warning")
def partition_key_loses_entity_order(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is partitioned by a timestamp or a constant, which keeps no entity's events together.

    Why: The partition key decides which events stay in order: those with the same key. A timestamp key gives
    almost every event its own key, so the events of one order or one device land on different partitions and
    are processed out of order and in parallel; a constant key does the opposite and puts everything on one
    partition.

    Anti-pattern: `partition_key: created_at`, a Kafka message key whose schema is a date-time, or a constant key
    (`partition_key: "'all'"`, a key schema with one `const` value).

    Fix: Key by the id of the entity whose events must stay in order (`order_id`, `device_id`).
    """
    for position, event in enumerate(design.events):
        key = index.partition_key_of(position)
        if not key:
            continue
        if key[:1] in ("'", '"') and key[-1:] == key[:1] and len(key) > 1:
            yield Violation(
                f"/events/{position}/partition_key",
                f"event '{event.name}' is partitioned by the constant {key}: every event lands on one partition",
                f"partition by the id of the entity whose order matters, e.g. {event.aggregate or 'order'}_id"
                .lower(),
            )
            continue
        field = next((f for f in event.fields if f.name == key), None)
        by_type = field is not None and field.type.lower() in _TIME_TYPES
        words = split_words(key)
        by_name = bool(words) and words[-1] in _TIME_WORDS and not any(w in ("id", "key") for w in words)
        if by_type or by_name:
            yield Violation(
                f"/events/{position}/partition_key",
                f"event '{event.name}' is partitioned by '{key}', a timestamp: no entity's events stay in order",
                f"partition by the id of the entity whose order matters, e.g. {event.aggregate or 'order'}_id"
                .lower(),
            )


@rule("EDA319", "consumer-group-shared-by-purposes", severity="warning")
def consumer_group_shared_by_purposes(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Two consumers with different purposes share one consumer group.

    Why: The members of a group split the partitions of the topics they read between them: when two consumers
    with different purposes read the same topic in one group, each sees only part of the stream and misses the
    events the other member took. Resetting the group's offsets to replay for one purpose
    replays the other's side effects too (emails sent again, payments retried).

    Anti-pattern: `billing-projector` and `email-notifier` both with `group: orders-consumers`.

    Fix: Give every purpose its own group, named after it (`billing-projector`); instances of one consumer share
    its group.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for position, consumer in enumerate(design.consumers):
        if consumer.group:
            groups[consumer.group].append(position)
    for group, members in groups.items():
        first_position = members[0]
        first = design.consumers[first_position]
        for position in members[1:]:
            other = design.consumers[position]
            if (other.service, sorted(other.subscriptions)) == (first.service, sorted(first.subscriptions)):
                continue
            # Members that read different topics get different partitions anyway; sharing a topic splits it.
            shared = (set(first.subscriptions) & set(other.subscriptions)) or (
                index.consumer_topics[first_position] & index.consumer_topics[position]
            )
            if not shared:
                continue
            yield Violation(
                f"/consumers/{position}/group",
                f"consumers '{first.name}' and '{other.name}' share the consumer group '{group}' but do different "
                "work; they split the partitions between them",
                f"give '{other.name}' its own group, e.g. group: {other.name}",
            )


@rule("EDA320", "retention-below-requirement", severity="warning")
def retention_below_requirement(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic keeps its events for less time than the design's requirements ask, and nothing else keeps them.

    Why: The requirements state how long history must be kept (regulation, audit, replay of new read models).
    When the broker deletes events sooner and no event store, archive or data lake keeps them, that history is
    gone: a new read model cannot be built from it and an auditor cannot see it.

    Anti-pattern: `requirements: {retention_days: 365}` with `orders.events` kept 7 days and no event store.

    Fix: Keep the topic as long as required, archive it before deletion and name the archive in
    `replay_source`, or keep the history in an event store that retains it.
    """
    wanted = design.requirements.retention_days
    if wanted is None or store_keeps_history(design, wanted):
        return
    for position, topic in enumerate(design.topics):
        if (
            not topic.durable
            or topic.retention_days is None
            or topic.retention_days >= wanted
            or topic.replay_source
            or topic.purpose in ("audit", "dead_letter", "retry", "command")  # EDA312 judges audit topics
            or is_dead_letter_topic(topic)
            or is_retry_topic(topic)
            or not index.topic_events.get(topic.name)
        ):
            continue
        yield Violation(
            f"/topics/{position}/retention_days",
            f"topic '{topic.name}' keeps {topic.retention_days:g} days; the requirements keep history "
            f"{wanted:g} days and no event store or archive keeps it",
            f"set retention_days: {wanted:g}, or archive it and name the archive in replay_source",
        )


_ID_WORDS = frozenset({"id", "key", "uuid", "ref", "number", "no"})


def _entity_words(key: str) -> tuple[str, ...]:
    """The entity a key names: order_id -> (order,), stock_reservation_id -> (stock, reservation)."""
    words = list(split_words(key))
    while words and words[-1] in _ID_WORDS:
        words.pop()
    return tuple(words)


def _about(design: Design, index: DesignIndex, position: int, key: str, entity: tuple[str, ...]) -> bool:
    """Whether an event is a fact about the entity `key` identifies: its aggregate is keyed by it or is that
    entity, or its name starts with the entity (`OrderShipped` is about the order whoever produces it)."""
    event = design.events[position]
    aggregate = index.aggregates.get(event.aggregate) if event.aggregate else None
    if aggregate is not None and design.aggregates[aggregate].id_field == key:
        return True
    if event.aggregate and split_words(event.aggregate) == entity:
        return True
    own = split_words(event.aggregate) if event.aggregate else ()
    if len(own) > len(entity) and own[: len(entity)] == entity and split_words(event.name)[: len(own)] == own:
        return False  # `PickupCodeIssued` of the `PickupCode` aggregate is about the code, not the pickup
    return split_words(event.name)[: len(entity)] == entity


@dataclass(frozen=True)
class _Reliant:
    """A part that keeps state per entity and applies that entity's events as they arrive."""

    pointer: str
    what: str
    key: str
    names: list[str]
    # A saga's step outcomes answer its own commands, sent after the trigger was handled: whatever topic they
    # travel on, they come after it. Only a different key still splits one instance's events over partitions.
    topics_matter: bool


def _eda303_reports(design: Design, index: DesignIndex, position: int, key: str) -> bool:
    """EDA303 already reports an event of the entity's own aggregate, ordered per key, keyed by another field."""
    event = design.events[position]
    aggregate = index.aggregates.get(event.aggregate) if event.aggregate else None
    return event.ordering == "per_key" and aggregate is not None and design.aggregates[aggregate].id_field == key


def _order_reliant(design: Design, index: DesignIndex) -> Iterator[_Reliant]:
    """A projection with a key (unless it applies deltas, which commute), and a saga, whose instances are the
    entities its trigger is keyed by."""
    for position, projection in enumerate(design.projections):
        if projection.key and projection.applies != "deltas":
            yield _Reliant(f"/projections/{position}", f"projection '{projection.name}' keeps one row per "
                           f"{projection.key}", projection.key, list(projection.source_events), True)
    for position, saga in enumerate(design.sagas):
        trigger = index.events.get(saga.trigger_event or "")
        key = index.partition_key_of(trigger) if trigger is not None else None
        if not key or not saga.trigger_event:
            continue
        names = [saga.trigger_event]
        for step in saga.steps:
            names += [n for n in (step.success_event, step.failure_event, step.compensation_event) if n]
        yield _Reliant(f"/sagas/{position}", f"saga '{saga.name}' runs one instance per {key}", key, names, False)


@rule("EDA321", "partition-key-not-the-ordered-entity", severity="warning")
def partition_key_not_the_ordered_entity(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection or a saga keeps its state per entity, whose events travel under different keys or topics.

    Why: A read model with one row per order, or a saga with one instance per order, applies each order's events
    in the order they arrive. The broker keeps that order only for events with the same key on the same topic: an
    `OrderShipped` keyed by `shipment_id` (or by `customer_id`, or on the shipping topic) lands on another
    partition than the `OrderPaid` keyed by `order_id`, and can be applied first; in a saga, two events of one
    instance are handled on different partitions, in no fixed order and possibly at the same time. EDA303 reports
    an event keyed by something else than its own aggregate's id; this rule looks from the consumer's side, at
    the entity it keeps state for, whoever produces the events. A saga's step outcomes on other topics are fine:
    they answer the saga's own commands, so they always come after what started it.

    Anti-pattern: a projection `order_status` with `key: order_id` reading `OrderPaid` (orders.events, keyed by
    `order_id`) and `OrderShipped` (shipping.events, keyed by `shipment_id`), and setting the status from
    whichever comes last.

    Fix: Key every event about the entity by its id and put the events whose order matters on one topic
    (`OrderShipped` on `orders.events`, keyed by `order_id`); or make the consumer order-insensitive: keep a
    version per entity and ignore updates older than the one applied (declare `applies: deltas` only when the
    updates really commute).
    """
    for reliant in _order_reliant(design, index):
        key = reliant.key
        entity = _entity_words(key)
        if not entity:
            continue
        about: list[tuple[int, str, str | None]] = []
        for name in dict.fromkeys(reliant.names):
            position = index.events.get(name)
            if position is not None and _about(design, index, position, key, entity):
                topic = index.event_topic[position] if reliant.topics_matter else None
                about.append((position, index.partition_key_of(position) or "", topic))
        if len({(k, t) for _, k, t in about}) < 2:
            continue
        # The reference is where the entity's own events travel: keyed by it, on the topic most of them share.
        keyed = [(k, t) for _, k, t in about if k in (key, "aggregate_id")] or [(k, t) for _, k, t in about]
        reference = max(keyed, key=keyed.count)
        first = next(design.events[p].name for p, k, t in about if (k, t) == reference)
        home = next(index.event_topic[p] for p, k, t in about if (k, t) == reference)
        words = " ".join(entity)
        for position, event_key, topic in about:
            if (event_key, topic) == reference or not event_key:
                continue  # an event without a key is EDA302's
            event = design.events[position]
            if event_key != reference[0] and _eda303_reports(design, index, position, key):
                continue
            if event_key != reference[0]:
                problem = f"'{event.name}' is keyed by '{event_key}' while '{first}' is keyed by '{reference[0]}'"
            else:
                problem = f"'{event.name}' is on topic '{topic}' while '{first}' is on '{reference[1]}'"
            outcome = (f"one {words}'s events can be applied in either order" if reliant.topics_matter else
                       f"one {words}'s events are handled on different partitions, in no fixed order")
            fix = (f"publish '{event.name}' on {home} keyed by {key}, or keep a version per {key} and ignore "
                   "older updates" if reliant.topics_matter else f"key '{event.name}' by {key}, as '{first}' is")
            yield Violation(reliant.pointer, f"{reliant.what}, but {problem}: {outcome}", fix)
