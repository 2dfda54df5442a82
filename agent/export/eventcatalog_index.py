"""Who sends and receives what, where every resource lives, and who owns it: the design read once, the way an
EventCatalog sees it.

EventCatalog knows domains, services, three kinds of message (events, commands, queries), channels, entities,
containers, flows and teams, and links them by id and version. The design links its parts by name, in several
places at once (a service's `publishes`, an event's `producer`, a consumer's `emits`, a saga step's `command`);
this module gathers all of them, so each link in the catalog has one source and every id it names is a file the
export writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from archassist.agent.model.design import Command, Consumer, Design, Event, FieldType, Service, Topic
from archassist.agent.model.naming import kebab

Collection = Literal["events", "commands", "queries"]
RESOURCE_VERSION = "1.0.0"  # the design versions messages only; every other resource starts at 1.0.0
UNASSIGNED_TEAM = "unassigned-owners"

# Ids are folder names and URL segments; a design name that is not one becomes its kebab-case form. Braces stay:
# they are how EventCatalog writes an address parameter (`orders.{env}.events`).
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._{}-]{0,99}")
_COLLECTION_OF_ROLE: dict[str, Collection] = {
    "event": "events",
    "reply": "events",
    "command": "commands",
    "request": "queries",
}


def message_version(version: int | None) -> str:
    """A design's schema version as the semantic version EventCatalog pins: v2 is 2.0.0."""
    return f"{version or 1}.0.0"


class _Ids:
    """Ids of one kind of resource: stable, file-safe, and unique even when two names share a kebab form."""

    def __init__(self) -> None:
        self._of: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, name: str) -> str:
        known = self._of.get(name)
        if known is not None:
            return known
        base = name if _SAFE_ID.fullmatch(name) else (kebab(name)[:100] or "unnamed")
        candidate, n = base, 1
        while candidate.lower() in self._taken:  # case-insensitive: the folders may land on macOS or Windows
            n += 1
            candidate = f"{base}-{n}"
        self._of[name] = candidate
        self._taken.add(candidate.lower())
        return candidate


@dataclass
class Trigger:
    """A message a service sends because it received another (EventCatalog's `receives[].triggers`)."""

    message: str
    condition: str = ""


@dataclass
class Message:
    """One message of the catalog: an event, a command or a query, and everything that links to it."""

    name: str
    id: str
    collection: Collection
    version: str
    event: Event | None = None  # the design's message, when it declares one
    command: Command | None = None  # a design command (no payload declared), when no event has the name
    senders: list[str] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    home: str | None = None  # the service whose folder holds the message

    @property
    def is_reply(self) -> bool:
        return self.event is not None and self.event.role == "reply"


@dataclass
class Team:
    id: str
    name: str
    owns: list[str] = field(default_factory=list)  # what the team owns, as "service order-service", for its page


def _add(items: list[str], name: str | None) -> None:
    if name and name not in items:
        items.append(name)


class CatalogIndex:
    """The design as EventCatalog resources: ids, folders, links and owners."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.services: dict[str, Service] = {}
        for service in design.services:
            self.services.setdefault(service.name, service)
        self.service_id, self.domain_id, self.channel_id = _Ids(), _Ids(), _Ids()
        self.entity_id, self.container_id, self.flow_id, self.team_id = _Ids(), _Ids(), _Ids(), _Ids()
        self._message_ids: dict[Collection, _Ids] = {"events": _Ids(), "commands": _Ids(), "queries": _Ids()}
        self.messages: dict[str, Message] = {}
        self.topics: dict[str, Topic | None] = {}
        for topic in design.topics:
            self.topics.setdefault(topic.name, topic)
        self.teams: dict[str, Team] = {}
        self.triggers: dict[tuple[str, str], list[Trigger]] = {}
        self._collect_messages()
        self._link_senders_and_receivers()
        self._collect_triggers()
        for message in self.messages.values():
            message.home = self._home(message)
        self.domains: dict[str, list[str]] = {}
        for service in self.services.values():
            if service.bounded_context.strip():
                self.domains.setdefault(service.bounded_context, []).append(service.name)
        self.aggregates: dict[str, str | None] = {a.name: a.service for a in design.aggregates}
        for service in self.services.values():
            for name in service.aggregates:
                if self.aggregates.get(name) is None:
                    self.aggregates[name] = service.name
        self.databases: dict[str, list[str]] = {}
        for service in self.services.values():
            if service.database:
                self.databases.setdefault(service.database, []).append(service.name)
        # Reverse maps the pages ask for once per service or topic; built once, a large design stays linear.
        self._sent_by: dict[str, list[Message]] = {}
        self._received_by: dict[str, list[Message]] = {}
        self._on_topic: dict[str, list[Message]] = {}
        for message in self.messages.values():
            for name in message.senders:
                self._sent_by.setdefault(name, []).append(message)
            for name in message.receivers:
                self._received_by.setdefault(name, []).append(message)
            for topic_name in message.channels:
                self._on_topic.setdefault(topic_name, []).append(message)
        self.failed_into: dict[str, list[Consumer]] = {}  # topic -> consumers that dead-letter or retry into it
        for consumer in design.consumers:
            targets = [r.topic for r in consumer.retry_topics]
            if consumer.dead_letter is not None:
                targets.append(consumer.dead_letter.topic)
            for target in dict.fromkeys(targets):
                self.failed_into.setdefault(target, []).append(consumer)
        self.field_types: dict[tuple[str, str], FieldType] = {}  # (aggregate, field) -> the type its events give
        for event in design.events:
            for payload_field in event.fields if event.aggregate else []:
                self.field_types.setdefault((event.aggregate or "", payload_field.name), payload_field.type)

    # -- messages ------------------------------------------------------------------------------------------------

    def _message(self, name: str, collection: Collection, version: str) -> Message:
        message = Message(name=name, id=self._message_ids[collection](name), collection=collection, version=version)
        self.messages[name] = message
        return message

    def _collect_messages(self) -> None:
        for event in self.design.events:
            if event.name in self.messages:
                continue
            message = self._message(event.name, _COLLECTION_OF_ROLE[event.role], message_version(event.version))
            message.event = event
            self._on_channel(message, event.topic)
        for command in self.design.commands:
            known = self.messages.get(command.name)
            if known is None:
                known = self._message(command.name, "commands", RESOURCE_VERSION)
                known.command = command
            # else a message the design declares with a payload says more than the command does; keep its topic
            self._on_channel(known, command.topic)
        for topic in self.design.topics:
            for name in [*topic.events, *topic.commands]:
                if name in self.messages:
                    self._on_channel(self.messages[name], topic.name)

    def _on_channel(self, message: Message, topic: str | None) -> None:
        if topic:
            _add(message.channels, topic)
            self.topics.setdefault(topic, None)  # named by a message but not declared: a channel without settings

    def _link_senders_and_receivers(self) -> None:
        design = self.design

        def sends(service: str | None, name: str | None) -> None:
            if service in self.services and name in self.messages:
                _add(self.messages[name].senders, service)

        def receives(service: str | None, name: str | None) -> None:
            if service in self.services and name in self.messages:
                _add(self.messages[name].receivers, service)

        for event in design.events:
            sends(event.producer, event.name)
            if event.role in ("command", "request") and event.aggregate:
                aggregate = design.aggregate(event.aggregate)
                receives(aggregate.service if aggregate else None, event.name)
        for service in design.services:
            for name in service.publishes:
                sends(service.name, name)
            for name in service.consumes:
                receives(service.name, name)
        for command in design.commands:
            sends(command.issued_by, command.name)
            aggregate = design.aggregate(command.aggregate)
            receives(aggregate.service if aggregate else None, command.name)
        for consumer in design.consumers:
            for name in consumer.subscriptions:
                receives(consumer.service, name)
            for name in consumer.emits:
                sends(consumer.service, name)
        for projection in design.projections:
            for name in projection.source_events:
                receives(projection.service, name)
        for saga in design.sagas:
            runner = saga.orchestrator if saga.coordination == "orchestration" else None
            receives(runner, saga.trigger_event)
            for step in saga.steps:
                for command_name in (step.command, step.compensation_command):
                    sends(runner, command_name)
                    receives(step.service, command_name)
                for event_name in (step.success_event, step.failure_event, step.compensation_event):
                    sends(step.service, event_name)
                    receives(runner, event_name)

    def _collect_triggers(self) -> None:
        """What receiving a message makes a service send: a command's events, and what its consumers emit."""
        conditions: dict[tuple[str, str], str] = {}
        for saga in self.design.sagas:
            for step in saga.steps:
                for outcome, word in ((step.success_event, "succeeds"), (step.failure_event, "fails")):
                    if step.command and outcome:
                        conditions.setdefault((step.command, outcome), f"when {step.name} {word}")
                if step.compensation_command and step.compensation_event:
                    conditions.setdefault(
                        (step.compensation_command, step.compensation_event), f"when {step.name} is compensated"
                    )
        for command in self.design.commands:
            aggregate = self.design.aggregate(command.aggregate)
            handler = aggregate.service if aggregate else None
            for name in command.emits:
                self._trigger(handler, command.name, name, conditions.get((command.name, name), ""))
        for consumer in self.design.consumers:
            for subscribed in consumer.subscriptions:
                for name in consumer.emits:
                    self._trigger(consumer.service, subscribed, name, consumer.action)

    def _trigger(self, service: str | None, received: str, sent: str, condition: str) -> None:
        if service not in self.services or received not in self.messages or sent not in self.messages:
            return
        found = self.triggers.setdefault((service, received), [])
        if all(t.message != sent for t in found):
            found.append(Trigger(sent, condition.strip()))

    def _home(self, message: Message) -> str | None:
        """Events live with their producer, commands and queries with the service that handles them; a message
        whose producer (or handler) the design does not name sits at the catalog's root, not with a stranger."""
        event = message.event
        if message.collection == "events":
            first = [event.producer] if event and event.producer in self.services else []
            order = [*first, *message.senders]
        else:
            order = message.receivers
        return order[0] if order else None

    def sent_by(self, service: str) -> list[Message]:
        return self._sent_by.get(service, [])

    def received_by(self, service: str) -> list[Message]:
        return self._received_by.get(service, [])

    def messages_on(self, topic: str) -> list[Message]:
        return self._on_topic.get(topic, [])

    def field_type(self, aggregate: str, field_name: str) -> FieldType:
        """The type the design's events give an aggregate's id field (uuid, string, …); string when none says."""
        return self.field_types.get((aggregate, field_name), "string")

    # -- where resources live ------------------------------------------------------------------------------------

    def service_dir(self, name: str) -> str:
        context = self.services[name].bounded_context
        own = f"services/{self.service_id(name)}"
        return f"domains/{self.domain_id(context)}/{own}" if context.strip() else own

    def message_dir(self, message: Message) -> str:
        base = f"{self.service_dir(message.home)}/" if message.home else ""
        return f"{base}{message.collection}/{message.id}"

    def entity_dir(self, aggregate: str) -> str:
        service = self.aggregates.get(aggregate)
        context = self.services[service].bounded_context if service in self.services else ""
        own = f"entities/{self.entity_id(aggregate)}"
        return f"domains/{self.domain_id(context)}/{own}" if context.strip() else own

    def container_dir(self, database: str) -> str:
        writers = self.databases[database]
        own = f"containers/{self.container_id(database)}"
        return f"{self.service_dir(writers[0])}/{own}" if len(writers) == 1 else own

    def domain_of(self, service: str | None) -> str | None:
        found = self.services.get(service or "")
        return found.bounded_context if found and found.bounded_context.strip() else None

    # -- owners --------------------------------------------------------------------------------------------------

    def team(self, owner: str | None, owns: str) -> str:
        """The team id of an owner named in the design, or the stand-in team when it names none."""
        name = (owner or "").strip()
        team_id = self.team_id(name) if name else UNASSIGNED_TEAM
        team = self.teams.setdefault(team_id, Team(team_id, name or "Owners not named in the design"))
        _add(team.owns, owns)
        return team_id

    def service_owners(self, name: str, owns: str) -> list[str]:
        return [self.team(self.services[name].owner, owns)]

    def owners_of(self, services: Iterable[str], owns: str) -> list[str]:
        found: list[str] = []
        for name in services:
            if name in self.services and self.services[name].owner.strip():
                _add(found, self.team(self.services[name].owner, owns))
        return found or [self.team(None, owns)]

    def message_owners(self, message: Message, owns: str) -> list[str]:
        declared = message.event.owner if message.event else None
        if declared and declared.strip():
            return [self.team(declared, owns)]
        return self.owners_of([message.home] if message.home else [], owns)
