"""Reliability mode: a retry, ordering and recovery plan for a design, with the capacity figures behind it.

The target is a design file, a brief (designed first by the offline planner) or a request about one flow
("retry strategy for webhook ingestion", planned for that flow alone). :func:`run_reliability` returns a
:class:`ReliabilityResult`; the surfaces render it as Markdown (:mod:`.reliability_render`) or JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from archassist.agent.capacity.analysis import (
    DEAD_LETTER_NOTICE_DAYS,
    CapacityAnalysis,
    WhatIf,
    analyse,
    format_duration,
    group_of,
)
from archassist.agent.errors import InputError
from archassist.agent.model.design import Consumer, Design
from archassist.agent.model.findings import Finding

TargetKind = Literal["design", "brief", "flow"]
DESIGN_SUFFIXES = (".yaml", ".yml", ".json")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|sec|s|m|h|d)", re.IGNORECASE)
_UNIT_S = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86_400.0}
# Requests about one flow rather than a whole system: "retry strategy for X", "dead letters for X", …
_FLOW_REQUEST = re.compile(
    r"^\s*(?:a\s+|the\s+)?(?:retry|retries|reliability|recovery|resilience|replay|idempotency|dead[- ]letter\w*|"
    r"dlq|failure|error|backpressure|ordering)(?:\s+(?:strategy|strategies|plan|policy|handling|design))?"
    r"\s+(?:for|of|in|on)\s+(?P<flow>.+)$",
    re.IGNORECASE,
)


def parse_duration(text: str, option: str = "--outage") -> float:
    """Seconds in '15m', '30s', '2h', '1d', '500ms' or '1h30m'; one clear line for anything else."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = list(_DURATION_PART.finditer(cleaned))
    if not cleaned or not parts or "".join(p.group(0) for p in parts) != cleaned:
        raise InputError(f"{option} '{text}' is not a duration; write a number and a unit, e.g. 15m, 30s, 2h or 1h30m")
    return sum(float(p.group(1)) * _UNIT_S[p.group(2)] for p in parts)


def parse_rate(text: str | float, option: str) -> float:
    """A share from '0.01', '1%' or 0.01; refused unless 0 ≤ share < 1."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InputError(f"{option} '{text}' is not a rate; give a share such as 0.01 or 1%") from None
    if not 0 <= value < 1:
        raise InputError(f"{option} {text} is out of range; give a share at least 0 and below 1 (e.g. 0.01 or 1%)")
    return value


@dataclass
class ConsumerPlan:
    """What one consumer does when things go wrong, in the words of the plan."""

    consumer: str
    group: str
    delivery: str
    idempotency: str
    retry_schedule: str
    retry_mode: str
    dead_letter: str
    ordering: str
    poison: str


@dataclass
class FlowPlan:
    """A topic and who writes and reads it: replay, relay failure, broker outage and backpressure."""

    topic: str
    producers: list[str]
    groups: list[str]
    replay: str
    relay_failure: str
    broker_outage: str
    backpressure: str


@dataclass
class ReliabilityResult:
    design: Design
    kind: TargetKind
    target: str
    focus: str | None
    analysis: CapacityAnalysis
    consumers: list[ConsumerPlan]
    flows: list[FlowPlan]
    findings: list[Finding]
    assumptions: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Reliability plan: {self.focus or self.design.name}"

    def summary(self) -> dict[str, Any]:
        rows = self.analysis.capacity
        judged = [r for r in rows if r.keeps_up is not None]
        return {
            "design": self.design.name,
            "kind": self.kind,
            "consumers": len(self.design.consumers),
            "capacity_rows": len(rows),
            "falling_behind": sum(1 for r in judged if not r.keeps_up),
            "outside_retention": sum(1 for r in judged if r.within_retention is False),
            "findings": len(self.findings),
        }

    def to_data(self) -> dict[str, Any]:
        from dataclasses import asdict

        figures = self.analysis.to_data()
        return {
            "title": self.title,
            "target": self.target,
            "summary": self.summary(),
            **figures,
            "plan": {
                "consumers": [asdict(c) for c in self.consumers],
                "flows": [asdict(f) for f in self.flows],
            },
            "findings": [f.to_dict() for f in self.findings],
            "assumptions": [*self.assumptions, *figures["assumptions"]],
        }


# ---- the target ----------------------------------------------------------------------------------------------


def _exists(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # a long brief is not a path the system can even look up
        return False


def resolve_target(target: str) -> tuple[Design, TargetKind, str | None, list[str]]:
    """The design a target names, its kind, the flow it focuses on, and what was assumed to get it."""
    text = target.strip()
    if not text:
        raise InputError('the target is empty; give a design file, a brief, or e.g. "retry strategy for webhook ingestion"')
    looks_like_file = "\n" not in text and (text.lower().endswith(DESIGN_SUFFIXES) or _exists(text))
    if looks_like_file:
        from archassist.agent.model.io import load_design_file

        return load_design_file(text).design, "design", None, []
    from archassist.agent.planner.compose import plan

    match = _FLOW_REQUEST.match(text)
    if match:
        flow = match.group("flow").strip().rstrip(".")
        design = plan(flow).design
        return design, "flow", text, [
            f"no design was given: the offline planner designed '{flow}' on its own, so every figure rests on "
            "the planner's rates and handler times; review it with your real numbers",
        ]
    design = plan(text).design
    return design, "brief", None, ["the design comes from the offline planner for this brief; its numbers are the planner's"]


# ---- the plan ------------------------------------------------------------------------------------------------


def _consumer_plan(design: Design, consumer: Consumer, analysis: CapacityAnalysis, position: int) -> ConsumerPlan:
    retry = next(r for r in analysis.retries if r.consumer_index == position)
    dead = next(r for r in analysis.dead_letters if r.consumer_index == position)
    idem = next(r for r in analysis.idempotency if r.consumer_index == position)
    what = analysis.what_if
    if consumer.delivery == "at_least_once":
        delivery = (
            "At least once: commit the offset only after the handler's own transaction commits, so a crash "
            "redelivers instead of losing; every message may arrive more than once."
        )
    else:
        delivery = (
            "At most once: the offset is committed before handling, so a crash loses the message. Keep this "
            "only for data whose loss is accepted, and record that decision."
        )
    if idem.strategy == "none":
        idempotency = "None stated: add a dedup store keyed by event_id, or make the write an upsert by entity id."
    else:
        idempotency = f"{idem.strategy} by `{idem.key or 'event_id'}` in `{idem.store or 'an unnamed store'}`"
        if idem.window_s is not None:
            idempotency += (
                f"; duplicates can arrive for {format_duration(idem.window_s)} (retries + outage + redelivery), "
                f"{idem.keys_in_window:,.0f} keys at peak"
            )
        if idem.keys_held is not None and idem.store_bytes is not None:
            idempotency += (
                f"; at a {idem.ttl_days:g}-day TTL the store holds {idem.keys_held:,.0f} keys "
                f"(~{idem.store_bytes / 1e9:,.2f} GB)"
            )
        if idem.ttl_covers is False:
            idempotency += " — the TTL is shorter than the window: raise it"
        idempotency += "."
    if retry.attempts is None:
        schedule = "Unbounded: a poison message is retried forever. Bound it (5 attempts is typical)."
    elif retry.attempts == 1:
        schedule = "One attempt, no retries: every failure goes straight to the dead-letter topic."
    else:
        delays = ", ".join(format_duration(d / 1000) for d in retry.delays_ms)
        jitter = (
            f" (jittered between {format_duration(sum(retry.delays_low_ms) / 1000)} and "
            f"{format_duration(sum(retry.delays_ms) / 1000)} in total)"
            if retry.jitter
            else " (no jitter: instances retry in lockstep)"
        )
        schedule = (
            f"{retry.attempts} attempts, {retry.backoff} backoff: waits {delays}{jitter}; a message that never "
            f"succeeds spends {format_duration((retry.time_in_retry_ms or 0) / 1000)} in retry. At "
            f"{what.error_rate:.0%} transient errors the load is ×{retry.amplification:.3f}."
        )
    if retry.mode == "retry_topics":
        mode = "Retry topics: a failed message is republished with its attempt count and the partition moves on."
    elif retry.mode == "none":
        mode = "No retries: nothing holds the partition."
    else:
        stall = retry.partition_stall_ms
        held = "forever" if stall is None else format_duration(stall / 1000)
        mode = f"In place: a poison message holds its partition for {held}"
        if retry.lag_target_ms is not None:
            verdict = "within" if stall is not None and stall <= retry.lag_target_ms else "beyond"
            mode += f", {verdict} the {retry.lag_target_ms:,} ms lag target of the read model it feeds"
        mode += (
            ". Keep in-place retries short; for long schedules use retry topics "
            f"(`<topic>.{retry.group}.retry`)."
        )
    if dead.topic is None:
        dead_letter = "None: a message that exhausts its retries is lost or blocks the consumer. Add one."
    else:
        retention = dead.retention_days
        keeps = "no stated retention" if retention is None else f"keeps {retention:g} days"
        enough = (
            "" if retention is None or retention >= DEAD_LETTER_NOTICE_DAYS
            else f" — below the {DEAD_LETTER_NOTICE_DAYS:g} days to notice and fix; raise it"
        )
        alert = (
            f"alert at a depth of {dead.alert_depth}" if dead.alert_depth is not None else "no depth alert stated: add one"
        )
        inflow = f"; expect up to {dead.inflow_per_day:,.0f} a day at peak" if dead.inflow_per_day else ""
        redrive = {
            "manual": "an operator inspects, fixes the cause, then republishes to the source topic with the "
            "original key and event_id (so dedup still holds)",
            "automatic": "republished automatically after a delay; cap the redrives per message so a poison "
            "message cannot loop",
            "none": "never redriven: state who reads it and why",
        }.get(dead.redrive or "manual", "")
        dead_letter = f"`{dead.topic}`: {keeps}{enough}; {alert}; redrive: {redrive}{inflow}."
    if consumer.ordering == "per_key":
        ordering = (
            "Per key. A parked message lets later messages of the same key overtake it: either park the key "
            "(hold its later messages until the first is redriven), or apply only the next version per entity "
            "and park what arrives out of order."
        )
    else:
        ordering = "None needed: messages may be handled in any order and in parallel."
    poison = (
        f"At {what.poison_rate:.3%} poison messages, each is tried {retry.attempts or 'forever'} time(s) and then "
        "parked with its error, stack trace, attempt count and source offset in headers; alert on the first."
    )
    return ConsumerPlan(
        consumer=consumer.name,
        group=group_of(consumer),
        delivery=delivery,
        idempotency=idempotency,
        retry_schedule=schedule,
        retry_mode=mode,
        dead_letter=dead_letter,
        ordering=ordering,
        poison=poison,
    )


def _flow_plans(design: Design, analysis: CapacityAnalysis) -> list[FlowPlan]:
    from archassist.agent.rules.index import DesignIndex

    index = DesignIndex.build(design)
    publishing = {s.name: s.publishing for s in design.services}
    outage = analysis.what_if.outage_s
    flows: list[FlowPlan] = []
    readers: dict[str, list[str]] = {}
    for row in analysis.capacity:
        groups = readers.setdefault(row.topic, [])
        if row.group not in groups:
            groups.append(row.group)
    peaks = {r.topic: r.peak_eps for r in analysis.capacity}
    projections = {e for p in design.projections if p.idempotent for e in p.source_events}
    for topic_name, groups in readers.items():
        positions = index.topic_events.get(topic_name, [])
        producers = sorted(
            {p for i in positions for p in index.producers.get(design.events[i].name, ())}
            | {c.issued_by for c in design.commands if c.issued_by in publishing and index.command_topic.get(c.name) == topic_name}
        )
        side_effects = [c.name for c in design.consumers if group_of(c) in groups and c.emits]
        idempotent_reads = any(design.events[i].name in projections for i in positions)
        replay = (
            f"Reset the offsets of the group to replay (`kafka-consumer-groups --reset-offsets --to-datetime … "
            f"--group {groups[0]} --topic {topic_name}`) with its consumers stopped; "
            + ("read models here upsert idempotently, so a replay rebuilds them; " if idempotent_reads else "")
            + (
                f"{', '.join(side_effects[:3])} emit(s) commands or events: replay with side effects switched off "
                "or behind the dedup store, so nothing is charged or sent twice."
                if side_effects
                else "no reader emits anything, so a replay only rewrites state."
            )
        )
        ways = sorted({publishing.get(p, "none") for p in producers})
        peak = peaks.get(topic_name)
        pile = f" (~{peak * outage:,.0f} rows in a {format_duration(outage)} relay outage)" if peak else ""
        if not ways:
            relay = "No producer is declared for this topic: name it, and publish through an outbox or CDC."
        elif "direct" in ways or "none" in ways:
            relay = (
                "A producer publishes without an outbox: when the broker or the publish fails after the database "
                "commit, the event is lost. Move it to an outbox or CDC."
            )
        else:
            relay = (
                f"Events wait in the producers' outbox{pile} and go out in commit order when the relay is back; "
                "alert on the age of the oldest unsent row, and run the relay as one leader per outbox."
            )
        broker = (
            "Writes need min.insync.replicas acknowledgements (acks=all), so a lost broker loses nothing; while "
            "the cluster is unavailable, outbox producers keep committing and catch up afterwards, and consumers "
            "resume from their committed offsets."
        )
        backpressure = (
            "Consumers pull, so a slow group only grows lag: bound records per poll and calls in flight, pause "
            "partitions while a dependency is failing, and alert on lag growing for minutes, not on a spike."
        )
        flows.append(FlowPlan(topic_name, producers, groups, replay, relay, broker, backpressure))
    return flows


def run_reliability(target: str, what_if: WhatIf | None = None) -> ReliabilityResult:
    """The reliability plan for a design file, a brief or a one-flow request."""
    design, kind, focus, assumptions = resolve_target(target)
    return plan_for(design, what_if, kind=kind, target=target, focus=focus, assumptions=assumptions)


def plan_for(
    design: Design,
    what_if: WhatIf | None = None,
    *,
    kind: TargetKind = "design",
    target: str = "",
    focus: str | None = None,
    assumptions: list[str] | None = None,
) -> ReliabilityResult:
    """The reliability plan for a Design already in hand."""
    from archassist.agent.rules.engine import check

    analysis = analyse(design, what_if)
    findings = check(design, select=["EDA4"])
    return ReliabilityResult(
        design=design,
        kind=kind,
        target=target or design.name,
        focus=focus,
        analysis=analysis,
        consumers=[_consumer_plan(design, c, analysis, i) for i, c in enumerate(design.consumers)],
        flows=_flow_plans(design, analysis),
        findings=findings,
        assumptions=list(assumptions or []),
    )
