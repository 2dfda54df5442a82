"""One precomputed view of a design that every rule shares.

Rules look things up by name (which event, which topic, who consumes what); building these maps once keeps a review
linear in the size of the design instead of quadratic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from archassist.agent.model.design import Consumer, Design, Event, Topic

DEAD_LETTER_SUFFIXES: tuple[str, ...] = (
    ".dlq",
    "-dlq",
    "_dlq",
    ".dead-letter",
    ".deadletter",
    ".dead_letter",
)
RETRY_SUFFIXES: tuple[str, ...] = (".retry", "-retry", "_retry")
BLANKET_ALERT_TARGETS = frozenset({"", "*", "all"})

# Protocol families a rule can be limited to (see `rule(..., protocols=...)`). Streams are HTTP and WebSocket
# connections: no topics, no consumer groups, no dead letters, no retained log whose schemas evolve.
PROTOCOL_FAMILIES = ("kafka", "amqp", "mqtt", "nats", "stream", "unspecified", "other")
BROKERS: frozenset[str] = frozenset(PROTOCOL_FAMILIES) - {"stream"}
# Brokers whose topic names carry a business naming convention (an AMQP queue is infrastructure by design).
TOPIC_BROKERS: frozenset[str] = BROKERS - {"amqp"}
LOG_BROKERS: frozenset[str] = frozenset({"kafka", "nats", "unspecified", "other"})
_FAMILY_OF = {
    "kafka": "kafka", "kafka-secure": "kafka", "redpanda": "kafka", "confluent": "kafka", "msk": "kafka",
    "amqp": "amqp", "amqps": "amqp", "rabbitmq": "amqp", "amqp1": "amqp",
    "mqtt": "mqtt", "mqtts": "mqtt", "secure-mqtt": "mqtt", "mqtt5": "mqtt",
    "nats": "nats", "jetstream": "nats",
    "http": "stream", "https": "stream", "ws": "stream", "wss": "stream", "websocket": "stream",
    "websockets": "stream", "sse": "stream",
    "unspecified": "unspecified", "": "unspecified",
}


def protocol_family(broker: str) -> str:
    """The family a design's broker or protocol belongs to: kafka, amqp, mqtt, nats, stream, unspecified, other."""
    return _FAMILY_OF.get(broker.strip().lower(), "other")


def is_dead_letter_topic(topic: Topic) -> bool:
    return topic.purpose == "dead_letter" or topic.name.lower().endswith(DEAD_LETTER_SUFFIXES)


def is_retry_topic(topic: Topic) -> bool:
    return topic.purpose == "retry" or topic.name.lower().endswith(RETRY_SUFFIXES)


def _first_positions(names: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        positions.setdefault(name, position)
    return positions


@dataclass
class DesignIndex:
    """Maps from names to positions, and the relations the rules ask about most."""

    design: Design
    events: dict[str, int] = field(default_factory=dict)
    commands: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    aggregates: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, int] = field(default_factory=dict)
    projections: dict[str, int] = field(default_factory=dict)
    metrics: set[str] = field(default_factory=set)
    consumer_groups: set[str] = field(default_factory=set)
    # event or command name -> positions of the consumers subscribed to it
    subscribers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # event name -> services that produce it (event.producer and service.publishes)
    producers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # topic name -> positions of the topics' events (by event.topic or topic.events)
    topic_events: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # event position -> the topic it travels on
    event_topic: list[str | None] = field(default_factory=list)
    # consumer position -> topics it reads
    consumer_topics: list[set[str]] = field(default_factory=list)
    # every name consumed by a consumer, a projection or a saga
    consumed: set[str] = field(default_factory=set)
    # names that a saga coordinates: trigger, step commands and events, terminal events
    saga_names: set[str] = field(default_factory=set)
    saga_terminal_events: set[str] = field(default_factory=set)
    # topics named as dead-letter destinations by consumers
    dead_letter_destinations: set[str] = field(default_factory=set)
    # command name -> the topic it travels on
    command_topic: dict[str, str] = field(default_factory=dict)
    _alert_targets: dict[tuple[str, ...], tuple[bool, set[str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, design: Design) -> DesignIndex:
        index = cls(design=design)
        index.events = _first_positions([e.name for e in design.events])
        index.commands = _first_positions([c.name for c in design.commands])
        index.services = _first_positions([s.name for s in design.services])
        index.topics = _first_positions([t.name for t in design.topics])
        index.aggregates = _first_positions([a.name for a in design.aggregates])
        index.consumers = _first_positions([c.name for c in design.consumers])
        index.projections = _first_positions([p.name for p in design.projections])
        index.metrics = {m.name for m in design.observability.metrics}
        index.consumer_groups = {c.group for c in design.consumers if c.group}
        index._index_producers()
        index._index_topics()
        index._index_consumers()
        index._index_sagas()
        for projection in design.projections:
            index.consumed.update(projection.source_events)
        return index

    def _index_producers(self) -> None:
        for event in self.design.events:
            if event.producer:
                self.producers[event.name].add(event.producer)
        for service in self.design.services:
            for name in service.publishes:
                if name in self.events:
                    self.producers[name].add(service.name)

    def _index_topics(self) -> None:
        listed_on: dict[str, str] = {}
        for topic in self.design.topics:
            for name in topic.events:
                listed_on.setdefault(name, topic.name)
        for position, event in enumerate(self.design.events):
            topic_name = event.topic or listed_on.get(event.name)
            self.event_topic.append(topic_name)
            if topic_name:
                self.topic_events[topic_name].append(position)
        for topic in self.design.topics:
            for name in topic.commands:
                self.command_topic.setdefault(name, topic.name)
        for command in self.design.commands:
            if command.topic:
                self.command_topic[command.name] = command.topic

    def _index_consumers(self) -> None:
        for position, consumer in enumerate(self.design.consumers):
            topics: set[str] = set()
            for name in consumer.subscriptions:
                self.subscribers[name].append(position)
                self.consumed.add(name)
                topic = self.topic_of(name)
                if topic:
                    topics.add(topic)
            self.consumer_topics.append(topics)
            if consumer.dead_letter:
                self.dead_letter_destinations.add(consumer.dead_letter.topic)

    def _index_sagas(self) -> None:
        for saga in self.design.sagas:
            names = [saga.trigger_event, saga.completion_event, saga.failure_event]
            for step in saga.steps:
                names += [
                    step.command,
                    step.success_event,
                    step.failure_event,
                    step.compensation_command,
                    step.compensation_event,
                ]
                # the saga's coordinator waits for the outcome of each step
                self.consumed.update(
                    n for n in (step.success_event, step.failure_event, step.compensation_event) if n
                )
            if saga.trigger_event:
                self.consumed.add(saga.trigger_event)
            self.saga_names.update(n for n in names if n)
            self.saga_terminal_events.update(n for n in (saga.completion_event, saga.failure_event) if n)

    # ---- lookups -------------------------------------------------------------------------------------------

    def event(self, name: str) -> Event | None:
        position = self.events.get(name)
        return None if position is None else self.design.events[position]

    def topic(self, name: str | None) -> Topic | None:
        position = self.topics.get(name) if name else None
        return None if position is None else self.design.topics[position]

    def topic_of(self, name: str) -> str | None:
        """The topic an event or a command travels on."""
        position = self.events.get(name)
        if position is not None:
            return self.event_topic[position]
        return self.command_topic.get(name)

    def partition_key_of(self, position: int) -> str | None:
        """The key an event is partitioned by: its own, else its topic's."""
        event = self.design.events[position]
        if event.partition_key:
            return event.partition_key
        topic = self.topic(self.event_topic[position])
        return topic.partition_key if topic else None

    def consumers_of(self, name: str) -> list[Consumer]:
        return [self.design.consumers[p] for p in self.subscribers.get(name, ())]

    def alert_covers(self, metric_words: tuple[str, ...], targets: set[str]) -> bool:
        """Whether an alert watches a metric named with one of the words, on one of the targets or on all."""
        cached = self._alert_targets.get(metric_words)
        if cached is None:
            blanket = False
            watched: set[str] = set()
            for alert in self.design.observability.alerts:
                metric = alert.metric.lower()
                if not any(word in metric for word in metric_words):
                    continue
                target = (alert.target or "").strip().lower()
                if target in BLANKET_ALERT_TARGETS:
                    blanket = True
                watched.add(target)
            cached = self._alert_targets[metric_words] = (blanket, watched)
        blanket, watched = cached
        return blanket or any(t.lower() in watched for t in targets)
