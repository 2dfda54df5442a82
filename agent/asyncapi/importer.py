"""AsyncAPI 2.0–2.6 and 3.0 documents → a Design, with notes on everything the document leaves unsaid.

Reading of the operations (the 2.x inversion): a document describes one application A. In 3.0, `send` means A
produces and `receive` means A consumes. In 2.x the verbs are seen from the other side: `subscribe` means others
subscribe to what A sends (A produces), and `publish` means others publish to A (A consumes).

The importer never invents a fact. What a document does not say stays unset (or at the model's default, where
the model has no "unknown") and gets a "not declared" note, so a review of the imported Design is honest about
what the document itself guarantees.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from archassist.agent.asyncapi.codes import CODES
from archassist.agent.asyncapi.kinds import Role, message_role
from archassist.agent.asyncapi.refs import MAIN, Node, Resolver
from archassist.agent.asyncapi.schema_fields import FieldDraft, SchemaReader, avro_fields
from archassist.agent.model.design import (
    STANDARD_ENVELOPE,
    UNSPECIFIED_BROKER,
    Compatibility,
    Consumer,
    DeadLetter,
    Design,
    Envelope,
    Event,
    Idempotency,
    PayloadField,
    RetryPolicy,
    Service,
    Style,
    Topic,
)
from archassist.agent.model.findings import Finding, Place
from archassist.agent.model.io import Position, SourceMap
from archassist.agent.model.naming import slug, words_of
from archassist.agent.rules.index import protocol_family
from pydantic import ValidationError

# Words in a document's title that name its protocol when neither servers nor bindings do.
_TITLE_PROTOCOLS: tuple[tuple[str, str], ...] = (
    ("websocket", "ws"), ("mqtt", "mqtt"), ("kafka", "kafka"), ("amqp", "amqp"), ("rabbitmq", "amqp"),
    ("nats", "nats"),
)
_PROTOCOL_WORDS = {"ws": "WebSocket", "mqtt": "MQTT", "kafka": "Kafka", "amqp": "AMQP", "nats": "NATS"}
_PROTOCOLS: dict[str, str] = {
    "kafka": "kafka",
    "kafka-secure": "kafka",
    "mqtt": "mqtt",
    "mqtts": "mqtt",
    "secure-mqtt": "mqtt",
    "mqtt5": "mqtt",
    "amqp": "amqp",
    "amqps": "amqp",
    "amqp1": "amqp1",
    "ws": "ws",
    "wss": "ws",
    "http": "http",
    "https": "http",
    "nats": "nats",
    "jms": "jms",
    "sns": "sns",
    "sqs": "sqs",
    "stomp": "stomp",
    "stomps": "stomp",
    "redis": "redis",
    "pulsar": "pulsar",
    "solace": "solace",
    "googlepubsub": "googlepubsub",
    "ibmmq": "ibmmq",
    "anypointmq": "anypointmq",
    "mercure": "mercure",
}

# Header names (lower case, without separators, CloudEvents "ce" and "x" prefixes removed) → envelope fields.
_ENVELOPE_NAMES: dict[str, str] = {
    "eventid": "event_id",
    "id": "event_id",
    "messageid": "event_id",
    "msgid": "event_id",
    "eventtype": "event_type",
    "type": "event_type",
    "messagetype": "event_type",
    "aggregateid": "aggregate_id",
    "subject": "aggregate_id",
    "entityid": "aggregate_id",
    "timestamp": "timestamp",
    "time": "timestamp",
    "eventtime": "timestamp",
    "sentat": "timestamp",
    "occurredat": "timestamp",
    "version": "version",
    "eventversion": "version",
    "schemaversion": "version",
    "correlationid": "correlation_id",
    "causationid": "causation_id",
}
_REPLY_HEADERS = {"replyto", "replytopic", "responsetopic", "replychannel", "replyaddress", "returnaddress"}
_ROLES = ("event", "command", "request", "reply")
# CloudEvents' own attributes: the transport's, not fields of the design's envelope.
_CLOUDEVENTS_ATTRIBUTES = {"specversion", "source", "datacontenttype", "dataschema"}
_COMPATIBILITY = {
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE",
}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first_paragraph(value: Any, limit: int = 400) -> str:
    text = _text(value).split("\n\n", 1)[0].replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 1:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 1:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
        return int(value)
    return None


def _header_key(name: str) -> tuple[str, bool]:
    lowered = name.lower()
    cloudevents = lowered.startswith(("ce_", "ce-"))
    if cloudevents:
        lowered = lowered[3:]
    elif lowered.startswith(("x-", "x_")):
        lowered = lowered[2:]
    return re.sub(r"[^a-z0-9]", "", lowered), cloudevents


@dataclass
class _EventDraft:
    node: Node
    name: str
    description: str = ""
    fields: list[FieldDraft] = field(default_factory=list)
    fields_known: bool = False
    envelope: list[str] = field(default_factory=list)
    envelope_anchor: str = ""
    cloudevents: bool = False
    version: int | None = None
    version_anchor: str = ""
    compatibility: Compatibility | None = None
    key: str | None = None
    key_declared: bool = False
    key_anchor: str = ""
    producer: str | None = None
    sent: bool = False
    received: bool = False
    topics: list[str] = field(default_factory=list)
    sent_topics: list[str] = field(default_factory=list)
    expects_reply: bool = False
    is_reply: bool = False  # listed as the reply of an operation
    payload_absent: bool = False  # the message has no payload at all (a signal)
    payload_reported: bool = False  # the payload could not be read and another note says why
    schema_format: str = "json_schema"
    kafka: bool = False
    role: Role | None = None  # x-archassist-role: what the exporter says the message is
    owner: str | None = None  # x-archassist-owner: the team that owns the contract
    deprecated: bool = False


@dataclass
class _TopicDraft:
    name: str
    anchor: str
    events: list[str] = field(default_factory=list)
    kafka: bool = False
    partitions: int | None = None
    replicas: int | None = None
    min_insync: int | None = None
    retention_days: float | None = None
    retention_declared: bool = False
    cleanup: Literal["delete", "compact", "compact,delete"] | None = None
    compression: str | None = None
    key: str | None = None
    channel_key: str | None = None  # x-partition-key on the channel
    anchors: dict[str, str] = field(default_factory=dict)


@dataclass
class _ConsumerDraft:
    name: str
    anchor: str
    subscriptions: list[str] = field(default_factory=list)
    emits: list[str] = field(default_factory=list)
    action: str = ""
    group: str | None = None
    idempotency: Idempotency | None = None
    retry: RetryPolicy | None = None
    dead_letter: DeadLetter | None = None
    delivery: Literal["at_least_once", "at_most_once"] = "at_least_once"
    kafka: bool = False
    anchors: dict[str, str] = field(default_factory=dict)
    service: str | None = None  # x-archassist-service of its operation; None: the document's application
    synthetic_reply: bool = False  # stands for the replies a send operation expects


@dataclass
class _Note:
    code: str
    subject: str  # what the note is about, e.g. "channel orders.events"
    pointer: str  # design pointer
    message: str = ""  # overrides the standard "not declared: …" wording
    doc_pointer: str | None = None  # set for notes about the document itself (AAPI9xx): they point into it


@dataclass
class MappingResult:
    design: Design
    notes: list[_Note]
    anchors: dict[str, str]  # design pointer → main-document pointer
    unsaid_items: dict[str, set[str]]  # not-declared kind → design parts it concerns
    # design pointer → (the name the importer gave a part the document does not name, how the document refers to it)
    made_up_names: dict[str, tuple[str, str]] = field(default_factory=dict)


def _item_of(pointer: str) -> str:
    """The design part a pointer is about: /events/3, /events/3/fields/1, /topics/0, /envelope, …"""
    parts = pointer.split("/")[1:]
    if len(parts) >= 4 and parts[2] == "fields":
        return "/" + "/".join(parts[:4])
    if len(parts) >= 2 and parts[1].isdigit():
        return "/" + "/".join(parts[:2])
    return "/" + parts[0] if parts else ""


class Mapper:
    """One import: walks the document through the resolver and assembles the Design."""

    def __init__(self, data: dict[str, Any], resolver: Resolver, major: int, version: str, label: str) -> None:
        self.data = data
        self.resolver = resolver
        self.major = major
        self.version = version
        self.label = label
        self.schemas = SchemaReader(resolver)
        self.root = resolver.root_node()
        self.events: dict[tuple[str, str], _EventDraft] = {}
        self.event_names: set[str] = set()
        self.topics: dict[str, _TopicDraft] = {}
        self.channel_topics: dict[tuple[str, str], str] = {}
        self.channel_messages: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.consumers: list[_ConsumerDraft] = []
        # Design names the importer had to make up → how the document itself refers to the part.
        self.unnamed_events: dict[str, str] = {}
        self.unnamed_consumers: dict[str, str] = {}
        self.extra_services: dict[str, list[str]] = {}
        # Services named by `x-archassist-service` on operations (a document of a whole system), in order of
        # appearance, with what each sends and where its first operation is.
        self.named_services: dict[str, str] = {}
        self.sent_by: dict[str, list[str]] = {}
        self.anonymous_operations = False
        self.notes: list[_Note] = []
        self.unsaid_items: dict[str, set[str]] = {}
        self.anchors: dict[str, str] = {}
        self.broker = UNSPECIFIED_BROKER
        self.broker_from_title = ""
        self.service_name = "application"

    # --- small helpers ---

    def message_words(self, name: str) -> str:
        """How findings refer to a message: by the document's name for it, else as the document places it."""
        return self.unnamed_events.get(name) or f"message {name}"

    def operation_words(self, name: str) -> str:
        return self.unnamed_consumers.get(name) or f"operation {name}"

    def _deref(self, node: Node | None) -> Node | None:
        return self.resolver.deref(node)

    def _map(self, node: Node | None, key: str) -> list[tuple[str, Node]]:
        """The entries of a mapping child, each dereferenced; entries that cannot be resolved are skipped."""
        if node is None:
            return []
        holder = self._deref(node.child(key))
        if holder is None or not isinstance(holder.value, dict):
            return []
        out = []
        for name in holder.value:
            if not isinstance(name, str):
                continue
            resolved = self._deref(holder.child(name))
            if resolved is not None:
                out.append((name, resolved))
        return out

    def _list(self, node: Node | None, key: str) -> list[Node]:
        """The mapping entries of a list child (traits), each dereferenced; anything else is skipped."""
        if node is None:
            return []
        holder = self._deref(node.child(key))
        if holder is None or not isinstance(holder.value, list):
            return []
        out = []
        for i in range(len(holder.value)):
            resolved = self._deref(holder.child(i))
            if resolved is not None and isinstance(resolved.value, dict):
                out.append(resolved)
        return out

    def _binding(self, node: Node | None, protocol: str, traits: list[Node] | None = None) -> Node | None:
        for source in [node, *(traits or [])]:
            if source is None:
                continue
            bindings = self._deref(source.child("bindings"))
            if bindings is None:
                continue
            found = self._deref(bindings.child(protocol))
            if found is not None and isinstance(found.value, dict):
                return found
        return None

    def _unusable(self, what: str, anchor: str, value: Any, expected: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        self.notes.append(
            _Note("AAPI906", what, "", f"{what} = {shown} cannot be used (expected {expected}); it was ignored", anchor)
        )

    def _note(
        self, code: str, subject: str, pointer: str, message: str = "", quiet: bool = False,
        covers: list[str] | None = None,
    ) -> None:
        """Record a note about a Design part (something the document leaves unsaid, or maps differently) and
        remember the part, so that rule findings which only restate the note are reconciled away. `quiet`
        remembers it without a finding (the fact does not apply to the protocol, or another note already says it)."""
        spec = CODES[code]
        # `covers`: the exact design fields the note is about, when other fields of the same part are declared
        # (a declared replicas: 1 must still meet the replication rule).
        self.unsaid_items.setdefault(spec.name, set()).update(covers if covers is not None else [_item_of(pointer)])
        if spec.protocols is not None and protocol_family(self.broker) not in spec.protocols:
            quiet = True
        if not quiet:
            self.notes.append(_Note(code, subject, pointer, message))

    # --- the walk ---

    def run(self) -> MappingResult:
        info = self._deref(self.root.child("info"))
        title = _text(info.get("title")) if info is not None else ""
        self.service_name = slug(title) if title else "application"
        self.broker = self._find_broker()
        if self.major >= 3:
            self._channels_v3()
            self._operations_v3()
        else:
            self._channels_v2()
        return self._assemble(info, title)

    def _find_broker(self) -> str:
        protocols: list[str] = []
        servers = self._deref(self.root.child("servers"))
        if servers is not None and isinstance(servers.value, dict):
            entries = [self._deref(servers.child(k)) for k in servers.value if isinstance(k, str)]
        elif servers is not None and isinstance(servers.value, list):
            entries = [self._deref(servers.child(i)) for i in range(len(servers.value))]
        else:
            entries = []
        for server in entries:
            if server is not None and isinstance(server.get("protocol"), str):
                protocol = server.get("protocol").strip().lower()
                protocols.append(_PROTOCOLS.get(protocol, protocol))
        if protocols:
            self.anchors["/style/broker"] = "/servers"
            return Counter(protocols).most_common(1)[0][0]
        used = Counter(self._binding_protocols())
        if used:
            self.anchors["/style/broker"] = "/channels"
            return used.most_common(1)[0][0]
        info = self._deref(self.root.child("info"))
        title = _text(info.get("title")).lower() if info is not None else ""
        for word, protocol in _TITLE_PROTOCOLS:
            if word in title:
                # Only the title names it: the note on the missing servers stays, and says what was assumed.
                self.broker_from_title = protocol
                return protocol
        return UNSPECIFIED_BROKER

    def _binding_protocols(self) -> list[str]:
        """Protocols named by bindings anywhere in the main document (when no server names one)."""
        found: list[str] = []

        def visit(value: Any, depth: int) -> None:
            if depth > 12:
                return
            if isinstance(value, dict):
                for key, child in value.items():
                    if key == "bindings" and isinstance(child, dict):
                        found.extend(
                            _PROTOCOLS.get(k.lower(), k.lower())
                            for k in child
                            if isinstance(k, str) and k != "bindingVersion" and not k.startswith("x-")
                        )
                    elif key not in ("payload", "headers", "schemas", "examples"):
                        visit(child, depth + 1)
            elif isinstance(value, list):
                for child in value:
                    visit(child, depth + 1)

        for key in ("channels", "operations", "components"):
            visit(self.data.get(key), 0)
        return found

    # --- channels and topics ---

    def _topic_for_channel(self, key: str, channel: Node, address: str | None) -> _TopicDraft:
        kafka = self._binding(channel, "kafka")
        name = address or key
        if kafka is not None and isinstance(kafka.get("topic"), str) and kafka.get("topic").strip():
            name = kafka.get("topic").strip()
        topic = self.topics.get(name)
        if topic is None:
            topic = _TopicDraft(name=name, anchor=channel.anchor)
            self.topics[name] = topic
        self.channel_topics[channel.identity] = name
        if kafka is not None or self.broker == "kafka":
            topic.kafka = True
        declared = channel.get("x-partition-key")
        if isinstance(declared, str) and declared.strip():
            topic.channel_key = declared.strip()
            child = channel.child("x-partition-key")
            topic.anchors["partition_key"] = child.anchor if child else channel.anchor
        if kafka is not None:
            self._kafka_topic(topic, kafka)
        # Kafka tooling writes the topic configuration as an extension of the channel too.
        extra = self._deref(channel.child("x-configs"))
        if extra is not None and isinstance(extra.value, dict):
            topic.kafka = True
            self._topic_config(topic, extra)
        return topic

    def _kafka_topic(self, topic: _TopicDraft, kafka: Node) -> None:
        for key, attr in (("partitions", "partitions"), ("replicas", "replicas")):
            if key in kafka.value:
                value = _positive_int(kafka.value[key])
                child = kafka.child(key)
                anchor = child.anchor if child else kafka.anchor
                if value is None:
                    self._unusable(f"bindings.kafka.{key} of channel {topic.name}", anchor, kafka.value[key],
                                   "a whole number of at least 1")
                else:
                    setattr(topic, attr, value)
                    topic.anchors["partitions" if key == "partitions" else "replication_factor"] = anchor
        for key in ("topicConfiguration", "x-configs"):
            config = self._deref(kafka.child(key))
            if config is not None and isinstance(config.value, dict):
                self._topic_config(topic, config)

    def _topic_config(self, topic: _TopicDraft, config: Node) -> None:
        """Kafka topic settings (`topicConfiguration`, or the `x-configs` extension Kafka tooling writes)."""
        for key, attr in (("partitions", "partitions"), ("num.partitions", "partitions"),
                          ("replicas", "replicas"), ("replication.factor", "replicas")):
            value = _positive_int(config.value.get(key)) if key in config.value else None
            if value is not None and getattr(topic, attr) is None:
                child = config.child(key)
                setattr(topic, attr, value)
                topic.anchors["partitions" if attr == "partitions" else "replication_factor"] = (
                    child.anchor if child else config.anchor
                )
        if "retention.ms" in config.value:
            raw = config.value["retention.ms"]
            child = config.child("retention.ms")
            anchor = child.anchor if child else config.anchor
            if isinstance(raw, int) and not isinstance(raw, bool) and raw == -1:
                topic.retention_days, topic.retention_declared = None, True
                topic.anchors["retention_days"] = anchor
            elif isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
                topic.retention_days, topic.retention_declared = raw / 86_400_000, True
                topic.anchors["retention_days"] = anchor
            else:
                self._unusable(f"retention.ms of channel {topic.name}", anchor, raw, "milliseconds > 0, or -1")
        if "cleanup.policy" in config.value:
            raw = config.value["cleanup.policy"]
            child = config.child("cleanup.policy")
            anchor = child.anchor if child else config.anchor
            values = raw if isinstance(raw, list) else [raw]
            words = {str(v).strip().lower() for v in values if isinstance(v, str)}
            for part in list(words):
                words.update(p.strip() for p in part.split(","))
            words &= {"delete", "compact"}
            if words:
                topic.cleanup = "compact,delete" if words == {"delete", "compact"} else cast(Any, words.pop())
                topic.anchors["cleanup_policy"] = anchor
            else:
                self._unusable(f"cleanup.policy of channel {topic.name}", anchor, raw, "delete and/or compact")
        raw_compression = config.value.get("compression.type")
        if isinstance(raw_compression, str) and raw_compression.strip():
            topic.compression = raw_compression.strip().lower()
            child = config.child("compression.type")
            topic.anchors["compression"] = child.anchor if child else config.anchor
        if "min.insync.replicas" in config.value:
            child = config.child("min.insync.replicas")
            value = _positive_int(config.value["min.insync.replicas"])
            if value is not None:
                topic.min_insync = value
                topic.anchors["min_insync_replicas"] = child.anchor if child else config.anchor

    def _channels_v3(self) -> None:
        for key, channel in self._map(self.root, "channels"):
            if not isinstance(channel.value, dict):
                continue
            address = channel.get("address")
            topic = self._topic_for_channel(key, channel, address.strip() if isinstance(address, str) else None)
            identities: list[tuple[str, str]] = []
            for msg_key, message in self._map(channel, "messages"):
                draft = self._event(message, fallback=msg_key)
                if draft is None:
                    continue
                identities.append(draft.node.identity)
                self._attach(draft, topic)
            self.channel_messages[channel.identity] = identities

    def _operations_v3(self) -> None:
        for key, op in self._map(self.root, "operations"):
            if not isinstance(op.value, dict):
                continue
            action = op.get("action")
            channel = self._deref(op.child("channel"))
            if channel is None or channel.identity not in self.channel_topics:
                continue
            topic = self.topics[self.channel_topics[channel.identity]]
            traits = self._list(op, "traits")
            messages = self._op_messages(op, channel, key, "the message of operation")
            reply = self._deref(op.child("reply"))
            reply_events: list[_EventDraft] = []
            reply_topic: _TopicDraft | None = None
            if reply is not None and isinstance(reply.value, dict):
                reply_channel = self._deref(reply.child("channel"))
                if reply_channel is not None and reply_channel.identity in self.channel_topics:
                    reply_topic = self.topics[self.channel_topics[reply_channel.identity]]
                reply_events = self._op_messages(reply, reply_channel, key, "the reply of operation")
                for draft in messages:
                    draft.expects_reply = True
                for draft in reply_events:
                    draft.is_reply = True
            service = self._operation_service(op) if action in ("send", "receive") else None
            if action == "send":
                for draft in messages:
                    self._produce(draft, topic, service)
                if reply is not None:
                    # The sending operation receives the replies: it is the consumer, under its own id. Replies
                    # to an address only known at run time (a reply-to header) travel on no channel of the document.
                    consumer = self._consumer(key, op, traits, reply_events, reply_topic, service, synthetic=True)
                    consumer.action = f"handles the replies to {key}"
            elif action == "receive":
                consumer = self._consumer(key, op, traits, messages, topic, service)
                for draft in reply_events:
                    self._produce(draft, reply_topic, service)
                    consumer.emits.append(draft.name)

    def _operation_service(self, op: Node) -> str | None:
        """The service an operation belongs to, when the document describes several (`x-archassist-service`)."""
        named = op.get("x-archassist-service")
        if isinstance(named, str) and named.strip():
            self.named_services.setdefault(named.strip(), op.anchor)
            return named.strip()
        if named is not None:
            child = op.child("x-archassist-service")
            self._unusable("x-archassist-service of an operation", child.anchor if child else op.anchor, named,
                           "a service name")
        self.anonymous_operations = True
        return None

    def _op_messages(self, op: Node, channel: Node | None, op_key: str, role: str) -> list[_EventDraft]:
        listed = op.child("messages")
        out: list[_EventDraft] = []
        if listed is not None and isinstance(listed.value, list):
            for i in range(len(listed.value)):
                message = self._deref(listed.child(i))
                if message is not None:
                    suffix = f" (message {i + 1})" if len(listed.value) > 1 else ""
                    draft = self._event(message, fallback=f"{op_key}Message", described=f"{role} {op_key}{suffix}")
                    if draft is not None:
                        out.append(draft)
            return out
        if channel is not None:
            for identity in self.channel_messages.get(channel.identity, []):
                if identity in self.events:
                    out.append(self.events[identity])
        return out

    def _channels_v2(self) -> None:
        for key, channel in self._map(self.root, "channels"):
            if not isinstance(channel.value, dict):
                continue
            topic = self._topic_for_channel(key, channel, None)
            # 2.x: `subscribe` = others subscribe to what this application sends; `publish` = others publish to it.
            for verb in ("subscribe", "publish"):
                op = self._deref(channel.child(verb))
                if op is None or not isinstance(op.value, dict):
                    continue
                op_id = _text(op.get("operationId"))
                # Without an operationId the document names the operation only by its channel and verb.
                where = f"operation {op_id}" if op_id else f"the {verb} operation of channel {key}"
                traits = self._list(op, "traits")
                drafts = self._v2_messages(op, op_id or f"{key}-{verb}", where)
                for draft in drafts:
                    self._attach(draft, topic)
                if verb == "subscribe":
                    for draft in drafts:
                        self._produce(draft, topic)
                else:
                    consumer = self._consumer(op_id or f"{slug(key)}-consumer", op, traits, drafts, topic)
                    if not op_id:
                        self.unnamed_consumers[consumer.name] = where

    def _v2_messages(self, op: Node, fallback: str, where: str) -> list[_EventDraft]:
        message = self._deref(op.child("message"))
        if message is None or not isinstance(message.value, dict):
            return []
        options = message.child("oneOf")
        candidates: list[Node] = []
        if options is not None and isinstance(options.value, list):
            for i in range(len(options.value)):
                resolved = self._deref(options.child(i))
                if resolved is not None:
                    candidates.append(resolved)
        else:
            candidates.append(message)
        out = []
        for i, candidate in enumerate(candidates):
            several = len(candidates) > 1
            draft = self._event(
                candidate,
                fallback=f"{fallback}Message{i + 1 if several else ''}",
                described=f"message {i + 1} of {where}" if several else f"the message of {where}",
            )
            if draft is not None:
                out.append(draft)
        return out

    # --- events ---

    def _message_name(self, message: Node) -> str | None:
        """The name the document gives a message (its name, messageId, component key or title), if any."""
        for key in ("name", "messageId"):
            value = _text(message.get(key))
            if value:
                return value
        tokens = message.pointer.split("/")
        if len(tokens) >= 2 and (tokens[-2] == "messages" or (message.file != MAIN and len(tokens) == 2)):
            key = tokens[-1].replace("~1", "/").replace("~0", "~")
            if key:
                return key
        title = _text(message.get("title"))
        if title:
            return "".join(w.capitalize() for w in words_of(title)) or title
        return None

    def _unique_name(self, name: str) -> str:
        if name not in self.event_names:
            return name
        n = 2
        while f"{name}{n}" in self.event_names:
            n += 1
        return f"{name}{n}"

    def _event(self, message: Node, fallback: str, described: str = "") -> _EventDraft | None:
        """The draft of a message. A Design needs a name for every part: when the document gives the message
        none (`fallback`), or one another message already has, the findings speak of it as `described` (or by
        its place) instead of by a name the document does not have."""
        if not isinstance(message.value, dict):
            return None
        found = self.events.get(message.identity)
        if found is not None:
            return found
        own = self._message_name(message)
        name = self._unique_name(own or fallback)
        if own is None:
            self.unnamed_events[name] = described or f"the message at {message.pointer or '/'}"
        elif name != own:
            self.unnamed_events[name] = f"the other message named {own} (at {message.pointer or '/'})"
        self.event_names.add(name)
        draft = _EventDraft(node=message, name=name)
        self.events[message.identity] = draft
        traits = self._list(message, "traits")
        sources = [message, *traits] if self.major >= 3 else [*reversed(traits), message]
        draft.description = _first_paragraph(
            self._pick(sources, "description") or self._pick(sources, "summary") or self._pick(sources, "title")
        )
        self._payload(draft, message, traits)
        self._headers(draft, message, traits)
        self._extensions(draft, message, traits)
        kafka = self._binding(message, "kafka", traits)
        if kafka is not None:
            draft.kafka = True
            key = kafka.child("key")
            if key is not None:
                draft.key_declared = True
                draft.key_anchor = key.anchor
                draft.key = self._key_field(key, draft)
        amqp = self._binding(message, "amqp", traits)
        if amqp is not None and "replyTo" in amqp.value:
            draft.expects_reply = True
        mqtt = self._binding(message, "mqtt", traits)
        if mqtt is not None and "responseTopic" in mqtt.value:
            draft.expects_reply = True
        return draft

    @staticmethod
    def _pick(sources: list[Node], key: str) -> Any:
        for source in sources:
            value = source.get(key)
            if value is not None:
                return value
        return None

    def _payload(self, draft: _EventDraft, message: Node, traits: list[Node]) -> None:
        payload = message.child("payload")
        schema_format = _text(message.get("schemaFormat")).lower()
        if payload is None:
            draft.payload_absent = True
            return
        resolved = self._deref(payload)
        if resolved is None:
            draft.payload_reported = True
            return
        if self.major >= 3 and isinstance(resolved.value, dict) and "schemaFormat" in resolved.value:
            schema_format = _text(resolved.get("schemaFormat")).lower()
            inner = resolved.child("schema")
            if "avro" in schema_format:
                draft.schema_format = "avro"
            if inner is None:
                return
            payload = inner
            resolved = self._deref(inner)
            if resolved is None:
                draft.payload_reported = True
                return
        if "avro" in schema_format:
            draft.schema_format = "avro"
            fields = avro_fields(resolved.value, resolved.anchor)
        elif schema_format and not any(k in schema_format for k in ("json", "asyncapi", "yaml", "openapi")):
            draft.schema_format = "protobuf" if "protobuf" in schema_format else "other"
            self.notes.append(
                _Note(
                    "AAPI900",
                    f"payload of {self.message_words(draft.name)}",
                    "",
                    f"the payload of {self.message_words(draft.name)} is written in '{schema_format}', which "
                    "archassist does not read; its fields are not imported",
                    payload.anchor,
                )
            )
            draft.payload_reported = True
            return
        else:
            fields = self.schemas.fields(payload)
        if fields is not None:
            draft.fields = fields
            draft.fields_known = True

    def _headers(self, draft: _EventDraft, message: Node, traits: list[Node]) -> None:
        names: list[str] = []
        anchor = ""
        for source in [message, *traits]:
            headers = source.child("headers")
            if headers is None:
                continue
            flat = self.schemas.flatten(headers)
            anchor = anchor or headers.anchor
            for name in flat.properties:
                if name not in names:
                    names.append(name)
        envelope: list[str] = []
        extra: list[str] = []
        for name in names:
            key, cloudevents = _header_key(name)
            draft.cloudevents = draft.cloudevents or cloudevents
            if cloudevents and key in _CLOUDEVENTS_ATTRIBUTES:
                continue
            if key in _REPLY_HEADERS:
                draft.expects_reply = True
            mapped = _ENVELOPE_NAMES.get(key)
            if mapped and mapped not in envelope:
                envelope.append(mapped)
            elif not mapped:
                extra.append(name)
        correlation = self._deref(message.child("correlationId"))
        if correlation is None:
            for trait in traits:
                correlation = self._deref(trait.child("correlationId"))
                if correlation is not None:
                    break
        if correlation is not None and isinstance(correlation.value, dict):
            location = _text(correlation.get("location"))
            anchor = anchor or correlation.anchor
            if "correlation_id" not in envelope:
                envelope.append("correlation_id")
            header = location.split("#/", 1)[1] if "$message.header#/" in location else ""
            if header in extra:
                extra.remove(header)
        order = {name: i for i, name in enumerate(("event_id", "event_type", "aggregate_id", "timestamp", "version",
                                                    "correlation_id", "causation_id"))}
        draft.envelope = sorted(envelope, key=lambda n: order.get(n, 99)) + extra
        draft.envelope_anchor = anchor or message.anchor

    def _extensions(self, draft: _EventDraft, message: Node, traits: list[Node]) -> None:
        for source in [message, *traits]:
            if source.get("deprecated") is True:
                draft.deprecated = True
            owner = source.get("x-archassist-owner")
            if isinstance(owner, str) and owner.strip() and draft.owner is None:
                draft.owner = owner.strip()
            role = source.get("x-archassist-role")
            if role is not None and draft.role is None:
                if role in _ROLES:
                    draft.role = cast(Role, role)
                else:
                    child = source.child("x-archassist-role")
                    self._unusable(f"x-archassist-role of message {draft.name}", child.anchor if child else source.anchor,
                                   role, "one of " + ", ".join(_ROLES))
            if "x-version" in source.value and draft.version is None:
                raw = source.value["x-version"]
                child = source.child("x-version")
                anchor = child.anchor if child else source.anchor
                version = _version_number(raw)
                if version is None:
                    self._unusable(
                        f"x-version of {self.message_words(draft.name)}", anchor, raw, "a whole number ≥ 1, like 2"
                    )
                else:
                    draft.version, draft.version_anchor = version, anchor
            # x-messageCompatibility is what schema-registry tooling writes; x-compatibility is archassist's.
            compat_key = next((k for k in ("x-compatibility", "x-messageCompatibility") if k in source.value), "")
            if compat_key and draft.compatibility is None:
                raw = source.value[compat_key]
                child = source.child(compat_key)
                anchor = child.anchor if child else source.anchor
                text = raw.strip().upper() if isinstance(raw, str) else ""
                if text in _COMPATIBILITY:
                    draft.compatibility = cast(Compatibility, text)
                else:
                    self._unusable(f"{compat_key} of {self.message_words(draft.name)}", anchor, raw,
                                   "one of " + ", ".join(sorted(_COMPATIBILITY)))
            if isinstance(source.get("x-producer"), str) and draft.producer is None and source.get("x-producer").strip():
                draft.producer = source.get("x-producer").strip()
            if isinstance(source.get("x-partition-key"), str) and source.get("x-partition-key").strip():
                draft.key = source.get("x-partition-key").strip()
                draft.key_declared = True
                child = source.child("x-partition-key")
                draft.key_anchor = child.anchor if child else source.anchor

    def _key_field(self, key: Node, draft: _EventDraft) -> str | None:
        """The payload field a Kafka key stands for, or the name the document gives the key."""
        if draft.key is not None:
            return draft.key
        candidates: list[str] = []
        raw = key.value
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            last = raw["$ref"].rsplit("#", 1)[-1].rstrip("/").rsplit("/", 1)[-1] or raw["$ref"].rsplit("/", 1)[-1]
            last = re.sub(r"\.(avsc|json|ya?ml)$", "", last.split("#")[0])
            if last:
                candidates.append(last)
        resolved = self._deref(key)
        if resolved is not None and isinstance(resolved.value, dict):
            schema = resolved.value
            constant = _schema_single_value(resolved)
            if constant is not None and ("const" in schema or "enum" in schema):
                return f"'{constant}'"  # a literal key: the rules read a quoted key as a constant
            titled = [schema[w].strip() for w in ("title", "x-field") if isinstance(schema.get(w), str) and schema[w].strip()]
            if not titled and str(schema.get("format", "")).lower() in ("date-time", "date", "timestamp"):
                return "timestamp"  # an untitled time key: the rules read it as keying by time
            properties = schema.get("properties")
            if isinstance(properties, dict) and len(properties) == 1:
                candidates.append(str(next(iter(properties))))
            candidates[:0] = titled
            described = _text(schema.get("description"))
            named = [f.name for f in draft.fields if f.name and f.name.lower() in described.lower().split()]
            if named and not candidates:
                candidates.append(named[0])
        by_words = {"_".join(words_of(f.name)): f.name for f in draft.fields}
        for candidate in candidates:
            hit = by_words.get("_".join(words_of(candidate)))
            if hit:
                return hit
        return candidates[0] if candidates else None

    # --- producers and consumers ---

    def _attach(self, draft: _EventDraft, topic: _TopicDraft) -> None:
        if draft.name not in topic.events:
            topic.events.append(draft.name)
        if topic.name not in draft.topics:
            draft.topics.append(topic.name)

    def _produce(self, draft: _EventDraft, topic: _TopicDraft | None, service: str | None = None) -> None:
        draft.sent = True
        if service is not None:
            if draft.producer is None:
                draft.producer = service
            sent = self.sent_by.setdefault(service, [])
            if draft.name not in sent:
                sent.append(draft.name)
        if topic is not None:
            self._attach(draft, topic)
            if topic.name not in draft.sent_topics:
                draft.sent_topics.append(topic.name)

    def _consumer(
        self,
        name: str,
        op: Node,
        traits: list[Node],
        drafts: list[_EventDraft],
        topic: _TopicDraft | None,
        service: str | None = None,
        synthetic: bool = False,
    ) -> _ConsumerDraft:
        # A consumer that reads several topics is one receive operation per channel in AsyncAPI 3.0; the
        # exporter marks each with the consumer's name, and they become one consumer again.
        named = op.get("x-archassist-consumer") if not synthetic else None
        if named is not None and not (isinstance(named, str) and named.strip()):
            child = op.child("x-archassist-consumer")
            self._unusable(f"x-archassist-consumer of operation {name}", child.anchor if child else op.anchor, named,
                           "a consumer name")
        elif isinstance(named, str):
            name = named.strip()
            for existing in self.consumers:
                if existing.name == name and existing.service == service and not existing.synthetic_reply:
                    self._receive(existing, op, traits, drafts, topic)
                    return existing
        base = name or "consumer"
        unique, n = base, 2
        while any(c.name == unique for c in self.consumers):
            unique, n = f"{base}-{n}", n + 1
        consumer = _ConsumerDraft(name=unique, anchor=op.anchor, service=service, synthetic_reply=synthetic)
        self.consumers.append(consumer)
        self._receive(consumer, op, traits, drafts, topic)
        return consumer

    def _receive(
        self, consumer: _ConsumerDraft, op: Node, traits: list[Node], drafts: list[_EventDraft],
        topic: _TopicDraft | None,
    ) -> None:
        """What one receive operation says of its consumer: the messages, the group, the extensions."""
        for draft in drafts:
            draft.received = True
            if topic is not None:
                self._attach(draft, topic)
            if draft.name not in consumer.subscriptions:
                consumer.subscriptions.append(draft.name)
        consumer.action = consumer.action or _first_paragraph(op.get("summary") or op.get("description"), 200)
        kafka = self._binding(op, "kafka", traits)
        consumer.kafka = consumer.kafka or (topic is not None and topic.kafka) or kafka is not None
        if kafka is not None and consumer.group is None:
            group = kafka.child("groupId")
            value = _schema_single_value(self._deref(group)) if group is not None else None
            if value:
                consumer.group = value
                consumer.anchors["group"] = group.anchor if group else op.anchor
        amqp = self._binding(op, "amqp", traits)
        if amqp is not None and amqp.get("ack") is False:
            consumer.delivery = "at_most_once"
            consumer.anchors["delivery"] = amqp.anchor
        for source in [op, *traits]:
            self._consumer_extensions(consumer, source)

    def _consumer_extensions(self, consumer: _ConsumerDraft, source: Node) -> None:
        value = source.value
        if not isinstance(value, dict):
            return
        if isinstance(value.get("x-consumer-group"), str) and consumer.group is None and value["x-consumer-group"]:
            consumer.group = value["x-consumer-group"].strip()
            child = source.child("x-consumer-group")
            consumer.anchors["group"] = child.anchor if child else source.anchor
        specs: list[tuple[str, str, Any]] = [
            ("x-idempotency", "idempotency", Idempotency),
            ("x-retry", "retry", RetryPolicy),
            ("x-dead-letter", "dead_letter", DeadLetter),
        ]
        for key, attr, model in specs:
            if key not in value or getattr(consumer, attr) is not None:
                continue
            raw = value[key]
            child = source.child(key)
            anchor = child.anchor if child else source.anchor
            data = raw
            if isinstance(raw, str):
                data = {"strategy": raw} if attr == "idempotency" else {"topic": raw} if attr == "dead_letter" else raw
            try:
                setattr(consumer, attr, model.model_validate(data))
                consumer.anchors[attr] = anchor
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"]) or "value"
                self._unusable(f"{key} of {self.operation_words(consumer.name)}", anchor, raw,
                               f"a {attr.replace('_', ' ')} mapping; {where}: {first['msg']}")

    # --- assembly ---

    def _assemble(self, info: Node | None, title: str) -> MappingResult:
        drafts = list(self.events.values())
        self._settle_producers_and_keys(drafts)
        self.consumers = self._without_restated_replies(self.consumers)
        events = [self._build_event(i, draft) for i, draft in enumerate(drafts)]
        topics = [self._build_topic(i, t, drafts) for i, t in enumerate(self.topics.values())]
        self._shared_message_notes(drafts)
        consumers = [self._build_consumer(i, c) for i, c in enumerate(self.consumers)]
        services = self._services(info, title, drafts)
        description = _first_paragraph(info.get("description")) if info is not None else ""

        formats = Counter(d.schema_format for d in drafts)
        top = formats.most_common(1)[0][0] if formats else "json_schema"
        schema_format = top if top in ("avro", "protobuf") else "json_schema"
        # The design-wide envelope is what every event carries, as far as the document says.
        common = [f for f in STANDARD_ENVELOPE if drafts and all(f in d.envelope for d in drafts)]
        self._design_notes(drafts, common)
        version = _text(info.get("version")) if info is not None else ""
        design = Design(
            name=slug(title) if title else "asyncapi-import",
            summary=f"Imported from the AsyncAPI {self.version} document {self.label}"
            + (f": {title}" if title else "")
            + (f" (API version {version})" if version else ""),
            brief=description,
            assumptions=[
                f"Imported from AsyncAPI {self.version}: values the document does not declare keep archassist's "
                "defaults; the import's 'not declared' notes list them."
            ],
            style=Style(broker=self.broker, schema_format=cast(Any, schema_format)),
            envelope=Envelope(fields=common, cloudevents=any(d.cloudevents for d in drafts)),
            services=services,
            events=events,
            topics=topics,
            consumers=consumers,
        )
        self.anchors.setdefault("", "")
        self.anchors.setdefault("/events", "/components/messages" if "components" in self.data else "/channels")
        self.anchors.setdefault("/topics", "/channels")
        self.anchors.setdefault("/consumers", "/operations" if self.major >= 3 else "/channels")
        made_up = {
            **{f"/events/{i}": (d.name, self.unnamed_events[d.name]) for i, d in enumerate(drafts)
               if d.name in self.unnamed_events},
            **{f"/consumers/{i}": (c.name, self.unnamed_consumers[c.name]) for i, c in enumerate(self.consumers)
               if c.name in self.unnamed_consumers},
        }
        return MappingResult(design, self.notes, self.anchors, self.unsaid_items, made_up)

    def _has_own_application(self) -> bool:
        """The document's title names an application of its own: some operation names no service."""
        return self.anonymous_operations or not self.named_services

    def _services(self, info: Node | None, title: str, drafts: list[_EventDraft]) -> list[Service]:
        """The document's application (from the title), or the services its operations name, then the producers
        that only `x-producer` names."""
        application = self.service_name

        def consumed_by(who: str | None) -> list[str]:
            return list(dict.fromkeys(s for c in self.consumers if c.service == who for s in c.subscriptions))

        entries: dict[str, tuple[list[str], list[str]]] = {}
        anchors: dict[str, str] = {}
        if self._has_own_application():
            entries[application] = ([d.name for d in drafts if d.sent and d.producer == application], consumed_by(None))
            anchors[application] = "/info/title" if title else "/info"
        for name, anchor in self.named_services.items():
            published, consumed = entries.setdefault(name, ([], []))
            published += [n for n in self.sent_by.get(name, []) if n not in published]
            consumed += [n for n in consumed_by(name) if n not in consumed]
            anchors.setdefault(name, anchor)
        for name, published in self.extra_services.items():
            entries.setdefault(name, (list(dict.fromkeys(published)), []))
        description = _first_paragraph(info.get("description")) if info is not None else ""
        contact = self._deref(info.child("contact")) if info is not None else None
        owner = (_text(contact.get("name")) or _text(contact.get("email"))) if contact is not None else ""
        services = []
        for i, (name, (published, consumed)) in enumerate(entries.items()):
            own = name == application
            services.append(
                Service(name=name, description=description if own else "", publishes=published, consumes=consumed,
                        owner=owner if own else "")
            )
            if name in anchors:
                self.anchors[f"/services/{i}"] = anchors[name]
        return services

    def _without_restated_replies(self, consumers: list[_ConsumerDraft]) -> list[_ConsumerDraft]:
        """The consumers less those standing for a send operation's replies that the same application receives
        in a receive operation of its own: that operation already describes the consumer."""
        explicit = [c for c in consumers if not c.synthetic_reply]

        def received(consumer: _ConsumerDraft) -> bool:
            return all(
                any(name in other.subscriptions for other in explicit if other.service == consumer.service)
                for name in consumer.subscriptions
            )

        return [c for c in consumers if not (c.synthetic_reply and c.subscriptions and received(c))]

    def _shared_message_notes(self, drafts: list[_EventDraft]) -> None:
        """A note on every channel that carries a message whose Design event lives on another topic."""
        position = {name: i for i, name in enumerate(self.topics)}
        for draft in drafts:
            home = _home_topic(draft)
            for name in draft.topics:
                if name != home:
                    self._note(
                        "AAPI117", f"channel {name}", f"/topics/{position[name]}",
                        f"{self.message_words(draft.name)} travels on this channel too; the review follows it on "
                        f"channel {home} only, the first that sends it",
                    )

    def _settle_producers_and_keys(self, drafts: list[_EventDraft]) -> None:
        service = self.service_name
        kafka_topic_names = {t.name for t in self.topics.values() if t.kafka}
        for draft in drafts:
            if draft.sent and draft.producer is None:
                draft.producer = service
            if any(t in kafka_topic_names for t in draft.topics):
                draft.kafka = True
            if draft.producer and draft.producer != service:
                self.extra_services.setdefault(draft.producer, []).append(draft.name)
        for topic in self.topics.values():
            on_topic = [d for d in drafts if d.name in topic.events]
            if topic.channel_key:
                for draft in on_topic:
                    if draft.key is None:
                        draft.key, draft.key_declared = topic.channel_key, True
            keys = {d.key for d in on_topic if d.key}
            topic.key = topic.channel_key or (keys.pop() if len(keys) == 1 else None)

    def _design_notes(self, drafts: list[_EventDraft], common: list[str]) -> None:
        if self.broker == UNSPECIFIED_BROKER:
            self._note("AAPI114", "the application", "/style/broker")
        elif self.broker_from_title:
            self._note(
                "AAPI114", "the application", "/style/broker",
                f"not declared: broker of the application (no servers and no bindings); the title names "
                f"{_PROTOCOL_WORDS.get(self.broker_from_title, self.broker_from_title)}, so that is what the "
                "review assumes",
            )
        if len(common) < len(STANDARD_ENVELOPE):
            # The per-message notes say which headers are missing; these only cover the design-wide rule finding.
            self._note("AAPI108", "the design", "/envelope/fields", quiet=True)
            self._note("AAPI109", "the design", "/envelope/fields", quiet=True)
        if drafts or self.consumers:
            self._note(
                "AAPI116", "the design", "/observability",
                "not declared: monitoring (consumer lag and dead-letter alerts, correlation and causation "
                "propagation); AsyncAPI has no place for it",
            )
            for i in range(len(self.consumers)):
                self._note("AAPI116", "the design", f"/consumers/{i}", quiet=True)

    def _build_event(self, i: int, draft: _EventDraft) -> Event:
        pointer = f"/events/{i}"
        self.anchors[pointer] = draft.node.anchor
        fields: list[PayloadField] = []
        for j, f in enumerate(draft.fields):
            fields.append(
                PayloadField(
                    name=f.name, type=f.type, required=f.required, description=f.description, pii=f.pii,
                    items=f.items, protection=f.protection,
                )
            )
            self.anchors[f"{pointer}/fields/{j}"] = f.anchor
        self.anchors[f"{pointer}/envelope"] = draft.envelope_anchor
        if draft.version_anchor:
            self.anchors[f"{pointer}/version"] = draft.version_anchor
        if draft.key_anchor:
            self.anchors[f"{pointer}/partition_key"] = draft.key_anchor
        subject = self.message_words(draft.name)
        role = draft.role or message_role(
            draft.name, is_reply=draft.is_reply, expects_reply=draft.expects_reply, channels=draft.topics,
            sent=draft.sent, received=draft.received,
        )
        # An event envelope, a schema version and a compatibility mode are asked of facts that others keep and
        # replay; a request or a reply needs its correlation id, which AAPI109 asks for. On Kafka the log keeps
        # requests and replies too, so their schemas evolve under the same rules.
        exchange = role in ("request", "reply") and protocol_family(self.broker) != "kafka"
        if not draft.fields_known:
            # A signal without payload ("fire the laser") and a payload another note already explains say nothing new.
            signal = draft.payload_absent and role != "event"
            self._note("AAPI112", subject, f"{pointer}/fields", quiet=signal or draft.payload_reported)
        missing = [f for f in STANDARD_ENVELOPE if f != "correlation_id" and f not in draft.envelope]
        if missing:
            self._note(
                "AAPI108", subject, f"{pointer}/envelope",
                f"not declared: envelope headers for {', '.join(missing)} of {subject}", quiet=exchange,
            )
        if "correlation_id" not in draft.envelope:
            self._note("AAPI109", subject, f"{pointer}/envelope")
        for j, f in enumerate(draft.fields):
            if f.pii and f.protection == "none":
                self._note(
                    "AAPI115", subject, f"{pointer}/fields/{j}/protection",
                    f"not declared: protection of personal field {f.name} of {subject}",
                )
        if draft.key is None:
            # Kafka topics carry the visible note; elsewhere the protocol has no partition key to declare.
            self._note("AAPI101", subject, f"{pointer}/partition_key", quiet=True)
        if draft.version is None:
            self._note("AAPI110", subject, f"{pointer}/version", quiet=exchange)
        if draft.compatibility is None:
            self._note("AAPI111", subject, f"{pointer}/compatibility", quiet=exchange)
        if draft.producer is None:
            self._note("AAPI113", subject, f"{pointer}/producer")
        return Event(
            name=draft.name,
            version=draft.version,
            kind="integration",
            description=draft.description,
            producer=draft.producer,
            topic=_home_topic(draft),
            partition_key=draft.key,
            fields=fields,
            envelope=draft.envelope,
            compatibility=draft.compatibility,
            owner=draft.owner or (draft.producer if draft.sent and draft.producer in self._own_services() else None),
            external=draft.sent,
            expects_reply=draft.expects_reply,
            role=role,
            deprecated=draft.deprecated,
        )

    def _own_services(self) -> set[str]:
        own = set(self.named_services)
        if self._has_own_application():
            own.add(self.service_name)
        return own

    def _build_topic(self, i: int, topic: _TopicDraft, drafts: list[_EventDraft]) -> Topic:
        pointer = f"/topics/{i}"
        self.anchors[pointer] = topic.anchor
        for attr, anchor in topic.anchors.items():
            self.anchors[f"{pointer}/{attr}"] = anchor
        subject = f"channel {topic.name}"
        if topic.kafka:
            keyed = [d for d in drafts if d.name in topic.events and d.key_declared]
            if topic.events and not keyed:
                self._note("AAPI101", subject, f"{pointer}/partition_key")
            elif topic.key is None and keyed and all(d.key is None for d in keyed):
                self._note(
                    "AAPI101", subject, f"{pointer}/partition_key",
                    f"not declared: which payload field the Kafka key of {subject} is (the key's schema names no "
                    "field)",
                )
            missing = [
                (w, field)
                for w, field, v in (
                    ("partitions", "partitions", topic.partitions),
                    ("replicas", "replication_factor", topic.replicas),
                    ("min.insync.replicas", "min_insync_replicas", topic.min_insync),
                )
                if v is None
            ]
            if missing:
                self._note(
                    "AAPI102", subject, f"{pointer}/partitions",
                    f"not declared: {' and '.join(w for w, _ in missing)} of {subject}",
                    covers=[f"{pointer}/{field}" for _, field in missing],
                )
            if not topic.retention_declared or topic.cleanup is None:
                what = [w for w, ok in (("retention", topic.retention_declared), ("cleanup policy", topic.cleanup))
                        if not ok]
                self._note(
                    "AAPI103", subject, f"{pointer}/retention_days",
                    f"not declared: {' and '.join(what)} of {subject}",
                )
        else:
            self._note("AAPI102", subject, f"{pointer}/partitions", quiet=True)
            self._note("AAPI103", subject, f"{pointer}/retention_days", quiet=True)
        data: dict[str, Any] = {
            "name": topic.name,
            "partitions": topic.partitions,
            "replication_factor": topic.replicas,
            "min_insync_replicas": topic.min_insync,
            "partition_key": topic.key,
            "events": topic.events,
        }
        if topic.retention_declared:
            data["retention_days"] = topic.retention_days
        if topic.cleanup is not None:
            data["cleanup_policy"] = topic.cleanup
        if topic.compression is not None:
            data["compression"] = topic.compression
        return Topic(**data)

    def _build_consumer(self, i: int, consumer: _ConsumerDraft) -> Consumer:
        pointer = f"/consumers/{i}"
        self.anchors[pointer] = consumer.anchor
        for attr, anchor in consumer.anchors.items():
            self.anchors[f"{pointer}/{attr}"] = anchor
        subject = self.operation_words(consumer.name)
        if consumer.idempotency is None:
            self._note("AAPI104", subject, f"{pointer}/idempotency")
        if consumer.retry is None:
            self._note("AAPI105", subject, f"{pointer}/retry")
        if consumer.dead_letter is None:
            self._note("AAPI106", subject, f"{pointer}/dead_letter")
        if consumer.kafka and consumer.group is None:
            self._note("AAPI107", subject, f"{pointer}/group")
        return Consumer(
            name=consumer.name,
            service=consumer.service or self.service_name,
            group=consumer.group,
            subscriptions=consumer.subscriptions,
            action=consumer.action,
            emits=list(dict.fromkeys(consumer.emits)),
            idempotency=consumer.idempotency or Idempotency(),
            retry=consumer.retry or RetryPolicy(),
            dead_letter=consumer.dead_letter,
            delivery=consumer.delivery,
        )


def _home_topic(draft: _EventDraft) -> str | None:
    """The one topic a Design event gets: the first channel that sends it, else the first that carries it."""
    return draft.sent_topics[0] if draft.sent_topics else (draft.topics[0] if draft.topics else None)


def _version_number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 1 else None
    if isinstance(raw, float) and raw >= 1:
        return int(raw)
    if isinstance(raw, str):
        match = re.match(r"^\s*v?(\d+)", raw, re.IGNORECASE)
        if match and int(match[1]) >= 1:
            return int(match[1])
    return None


def _schema_single_value(node: Node | None) -> str | None:
    """The one value a binding's schema allows (`const`, a one-item `enum`, or a plain string), if any."""
    if node is None:
        return None
    value = node.value
    if isinstance(value, str):
        return value.strip() or None
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("const"), str):
        return str(value["const"])
    options = value.get("enum")
    if isinstance(options, list) and len(options) == 1 and isinstance(options[0], str):
        return options[0]
    return None


# --- notes → findings -----------------------------------------------------------------------------------------



# The document's words for the Design's collections.
_DOCUMENT_NOUNS = {"/events": "messages", "/topics": "channels", "/consumers": "receive operations"}


def finalize_notes(
    notes: list[_Note], design: Design, source: SourceMap, design_source: SourceMap
) -> tuple[list[Finding], dict[str, int]]:
    """Turn notes into findings, folding a kind that applies to every item of a collection into one finding.

    "Not declared" findings point into the Design; findings about the document itself (AAPI9xx) point into it.
    Returns the findings and, per not-declared kind, how many parts of the design it concerns.
    """
    sizes = {"/events": len(design.events), "/topics": len(design.topics), "/consumers": len(design.consumers)}
    unsaid: dict[str, int] = {}
    by_code: dict[str, list[_Note]] = {}
    for note in notes:
        by_code.setdefault(note.code, []).append(note)
    findings: list[Finding] = []
    for code, group in by_code.items():
        spec = CODES[code]
        if spec.group == "not-declared":
            unsaid[spec.name] = len(group)
        collections = {"/" + n.pointer.split("/")[1] for n in group if n.pointer.count("/") >= 2}
        collection = next(iter(collections)) if len(collections) == 1 else ""
        # One finding for a kind that many parts share, when it says the same of each (a note that names what
        # is missing, differently per part, stays per part); it never claims "any of" when some parts declare it.
        shapes = {(n.message or "").replace(n.subject, "") for n in group}
        fold = spec.group == "not-declared" and collection in sizes and len(group) >= 3 and len(shapes) == 1
        if fold:
            noun = _DOCUMENT_NOUNS[collection]
            items = sorted({int(n.pointer.split("/")[2]) for n in group if n.pointer.split("/")[2].isdigit()})
            if len(items) == sizes[collection]:
                message = f"not declared: {spec.label} of any of the {sizes[collection]} {noun}"
            else:
                named = ", ".join(n.subject.split(" ", 1)[-1] for n in group[:5]) + (", …" if len(group) > 5 else "")
                message = f"not declared: {spec.label} of {len(items)} of the {sizes[collection]} {noun} ({named})"
            folded = _finding(code, message, collection, source.file, design_source)
            folded.places = [_place(n, spec.label, design_source) for n in group]
            findings.append(folded)
            continue
        for note in group:
            message = note.message or f"not declared: {spec.label} of {note.subject}"
            if note.doc_pointer is not None:
                findings.append(_finding(code, message, note.doc_pointer, source.file, source))
            else:
                findings.append(_finding(code, message, note.pointer, source.file, design_source))
    order = {c: i for i, c in enumerate(CODES)}
    findings.sort(key=lambda f: (order.get(f.code, 999), f.line or 0, f.pointer))
    return findings, unsaid


def _place(note: _Note, label: str, positions: SourceMap) -> Place:
    pos = positions.locate(note.pointer)
    return Place(note.pointer, note.message or f"not declared: {label} of {note.subject}",
                 pos[0] if pos else None, pos[1] if pos else None)


def _finding(code: str, message: str, pointer: str, file: str, positions: SourceMap) -> Finding:
    spec = CODES[code]
    pos = positions.locate(pointer)
    return Finding(
        code=code,
        name=spec.name,
        severity=spec.severity,
        message=message,
        pointer=pointer,
        fix=spec.fix,
        file=file,
        line=pos[0] if pos else None,
        column=pos[1] if pos else None,
    )


def design_source_map(anchors: dict[str, str], source: SourceMap) -> tuple[SourceMap, dict[str, str]]:
    positions: dict[str, Position] = {}
    pointers: dict[str, str] = {}
    for design_pointer, doc_pointer in anchors.items():
        pointers[design_pointer] = doc_pointer
        pos = source.locate(doc_pointer)
        if pos is not None:
            positions[design_pointer] = pos
    return SourceMap(file=source.file, positions=positions), pointers

