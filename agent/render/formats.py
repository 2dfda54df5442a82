"""Renderers: the documents and artifacts an architect hands over, each a projection of one Design.

- ``markdown``: the architecture document (Jinja2 template ``templates/design.md.j2``);
- ``json`` / ``yaml``: the Design file itself (through :mod:`archassist.agent.model.io`);
- ``report``: the structured architecture report (event store, topics, aggregates, projections, sagas,
  dead-letter configuration);
- ``mermaid``: the flow diagram plus one sequence diagram per saga, each in its own fenced block;
- PostgreSQL DDL for the event store and the transactional outbox.

Everything here is deterministic: the same Design always renders to the same text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from archassist.agent.model.design import (
    STANDARD_ENVELOPE,
    Aggregate,
    Consumer,
    Design,
    Event,
    PayloadField,
    RetryPolicy,
    Saga,
    SagaStep,
)

if TYPE_CHECKING:
    import jinja2

FORMATS: tuple[str, ...] = ("markdown", "json", "yaml", "report", "mermaid")

# The level-2 headings of the Markdown document, in order. "Precedents applied", "Event store schema",
# "Transactional outbox" and "Findings" appear only when they have something to say.
SECTION_HEADINGS: tuple[str, ...] = (
    "Overview",
    "Assumptions",
    "Precedents applied",
    "Event catalog",
    "Aggregates",
    "Flow diagram",
    "Topics",
    "Consumers and reliability",
    "Commands",
    "Read models",
    "Event store schema",
    "Transactional outbox",
    "Sagas",
    "Observability",
    "Decisions",
    "Trade-offs",
    "Findings",
    "Not modelled",
    "Suppressions",
)

# The seed report's keys, with the services, events and decisions a reader needs to act on it.
REPORT_KEYS: tuple[str, ...] = (
    "services",
    "events",
    "event_store",
    "topics",
    "aggregates",
    "projections",
    "sagas",
    "dead_letter_config",
    "decisions",
)

# One definition for every retry figure: an attempt is a delivery to the handler, the first one included.
RETRY_COUNTING = "max_attempts counts every delivery, the first included; max_retries = max_attempts - 1"

# Example messages make the envelope concrete; a few are enough, the catalog table lists the rest.
EXAMPLE_EVENT_COUNT = 3

_DASH = "—"
_SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


# ----------------------------------------------------------------------------------------------------
# Entry point


def render(
    design: Design,
    fmt: str,
    *,
    findings: Sequence[Mapping[str, Any]] = (),
    precedents: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Render the design in one of :data:`FORMATS`; findings and precedents only show in ``markdown``."""
    if fmt == "markdown":
        return render_markdown(design, findings=findings, precedents=precedents)
    if fmt in ("json", "yaml"):
        # Imported here: io pulls in PyYAML, which the other formats do not need.
        from archassist.agent.model.io import dumps

        return dumps(design, "json" if fmt == "json" else "yaml")
    if fmt == "report":
        return json.dumps(report(design), indent=2, ensure_ascii=False) + "\n"
    if fmt == "mermaid":
        return mermaid(design)
    raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


# ----------------------------------------------------------------------------------------------------
# Who sends what where: the topology every renderer reads.


def _add(items: list[str], item: str | None) -> None:
    if item and item not in items:
        items.append(item)


@dataclasses.dataclass
class _Topology:
    topics_of: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """Message (event or command) name → topics it travels on."""
    events_on: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    commands_on: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    producers_of: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """Message name → services (or outside actors) that send it."""
    subscribers_of: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """Message name → services that receive it."""

    def topics(self, message: str) -> list[str]:
        return self.topics_of.get(message, [])

    def producers(self, message: str) -> list[str]:
        return self.producers_of.get(message, [])

    def subscribers(self, message: str) -> list[str]:
        return self.subscribers_of.get(message, [])

    def messages_on(self, topic: str) -> list[str]:
        return self.events_on.get(topic, []) + self.commands_on.get(topic, [])

    def consumers_of_topic(self, topic: str) -> list[str]:
        found: list[str] = []
        for message in self.messages_on(topic):
            for service in self.subscribers(message):
                _add(found, service)
        return found


def _topology(design: Design) -> _Topology:
    topo = _Topology()

    def place(message: str, topic: str | None, on: dict[str, list[str]]) -> None:
        if not topic:
            return
        _add(topo.topics_of.setdefault(message, []), topic)
        _add(on.setdefault(topic, []), message)

    for topic in design.topics:
        topo.events_on.setdefault(topic.name, [])
        for name in topic.events:
            place(name, topic.name, topo.events_on)
        for name in topic.commands:
            place(name, topic.name, topo.commands_on)
    for event in design.events:
        place(event.name, event.topic, topo.events_on)
        _add(topo.producers_of.setdefault(event.name, []), event.producer)
    for command in design.commands:
        place(command.name, command.topic, topo.commands_on)
        _add(topo.producers_of.setdefault(command.name, []), command.issued_by)
        aggregate = design.aggregate(command.aggregate)
        if aggregate is not None:
            _add(topo.subscribers_of.setdefault(command.name, []), aggregate.service)
    for service in design.services:
        for name in service.publishes:
            _add(topo.producers_of.setdefault(name, []), service.name)
        for name in service.consumes:
            _add(topo.subscribers_of.setdefault(name, []), service.name)
    for consumer in design.consumers:
        for name in consumer.subscriptions:
            _add(topo.subscribers_of.setdefault(name, []), consumer.service)
        for name in consumer.emits:
            _add(topo.producers_of.setdefault(name, []), consumer.service)
    return topo


def _aggregate_events(design: Design, name: str) -> list[str]:
    found: list[str] = []
    aggregate = design.aggregate(name)
    for event_name in aggregate.events if aggregate else []:
        _add(found, event_name)
    for event in design.events:
        if event.aggregate == name:
            _add(found, event.name)
    return found


def _snapshot_every(design: Design, aggregate: Aggregate) -> int | None:
    """The aggregate's own snapshot interval, else the event store's when the aggregate lives in it."""
    if aggregate.snapshot_every is not None:
        return aggregate.snapshot_every
    service = design.service(aggregate.service)
    if design.event_store is not None and service is not None and service.publishing == "event_store":
        return design.event_store.snapshot_every
    return None


def _has_compensation(step: SagaStep) -> bool:
    return bool(step.compensation or step.compensation_command)


def _saga_compensates(saga: Saga) -> bool:
    """True when the saga has side effects and every one of them can be undone."""
    effects = [step for step in saga.steps if step.side_effect]
    return bool(effects) and all(_has_compensation(step) for step in effects)


# ----------------------------------------------------------------------------------------------------
# Formatting helpers


def format_days(days: float | None) -> str:
    """A retention as the report writes it: ``7d``, ``12h`` or ``forever``."""
    if days is None:
        return "forever"
    if float(days).is_integer():
        return f"{int(days)}d"
    hours = days * 24
    if abs(hours - round(hours)) < 1e-9:
        return f"{round(hours)}h"
    return f"{days:g}d"


def _days(days: float | None) -> str:
    if days is None:
        return "forever"
    return f"{_num(days)} day{'' if days == 1 else 's'}"


def _num(value: float | int) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"


def _ms(value: float | int) -> str:
    if value >= 1000 and value % 1000 == 0:
        return f"{_num(value / 1000)} s"
    return f"{_num(value)} ms"


def _seconds(value: float) -> str:
    if value >= 3600 and value % 3600 == 0:
        return f"{_num(value / 3600)} h"
    if value >= 60 and value % 60 == 0:
        return f"{_num(value / 60)} min"
    return f"{_num(value)} s"


def _count(n: int, noun: str) -> str:
    return f"{_num(n)} {noun}{'' if n == 1 else 's'}"


def _words(value: str) -> str:
    return value.replace("_", " ")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _code(value: str | None) -> str:
    return f"`{value}`" if value else _DASH


def _codes(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or _DASH


def md_cell(value: object) -> str:
    """A value made safe for one cell of a Markdown table."""
    if value is None or value == "":
        return _DASH
    text = str(value).replace("\r\n", "\n").strip()
    return text.replace("|", "\\|").replace("\n", "<br>")


def _md_line(value: object) -> str:
    """Free text squeezed onto one Markdown line (list items, headings)."""
    return " ".join(str(value).split())


def _as_mapping(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    if hasattr(item, "model_dump"):
        dumped: Mapping[str, Any] = item.model_dump()
        return dumped
    return {"message": str(item)}


# ----------------------------------------------------------------------------------------------------
# The structured report


def report(design: Design) -> dict[str, Any]:
    """The architect's structured report: a projection of the design with a fixed key order."""
    topo = _topology(design)
    store = design.event_store
    event_store: dict[str, Any] | None = None
    if store is not None:
        event_store = {
            "table": store.table,
            "partitioning": store.partitioning,
            "indexes": list(store.indexes),
            "unique": [list(columns) for columns in store.unique],
            "snapshot_table": store.snapshot_table,
        }
    topics = [
        {
            "name": topic.name,
            "partitions": topic.partitions,
            "retention": format_days(topic.retention_days),
            "replication": topic.replication_factor,
            "key": topic.partition_key,
            "events": list(topo.events_on.get(topic.name, [])),
            "consumers": topo.consumers_of_topic(topic.name),
        }
        for topic in design.topics
    ]
    aggregates = [
        {
            "name": aggregate.name,
            "events": _aggregate_events(design, aggregate.name),
            "snapshot_frequency": _snapshot_every(design, aggregate),
        }
        for aggregate in design.aggregates
    ]
    projections = [
        {
            "name": projection.name,
            "source_events": list(projection.source_events),
            "update_strategy": projection.update_strategy,
        }
        for projection in design.projections
    ]
    sagas = [
        {
            "name": saga.name,
            "coordination": saga.coordination,
            "steps": [step.name for step in saga.steps],
            "compensation": _saga_compensates(saga),
        }
        for saga in design.sagas
    ]
    policy = design.dead_letter_policy
    dead_letter_config = {
        "max_attempts": policy.max_attempts,
        "max_retries": policy.max_attempts - 1,
        "retry_counting": RETRY_COUNTING,
        "backoff": policy.backoff,
        "dlq_retention": format_days(policy.retention_days),
    }
    return {
        "services": _report_services(design),
        "events": _report_events(design, topo),
        "event_store": event_store,
        "topics": topics,
        "aggregates": aggregates,
        "projections": projections,
        "sagas": sagas,
        "dead_letter_config": dead_letter_config,
        "decisions": [
            {"id": d.id, "title": d.title, "status": d.status, "decision": d.decision} for d in design.decisions
        ],
    }


def _report_services(design: Design) -> list[dict[str, Any]]:
    return [
        {
            "name": service.name,
            "bounded_context": service.bounded_context or None,
            "database": service.database,
            "publishing": service.publishing,
            "publishes": list(service.publishes),
            "consumes": list(service.consumes),
        }
        for service in design.services
    ]


def _report_events(design: Design, topo: _Topology) -> list[dict[str, Any]]:
    return [
        {
            "name": event.name,
            "version": event.version,
            "aggregate": event.aggregate,
            "producer": event.producer,
            "topic": event.topic or next(iter(topo.topics(event.name)), None),
            "partition_key": event.partition_key,
            "fields": [f.name for f in event.fields],
            "compatibility": event.compatibility,
        }
        for event in design.events
    ]


# ----------------------------------------------------------------------------------------------------
# Mermaid


_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]+")
_LABEL_ESCAPES: dict[str, str] = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", ";": "#59;"}
_LABEL_SPECIAL = re.compile(r'["#<>;]')


class _Ids:
    """Mermaid node ids: only [A-Za-z0-9_], one per (kind, name), never two names on one id."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def __call__(self, prefix: str, name: str) -> str:
        key = (prefix, name)
        found = self._by_key.get(key)
        if found is not None:
            return found
        base = f"{prefix}_{_MERMAID_ID.sub('_', name).strip('_') or 'x'}"
        candidate, n = base, 2
        while candidate in self._used:
            candidate, n = f"{base}_{n}", n + 1
        self._used.add(candidate)
        self._by_key[key] = candidate
        return candidate


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid label or message: entity codes for the characters Mermaid parses."""
    flat = " ".join(str(text).split())
    return _LABEL_SPECIAL.sub(lambda m: _LABEL_ESCAPES[m.group(0)], flat)


def _quoted(text: str) -> str:
    return f'"{mermaid_text(text)}"'


def mermaid_flowchart(design: Design) -> str:
    """Services → topics → consuming services, events on the edges, as a Mermaid ``flowchart LR``."""
    topo = _topology(design)
    ids = _Ids()
    known_services = {service.name for service in design.services}
    nodes: list[str] = []
    declared: set[str] = set()

    def service_node(name: str) -> str:
        node = ids("svc", name)
        if node not in declared:
            declared.add(node)
            # Outside actors (a customer, a partner) are drawn rounded to set them apart from services.
            shape = f'["{mermaid_text(name)}"]' if name in known_services else f'(["{mermaid_text(name)}"])'
            nodes.append(f"    {node}{shape}")
        return node

    def topic_node(name: str) -> str:
        node = ids("topic", name)
        if node not in declared:
            declared.add(node)
            nodes.append(f"    {node}[({_quoted(name)})]")
        return node

    for service in design.services:
        service_node(service.name)
    for topic in design.topics:
        topic_node(topic.name)

    edges: dict[tuple[str, str, str], list[str]] = {}

    def edge(source: str, arrow: str, target: str, label: str) -> None:
        _add(edges.setdefault((source, arrow, target), []), label)

    for topic in design.topics:
        for message in topo.messages_on(topic.name):
            for producer in topo.producers(message):
                edge(service_node(producer), "-->", topic_node(topic.name), message)
    for topic in design.topics:
        for message in topo.messages_on(topic.name):
            for subscriber in topo.subscribers(message):
                edge(topic_node(topic.name), "-->", service_node(subscriber), message)
    # Events with no topic yet still connect their producer to their consumers, dashed.
    for event in design.events:
        if topo.topics(event.name):
            continue
        for producer in topo.producers(event.name):
            for subscriber in topo.subscribers(event.name):
                edge(service_node(producer), "-.->", service_node(subscriber), event.name)
    for consumer in design.consumers:
        if consumer.dead_letter is not None:
            edge(
                service_node(consumer.service),
                "-.->",
                topic_node(consumer.dead_letter.topic),
                "failed messages",
            )

    lines = ["flowchart LR"]
    if not nodes:
        lines.append(f"    empty[{_quoted('No services or topics in this design yet')}]")
    lines.extend(nodes)
    for (source, arrow, target), labels in edges.items():
        lines.append(f"    {source} {arrow}|{_quoted(', '.join(labels))}| {target}")
    return "\n".join(lines) + "\n"


def _find_saga(design: Design, saga: Saga | str) -> Saga:
    if isinstance(saga, Saga):
        return saga
    found = next((s for s in design.sagas if s.name == saga), None)
    if found is None:
        names = ", ".join(s.name for s in design.sagas) or "none"
        raise ValueError(f"no saga named {saga!r} in design {design.name!r}; sagas: {names}")
    return found


def _step_call(step: SagaStep) -> str:
    return step.command or step.action or step.name


def _success_label(step: SagaStep) -> str:
    return step.success_event or f"{_step_call(step)} done"


def _failure_label(step: SagaStep) -> str:
    reasons = [step.failure_event] if step.failure_event else []
    if step.timeout_s:
        reasons.append(f"no reply within {_seconds(step.timeout_s)}")
    return " or ".join(reasons) or f"{_step_call(step)} fails"


def _pivot_index(saga: Saga) -> int | None:
    return next((i for i, step in enumerate(saga.steps) if step.pivot), None)


def mermaid_sequence(design: Design, saga: Saga | str) -> str:
    """A saga's happy path and, at every step, the failure branch that undoes earlier steps in reverse."""
    found = _find_saga(design, saga)
    if found.coordination == "orchestration":
        lines = _orchestrated_sequence(design, found)
    else:
        lines = _choreographed_sequence(design, found)
    return "\n".join(lines) + "\n"


def _participants(ids: _Ids, names: Iterable[str]) -> list[str]:
    lines: list[str] = []
    for name in names:
        lines.append(f"    participant {ids('svc', name)} as {mermaid_text(name)}")
    return lines


def _orchestrated_sequence(design: Design, saga: Saga) -> list[str]:
    ids = _Ids()
    orchestrator_name = saga.orchestrator or f"{saga.name} orchestrator"
    orch = ids("orch", orchestrator_name)
    trigger_producer = None
    if saga.trigger_event:
        producers = _topology(design).producers(saga.trigger_event)
        trigger_producer = producers[0] if producers else None
    lines = ["sequenceDiagram", "    autonumber"]
    declared: list[str] = []
    if trigger_producer and trigger_producer != saga.orchestrator:
        declared.append(trigger_producer)
        lines += _participants(ids, declared)
    label = f"{orchestrator_name} (runs {saga.name})" if saga.orchestrator else orchestrator_name
    lines.append(f"    participant {orch} as {mermaid_text(label)}")
    lines += _participants(ids, [s for s in _step_services(saga) if s not in declared])
    if saga.trigger_event:
        if trigger_producer and trigger_producer != saga.orchestrator:
            lines.append(f"    {ids('svc', trigger_producer)}->>{orch}: {mermaid_text(saga.trigger_event)}")
        else:
            lines.append(f"    Note over {orch}: starts on {mermaid_text(saga.trigger_event)}")
    if not saga.steps:
        lines.append(f"    Note over {orch}: no steps defined yet")
        return lines
    pivot = _pivot_index(saga)
    for i, step in enumerate(saga.steps):
        target = ids("svc", step.service)
        lines.append(f"    {orch}->>{target}: {mermaid_text(_step_call(step))}")
        lines.append(f"    alt {mermaid_text(_success_label(step))}")
        lines.append(f"        {target}-->>{orch}: {mermaid_text(step.success_event or 'done')}")
        lines.append(f"    else {mermaid_text(_failure_label(step))}")
        if step.failure_event:
            lines.append(f"        {target}-->>{orch}: {mermaid_text(step.failure_event)}")
        if pivot is not None and i > pivot:
            lines.append(
                f"        Note over {orch},{target}: past the pivot: retry {mermaid_text(_step_call(step))} "
                "until it succeeds, no compensation"
            )
        else:
            lines += _orchestrated_compensations(ids, orch, saga, i)
        lines.append("    end")
    if saga.completion_event:
        lines.append(f"    Note over {orch}: saga completes with {mermaid_text(saga.completion_event)}")
    return lines


def _step_services(saga: Saga) -> list[str]:
    found: list[str] = []
    for step in saga.steps:
        _add(found, step.service)
    return found


def _compensation_block(
    ids: _Ids, hub: str, saga: Saga, failed: int, undo: Callable[[SagaStep, str], list[str]]
) -> list[str]:
    """The failure path after step `failed`: completed side effects undone in reverse order, then the end."""
    lines = ["        rect rgba(255, 220, 220, 0.4)"]
    done = saga.steps[:failed]
    if not any(step.side_effect for step in done):
        lines.append(f"            Note over {hub}: nothing to undo yet")
    for step in reversed(done):
        if not step.side_effect:
            continue
        target = ids("svc", step.service)
        if not _has_compensation(step):
            lines.append(
                f"            Note over {target}: {mermaid_text(_step_call(step))} has no compensation"
            )
            continue
        lines += undo(step, target)
    ending = f"saga fails with {saga.failure_event}" if saga.failure_event else "saga ends as failed"
    lines.append(f"            Note over {hub}: {mermaid_text(ending)}")
    lines.append("        end")
    return lines


def _orchestrated_compensations(ids: _Ids, orch: str, saga: Saga, failed: int) -> list[str]:
    def undo(step: SagaStep, target: str) -> list[str]:
        call = step.compensation_command or step.compensation or ""
        out = [f"            {orch}->>{target}: {mermaid_text(call)}"]
        if step.compensation_event:
            out.append(f"            {target}-->>{orch}: {mermaid_text(step.compensation_event)}")
        return out

    return _compensation_block(ids, orch, saga, failed, undo)


def _choreographed_sequence(design: Design, saga: Saga) -> list[str]:
    ids = _Ids()
    bus = ids("bus", design.style.broker or "bus")
    topo = _topology(design)
    trigger_producer = None
    if saga.trigger_event:
        producers = topo.producers(saga.trigger_event)
        trigger_producer = producers[0] if producers else None
    services: list[str] = []
    _add(services, trigger_producer)
    for step in saga.steps:
        _add(services, step.service)
    lines = ["sequenceDiagram", "    autonumber"]
    lines += _participants(ids, services[:1])
    lines.append(f"    participant {bus} as {mermaid_text(design.style.broker or 'event bus')} (event bus)")
    lines += _participants(ids, services[1:])
    if saga.trigger_event:
        if trigger_producer:
            lines.append(f"    {ids('svc', trigger_producer)}->>{bus}: {mermaid_text(saga.trigger_event)}")
        else:
            lines.append(f"    Note over {bus}: starts on {mermaid_text(saga.trigger_event)}")
    if not saga.steps:
        lines.append(f"    Note over {bus}: no steps defined yet")
        return lines
    pivot = _pivot_index(saga)
    incoming = saga.trigger_event
    for i, step in enumerate(saga.steps):
        target = ids("svc", step.service)
        if incoming:
            lines.append(f"    {bus}->>{target}: {mermaid_text(incoming)}")
        lines.append(f"    Note over {target}: {mermaid_text(step.action or step.name)}")
        lines.append(f"    alt {mermaid_text(_success_label(step))}")
        lines.append(f"        {target}->>{bus}: {mermaid_text(_success_label(step))}")
        lines.append(f"    else {mermaid_text(_failure_label(step))}")
        signal = step.failure_event
        if signal:
            lines.append(f"        {target}->>{bus}: {mermaid_text(signal)}")
        if pivot is not None and i > pivot:
            lines.append(
                f"        Note over {target}: past the pivot: retry {mermaid_text(_step_call(step))} "
                "until it succeeds, no compensation"
            )
        else:
            lines += _choreographed_compensations(ids, bus, saga, i, signal)
        lines.append("    end")
        incoming = step.success_event
    if saga.completion_event:
        lines.append(f"    Note over {bus}: saga completes with {mermaid_text(saga.completion_event)}")
    return lines


def _choreographed_compensations(
    ids: _Ids, bus: str, saga: Saga, failed: int, signal: str | None
) -> list[str]:
    def undo(step: SagaStep, target: str) -> list[str]:
        # Each compensation is triggered by the event of the one before it, starting from the failure.
        nonlocal signal
        out = [f"            {bus}->>{target}: {mermaid_text(signal)}"] if signal else []
        out.append(
            f"            Note over {target}: {mermaid_text(step.compensation or step.compensation_command or '')}"
        )
        if step.compensation_event:
            out.append(f"            {target}->>{bus}: {mermaid_text(step.compensation_event)}")
            signal = step.compensation_event
        return out

    return _compensation_block(ids, bus, saga, failed, undo)


def mermaid_diagrams(design: Design) -> list[str]:
    """Each diagram on its own, bare (no fences): the flowchart, then one sequence diagram per saga.

    A Mermaid file or a renderer holds one diagram; use one of these for a `.mmd` file.
    """
    return [mermaid_flowchart(design), *(mermaid_sequence(design, saga) for saga in design.sagas)]


def mermaid(design: Design) -> str:
    """Every diagram in its own ```mermaid fenced block, so the text pastes into Markdown and each block renders."""
    return "\n".join(f"```mermaid\n{diagram.rstrip()}\n```\n" for diagram in mermaid_diagrams(design))


# ----------------------------------------------------------------------------------------------------
# Templates


@cache
def _environment() -> jinja2.Environment:
    # Imported on first use: the report and Mermaid formats never pay for Jinja2.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archassist.agent.render", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["cell"] = md_cell
    env.filters["line"] = _md_line
    env.filters["code"] = _code
    env.filters["codes"] = _codes
    env.filters["sql_ident"] = sql_ident
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling the document template costs more than rendering it.

    Jinja2's per-user temp directory (mode 0700) holds them; when it cannot be used, templates are simply
    compiled each time.
    """
    from jinja2 import FileSystemBytecodeCache
    from jinja2.bccache import Bucket

    class QuietCache(FileSystemBytecodeCache):
        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError):
                bucket.reset()

        def dump_bytecode(self, bucket: Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        return QuietCache(pattern="__archassist_%s.cache")
    except (OSError, RuntimeError):
        return None


def _render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


# ----------------------------------------------------------------------------------------------------
# PostgreSQL DDL


_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
# Words PostgreSQL reserves outright; a column may still carry one of these names when it is quoted.
# fmt: off
_SQL_RESERVED = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
    "check", "collate", "column", "constraint", "create", "current_catalog", "current_date",
    "current_role", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc",
    "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
    "group", "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit", "localtime",
    "localtimestamp", "not", "null", "offset", "on", "only", "or", "order", "placing", "primary",
    "references", "returning", "select", "session_user", "some", "symmetric", "table", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where", "window", "with",
})
# fmt: on
_PG_MAX_IDENT = 63

_ENVELOPE_SQL: dict[str, tuple[str, bool, str]] = {
    # envelope field: (type, nullable, extra)
    "event_id": ("UUID", False, "PRIMARY KEY"),
    "event_type": ("VARCHAR(200)", False, ""),
    "aggregate_id": ("VARCHAR(255)", False, ""),
    "timestamp": ("TIMESTAMPTZ", False, ""),
    "version": ("INTEGER", False, ""),
    "correlation_id": ("UUID", True, ""),
    "causation_id": ("UUID", True, ""),
}


def sql_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted only when it has to be."""
    if _PLAIN_IDENT.match(name) and name not in _SQL_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _sql_name(*parts: str) -> str:
    raw = "_".join(re.sub(r"[^a-z0-9_]+", "_", part.lower()).strip("_") for part in parts if part)
    return raw[:_PG_MAX_IDENT].rstrip("_")


def _sql_comment(text: str) -> str:
    return " ".join(text.split())


def _sql_type(text: str) -> str:
    return text if '"' in text else text.upper()


@dataclasses.dataclass(frozen=True)
class _SqlColumn:
    name: str
    type: str
    nullable: bool = False
    extra: str = ""

    @property
    def sql(self) -> str:
        parts = [sql_ident(self.name), _sql_type(self.type)]
        if not self.nullable:
            parts.append("NOT NULL")
        if self.extra:
            parts.append(self.extra)
        return " ".join(parts)


def _default_store_columns(design: Design) -> list[_SqlColumn]:
    columns = [_SqlColumn("global_position", "BIGINT", extra="GENERATED ALWAYS AS IDENTITY")]
    envelope = list(design.envelope.fields) or list(STANDARD_ENVELOPE)
    for required in ("event_id", "event_type", "aggregate_id", "version"):
        _add(envelope, required)
    for name in envelope:
        sql_type, nullable, extra = _ENVELOPE_SQL.get(name, ("TEXT", True, ""))
        columns.append(_SqlColumn(name, sql_type, nullable, extra))
        if name == "aggregate_id":
            columns.append(_SqlColumn("aggregate_type", "VARCHAR(100)"))
    columns += [
        _SqlColumn("schema_version", "INTEGER", extra="DEFAULT 1"),
        _SqlColumn("data", "JSONB"),
        _SqlColumn("metadata", "JSONB", extra="DEFAULT '{}'::jsonb"),
        _SqlColumn("recorded_at", "TIMESTAMPTZ", extra="DEFAULT now()"),
    ]
    return columns


def _index_sql(table: str, spec: str) -> str:
    text = spec.strip().rstrip(";")
    if text.lower().startswith("create "):
        return text + ";"
    columns = [c.strip().strip('"') for c in text.strip("()").split(",") if c.strip()]
    name = _sql_name("idx", table, *columns)
    return f"CREATE INDEX IF NOT EXISTS {sql_ident(name)} ON {sql_ident(table)} ({_ident_list(columns)});"


def _ident_list(columns: Sequence[str]) -> str:
    return ", ".join(sql_ident(column) for column in columns)


def event_store_ddl(design: Design) -> str:
    """PostgreSQL DDL for the design's event store, or for a conventional one when the design has none."""
    store = design.event_store
    table = store.table if store else "event_store"
    if store and store.columns:
        columns = [_SqlColumn(c.name, c.type, c.nullable) for c in store.columns]
        names = {c.name for c in store.columns}
        if "event_id" in names and not any("primary key" in c.type.lower() for c in store.columns):
            columns = [
                dataclasses.replace(c, extra="PRIMARY KEY") if c.name == "event_id" else c for c in columns
            ]
    else:
        columns = _default_store_columns(design)
    column_names = [c.name for c in columns]
    unique = [list(u) for u in store.unique] if store else [["aggregate_id", "version"]]
    indexes = list(store.indexes) if store else ["global_position", "event_type", "correlation_id"]
    aggregate_id_type = next((c.type for c in columns if c.name == "aggregate_id"), "VARCHAR(255)")
    version_type = next((c.type for c in columns if c.name == "version"), "INTEGER")
    snapshot_table = store.snapshot_table if store else "snapshots"
    snapshot_every = store.snapshot_every if store else None
    retention = store.retention_days if store else None
    notes = [
        f"Event store of {_sql_comment(design.name)}: append-only; rows are never updated or deleted by the "
        "application.",
        f"Partitioning: {_sql_comment(store.partitioning if store else 'by aggregate_id')}.",
        "Events are kept forever." if retention is None else f"Events are kept {_num(retention)} days.",
    ]
    if not store:
        notes.append("The design declares no event store; this is the conventional layout.")
    guards_versions = any(sorted(u) == ["aggregate_id", "version"] for u in unique)
    return _render_template(
        "event_store.sql.j2",
        table=table,
        notes=notes,
        columns=[c.sql for c in columns],
        constraints=[
            f"CONSTRAINT {sql_ident(_sql_name('uq', table, *u))} UNIQUE ({_ident_list(u)})" for u in unique
        ],
        guards_versions=guards_versions or "aggregate_id" not in column_names,
        indexes=[_index_sql(table, spec) for spec in indexes],
        snapshot_table=snapshot_table,
        snapshot_every=snapshot_every,
        aggregate_id_type=_sql_type(aggregate_id_type),
        version_type=_sql_type(version_type),
    )


def outbox_ddl(table: str = "outbox") -> str:
    """PostgreSQL DDL for a transactional outbox, written with the state and relayed to the broker."""
    return _render_template(
        "outbox.sql.j2", table=table, index=sql_ident(_sql_name("idx", table, "unpublished"))
    )


# ----------------------------------------------------------------------------------------------------
# The Markdown architecture document


_SAMPLE_TIME = "2025-01-15T10:30:00Z"
_SAMPLE_NS = uuid.UUID("5b1f4c1e-8d1a-4f4e-9c55-7a0c3c1d2e10")
_PROTECTED_SAMPLE: dict[str, str] = {
    "encrypted": "enc:v1:9f1c2b7a",
    "crypto_shredding": "enc:subject-key:4be0c9d2",
    "tokenized": "tok_7d8e2c41",
    "hashed": "sha256:2c26b46b68ffc68f",
}
_STRING_SAMPLES: tuple[tuple[str, str], ...] = (
    ("email", "jane.doe@example.com"),
    ("currency", "EUR"),
    ("country", "DE"),
    ("phone", "+49 30 1234567"),
    ("address", "1 Example Street, Berlin"),
    ("name", "Jane Doe"),
    ("sku", "SKU-1042"),
    ("reason", "customer request"),
    ("status", "CONFIRMED"),
)
_SCHEMA_FORMATS: dict[str, str] = {
    "json_schema": "JSON Schema",
    "avro": "Avro",
    "protobuf": "Protocol Buffers",
}


def _sample_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_SAMPLE_NS, "/".join(parts)))


def _sample_scalar(name: str, kind: str) -> Any:
    samples: dict[str, Any] = {
        "integer": 1,
        "number": 49.9,
        "decimal": "49.90",
        "boolean": True,
        "uuid": _sample_uuid(name),
        "timestamp": _SAMPLE_TIME,
        "date": _SAMPLE_TIME[:10],
        "duration": "PT15M",
        "enum": "EXAMPLE",
        "object": {},
        "map": {},
        "bytes": "AAECAw==",
        "uri": "https://example.com/resource/1",
    }
    if kind in samples:
        return samples[kind]
    lowered = name.lower()
    for hint, value in _STRING_SAMPLES:
        if hint in lowered:
            return value
    return "sample " + _words(name)


def _sample_value(field: PayloadField) -> Any:
    if field.protection != "none":
        return _PROTECTED_SAMPLE[field.protection]
    if field.type == "array":
        return [_sample_scalar(field.name, field.items)] if field.items else []
    return _sample_scalar(field.name, field.type)


def _example_message(design: Design, event: Event) -> str:
    data = {field.name: _sample_value(field) for field in event.fields}
    aggregate = design.aggregate(event.aggregate) if event.aggregate else None
    id_field = event.partition_key or (aggregate.id_field if aggregate else None)
    aggregate_id = data.get(id_field) if id_field else None
    envelope_values: dict[str, Any] = {
        "event_id": _sample_uuid(event.name, "event"),
        "event_type": event.name,
        "aggregate_id": aggregate_id
        if isinstance(aggregate_id, str)
        else _sample_uuid(event.name, "aggregate"),
        "timestamp": _SAMPLE_TIME,
        "version": event.version or 1,
        "correlation_id": _sample_uuid("correlation"),
        "causation_id": _sample_uuid(event.name, "cause"),
        "specversion": "1.0",
        "source": f"/{event.producer}" if event.producer else "/",
        "type": event.name,
        "id": _sample_uuid(event.name, "event"),
        "time": _SAMPLE_TIME,
    }
    message: dict[str, Any] = {}
    for name in event.envelope if event.envelope is not None else design.envelope.fields:
        message[name] = envelope_values.get(name, "sample " + _words(name))
    message["data"] = data
    return json.dumps(message, indent=2, ensure_ascii=False)


def _field_summary(field: PayloadField) -> str:
    kind = f"array of {field.items}" if field.type == "array" and field.items else field.type
    text = f"`{field.name}`{'' if field.required else '?'}: {kind}"
    if field.pii:
        text += " **PII**" + (
            f" ({_words(field.protection)})" if field.protection != "none" else " (unprotected)"
        )
    return text


def _retry_summary(retry: RetryPolicy) -> str:
    attempts = "unbounded attempts" if retry.max_attempts is None else f"{retry.max_attempts} attempts"
    if retry.backoff == "none":
        return f"{attempts}, no backoff"
    text = f"{attempts}, {retry.backoff} backoff"
    if retry.initial_delay_ms or retry.max_delay_ms:
        text += f" {_ms(retry.initial_delay_ms)} → {_ms(retry.max_delay_ms)}"
    if retry.backoff == "exponential":
        text += f", factor {_num(retry.multiplier)}"
    if retry.jitter:
        text += ", jitter"
    return text


def _idempotency_summary(consumer: Consumer) -> str:
    idem = consumer.idempotency
    if idem.strategy == "none":
        return "none"
    text = _words(idem.strategy)
    if idem.key:
        text += f" on `{idem.key}`"
    details = []
    if idem.store:
        details.append(f"store {idem.store}")
    if idem.ttl_days:
        details.append(f"kept {_days(idem.ttl_days)}")
    return text + (f" ({', '.join(details)})" if details else "")


def _dead_letter_summary(consumer: Consumer) -> str:
    dl = consumer.dead_letter
    if dl is None:
        return "design default"
    parts = [f"`{dl.topic}`", f"kept {_days(dl.retention_days)}", f"{dl.redrive} redrive"]
    if dl.alert_depth is not None:
        parts.append(f"alert at {_num(dl.alert_depth)} waiting")
    return ", ".join(parts)


def _coordination_reason(design: Design) -> str:
    for decision in design.decisions:
        title = decision.title.lower()
        if any(word in title for word in ("coordination", "choreograph", "orchestrat")):
            return decision.decision or decision.context or decision.title
    return ""


def _overview(design: Design) -> dict[str, Any]:
    style, req = design.style, design.requirements
    coordination: str = style.coordination
    reason = _coordination_reason(design)
    if reason:
        coordination += f" — {_md_line(reason)}"
    envelope = _codes(design.envelope.fields) + (
        ", mapped onto CloudEvents" if design.envelope.cloudevents else ""
    )
    style_items = [
        ("Coordination", coordination),
        ("Event sourcing", _yes(style.event_sourcing)),
        ("CQRS", _yes(style.cqrs)),
        ("Broker", style.broker),
        ("Schema format", _SCHEMA_FORMATS.get(style.schema_format, style.schema_format)),
        ("Envelope", envelope),
        (
            "Size",
            ", ".join(
                _count(len(items), noun)
                for items, noun in (
                    (design.services, "service"),
                    (design.events, "event"),
                    (design.topics, "topic"),
                    (design.consumers, "consumer"),
                    (design.sagas, "saga"),
                )
            ),
        ),
    ]
    throughput = (
        f"{_num(req.throughput_eps)} events/s sustained" if req.throughput_eps is not None else "not stated"
    )
    peak = f"{_num(req.peak_factor)}x the sustained rate"
    if req.throughput_eps is not None:
        peak = f"{_num(req.throughput_eps * req.peak_factor)} events/s ({_num(req.peak_factor)}x sustained)"
    pii_fields = sum(1 for event in design.events for field in event.fields if field.pii)
    pii = _yes(req.pii) + (f"; {pii_fields} payload fields marked PII" if pii_fields else "")
    requirement_items = [
        ("Throughput", throughput),
        ("Peak", peak),
        (
            "Latency (p99)",
            f"{_num(req.latency_p99_ms)} ms end to end" if req.latency_p99_ms else "not stated",
        ),
        ("Consistency", _words(req.consistency)),
        ("Delivery guarantee", _words(req.delivery)),
        ("Audit trail", "required" if req.audit else "not required"),
        ("Retention", f"{_num(req.retention_days)} days" if req.retention_days else "not stated"),
        ("Personal data (PII)", pii),
        ("Partition capacity", f"{_num(req.partition_capacity_eps)} events/s per partition (assumed)"),
    ]
    return {
        "summary": _md_line(design.summary or design.brief) or "No summary yet.",
        "style": style_items,
        "requirements": requirement_items,
    }


def _catalog(design: Design, topo: _Topology) -> list[dict[str, str]]:
    rows = []
    for event in design.events:
        name = f"`{event.name}`" + (" (deprecated)" if event.deprecated else "")
        rows.append(
            {
                "name": name,
                "version": str(event.version) if event.version is not None else _DASH,
                "kind": event.kind + (", external" if event.external else ""),
                "producer": _codes(topo.producers(event.name)),
                "topic": _codes(topo.topics(event.name)),
                "key": _code(event.partition_key),
                "consumers": _codes(topo.subscribers(event.name)),
                "fields": "<br>".join(_field_summary(field) for field in event.fields) or _DASH,
                "description": event.description,
            }
        )
    return rows


def _saga_view(design: Design, saga: Saga) -> dict[str, Any]:
    meta = [
        ("Coordination", saga.coordination + (f", run by `{saga.orchestrator}`" if saga.orchestrator else ""))
    ]
    if saga.trigger_event:
        meta.append(("Starts on", f"`{saga.trigger_event}`"))
    if saga.completion_event:
        meta.append(("Completes with", f"`{saga.completion_event}`"))
    if saga.failure_event:
        meta.append(("Fails with", f"`{saga.failure_event}`"))
    meta.append(("State store", saga.state_store or "not stated"))
    if saga.timeout_s:
        meta.append(("Overall timeout", _seconds(saga.timeout_s)))
    meta.append(("Every side effect can be undone", _yes(_saga_compensates(saga))))
    steps = []
    for number, step in enumerate(saga.steps, start=1):
        compensation = step.compensation or ""
        chain = " → ".join(f"`{m}`" for m in (step.compensation_command, step.compensation_event) if m)
        if chain:
            compensation = f"{compensation} ({chain})" if compensation else chain
        if not compensation:
            compensation = "none needed" if not step.side_effect else "none"
        notes = []
        if step.pivot:
            notes.append("pivot")
        if not step.retriable:
            notes.append("not retriable")
        if not step.side_effect:
            notes.append("no side effect")
        if step.compensation_idempotent:
            notes.append("idempotent compensation")
        action = step.action if step.action != step.name else ""
        if step.command:
            action = f"{action} (`{step.command}`)" if action else f"`{step.command}`"
        steps.append(
            {
                "number": str(number),
                "name": step.name,
                "service": f"`{step.service}`",
                "action": action,
                "success": _code(step.success_event),
                "failure": _code(step.failure_event),
                "compensation": compensation,
                "timeout": _seconds(step.timeout_s) if step.timeout_s else _DASH,
                "notes": ", ".join(notes),
            }
        )
    return {
        "name": saga.name,
        "meta": meta,
        "steps": steps,
        "diagram": mermaid_sequence(design, saga).rstrip(),
    }


def _observability(design: Design) -> dict[str, Any]:
    obs = design.observability
    alerts = []
    for alert in obs.alerts:
        unit = alert.unit if alert.unit.startswith("%") or not alert.unit else f" {alert.unit}"
        threshold = f"{_num(alert.threshold)}{unit}"
        alerts.append(
            {
                "name": alert.name,
                "condition": f"`{alert.metric}` {alert.condition} {threshold} for {alert.for_duration}",
                "severity": alert.severity,
                "target": _code(alert.target),
            }
        )
    propagation = [
        (
            "Correlation id",
            "propagated from the first message to every message it causes"
            if obs.correlation_propagation
            else "not propagated; one business flow cannot be followed across services",
        ),
        (
            "Causation id",
            "each message names the message that caused it"
            if obs.causation_propagation
            else "not propagated; the chain of cause and effect is lost",
        ),
        ("Tracing", obs.tracing or "not chosen"),
    ]
    return {"metrics": obs.metrics, "alerts": alerts, "propagation": propagation}


def _title(design: Design) -> str:
    """The document title: the brief as a sentence when it is short enough to read as one, else the name."""
    brief = " ".join(design.brief.split()).rstrip(".")
    if brief and len(brief) <= 100:
        return brief[0].upper() + brief[1:]
    return design.name


def _precedent_views(design: Design, precedents: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    views = []
    for item in precedents:
        data = _as_mapping(item)
        pid = str(data.get("id") or "")
        applied_in = [d.id or d.title for d in design.decisions if pid and pid in d.cites]
        text = f"**{pid or 'precedent'}** {_md_line(data.get('title') or '')}".rstrip()
        decision = _md_line(data.get("decision") or "")
        if decision:
            text += f": {decision}"
        if applied_in:
            text += f" (applied in {', '.join(applied_in)})"
        views.append({"id": pid, "text": text})
    return views


def _finding_views(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    rows = [_as_mapping(item) for item in findings]
    rows.sort(
        key=lambda f: (
            _SEVERITY_ORDER.get(str(f.get("severity")), 3),
            str(f.get("code") or ""),
            str(f.get("pointer") or ""),
        )
    )
    return [
        {
            "severity": str(f.get("severity") or ""),
            "code": str(f.get("code") or ""),
            "message": str(f.get("message") or ""),
            "pointer": str(f.get("pointer") or ""),
            "fix": str(f.get("fix") or ""),
        }
        for f in rows
    ]


def _finding_counts(rows: Sequence[Mapping[str, str]]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["severity"]] = counts.get(row["severity"], 0) + 1
    parts = []
    for severity, n in sorted(counts.items(), key=lambda kv: (_SEVERITY_ORDER.get(kv[0], 3), kv[0])):
        noun = {"error": "error", "warning": "warning"}.get(severity, f"{severity} finding".strip())
        parts.append(f"{n} {noun}{'' if n == 1 else 's'}")
    return ", ".join(parts)


def render_markdown(
    design: Design,
    *,
    findings: Sequence[Mapping[str, Any]] = (),
    precedents: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The architecture document in Markdown, from ``templates/design.md.j2``."""
    topo = _topology(design)
    has_store = design.style.event_sourcing or design.event_store is not None
    outbox_services = [s.name for s in design.services if s.publishing == "outbox"]
    finding_rows = _finding_views(findings)
    context: dict[str, Any] = {
        "design": design,
        "overview": _overview(design),
        "precedents": _precedent_views(design, precedents),
        "title": _title(design),
        "catalog": _catalog(design, topo),
        "examples": [(e.name, _example_message(design, e)) for e in design.events[:EXAMPLE_EVENT_COUNT]],
        "more_events": max(0, len(design.events) - EXAMPLE_EVENT_COUNT),
        "aggregates": [
            {
                "aggregate": a,
                "events": _codes(_aggregate_events(design, a.name)),
                "snapshot": _snapshot_text(_snapshot_every(design, a)),
            }
            for a in design.aggregates
        ],
        "flowchart": mermaid_flowchart(design).rstrip(),
        "topics": [
            {
                "topic": t,
                "messages": _codes(topo.messages_on(t.name)),
                "retention": format_days(t.retention_days),
            }
            for t in design.topics
        ],
        "consumers": [
            {
                "consumer": c,
                "idempotency": _idempotency_summary(c),
                "retry": _retry_summary(c.retry),
                "dead_letter": _dead_letter_summary(c),
            }
            for c in design.consumers
        ],
        "default_policy": _default_policy_text(design),
        "event_store_ddl": event_store_ddl(design).rstrip() if has_store else "",
        "outbox_services": outbox_services,
        "outbox_ddl": outbox_ddl().rstrip() if outbox_services else "",
        "sagas": [_saga_view(design, saga) for saga in design.sagas],
        "observability": _observability(design),
        "findings": finding_rows,
        "finding_counts": _finding_counts(finding_rows),
        "show_fix": any(row["fix"] for row in finding_rows),
    }
    return _render_template("design.md.j2", **context)


def _snapshot_text(every: int | None) -> str:
    return f"{_num(every)} events" if every else _DASH


def _default_policy_text(design: Design) -> str:
    policy = design.dead_letter_policy
    retry = RetryPolicy(
        max_attempts=policy.max_attempts,
        backoff=policy.backoff,
        initial_delay_ms=policy.initial_delay_ms,
        max_delay_ms=policy.max_delay_ms,
        jitter=policy.jitter,
    )
    return (
        f"{_retry_summary(retry)}; then the message moves to the consumer's "
        f"`<topic>{policy.topic_suffix}` topic, "
        f"kept {_days(policy.retention_days)}, {policy.redrive} redrive, alert when "
        f"{_num(policy.alert_depth)} or more messages wait."
    )
