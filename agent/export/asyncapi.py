"""`archassist export --to asyncapi`: AsyncAPI 3.0 documents from a Design.

By default each service is one application, as the specification intends: a document at
`asyncapi/<service>.yaml` whose `send` operations are what the service publishes and whose `receive` operations
are what its consumers read. `--system` writes one `asyncapi.yaml` with every service's operations, each marked
with the service it belongs to. Both are views of the same flows (`asyncapi_flows`), and every message comes from
the contract mode (`asyncapi_messages`).
"""

from __future__ import annotations

from typing import Any

import yaml
from archassist.agent.export.asyncapi_flows import Channel, Flows, Operation, build_flows
from archassist.agent.export.asyncapi_messages import (
    KAFKA_BINDING_VERSION,
    MessageParts,
    message_parts,
    shares_envelope,
)
from archassist.agent.export.base import Artifact, ExportOptions
from archassist.agent.model.design import Consumer, Design, Topic
from archassist.agent.model.naming import slug
from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic, protocol_family

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"
SYSTEM_PATH = "asyncapi.yaml"
MS_PER_DAY = 86_400_000

# AsyncAPI server protocols of the brokers a design names, and a placeholder address to replace.
_PROTOCOLS: dict[str, tuple[str, str]] = {
    "kafka": ("kafka", "localhost:9092"),
    "amqp": ("amqp", "localhost:5672"),
    "mqtt": ("mqtt", "localhost:1883"),
    "nats": ("nats", "localhost:4222"),
    "pulsar": ("pulsar", "localhost:6650"),
    "sqs": ("sqs", "sqs.eu-west-1.amazonaws.com"),
    "sns": ("sns", "sns.eu-west-1.amazonaws.com"),
}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """YAML without anchors: every tool reads a repeated schema written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _server(design: Design) -> dict[str, Any] | None:
    broker = design.style.broker.strip().lower()
    family = protocol_family(broker)
    if family == "unspecified":
        return None
    protocol, address = _PROTOCOLS.get(family if family != "other" else broker, (broker, f"{broker}.example.com"))
    return {
        protocol: {
            "host": "{bootstrap}",
            "protocol": protocol,
            "description": f"The {design.style.broker} cluster the design runs on; set its address in `bootstrap`.",
            "variables": {"bootstrap": {"default": address, "description": "Host and port of the broker."}},
        }
    }


def _kafka_topic_binding(topic: Topic) -> dict[str, Any]:
    binding: dict[str, Any] = {}
    if topic.partitions is not None:
        binding["partitions"] = topic.partitions
    if topic.replication_factor is not None:
        binding["replicas"] = topic.replication_factor
    config: dict[str, Any] = {
        "retention.ms": -1 if topic.retention_days is None else round(topic.retention_days * MS_PER_DAY),
        "cleanup.policy": topic.cleanup_policy.split(","),
    }
    if topic.min_insync_replicas is not None:
        config["min.insync.replicas"] = topic.min_insync_replicas
    if topic.compression:
        config["compression.type"] = topic.compression
    binding["topicConfiguration"] = config
    binding["bindingVersion"] = KAFKA_BINDING_VERSION
    return binding


def _channel_description(channel: Channel) -> str:
    topic = channel.topic
    if topic is not None and is_dead_letter_topic(topic):
        return "Dead-letter topic: messages a consumer could not process after its retries wait here to be redriven."
    if topic is not None and is_retry_topic(topic):
        return "Retry topic: messages wait here for their next attempt, then return to the consumer."
    purpose = f"{topic.purpose.capitalize()} topic" if topic is not None and topic.purpose != "operational" else "Topic"
    names = channel.messages
    if not names:
        return f"{purpose}; no message of the design travels on it."
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    text = f"{purpose} of {listed}."
    if topic is not None and topic.replay_source:
        text += f" History older than the retention is kept in {topic.replay_source}."
    return text


def _consumer_extensions(consumer: Consumer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "x-archassist-consumer": consumer.name,
        "x-idempotency": consumer.idempotency.model_dump(mode="json", exclude_none=True),
        "x-retry": consumer.retry.model_dump(mode="json", exclude_none=True),
    }
    if consumer.dead_letter is not None:
        out["x-dead-letter"] = consumer.dead_letter.model_dump(mode="json", exclude_none=True)
    return out


class _Builder:
    """One document: the operations given, and the channels, messages and schemas they reach."""

    def __init__(self, flows: Flows, operations: list[Operation], extra_topics: list[str], everything: bool) -> None:
        self.flows = flows
        self.design = flows.design
        self.kafka = protocol_family(self.design.style.broker) == "kafka"
        self.operations = operations
        self.used: dict[str, list[str]] = {}  # topic -> message names, in channel order
        if everything:
            for name, channel in flows.channels.items():
                self.used[name] = list(channel.messages)
        for op in operations:
            self._use(op.channel, op.messages)
            if op.reply is not None:
                self._use(op.reply.channel, op.reply.messages)
        for name in extra_topics:
            self.used.setdefault(name, [])
        self.parts: dict[str, MessageParts] = {}

    def _use(self, topic: str, messages: list[str]) -> None:
        listed = self.used.setdefault(topic, [])
        for name in messages:
            if name not in listed:
                listed.append(name)
        order = self.flows.channels[topic].messages
        listed.sort(key=lambda n: order.index(n) if n in order else len(order))

    def _parts(self, name: str) -> MessageParts:
        if name not in self.parts:
            message = self.flows.messages[name]
            event = message.event
            shared = event is None or shares_envelope(self.design, event)
            self.parts[name] = message_parts(
                self.design,
                message,
                kafka=self.kafka,
                envelope_key="Envelope" if shared else f"{message.key}Envelope",
                payload_key=f"{message.key}Payload",
            )
        return self.parts[name]

    def _channel_ref(self, topic: str) -> dict[str, str]:
        return {"$ref": f"#/channels/{self.flows.channels[topic].key}"}

    def _message_refs(self, topic: str, names: list[str]) -> list[dict[str, str]]:
        channel = self.flows.channels[topic].key
        return [{"$ref": f"#/channels/{channel}/messages/{self.flows.messages[n].key}"} for n in names]

    def _topics(self) -> list[str]:
        """The topics the document reaches, in the design's order."""
        return sorted(self.used, key=list(self.flows.channels).index)

    def channels(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for topic_name in self._topics():
            channel = self.flows.channels[topic_name]
            body: dict[str, Any] = {"address": channel.address, "description": _channel_description(channel)}
            names = self.used[topic_name]
            if names:
                body["messages"] = {
                    self.flows.messages[n].key: {"$ref": f"#/components/messages/{self.flows.messages[n].key}"}
                    for n in names
                }
            if self.kafka and channel.topic is not None:
                body["bindings"] = {"kafka": _kafka_topic_binding(channel.topic)}
                if channel.topic.partition_key:
                    body["x-partition-key"] = channel.topic.partition_key
            out[channel.key] = body
        return out

    def operation(self, op: Operation) -> dict[str, Any]:
        body: dict[str, Any] = {"action": op.action, "channel": self._channel_ref(op.channel)}
        verb = "sends" if op.action == "send" else "receives"
        body["title"] = f"{op.service} {verb} {', '.join(op.messages)}"
        if op.consumer is not None and op.consumer.action:
            body["summary"] = op.consumer.action
        body["messages"] = self._message_refs(op.channel, op.messages)
        if op.reply is not None:
            body["reply"] = {
                "channel": self._channel_ref(op.reply.channel),
                "messages": self._message_refs(op.reply.channel, op.reply.messages),
            }
        consumer = op.consumer
        if consumer is not None and consumer.group and self.kafka:
            body["bindings"] = {
                "kafka": {
                    "groupId": {"type": "string", "enum": [consumer.group]},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            }
        elif consumer is not None and consumer.group:
            body["x-consumer-group"] = consumer.group
        body["x-archassist-service"] = op.service
        if consumer is not None:
            body.update(_consumer_extensions(consumer))
        return body

    def components(self) -> dict[str, Any]:
        schemas: dict[str, Any] = {}
        messages: dict[str, Any] = {}
        correlations: set[str] = set()
        for topic in self._topics():
            for name in self.used[topic]:
                parts = self._parts(name)
                key = self.flows.messages[name].key
                if key in messages:
                    continue
                messages[key] = parts.message
                schemas.setdefault(parts.envelope_key, parts.envelope)
                schemas[parts.payload_key] = parts.payload
                if parts.correlation:
                    correlations.add(parts.correlation)
        out: dict[str, Any] = {}
        if schemas:
            envelopes = {k: v for k, v in schemas.items() if k.endswith("Envelope")}
            out["schemas"] = {**envelopes, **{k: v for k, v in schemas.items() if k not in envelopes}}
        if messages:
            out["messages"] = messages
        if correlations:
            out["correlationIds"] = {
                name: {
                    "description": "The business flow the message belongs to, copied from the message that "
                    "started it; replies carry the id of their request.",
                    "location": f"$message.header#/{name}",
                }
                for name in sorted(correlations)
            }
        return out


def _document(flows: Flows, builder: _Builder, title: str, description: str, contact: str = "") -> dict[str, Any]:
    design = flows.design
    info: dict[str, Any] = {"title": title, "version": DOCUMENT_VERSION, "description": description}
    if contact:
        info["contact"] = {"name": contact}
    doc: dict[str, Any] = {"asyncapi": ASYNCAPI_VERSION, "info": info, "defaultContentType": "application/json"}
    server = _server(design)
    if server is not None:
        doc["servers"] = server
    doc["channels"] = builder.channels()
    doc["operations"] = {op.key: builder.operation(op) for op in builder.operations}
    components = builder.components()
    if components:
        doc["components"] = components
    return doc


def _dump(doc: dict[str, Any], header: str) -> str:
    body: str = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return header + body


def _service_description(design: Design, name: str) -> str:
    service = design.service(name)
    text = service.description if service is not None and service.description else f"The {name} service."
    if service is not None and service.bounded_context:
        text += f" Bounded context: {service.bounded_context}."
    return f"{text}\n\nPart of the design {design.name}: what this service sends and what it receives."


def system_document(design: Design) -> dict[str, Any]:
    flows = build_flows(design)
    builder = _Builder(flows, flows.operations, [], everything=True)
    summary = design.summary or design.brief or f"The event-driven system {design.name}."
    description = (
        f"{summary}\n\nEvery service of the design in one document: each operation names its service in "
        "`x-archassist-service`."
    )
    return _document(flows, builder, design.name, description)


def service_documents(design: Design) -> dict[str, dict[str, Any]]:
    flows = build_flows(design)
    out: dict[str, dict[str, Any]] = {}
    for service in flows.services:
        builder = _Builder(flows, flows.operations_of(service), flows.side_topics_of(service), everything=False)
        known = design.service(service)
        out[service] = _document(
            flows, builder, service, _service_description(design, service), known.owner if known else ""
        )
    return out


def _file_names(services: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    taken: set[str] = set()
    for service in services:
        base = slug(service, limit=80)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        names[service] = name
    return names


def export_asyncapi(design: Design, options: ExportOptions) -> list[Artifact]:
    """One AsyncAPI 3.0 document per service, or one for the system with `options.system`."""
    header = f"# AsyncAPI {ASYNCAPI_VERSION} of the design {design.name}, exported by archassist.\n"
    if options.system:
        doc = system_document(design)
        if not doc["operations"] and not doc["channels"]:
            return []
        return [Artifact(SYSTEM_PATH, _dump(doc, header), f"AsyncAPI {ASYNCAPI_VERSION}: every service of the design")]
    documents = service_documents(design)
    names = _file_names(list(documents))
    return [
        Artifact(
            f"asyncapi/{names[service]}.yaml",
            _dump(doc, header),
            f"AsyncAPI {ASYNCAPI_VERSION}: what {service} sends and receives",
        )
        for service, doc in documents.items()
    ]


__all__ = ["export_asyncapi", "service_documents", "system_document"]
