"""Define the contract of an event: from a design, or from a name the knowledge base and the planner fill in."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from archassist.agent.contracts.model import Classification, Consumer, Contract, ContractField, EnvelopeField
from archassist.agent.errors import InputError
from archassist.agent.model.design import (
    STANDARD_ENVELOPE,
    Aggregate,
    Design,
    Event,
    PayloadField,
    Saga,
    Service,
    Topic,
)
from archassist.agent.model.naming import kebab, pascal, snake, words_of

MIN_DEPRECATION_DAYS = 30
FOREVER_DEPRECATION_DAYS = 180

_ENVELOPE: dict[str, tuple[str, bool, str]] = {
    "event_id": ("uuid", True, "Unique id of this event; consumers deduplicate on it."),
    "event_type": ("string", True, "The event's name, for routing and for choosing the schema."),
    "aggregate_id": ("string", True, "Id of the aggregate the fact is about; the partition key."),
    "timestamp": ("timestamp", True, "When the fact happened (UTC)."),
    "version": ("integer", True, "Schema version of this event's payload."),
    "correlation_id": ("uuid", True, "Id of the business flow this event belongs to, copied from the first command."),
    "causation_id": ("uuid", False, "Id of the message that caused this one; empty for the first of a flow."),
}

_REASONS: dict[str, str] = {
    "BACKWARD": "consumers upgrade first: a consumer on the new schema can still read every event already in the "
    "topic, so a replay from the start keeps working; additive changes with defaults are safe",
    "BACKWARD_TRANSITIVE": "events are replayed from the beginning (event store, rebuilt projections), so the "
    "newest schema must read every version ever written, not only the last",
    "FORWARD": "producers upgrade first: consumers still on the old schema can read what the new producer writes",
    "FORWARD_TRANSITIVE": "producers upgrade first and old consumers of any earlier version stay in service",
    "FULL": "the event is shared across teams that deploy independently: old and new schemas read each other, in "
    "any deploy order",
    "FULL_TRANSITIVE": "the event is shared widely and kept long: every version reads every other",
    "NONE": "no compatibility is enforced: every schema change must be coordinated by hand with every consumer",
}


@dataclass
class ContractOutcome:
    """The contract, and how it was found."""

    contract: Contract
    design: Design | None = None
    notices: list[str] = field(default_factory=list)

    def render(self, fmt: str) -> str:
        from archassist.agent.contracts.render import render

        return render(self.contract, fmt)


def classify(payload_field: PayloadField, aggregate_id: str | None) -> Classification:
    if payload_field.pii:
        return "pii"
    name = payload_field.name.lower()
    if payload_field.type == "uuid" or name == aggregate_id or name in ("id", "uuid") or name.endswith("_id"):
        return "identifier"
    return "business_fact"


def ordering_guarantee(event: Event, partition_key: str | None, partitions: int | None) -> str:
    if event.ordering == "global":
        return "one ordered stream: every consumer sees every event in the order it was produced (one partition)"
    if event.ordering == "none" or not partition_key:
        return "no ordering: consumers must not depend on the order in which events arrive"
    spread = f" over {partitions} partitions" if partitions else ""
    return (
        f"events with the same {partition_key} arrive in the order they were produced (keyed{spread}); there is "
        "no order between different keys"
    )


def evolution_rules(mode: str) -> list[str]:
    base = mode.removesuffix("_TRANSITIVE")
    rules = [
        "Add a payload field only as optional with a default (null, or a neutral value), so readers of any "
        "version can fill it in.",
        "Never rename a field or change its type in place: add the new field, keep the old one, deprecate it.",
        "Never reuse a removed field's name for something else.",
    ]
    if base in ("BACKWARD", "FULL"):
        rules.append("Remove only optional fields that have a default; a required field stays for this version.")
    if base in ("FORWARD", "FULL"):
        rules.append("Old consumers must read new events: never add a required field, and add enum symbols only "
                     "to enums that declare a default.")
    if base == "NONE":
        rules.append("Nothing is checked: agree every change with each consumer listed here before publishing it.")
    rules.append("Anything else is a breaking change: follow the breaking-change procedure and raise the version.")
    return rules


def _deprecation(retention_days: float | None, event_sourced: bool) -> tuple[int, str]:
    if event_sourced or retention_days is None:
        return FOREVER_DEPRECATION_DAYS, (
            "events of the old version are kept forever, so old versions must stay readable through an upcaster; "
            f"the window gives consumers {FOREVER_DEPRECATION_DAYS} days to move to the new version"
        )
    days = max(MIN_DEPRECATION_DAYS, math.ceil(retention_days))
    return days, (
        f"the topic keeps events for {retention_days:g} days, so old-version events can be replayed that long; "
        f"the window is the longer of that and {MIN_DEPRECATION_DAYS} days"
    )


def procedure(contract_event: str, version: int, topic: str, producer: str, readers: list[str], days: int) -> list[str]:
    nxt = version + 1
    who = ", ".join(readers) if readers else "every consumer"
    return [
        f"Publish {contract_event} v{nxt} as a new version on its own subject (or topic {topic}.v{nxt}) instead of "
        f"changing v{version} in place.",
        f"Dual-publish v{version} and v{nxt} from {producer} for the deprecation window ({days} days).",
        f"Coordinate the move with {who}; each switches to v{nxt} and confirms.",
        f"Add an upcaster from v{version} to v{nxt} so replays and the event store read old events as the new shape.",
        f"After the window, stop publishing v{version} and mark it deprecated in the design.",
    ]


def _saga_events(saga: Saga) -> set[str | None]:
    names = {saga.trigger_event, saga.completion_event, saga.failure_event}
    names |= {n for step in saga.steps for n in (step.success_event, step.failure_event, step.compensation_event)}
    return names


def readers_of(design: Design, event_name: str) -> list[Consumer]:
    found = [
        Consumer(kind="consumer", name=c.name, service=c.service) for c in design.consumers if event_name in c.subscriptions
    ]
    found += [
        Consumer(kind="projection", name=p.name, service=p.service)
        for p in design.projections
        if event_name in p.source_events
    ]
    for saga in design.sagas:
        if event_name in _saga_events(saga):
            found.append(Consumer(kind="saga", name=saga.name, service=saga.orchestrator))
    return found


class _Scan:
    """The lookups :func:`from_design` makes, as scans of the design: the cheapest for the contract of one event."""

    def __init__(self, design: Design) -> None:
        self.design = design

    def service(self, name: str) -> Service | None:
        return self.design.service(name)

    def topic(self, name: str) -> Topic | None:
        return self.design.topic(name)

    def aggregate(self, name: str) -> Aggregate | None:
        return self.design.aggregate(name)

    def publisher(self, event_name: str) -> str | None:
        return next((s.name for s in self.design.services if event_name in s.publishes), None)

    def topic_of(self, event_name: str) -> str | None:
        return next((t.name for t in self.design.topics if event_name in t.events), None)

    def readers_of(self, event_name: str) -> list[Consumer]:
        return readers_of(self.design, event_name)


class DesignLookup(_Scan):
    """The same lookups indexed in one pass, so the contracts of every event of a large design cost one pass
    instead of one per event. Each gives the first match, as the scan does."""

    def __init__(self, design: Design) -> None:
        super().__init__(design)
        self._services = _first((s.name, s) for s in design.services)
        self._topics = _first((t.name, t) for t in design.topics)
        self._aggregates = _first((a.name, a) for a in design.aggregates)
        self._publisher = _first((name, s.name) for s in design.services for name in s.publishes)
        self._topic_of = _first((name, t.name) for t in design.topics for name in t.events)
        readers: dict[str, list[tuple[str, str, str | None]]] = {}
        for c in design.consumers:
            for name in dict.fromkeys(c.subscriptions):
                readers.setdefault(name, []).append(("consumer", c.name, c.service))
        for p in design.projections:
            for name in dict.fromkeys(p.source_events):
                readers.setdefault(name, []).append(("projection", p.name, p.service))
        for saga in design.sagas:
            for saga_event in _saga_events(saga):
                if saga_event is not None:
                    readers.setdefault(saga_event, []).append(("saga", saga.name, saga.orchestrator))
        self._readers = readers

    def service(self, name: str) -> Service | None:
        return self._services.get(name)

    def topic(self, name: str) -> Topic | None:
        return self._topics.get(name)

    def aggregate(self, name: str) -> Aggregate | None:
        return self._aggregates.get(name)

    def publisher(self, event_name: str) -> str | None:
        return self._publisher.get(event_name)

    def topic_of(self, event_name: str) -> str | None:
        return self._topic_of.get(event_name)

    def readers_of(self, event_name: str) -> list[Consumer]:
        return [
            Consumer(kind=kind, name=name, service=service)
            for kind, name, service in self._readers.get(event_name, [])
        ]


def _first(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def from_design(
    design: Design,
    event: Event,
    *,
    source: str,
    assumptions: list[str] | None = None,
    lookup: DesignLookup | None = None,
) -> Contract:
    """The contract of one event of a design; give ``lookup`` when building the contracts of many events."""
    found = lookup or _Scan(design)
    assumed = list(assumptions or [])
    producer = event.producer or found.publisher(event.name)
    if producer is None:
        producer = "unknown-producer"
        assumed.append("The design names no producer for this event; set one before publishing the contract.")
    service = found.service(producer)
    owner = event.owner or (service.owner if service else "") or f"the team of {producer}"
    topic_name = event.topic or found.topic_of(event.name)
    if topic_name is None:
        topic_name = f"{snake(producer.removesuffix('-service'))}.events"
        assumed.append(f"The design puts the event on no topic; {topic_name} is assumed.")
    topic = found.topic(topic_name)
    aggregate = found.aggregate(event.aggregate) if event.aggregate else None
    key = event.partition_key or (topic.partition_key if topic else None) or (aggregate.id_field if aggregate else None)
    mode = event.compatibility or "NONE"
    envelope_names = event.envelope or design.envelope.fields
    envelope = [
        EnvelopeField(name=n, type=_ENVELOPE[n][0], required=_ENVELOPE[n][1], description=_ENVELOPE[n][2])
        for n in STANDARD_ENVELOPE
        if n in envelope_names
    ]
    envelope += [
        EnvelopeField(name=n, type="string", description="Envelope field declared by the design.")
        for n in envelope_names
        if n not in _ENVELOPE
    ]
    id_field = aggregate.id_field if aggregate else key
    fields = [
        ContractField(
            name=f.name,
            type=f.type,
            items=f.items,
            required=f.required,
            description=f.description,
            classification=classify(f, id_field),
            protection=f.protection if f.pii and f.protection != "none" else ("encrypted" if f.pii else "none"),
        )
        for f in event.fields
    ]
    if any(f.pii and f.protection == "none" for f in event.fields):
        assumed.append("Personal data without a declared protection is assumed to be encrypted at field level.")
    readers = found.readers_of(event.name)
    days, why_days = _deprecation(topic.retention_days if topic else 7.0, design.style.event_sourcing)
    reader_names = sorted({r.service or r.name for r in readers})
    return Contract(
        event=event.name,
        version=event.version or 1,
        kind=event.kind,
        description=event.description,
        aggregate=event.aggregate,
        owner=owner,
        producer=producer,
        bounded_context=service.bounded_context if service else "",
        topic=topic_name,
        partition_key=key,
        ordering=event.ordering,
        ordering_guarantee=ordering_guarantee(event, key, topic.partitions if topic else None),
        envelope=envelope,
        fields=fields,
        compatibility=mode,
        compatibility_reason=_REASONS[mode],
        evolution_rules=evolution_rules(mode),
        deprecation_window_days=days,
        deprecation_reason=why_days,
        breaking_change_procedure=procedure(event.name, event.version or 1, topic_name, producer, reader_names, days),
        consumers=readers,
        upcasters=[f"v{u.from_version} -> v{u.to_version}: {u.description}".rstrip(": ") for u in event.upcasters],
        assumptions=assumed,
        source=source,
    )


# ---- by name ---------------------------------------------------------------------------------------------------


def event_name_of(target: str) -> str:
    """InvoicePaid from invoice.paid, invoice_paid, invoice-paid or InvoicePaid."""
    return pascal(target.strip())


def _knowledge_events() -> dict[str, tuple[Any, Any]]:
    from archassist.agent.planner.knowledge import domains

    return {e.name: (d, e) for d in domains().values() for e in d.events}


def _plan_brief(domain: Any, event_name: str) -> str:
    from archassist.agent.planner.knowledge import domains

    readers = [d.title for d in domains().values() if any(r.event == event_name for r in d.reacts_to)]
    return " and ".join(dict.fromkeys([domain.title, *readers]))


def from_name(target: str) -> tuple[Contract, Design]:
    """A contract for an event known only by name: the knowledge base, else a stated placeholder."""
    from archassist.agent.planner.compose import plan

    name = event_name_of(target)
    if not name:
        raise InputError("the event name is empty; give an event such as invoice.paid or InvoicePaid")
    known = _knowledge_events()
    by_lower = {k.lower(): k for k in known}
    if name.lower() in by_lower:
        found = by_lower[name.lower()]
        domain, _ = known[found]
        brief = _plan_brief(domain, found)
        design = plan(brief).design
        event = design.event(found)
        if event is not None:
            assumed = [
                f"'{target}' is the {found} event of the knowledge base's {domain.title} domain; producer, topic, "
                f"partition key, fields and consumers come from the offline planner's design of \"{brief}\". "
                "Adjust them to your system, or pass --design with your own design."
            ]
            return from_design(design, event, source=f"knowledge base: {domain.name}", assumptions=assumed), design
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.8)
    if near:
        raise InputError(
            f"unknown event '{target}'; did you mean {near[0]}? (or pass --design FILE for an event of your design)"
        )
    return _placeholder(target, name)


def _placeholder(target: str, name: str) -> tuple[Contract, Design]:
    words = words_of(name)
    noun = words[0] if len(words) > 1 else (words[0] if words else "record")
    aggregate = pascal(noun)
    id_field = f"{snake(noun)}_id"
    service = f"{kebab(noun)}-service"
    topic = f"{snake(noun)}.events"
    event = Event(
        name=name,
        aggregate=aggregate,
        producer=service,
        topic=topic,
        partition_key=id_field,
        owner=f"{noun} team",
        description=f"{' '.join(words).capitalize()}.",
        fields=[
            PayloadField(name=id_field, type="uuid", description=f"The {noun} the fact is about."),
            PayloadField(name="occurred_at", type="timestamp", description="When it happened."),
        ],
    )
    design = Design(name=f"{kebab(name)}-contract", events=[event])
    assumed = [
        f"'{target}' is not an event of the knowledge base; the contract assumes a {aggregate} aggregate owned by "
        f"{service}, topic {topic} keyed by {id_field}, and only the identifier and time as payload. Add the "
        "business facts the event carries, or pass --design with your own design."
    ]
    return from_design(design, event, source="placeholder (name not in the knowledge base)", assumptions=assumed), design


def find_event(design: Design, target: str, label: str) -> Event:
    event = design.event(target.strip())
    if event is not None:
        return event
    wanted = event_name_of(target).lower()
    match = next((e for e in design.events if e.name.lower() == wanted), None)
    if match is not None:
        return match
    near = difflib.get_close_matches(target.strip(), [e.name for e in design.events], n=1, cutoff=0.6)
    hint = f"did you mean {near[0]}?" if near else f"it has {len(design.events)} events; see `archassist review`"
    raise InputError(f"{label}: no event '{target}' in the design; {hint}")


def define(target: str, design: Design | None = None, *, design_label: str = "the design") -> ContractOutcome:
    if design is not None:
        event = find_event(design, target, design_label)
        return ContractOutcome(contract=from_design(design, event, source=design_label), design=design)
    contract, planned = from_name(target)
    return ContractOutcome(contract=contract, design=planned, notices=list(contract.assumptions))
