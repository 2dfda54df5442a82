"""EDA317–EDA320: what the broker does with a topic's name, key, consumer groups and retention."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

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
