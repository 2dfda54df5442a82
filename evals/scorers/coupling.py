"""coupling: services depend on each other only through published facts (a tightly coupled design scores low)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer, index_of, names
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.agent.rules.index import DesignIndex

WEIGHTS = {
    "async_event_paths": 3.0,
    "saga_path": 2.0,
    "own_databases": 3.0,
    "dependencies": 1.5,
    "own_internals": 2.0,
    "no_request_reply": 1.0,
}
THRESHOLDS = {"max_dependencies": 4.0}


def _dependencies(design: Design, index: DesignIndex) -> dict[str, set[str]]:
    """Per service, the other services it needs: producers of what it consumes and targets of its calls.

    An orchestrator's saga participants are left out: commanding them is its job, and the saga check judges how.
    """
    participants: dict[str, set[str]] = defaultdict(set)
    for saga in design.sagas:
        if saga.orchestrator:
            participants[saga.orchestrator].update(step.service for step in saga.steps)
    needs: dict[str, set[str]] = defaultdict(set)
    for consumer in design.consumers:
        for name in consumer.subscriptions:
            needs[consumer.service].update(index.producers.get(name, ()))
    for service in design.services:
        needs[service.name].update(call.target for call in service.sync_calls)
    return {
        service: {other for other in found if other != service and other not in participants.get(service, set())}
        for service, found in needs.items()
    }


class CouplingScorer(ParamScorer):
    """Checks (weight); higher is looser coupling:

    - async_event_paths (3): no service calls another synchronously while handling an event or command
      (credit 1 / (1 + calls) per service).
    - saga_path (2): no participant or orchestrator of a saga calls another participant of that saga
      synchronously: the saga's steps must survive each other's outages.
    - own_databases (3): every service with a database is its only user.
    - dependencies (1.5): each service depends on at most ``max_dependencies`` (4) other services through the
      events it consumes and the calls it makes (fan-in); an orchestrator's own saga participants do not count.
      Credit: max / actual when above.
    - own_internals (2): services touch only their own internals: an event about an aggregate is published by
      the aggregate's service, an aggregate is claimed by one service, a consumer or projection in another
      service reads integration events rather than another service's domain events, and a command decides
      from its own service's read models.
    - no_request_reply (1): no event waits for a reply over the bus.
    """

    name = "coupling"
    description = "No synchronous calls on event paths, no shared databases, bounded fan-in, no reading another's internals."
    default_weights = WEIGHTS
    default_thresholds = THRESHOLDS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        sheet = Sheet(self.name, self._params.weights)
        index = index_of(design)
        known = set(index.services)
        calls = sheet.check("async_event_paths", "event handlers make no synchronous calls")
        for service in design.services:
            targets = [c.target for c in service.sync_calls if c.on_event_path and c.target != service.name]
            calls.record(1 / (1 + len(targets)), f"'{service.name}' calls {names(targets)}")
        saga_path = sheet.check("saga_path", "saga steps do not call each other synchronously")
        for saga in design.sagas:
            members = {step.service for step in saga.steps} | ({saga.orchestrator} if saga.orchestrator else set())
            coupled = [
                f"{service.name} → {call.target}"
                for service in design.services
                if service.name in members
                for call in service.sync_calls
                if call.target in members and call.target != service.name
            ]
            saga_path.record(not coupled, f"saga '{saga.name}': {names(coupled)}")
        databases = sheet.check("own_databases", "each database has one service")
        users: dict[str, list[str]] = defaultdict(list)
        for service in design.services:
            if service.database:
                users[service.database.strip().lower()].append(service.name)
        for service in design.services:
            if service.database:
                others = [n for n in users[service.database.strip().lower()] if n != service.name]
                databases.record(not others, f"'{service.name}' shares '{service.database}' with {names(others)}")
        fan_in = sheet.check("dependencies", "services depend on few others")
        limit = self._params.thresholds["max_dependencies"]
        dependencies = _dependencies(design, index)
        for service in design.services:
            found = dependencies.get(service.name, set()) & known
            credit = 1.0 if len(found) <= limit else limit / len(found)
            fan_in.record(credit, f"'{service.name}' depends on {len(found)} services")
        internals = sheet.check("own_internals", "services touch only their own internals")
        _own_internals(design, index, internals)
        replies = sheet.check("no_request_reply", "no request/reply over the bus")
        for event in design.events:
            replies.record(not event.expects_reply, f"'{event.name}' waits for a reply")
        return sheet.score("the design has no services or events")


def _own_internals(design: Design, index: DesignIndex, check: Any) -> None:
    owner = {a.name: a.service for a in design.aggregates}
    claimed: dict[str, set[str]] = defaultdict(set)
    for service in design.services:
        for claimed_name in service.aggregates:
            claimed[claimed_name].add(service.name)
    for part in design.aggregates:
        claimed[part.name].add(part.service)
    for name, services in sorted(claimed.items()):
        check.record(len(services) <= 1, f"aggregate '{name}' is claimed by {names(sorted(services))}")
    for event in design.events:
        home = owner.get(event.aggregate or "")
        if home and event.producer:
            check.record(event.producer == home, f"'{event.producer}' publishes '{event.name}' about an aggregate of '{home}'")
    for consumer in design.consumers:
        for name in consumer.subscriptions:
            read = index.event(name)
            if read is None or read.kind != "domain" or read.external:
                continue
            producers = index.producers.get(name, set())
            if producers and consumer.service not in producers:
                check.record(False, f"'{consumer.service}' reads domain event '{name}' of {names(sorted(producers))}")
            else:
                check.record(True)
    for projection in design.projections:
        for name in projection.source_events:
            source = index.event(name)
            if source is None or source.kind != "domain" or source.external or not projection.service:
                continue
            producers = index.producers.get(name, set())
            check.record(
                not producers or projection.service in producers,
                f"read model '{projection.name}' reads domain event '{name}' of {names(sorted(producers))}",
            )
    read_models = {p.name: p.service for p in design.projections}
    for command in design.commands:
        home = owner.get(command.aggregate)
        for model in command.reads:
            keeper = read_models.get(model)
            if home and keeper:
                check.record(keeper == home, f"'{command.name}' decides from read model '{model}' of '{keeper}'")
