"""Who sends and who receives which message on which topic: the part of a Design AsyncAPI operations describe.

AsyncAPI 3.0 ties an operation to exactly one channel, while a Design's consumer may read several topics and a
service may publish to several. This module cuts the Design into those single-channel pieces once, so the
per-service documents and the system document are views of the same flows and cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archassist.agent.model.design import Command, Consumer, Design, Event, Topic

_KEY_CHARS = re.compile(r"[^\w.\-]")


def component_key(name: str) -> str:
    """A key AsyncAPI accepts for components (``^[\\w\\d.\\-_]+$``) and that reads as the name it stands for."""
    return _KEY_CHARS.sub("_", name.strip()) or "unnamed"


class _Keys:
    """Unique component keys, the same name always getting the same key."""

    def __init__(self) -> None:
        self.by_name: dict[str, str] = {}
        self.taken: set[str] = set()

    def key(self, name: str) -> str:
        if name in self.by_name:
            return self.by_name[name]
        base = component_key(name)
        key, n = base, 2
        while key in self.taken:
            key, n = f"{base}_{n}", n + 1
        self.taken.add(key)
        self.by_name[name] = key
        return key


@dataclass
class Message:
    """One message of the design: an event, or a command that travels on a topic."""

    name: str
    key: str
    topic: str
    event: Event | None = None
    command: Command | None = None

    @property
    def producer(self) -> str | None:
        if self.event is not None:
            return self.event.producer
        return self.command.issued_by if self.command is not None else None

    @property
    def role(self) -> str:
        return self.event.role if self.event is not None else "command"

    @property
    def is_request(self) -> bool:
        return self.event is not None and (self.event.role == "request" or self.event.expects_reply)


@dataclass
class Channel:
    """One topic as an AsyncAPI channel, with the messages that travel on it."""

    key: str
    address: str
    topic: Topic | None
    messages: list[str] = field(default_factory=list)


@dataclass
class Reply:
    channel: str  # topic name
    messages: list[str]


@dataclass
class Operation:
    """A send or receive of one service on one channel."""

    key: str
    action: str  # "send" or "receive"
    service: str
    channel: str  # topic name
    messages: list[str]
    consumer: Consumer | None = None
    reply: Reply | None = None


@dataclass
class Flows:
    design: Design
    messages: dict[str, Message]
    channels: dict[str, Channel]  # topic name -> channel
    operations: list[Operation]
    services: list[str]  # every service that sends or receives, in design order first

    def operations_of(self, service: str) -> list[Operation]:
        return [op for op in self.operations if op.service == service]

    def side_topics_of(self, service: str) -> list[str]:
        """Dead-letter and retry topics a service's consumers write to (they carry no message of their own)."""
        names: list[str] = []
        for consumer in self.design.consumers:
            if consumer.service != service:
                continue
            wanted = [t.topic for t in consumer.retry_topics]
            if consumer.dead_letter is not None:
                wanted.append(consumer.dead_letter.topic)
            names += [n for n in wanted if n in self.channels and n not in names]
        return names


def _senders(design: Design, message: Message) -> list[str]:
    """The design's services that send a message; a producer outside the design sends it from elsewhere."""
    known = {s.name for s in design.services}
    if message.event is not None:
        found = [s.name for s in design.services if message.name in s.publishes]
        producer = message.event.producer
        if producer in known and producer not in found:
            found.insert(0, producer)
        return found
    issuer = message.command.issued_by if message.command is not None else ""
    return [issuer] if issuer in known else []


def _replies_to(messages: dict[str, Message], requests: list[str], consumer: Consumer) -> Reply | None:
    """The replies a consumer sends to the requests it handles, when they travel on one topic."""
    if not any(messages[r].is_request for r in requests if r in messages):
        return None
    replies = [n for n in consumer.emits if n in messages and messages[n].role == "reply"]
    if not replies:
        return None
    channel = messages[replies[0]].topic
    return Reply(channel, [n for n in replies if messages[n].topic == channel])


def build_flows(design: Design) -> Flows:
    """The channels, messages and operations of a design."""
    channel_keys, message_keys, operation_keys = _Keys(), _Keys(), _Keys()
    channels: dict[str, Channel] = {}

    def channel(name: str) -> Channel:
        if name not in channels:
            channels[name] = Channel(channel_keys.key(name), name, design.topic(name))
        return channels[name]

    for declared in design.topics:
        channel(declared.name)
    messages: dict[str, Message] = {}
    for event in design.events:
        topic = event.topic or next((t.name for t in design.topics if event.name in t.events), None)
        if topic is None or event.name in messages:
            continue  # an event on no topic has no channel to travel on
        messages[event.name] = Message(event.name, message_keys.key(event.name), topic, event=event)
    for command in design.commands:
        topic = command.topic or next((t.name for t in design.topics if command.name in t.commands), None)
        if topic is None or command.name in messages:
            continue  # a command sent synchronously (an API call) is not a message
        messages[command.name] = Message(command.name, message_keys.key(command.name), topic, command=command)
    for message in messages.values():
        on = channel(message.topic)
        if message.name not in on.messages:
            on.messages.append(message.name)

    operations: list[Operation] = []
    sends: dict[tuple[str, str], list[str]] = {}
    for message in messages.values():
        for service in _senders(design, message):
            sends.setdefault((service, message.topic), []).append(message.name)
    for (service, topic), sent in sends.items():
        reply = None
        for consumer in design.consumers:
            found = _replies_to(messages, [s for s in sent if s in consumer.subscriptions], consumer)
            if found is not None:
                reply = found
                break
        key = operation_keys.key(f"{service}.send.{channels[topic].key}")
        operations.append(Operation(key, "send", service, topic, sent, reply=reply))
    for consumer in design.consumers:
        by_topic: dict[str, list[str]] = {}
        for name in consumer.subscriptions:
            if name in messages:
                by_topic.setdefault(messages[name].topic, []).append(name)
        for topic, received in by_topic.items():
            name = consumer.name if len(by_topic) == 1 else f"{consumer.name}.{channels[topic].key}"
            reply = _replies_to(messages, received, consumer)
            operations.append(
                Operation(operation_keys.key(name), "receive", consumer.service, topic, received, consumer, reply)
            )
    order = [s.name for s in design.services]
    services = [s for s in order if any(op.service == s for op in operations)]
    services += sorted({op.service for op in operations} - set(services))
    return Flows(design, messages, channels, operations, services)
