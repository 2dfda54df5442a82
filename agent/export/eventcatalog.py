"""`export --to eventcatalog`: the design as an EventCatalog folder, in the layout `@eventcatalog/sdk` writes.

- a domain per bounded context (`domains/{Domain}/index.mdx`), its services inside it
  (`domains/{Domain}/services/{Service}/index.mdx`; a service without a context sits in `services/`);
- each message in the folder of the service it belongs to: an event with its producer, a command or a query
  with the service that handles it (`…/events/{Event}/index.mdx`), its JSON Schema beside it (`schema.json`, and
  `schema.avsc` when the design registers Avro), both from the contract mode;
- services `sends` and `receives` every message with its id and version, `to` and `from` the channels it
  travels on, and the messages that receiving it `triggers`;
- a channel per topic (`channels/{topic}/index.mdx`): address, protocol, delivery guarantee, address parameters,
  and the Kafka settings under the custom property `x-kafka`;
- aggregates as entities, service databases as containers, sagas as flows, and a team per owner named in the
  design (`teams/{team}.mdx`), because every resource the linter accepts has an owner that exists.

The exporter only builds text; `write_artifacts` puts it on disk.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from archassist.agent.export import eventcatalog_pages as pages
from archassist.agent.export.base import Artifact, ExportOptions
from archassist.agent.export.eventcatalog_index import RESOURCE_VERSION, CatalogIndex, Message
from archassist.agent.export.eventcatalog_text import badge, document, first_sentence
from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic, protocol_family

if TYPE_CHECKING:
    from archassist.agent.contracts.model import Contract
    from archassist.agent.model.design import Design, Topic

_PUBLISHING_BADGE = {
    "outbox": "Transactional outbox",
    "cdc": "Change data capture",
    "event_store": "Publishes from its event store",
    "direct": "Dual write",
}
_PURPOSE_BADGE = {
    "dead_letter": ("Dead letter", "red"),
    "retry": ("Retry", "orange"),
    "command": ("Commands", "blue"),
    "audit": ("Audit", "purple"),
    "analytics": ("Analytics", "teal"),
}
_DELIVERY = {"at_most_once": "at-most-once", "at_least_once": "at-least-once", "effectively_once": "at-least-once"}
MS_PER_DAY = 86_400_000


def export_eventcatalog(design: Design, options: ExportOptions) -> list[Artifact]:
    """The EventCatalog folder of a design: one artifact per file."""
    index = CatalogIndex(design)
    artifacts: list[Artifact] = []
    for context in index.domains:
        artifacts.append(_domain(index, context))
    for name in index.services:
        artifacts.append(_service(index, name))
    for message in index.messages.values():
        artifacts += _message(index, message)
    for topic in index.topics:
        artifacts.append(_channel(index, topic))
    for aggregate in index.aggregates:
        artifacts.append(_entity(index, aggregate))
    for database in index.databases:
        artifacts.append(_container(index, database))
    from archassist.agent.export.eventcatalog_flows import saga_flows

    artifacts += saga_flows(index)
    # Teams last: every resource above has registered the teams it names.
    for team in index.teams.values():
        front = {"id": team.id, "name": team.name, "summary": pages.team_summary(index, team)}
        page = document(front, pages.team_page(index, team))
        artifacts.append(Artifact(f"teams/{team.id}.mdx", page, f"team {team.name}"))
    return artifacts


def _pointer(message: Message) -> dict[str, Any]:
    return {"id": message.id, "version": message.version}


def _channel_pointers(index: CatalogIndex, message: Message) -> list[dict[str, str]]:
    return [{"id": index.channel_id(topic), "version": RESOURCE_VERSION} for topic in message.channels]


# -- domains and services ----------------------------------------------------------------------------------------


def _domain(index: CatalogIndex, context: str) -> Artifact:
    members = index.domains[context]
    entities = [a for a, service in index.aggregates.items() if service in members]
    owns = f"domain {context}"
    front: dict[str, Any] = {
        "id": index.domain_id(context),
        "name": context,
        "version": RESOURCE_VERSION,
        "summary": pages.domain_summary(index, context),
        "owners": index.owners_of(members, owns),
        "services": [{"id": index.service_id(s), "version": RESOURCE_VERSION} for s in members],
    }
    if entities:
        front["entities"] = [{"id": index.entity_id(a), "version": RESOURCE_VERSION} for a in entities]
    path = f"domains/{index.domain_id(context)}/index.mdx"
    return Artifact(path, document(front, pages.domain_page(index, context)), f"domain {context}")


def _service(index: CatalogIndex, name: str) -> Artifact:
    service = index.services[name]
    sends = []
    for message in index.sent_by(name):
        pointer: dict[str, Any] = _pointer(message)
        if message.channels:
            pointer["to"] = _channel_pointers(index, message)
        sends.append(pointer)
    receives = []
    for message in index.received_by(name):
        pointer = _pointer(message)
        if message.channels:
            pointer["from"] = _channel_pointers(index, message)
        triggers = index.triggers.get((name, message.name), [])
        if triggers:
            pointer["triggers"] = [
                {**_pointer(index.messages[t.message]), **({"condition": t.condition} if t.condition else {})}
                for t in triggers
            ]
        receives.append(pointer)
    front: dict[str, Any] = {
        "id": index.service_id(name),
        "name": name,
        "version": RESOURCE_VERSION,
        "summary": first_sentence(service.description) or pages.service_summary(index, name),
        "owners": index.service_owners(name, f"service {name}"),
    }
    badges = []
    if service.publishing in _PUBLISHING_BADGE:
        badges.append(badge(_PUBLISHING_BADGE[service.publishing], "red" if service.publishing == "direct" else "blue"))
    if service.event_sourced if service.event_sourced is not None else index.design.style.event_sourcing:
        badges.append(badge("Event-sourced", "purple"))
    if any(s.orchestrator == name and s.coordination == "orchestration" for s in index.design.sagas):
        badges.append(badge("Saga orchestrator", "orange"))
    if badges:
        front["badges"] = badges
    if sends:
        front["sends"] = sends
    if receives:
        front["receives"] = receives
    entities = [a for a, owner in index.aggregates.items() if owner == name]
    if entities:
        front["entities"] = [{"id": index.entity_id(a), "version": RESOURCE_VERSION} for a in entities]
    if service.database:
        front["writesTo"] = [{"id": index.container_id(service.database), "version": RESOURCE_VERSION}]
    path = f"{index.service_dir(name)}/index.mdx"
    return Artifact(path, document(front, pages.service_page(index, name)), f"service {name}")


# -- messages ----------------------------------------------------------------------------------------------------


def _contract(index: CatalogIndex, message: Message) -> Contract:
    """The message's contract from the contract mode; a design command gets one from what the design says of it."""
    from archassist.agent.contracts.define import from_design
    from archassist.agent.model.design import Event, PayloadField

    design = index.design
    source = f"the design {design.name}"
    if message.event is not None:
        return from_design(design, message.event, source=source)
    command = message.command
    assert command is not None
    aggregate = design.aggregate(command.aggregate)
    fields = []
    if aggregate is not None:
        fields.append(
            PayloadField(
                name=aggregate.id_field,
                type=index.field_type(aggregate.name, aggregate.id_field),
                description=f"Id of the {aggregate.name} the command is for.",
            )
        )
    key = command.idempotency_key
    if key and (aggregate is None or key != aggregate.id_field):
        fields.append(
            PayloadField(
                name=key,
                description="Idempotency key: a retried command carries the same value and is applied once.",
            )
        )
    stand_in = Event(
        name=command.name,
        description=command.description,
        aggregate=aggregate.name if aggregate else None,
        producer=command.issued_by if command.issued_by in {s.name for s in design.services} else None,
        topic=command.topic,
        partition_key=command.partition_key,
        fields=fields,
        role="command",
    )
    return from_design(design, stand_in, source=source)


def message_schema(index: CatalogIndex, message: Message, contract: Contract | None = None) -> dict[str, Any]:
    """The JSON Schema written beside a message: the contract's, with a design command's payload left open."""
    from archassist.agent.contracts.artifacts import json_schema

    schema = json_schema(contract or _contract(index, message))
    if message.command is not None:
        schema["$id"] = f"urn:archassist:command:{message.name}:v1"
        payload = schema["properties"]["payload"]
        payload["additionalProperties"] = True
        payload["description"] = (
            "The design names the command's target and idempotency key; the rest of its payload is not modelled, "
            "so the schema accepts further fields."
        )
    return schema


def _message(index: CatalogIndex, message: Message) -> list[Artifact]:
    from archassist.agent.contracts.artifacts import avro_schema

    design = index.design
    contract = _contract(index, message)
    event = message.event
    avro = design.style.schema_format == "avro" and event is not None
    label = {"events": "event", "commands": "command", "queries": "query"}[message.collection]
    front: dict[str, Any] = {
        "id": message.id,
        "name": message.name,
        "version": message.version,
        "summary": pages.message_summary(index, message),
        "owners": index.message_owners(message, f"{label} {message.name}"),
    }
    badges = pages.message_badges(index, message, contract)
    if badges:
        front["badges"] = badges
    front["schemaPath"] = "schema.avsc" if avro else "schema.json"
    if avro:
        front["schemas"] = [
            {"path": "schema.avsc", "name": "Avro", "format": "avro", "default": True},
            {"path": "schema.json", "name": "JSON Schema", "format": "jsonschema"},
        ]
    if message.channels:
        front["channels"] = _channel_pointers(index, message)
    if event is not None and event.deprecated:
        front["deprecated"] = {"message": f"{message.name} v{event.version or 1} is deprecated in the design."}
    folder = index.message_dir(message)
    what = f"{label} {message.name} v{message.version}"
    out = [
        Artifact(f"{folder}/index.mdx", document(front, pages.message_page(index, message, contract)), what),
        Artifact(
            f"{folder}/schema.json",
            json.dumps(message_schema(index, message, contract), indent=2, ensure_ascii=False) + "\n",
            f"JSON Schema of the {what}",
        ),
    ]
    if avro:
        out.append(
            Artifact(
                f"{folder}/schema.avsc",
                json.dumps(avro_schema(contract), indent=2, ensure_ascii=False) + "\n",
                f"Avro schema of the {what}",
            )
        )
    return out


# -- channels ----------------------------------------------------------------------------------------------------


def kafka_settings(topic: Topic) -> dict[str, Any]:
    """A topic's settings under Kafka's own names, as the channel's `x-kafka` custom property."""
    config: dict[str, Any] = {
        "cleanup.policy": topic.cleanup_policy,
        "retention.ms": -1 if topic.retention_days is None else round(topic.retention_days * MS_PER_DAY),
        "compression.type": topic.compression,
    }
    if topic.min_insync_replicas is not None:
        config["min.insync.replicas"] = topic.min_insync_replicas
    settings: dict[str, Any] = {}
    if topic.partitions is not None:
        settings["partitions"] = topic.partitions
    if topic.replication_factor is not None:
        settings["replicas"] = topic.replication_factor
    if topic.partition_key:
        settings["partitionKey"] = topic.partition_key
    settings["config"] = config
    return settings


def address_parameters(address: str) -> list[str]:
    """The `{name}` parameters of a templated address, in order."""
    import re

    found: list[str] = []
    for name in re.findall(r"\{([^{}]+)\}", address):
        if name not in found:
            found.append(name)
    return found


def channel_writers(index: CatalogIndex, topic_name: str) -> list[str]:
    """Services that write to a topic: senders of its messages, and consumers that dead-letter or retry into it."""
    writers: dict[str, None] = {}
    for message in index.messages_on(topic_name):
        writers |= dict.fromkeys(message.senders)
    for consumer in index.failed_into.get(topic_name, []):
        if consumer.service in index.services:
            writers[consumer.service] = None
    return list(writers)


def _channel_readers(index: CatalogIndex, topic_name: str) -> list[str]:
    readers: dict[str, None] = {}
    for message in index.messages_on(topic_name):
        readers |= dict.fromkeys(message.receivers)
    return list(readers)


def _channel(index: CatalogIndex, topic_name: str) -> Artifact:
    design = index.design
    topic = index.topics[topic_name]
    broker = design.style.broker.strip().lower()
    family = protocol_family(broker)
    front: dict[str, Any] = {
        "id": index.channel_id(topic_name),
        "name": topic_name,
        "version": RESOURCE_VERSION,
        "summary": pages.channel_summary(index, topic_name),
        "owners": index.owners_of(
            channel_writers(index, topic_name) or _channel_readers(index, topic_name), f"channel {topic_name}"
        ),
        "address": topic_name,
    }
    if family != "unspecified":
        front["protocols"] = [broker]
    front["deliveryGuarantee"] = _DELIVERY[design.requirements.delivery]
    parameters = address_parameters(topic_name)
    if parameters:
        front["parameters"] = {
            name: {"description": f"The {name} part of the address; the design does not list its values."}
            for name in parameters
        }
    if topic is not None:
        badges = []
        purpose = "dead_letter" if is_dead_letter_topic(topic) else "retry" if is_retry_topic(topic) else topic.purpose
        if purpose in _PURPOSE_BADGE:
            badges.append(badge(*_PURPOSE_BADGE[purpose]))
        if topic.partitions is not None:
            badges.append(badge(f"{topic.partitions} partition{'s' if topic.partitions != 1 else ''}", "gray"))
        if "compact" in topic.cleanup_policy:
            badges.append(badge("Compacted", "green"))
        if badges:
            front["badges"] = badges
        if family == "kafka":
            front["x-kafka"] = kafka_settings(topic)
    path = f"channels/{index.channel_id(topic_name)}/index.mdx"
    return Artifact(path, document(front, pages.channel_page(index, topic_name)), f"channel {topic_name}")


# -- entities and containers -------------------------------------------------------------------------------------


def _entity(index: CatalogIndex, name: str) -> Artifact:
    design = index.design
    aggregate = design.aggregate(name)
    service = index.aggregates[name]
    front: dict[str, Any] = {
        "id": index.entity_id(name),
        "name": name,
        "version": RESOURCE_VERSION,
        "summary": pages.entity_summary(index, name),
        "owners": index.owners_of([service] if service else [], f"entity {name}"),
        "aggregateRoot": True,
    }
    if aggregate is not None:
        front["identifier"] = aggregate.id_field
        front["properties"] = [
            {
                "name": aggregate.id_field,
                "type": index.field_type(name, aggregate.id_field),
                "required": True,
                "description": f"Identity of one {name}; its events are keyed by it.",
            }
        ]
    path = f"{index.entity_dir(name)}/index.mdx"
    return Artifact(path, document(front, pages.entity_page(index, name)), f"entity {name}")


def _container(index: CatalogIndex, database: str) -> Artifact:
    writers = index.databases[database]
    front: dict[str, Any] = {
        "id": index.container_id(database),
        "name": database,
        "version": RESOURCE_VERSION,
        "summary": pages.container_summary(index, database),
        "owners": index.owners_of(writers, f"container {database}"),
        "container_type": "database",
        "authoritative": len(writers) == 1,
        "access_mode": "readWrite",
    }
    path = f"{index.container_dir(database)}/index.mdx"
    return Artifact(path, document(front, pages.container_page(index, database)), f"container {database}")
