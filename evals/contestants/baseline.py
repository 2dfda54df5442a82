"""The naive baseline: what a newcomer to event-driven design draws for a brief.

It reads the same things from the brief as the planner (the business domains it names and the objects of its
actions) and draws the usual first sketch: a service per entity, every service on one shared database, one topic
called ``events`` with no partition count and no keys, ``Created``/``Updated`` events without versions or a
compatibility mode, a consumer per service that reads everything the others publish with no idempotency, the
broker's default retry (forever) and no dead letters, a synchronous call to the next service to fetch what the
event did not carry, and no monitoring. It is the floor every real contestant should clear on every criterion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.evals.base import Scenario

MAX_ENTITIES = 4
FALLBACK_ENTITY = "record"
TOPIC = "events"
DATABASE = "app-db"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or FALLBACK_ENTITY


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in _slug(text).split("-"))


def entities(brief: str) -> list[str]:
    """The things a newcomer draws boxes for: the main aggregate of each domain the brief names, then the objects
    of its actions, in the order the brief gives them (at most four, at least one)."""
    from archassist.agent.planner.brief import parse_brief
    from archassist.agent.planner.storming import storm

    found: list[str] = []
    for match in parse_brief(brief).domains:
        if match.domain.aggregates:
            found.append(match.domain.aggregates[0].name)
    for action in storm(brief).actions:
        head = action.obj.split()[-1] if action.obj.strip() else ""
        if head:
            found.append(head)
    unique: list[str] = []
    for name in found:
        slug = _slug(name)
        if slug not in unique:
            unique.append(slug)
    return unique[:MAX_ENTITIES] or [FALLBACK_ENTITY]


class BaselineContestant:
    """One topic, no keys, no dead letters, no idempotency, no versions: the newcomer's sketch of the brief."""

    name = "baseline"

    @property
    def params(self) -> Mapping[str, Any]:
        return {"max_entities": MAX_ENTITIES, "topic": TOPIC, "database": DATABASE}

    def design(self, scenario: Scenario) -> Design:
        from archassist.agent.model.design import (
            Aggregate,
            Command,
            Consumer,
            Design,
            Envelope,
            Event,
            PayloadField,
            Service,
            SyncCall,
            Topic,
        )

        names = entities(scenario.brief)
        services: list[Service] = []
        aggregates: list[Aggregate] = []
        commands: list[Command] = []
        events: list[Event] = []
        for position, entity in enumerate(names):
            service = f"{entity}-service"
            kind = _pascal(entity)
            published = [f"{kind}Created", f"{kind}Updated"]
            following = names[(position + 1) % len(names)]
            calls = [SyncCall(target=f"{following}-service", purpose=f"fetch the {following}")] if len(names) > 1 else []
            services.append(
                Service(name=service, database=DATABASE, publishes=published, publishing="direct", sync_calls=calls,
                        aggregates=[kind])
            )
            key = f"{entity.replace('-', '_')}_id"
            aggregates.append(Aggregate(name=kind, service=service, id_field=key, commands=[f"Save{kind}"],
                                        events=published))
            commands.append(Command(name=f"Save{kind}", aggregate=kind, emits=published))
            for name in published:
                events.append(
                    Event(name=name, version=None, compatibility=None, aggregate=kind, producer=service, topic=TOPIC,
                          fields=[PayloadField(name=key, type="uuid")])
                )
        consumers = [
            Consumer(
                name=f"{service.name}-listener",
                service=service.name,
                subscriptions=[e.name for e in events if e.producer != service.name],
            )
            for service in services
            if len(services) > 1
        ]
        return Design(
            name=f"baseline-{scenario.id}",
            brief=scenario.brief,
            envelope=Envelope(fields=["event_id", "timestamp"]),
            services=services,
            aggregates=aggregates,
            commands=commands,
            events=events,
            topics=[Topic(name=TOPIC, partitions=None, events=[e.name for e in events])],
            consumers=consumers,
        )
