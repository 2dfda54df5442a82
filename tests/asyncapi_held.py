"""What of a Design an AsyncAPI document holds: the projection the export round trip must give back unchanged.

`held(design)` keeps exactly the parts `docs/export.md` (its AsyncAPI section) lists as carried by the export; everything else
(sagas, projections, capacity derivations, …) is what the docs list as lost, and is left out here on purpose.
"""

from __future__ import annotations

from typing import Any

from archassist.agent.model.design import Consumer, Design
from archassist.agent.model.naming import slug
from archassist.agent.rules.index import protocol_family


def _topic_of(design: Design, name: str, declared: str | None, commands: bool) -> str | None:
    if declared:
        return declared
    for topic in design.topics:
        if name in (topic.commands if commands else topic.events):
            return topic.name
    return None


def _command(role: str, topic: str, key: str | None, producer: str | None, envelope: list[str]) -> dict[str, Any]:
    return {"role": role, "topic": topic, "key": key, "producer": producer, "envelope": sorted(envelope)}


def _messages(design: Design, commands: frozenset[str]) -> dict[str, dict[str, Any]]:
    """Events and the commands that travel on a topic: AsyncAPI messages. An event named in `commands` is a
    command read back from a document (AsyncAPI calls both messages), compared as the command it was."""
    known = {s.name for s in design.services}
    out: dict[str, dict[str, Any]] = {}
    envelope = list(design.envelope.fields)
    for event in design.events:
        topic = _topic_of(design, event.name, event.topic, commands=False)
        if topic is None or event.name in out:
            continue
        if event.name in commands:
            out[event.name] = _command(event.role, topic, event.partition_key, event.producer, event.envelope or [])
            continue
        on = design.topic(topic)
        aggregate = design.aggregate(event.aggregate) if event.aggregate else None
        key = event.partition_key or (on.partition_key if on else None) or (aggregate.id_field if aggregate else None)
        out[event.name] = {
            "role": event.role,
            "topic": topic,
            "key": key,
            "expects_reply": event.expects_reply,
            "version": event.version,
            "compatibility": event.compatibility,
            "deprecated": event.deprecated,
            "description": event.description,
            "producer": event.producer,
            "owner": event.owner,
            "envelope": sorted(event.envelope if event.envelope is not None else envelope),
            "fields": [
                (f.name, f.type, f.items if f.type == "array" else None, f.required, f.description, f.pii, f.protection)
                for f in event.fields
            ],
        }
    for command in design.commands:
        topic = _topic_of(design, command.name, command.topic, commands=True)
        if topic is None or command.name in out:
            continue
        producer = command.issued_by if command.issued_by in known else None
        out[command.name] = _command("command", topic, command.partition_key, producer, envelope)
    return out


def _consumer(consumer: Consumer, messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "service": consumer.service,
        "group": consumer.group,
        "subscriptions": sorted(s for s in consumer.subscriptions if s in messages),
        # What a consumer emits is the saga's flow; only the replies it sends are an AsyncAPI operation's reply.
        "replies": sorted({e for e in consumer.emits if e in messages and messages[e]["role"] == "reply"}),
        "action": consumer.action,
        "idempotency": consumer.idempotency.model_dump(),
        "retry": consumer.retry.model_dump(),
        "dead_letter": consumer.dead_letter.model_dump() if consumer.dead_letter else None,
    }


def held(design: Design, commands: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The parts of a design an AsyncAPI document carries, in a form that compares equal when they agree.

    `commands`: names of the original design's commands, when `design` was imported from a document.
    """
    kafka = protocol_family(design.style.broker) == "kafka"
    messages = _messages(design, commands)
    consumers = {
        c.name: _consumer(c, messages) for c in design.consumers if any(s in messages for s in c.subscriptions)
    }
    services: dict[str, dict[str, list[str]]] = {}
    for service in design.services:
        sent = sorted(
            name
            for name, m in messages.items()
            if m["producer"] == service.name or (m["role"] != "command" and name in service.publishes)
        )
        received = sorted({s for c in consumers.values() if c["service"] == service.name for s in c["subscriptions"]})
        if sent or received:
            services[service.name] = {"publishes": sent, "consumes": received}
    topics: dict[str, dict[str, Any]] = {}
    for topic in design.topics:
        on = sorted(n for n, m in messages.items() if m["topic"] == topic.name)
        entry: dict[str, Any] = {"messages": on}
        if kafka:
            entry |= {
                "partitions": topic.partitions,
                "replication_factor": topic.replication_factor,
                "min_insync_replicas": topic.min_insync_replicas,
                # milliseconds, as the binding writes them
                "retention_ms": None if topic.retention_days is None else round(topic.retention_days * 86_400_000),
                "cleanup_policy": topic.cleanup_policy,
                "compression": topic.compression,
                "partition_key": topic.partition_key,
            }
        topics[topic.name] = entry
    return {
        "name": slug(design.name),
        "broker": protocol_family(design.style.broker),
        "schema_format": "avro" if design.style.schema_format == "avro" else "json_schema",
        "cloudevents": design.envelope.cloudevents,
        "services": services,
        "messages": messages,
        "topics": topics,
        "consumers": consumers,
    }
