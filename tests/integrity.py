"""Structural checks every planned design must pass, independent of the rules engine."""

from __future__ import annotations

from archassist.agent.model.design import STANDARD_ENVELOPE, Design


def integrity_problems(design: Design) -> list[str]:
    problems: list[str] = []
    services = {s.name for s in design.services}
    events = {e.name for e in design.events}
    commands = {c.name for c in design.commands}
    topics = {t.name for t in design.topics}
    aggregates = {a.name for a in design.aggregates}
    messages = events | commands
    consumed = {s for c in design.consumers for s in c.subscriptions}
    consumed |= {s for p in design.projections for s in p.source_events}

    if not design.services or not design.events or not design.topics or not design.consumers:
        problems.append("design is missing services, events, topics or consumers")
    missing_envelope = set(STANDARD_ENVELOPE) - set(design.envelope.fields)
    if missing_envelope:
        problems.append(f"envelope lacks {sorted(missing_envelope)}")
    for e in design.events:
        for attr in ("producer", "topic", "partition_key", "version", "aggregate", "owner", "compatibility"):
            if getattr(e, attr) in (None, ""):
                problems.append(f"event {e.name} has no {attr}")
        if e.producer and e.producer not in services:
            problems.append(f"event {e.name}: unknown producer {e.producer}")
        if e.topic and e.topic not in topics:
            problems.append(f"event {e.name}: unknown topic {e.topic}")
        if e.aggregate and e.aggregate not in aggregates:
            problems.append(f"event {e.name}: unknown aggregate {e.aggregate}")
        if e.name not in consumed:
            problems.append(f"event {e.name} has no consumer")
        if not e.fields:
            problems.append(f"event {e.name} has no payload fields")
        for f in e.fields:
            if f.pii and f.protection == "none":
                problems.append(f"event {e.name}: PII field {f.name} is unprotected")
    for t in design.topics:
        for name in [*t.events, *t.commands]:
            if name not in messages:
                problems.append(f"topic {t.name}: unknown message {name}")
        if t.purpose != "dead_letter" and not t.partition_key:
            problems.append(f"topic {t.name} has no partition key")
    for c in design.consumers:
        where = f"consumer {c.name}"
        if c.service not in services:
            problems.append(f"{where}: unknown service {c.service}")
        if not c.subscriptions:
            problems.append(f"{where} consumes nothing")
        for s in c.subscriptions:
            if s not in messages:
                problems.append(f"{where}: unknown subscription {s}")
        for s in c.emits:
            if s not in messages:
                problems.append(f"{where}: emits unknown message {s}")
        if c.idempotency.strategy == "none" or not c.idempotency.key:
            problems.append(f"{where} is not idempotent")
        r = c.retry
        if r.max_attempts is None or r.max_attempts > 20 or r.backoff != "exponential" or not r.jitter:
            problems.append(f"{where} has no bounded exponential retry with jitter")
        if c.dead_letter is None or c.dead_letter.topic not in topics or not c.dead_letter.retention_days:
            problems.append(f"{where} has no dead-letter topic with retention")
    for s in design.services:
        for name in [*s.publishes, *s.consumes]:
            if name not in messages:
                problems.append(f"service {s.name}: unknown message {name}")
        if s.database and s.publishes and s.publishing not in {"outbox", "cdc", "event_store"}:
            problems.append(f"service {s.name} dual-writes")
    for cmd in design.commands:
        if cmd.aggregate not in aggregates:
            problems.append(f"command {cmd.name}: unknown aggregate {cmd.aggregate}")
        if cmd.topic and cmd.topic not in topics:
            problems.append(f"command {cmd.name}: unknown topic {cmd.topic}")
    for p in design.projections:
        for e in p.source_events:
            if e not in events:
                problems.append(f"projection {p.name}: unknown event {e}")
        if not p.idempotent or p.rebuild == "none":
            problems.append(f"projection {p.name} is not idempotent and rebuildable")
    for saga in design.sagas:
        if not saga.state_store or not saga.completion_event or not saga.failure_event:
            problems.append(f"saga {saga.name} lacks state store or terminal events")
        for ref in (saga.trigger_event, saga.completion_event, saga.failure_event):
            if ref and ref not in events:
                problems.append(f"saga {saga.name}: unknown event {ref}")
        if saga.coordination == "orchestration" and saga.orchestrator not in services:
            problems.append(f"saga {saga.name}: unknown orchestrator")
        pivot = next((i for i, st in enumerate(saga.steps) if st.pivot), len(saga.steps))
        for position, step in enumerate(saga.steps):
            if step.service not in services:
                problems.append(f"saga {saga.name} step {step.name}: unknown service")
            if step.timeout_s is None:
                problems.append(f"saga {saga.name} step {step.name} has no timeout")
            if position < pivot and step.side_effect and not (step.compensation and step.compensation_event):
                problems.append(f"saga {saga.name} step {step.name} has no compensation")
            for ref in (step.success_event, step.failure_event, step.compensation_event):
                if ref and ref not in events:
                    problems.append(f"saga {saga.name} step {step.name}: unknown event {ref}")
            for ref in (step.command, step.compensation_command):
                if ref and ref not in commands:
                    problems.append(f"saga {saga.name} step {step.name}: unknown command {ref}")
    if design.style.event_sourcing:
        store = design.event_store
        if store is None or ["aggregate_id", "version"] not in store.unique:
            problems.append("event-sourced design without unique (aggregate_id, version)")
    obs = design.observability
    metrics = {m.name for m in obs.metrics}
    if not {"consumer_lag_seconds", "dlq_depth"} <= metrics:
        problems.append("lag or DLQ depth not measured")
    for a in obs.alerts:
        if a.metric not in metrics:
            problems.append(f"alert {a.name}: unknown metric {a.metric}")
    if not obs.correlation_propagation or not obs.causation_propagation:
        problems.append("correlation/causation ids do not propagate")
    if not design.decisions or not design.tradeoffs or not design.assumptions:
        problems.append("design lacks decisions, trade-offs or assumptions")
    return problems
