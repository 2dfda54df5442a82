"""The capacity and failure figures of a whole Design: one pass over its topics, consumer groups and flows.

:func:`analyse` is what the reliability mode reports, what the capacity rules check and what the planner can size
against. Every figure comes from the pure functions beside this module; where a design leaves a value out (a
handler time, a partition count) the stated default is used and the gap is listed in ``assumptions``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from archassist.agent.capacity import backlog, dedup, latency, retries, sizing
from archassist.agent.model.design import Consumer, Design, Topic
from archassist.agent.rules.index import DesignIndex, is_dead_letter_topic, is_retry_topic

DEFAULT_PROCESSING_TIME_MS = 20.0
DEFAULT_PARTITIONS = 1  # the broker's default for a topic created without a count
# Dead letters wait for a person: a week covers a long weekend, the alert, the triage and the fix.
DEAD_LETTER_NOTICE_DAYS = 7.0
_NAMES_SHOWN = 4


@dataclass(frozen=True)
class WhatIf:
    """The conditions the figures are computed for."""

    outage_s: float = backlog.DEFAULT_OUTAGE_S
    error_rate: float = retries.DEFAULT_ERROR_RATE
    poison_rate: float = retries.DEFAULT_POISON_RATE
    redelivery_s: float = dedup.DEFAULT_REDELIVERY_S
    target_utilisation: float = sizing.DEFAULT_TARGET_UTILISATION

    def __post_init__(self) -> None:
        if self.outage_s < 0 or self.redelivery_s < 0:
            raise ValueError("durations must not be negative")
        for name in ("error_rate", "poison_rate"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 0 and below 1")
        if not 0 < self.target_utilisation <= 1:
            raise ValueError("target utilisation must be in (0, 1]")


@dataclass(slots=True)
class CapacityRow:
    """One consumer group reading one topic."""

    topic: str
    group: str
    consumer: str
    peak_eps: float | None
    partitions: int
    consumers: int
    in_flight_per_partition: int
    processing_time_ms: float
    capacity_eps: float
    utilisation: float | None
    keeps_up: bool | None
    partitions_needed: int | None
    consumers_needed: int | None
    backlog_after_outage: float | None
    drain_seconds: float | None
    retention_days: float | None
    within_retention: bool | None
    assumed: list[str]  # the inputs this row took from a default because the design leaves them out
    consumer_index: int
    topic_index: int


@dataclass(slots=True)
class RetryRow:
    consumer: str
    group: str
    attempts: int | None
    backoff: str
    jitter: bool
    delays_ms: list[float]
    delays_low_ms: list[float]
    time_in_retry_ms: float | None
    mode: retries.RetryMode
    ordered: bool
    partition_stall_ms: float | None
    lag_target_ms: int | None
    amplification: float
    rate_eps: float | None
    dead_letters_per_day: float | None
    consumer_index: int


@dataclass(slots=True)
class DeadLetterRow:
    consumer: str
    topic: str | None
    retention_days: float | None  # what the broker enforces: the topic's when it is declared
    declared_retention_days: float | None
    topic_retention_days: float | None
    redrive: str | None
    alert_depth: int | None
    inflow_per_day: float | None
    required_days: float
    consumer_index: int


@dataclass(slots=True)
class IdempotencyRow:
    consumer: str
    strategy: str
    key: str | None
    store: str | None
    ttl_days: float | None
    window_s: float | None
    keys_in_window: float | None
    keys_held: float | None
    store_bytes: float | None
    ttl_covers: bool | None
    consumer_index: int


@dataclass(slots=True)
class LatencyRow:
    flow: str
    hops: list[latency.Hop]
    total_ms: float
    target_ms: float | None
    within_target: bool | None


@dataclass
class CapacityAnalysis:
    what_if: WhatIf
    capacity: list[CapacityRow] = field(default_factory=list)
    retries: list[RetryRow] = field(default_factory=list)
    dead_letters: list[DeadLetterRow] = field(default_factory=list)
    idempotency: list[IdempotencyRow] = field(default_factory=list)
    latency: list[LatencyRow] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data (the `capacity`, `retries`, `dead_letters`, `idempotency`, `latency` lists)."""
        return {
            "what_if": asdict(self.what_if),
            "capacity": [_public(asdict(r)) for r in self.capacity],
            "retries": [_public(asdict(r)) for r in self.retries],
            "dead_letters": [_public(asdict(r)) for r in self.dead_letters],
            "idempotency": [_public(asdict(r)) for r in self.idempotency],
            "latency": [asdict(r) for r in self.latency],
            "assumptions": list(self.assumptions),
        }


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("consumer_index", None)
    row.pop("topic_index", None)
    return {k: _finite(v) for k, v in row.items()}


def _finite(value: Any) -> Any:
    # JSON has no infinity: an unbounded figure is reported as null, which each field's docs explain.
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def topic_peak_eps(design: Design, topic: Topic) -> float | None:
    """The peak rate a topic must absorb: its own, else the design's sustained rate times the peak factor.

    Dead-letter and retry topics see only the failures, so they have no peak of their own.
    """
    if topic.throughput_eps is not None:
        return topic.throughput_eps
    if is_dead_letter_topic(topic) or is_retry_topic(topic):
        return None
    sustained = design.requirements.throughput_eps
    return None if sustained is None else sustained * design.requirements.peak_factor


def group_of(consumer: Consumer) -> str:
    return consumer.group or consumer.name


def retry_mode(consumer: Consumer, topics_read: Iterable[str], retry_topic_names: list[str]) -> retries.RetryMode:
    """Retry topics when the design declares one for this consumer (named after its group, name or a topic it
    reads); otherwise retries happen in place."""
    attempts = consumer.retry.max_attempts
    if attempts == 1:
        return "none"
    marks = {group_of(consumer), consumer.name, *topics_read}
    for name in retry_topic_names:
        if any(mark and mark in name for mark in marks):
            return "retry_topics"
    return "in_place"


class _Notes:
    """Assumptions grouped by kind, so a large design gets one line per gap rather than one per consumer."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, None]] = defaultdict(dict)

    def add(self, template: str, name: str) -> None:
        self._names[template].setdefault(name, None)

    def lines(self) -> list[str]:
        out = []
        for template, seen in self._names.items():
            names = list(seen)
            shown = ", ".join(f"'{n}'" for n in names[:_NAMES_SHOWN])
            if len(names) > _NAMES_SHOWN:
                shown += f" and {len(names) - _NAMES_SHOWN} more"
            out.append(template.format(names=shown, count=len(names), s="s" if len(names) > 1 else ""))
        return out


def analyse(design: Design, what_if: WhatIf | None = None, *, index: DesignIndex | None = None) -> CapacityAnalysis:
    """Every capacity and failure figure of the design under ``what_if`` (default: a 15-minute outage, 1 %
    transient errors, 0.01 % poison messages)."""
    what_if = what_if or WhatIf()
    index = index or DesignIndex.build(design)
    notes = _Notes()
    result = CapacityAnalysis(what_if=what_if)
    retry_topic_names = [t.name for t in design.topics if is_retry_topic(t)]
    lag_targets = _lag_targets(design)
    consumer_rate: dict[int, float] = {}
    for position, consumer in enumerate(design.consumers):
        processing = consumer.processing_time_ms
        if processing is None:
            processing = DEFAULT_PROCESSING_TIME_MS
            notes.add(
                f"{{count}} consumer{{s}} ({{names}}) state{{s_}} no processing time; assumed "
                f"{DEFAULT_PROCESSING_TIME_MS:g} ms per message".replace("{s_}", ""),
                consumer.name,
            )
        if "concurrency" not in consumer.model_fields_set:
            notes.add("{count} consumer group{s} ({names}) state no instance count; assumed 1", group_of(consumer))
        topics_read = sorted(index.consumer_topics[position]) if position < len(index.consumer_topics) else []
        rate = _capacity_rows(design, index, consumer, position, topics_read, processing, what_if, notes, result)
        if rate is not None:
            consumer_rate[position] = rate
        _retry_rows(design, index, consumer, position, topics_read, processing, rate, what_if, retry_topic_names,
                    lag_targets, result)
    _latency_rows(design, index, result)
    result.assumptions = [
        *notes.lines(),
        f"what-if: a {_duration(what_if.outage_s)} consumer outage, {what_if.error_rate:.2%} of attempts failing "
        f"transiently, {what_if.poison_rate:.3%} of messages poison; redelivery after {_duration(what_if.redelivery_s)}",
        "rates are each topic's peak (its throughput_eps, else the design's rate × peak factor), so retry load, "
        "dead letters and dedup keys are upper bounds",
    ]
    return result


def _capacity_rows(
    design: Design,
    index: DesignIndex,
    consumer: Consumer,
    position: int,
    topics_read: list[str],
    processing: float,
    what_if: WhatIf,
    notes: _Notes,
    result: CapacityAnalysis,
) -> float | None:
    """Append one row per topic the consumer reads; return the consumer's total peak rate (None: unknown)."""
    total: float | None = None
    partition_capacity = design.requirements.partition_capacity_eps
    for name in topics_read:
        topic_position = index.topics.get(name)
        if topic_position is None:
            continue  # an undeclared topic is a reference finding; there is nothing to size it by
        topic = design.topics[topic_position]
        assumed = [
            name
            for name, missing in (
                ("processing_time_ms", consumer.processing_time_ms is None),
                ("consumers", "concurrency" not in consumer.model_fields_set),
                ("partitions", topic.partitions is None),
            )
            if missing
        ]
        partitions = topic.partitions
        if partitions is None:
            partitions = DEFAULT_PARTITIONS
            notes.add(f"{{count}} topic{{s}} ({{names}}) declare no partition count; assumed {DEFAULT_PARTITIONS}", name)
        peak = topic_peak_eps(design, topic)
        capacity = sizing.consumer_capacity_eps(
            partitions=partitions,
            consumers=consumer.concurrency,
            processing_time_ms=processing,
            in_flight_per_partition=consumer.in_flight_per_partition,
        )
        use: float | None = None
        keeps_up = needed = consumers = waiting = drain = None
        within: bool | None = None
        if peak is None:
            notes.add("{count} topic{s} ({names}) state no rate and the design none either; no load figures", name)
        else:
            total = (total or 0.0) + peak
            use = sizing.utilisation(peak, capacity)
            keeps_up = peak < capacity or peak == 0
            needed = sizing.partitions_needed(
                peak,
                partition_capacity_eps=partition_capacity,
                processing_time_ms=processing,
                in_flight_per_partition=consumer.in_flight_per_partition,
                target_utilisation=what_if.target_utilisation,
            )
            consumers = sizing.consumers_needed(
                peak,
                partitions=max(needed, partitions),
                processing_time_ms=processing,
                in_flight_per_partition=consumer.in_flight_per_partition,
                target_utilisation=what_if.target_utilisation,
            )
            waiting = backlog.outage_backlog(peak, what_if.outage_s)
            drain = backlog.drain_seconds(waiting, capacity_eps=capacity, peak_eps=peak)
            within = backlog.within_retention(what_if.outage_s, drain, topic.retention_days)
        result.capacity.append(
            CapacityRow(
                topic=name,
                group=group_of(consumer),
                consumer=consumer.name,
                peak_eps=peak,
                partitions=partitions,
                consumers=consumer.concurrency,
                in_flight_per_partition=consumer.in_flight_per_partition,
                processing_time_ms=processing,
                capacity_eps=capacity,
                utilisation=use,
                keeps_up=keeps_up,
                partitions_needed=needed,
                consumers_needed=consumers,
                backlog_after_outage=waiting,
                drain_seconds=drain,
                retention_days=topic.retention_days,
                within_retention=within,
                assumed=assumed,
                consumer_index=position,
                topic_index=topic_position,
            )
        )
    return total


def _lag_targets(design: Design) -> dict[str, list[tuple[set[str], int]]]:
    """Per service, the read models it maintains that state a lag target: (source events, target ms)."""
    found: dict[str, list[tuple[set[str], int]]] = defaultdict(list)
    for projection in design.projections:
        if projection.service and projection.lag_target_ms and projection.source_events:
            found[projection.service].append((set(projection.source_events), projection.lag_target_ms))
    return found


def lag_target_of(consumer: Consumer, lag_targets: dict[str, list[tuple[set[str], int]]]) -> int | None:
    """The tightest lag target of the read models this consumer feeds (same service, sources it subscribes to)."""
    subscribed = set(consumer.subscriptions)
    targets = [ms for sources, ms in lag_targets.get(consumer.service, ()) if sources <= subscribed]
    return min(targets) if targets else None


def _retry_rows(
    design: Design,
    index: DesignIndex,
    consumer: Consumer,
    position: int,
    topics_read: list[str],
    processing: float,
    rate: float | None,
    what_if: WhatIf,
    retry_topic_names: list[str],
    lag_targets: dict[str, list[tuple[set[str], int]]],
    result: CapacityAnalysis,
) -> None:
    policy = consumer.retry
    attempts = policy.max_attempts
    plan = (
        retries.schedule(
            max_attempts=attempts,
            backoff=policy.backoff,
            initial_delay_ms=policy.initial_delay_ms,
            max_delay_ms=policy.max_delay_ms,
            multiplier=policy.multiplier,
            jitter=policy.jitter,
        )
        if attempts is not None
        else None
    )
    mode = retry_mode(consumer, topics_read, retry_topic_names)
    in_retry = None if plan is None else retries.time_in_retry_ms(plan, processing)
    per_day = (
        None
        if rate is None
        else retries.dead_letters_per_day(
            rate, attempts, error_rate=what_if.error_rate, poison_rate=what_if.poison_rate
        )
    )
    result.retries.append(
        RetryRow(
            consumer=consumer.name,
            group=group_of(consumer),
            attempts=attempts,
            backoff=policy.backoff,
            jitter=policy.jitter,
            delays_ms=list(plan.delays_ms) if plan else [],
            delays_low_ms=list(plan.low_ms) if plan else [],
            time_in_retry_ms=in_retry,
            mode=mode,
            ordered=consumer.ordering == "per_key",
            partition_stall_ms=retries.partition_stall_ms(mode, plan, processing),
            lag_target_ms=lag_target_of(consumer, lag_targets),
            amplification=retries.amplification(
                attempts, error_rate=what_if.error_rate, poison_rate=what_if.poison_rate
            ),
            rate_eps=rate,
            dead_letters_per_day=per_day,
            consumer_index=position,
        )
    )
    dead_letter = consumer.dead_letter
    topic = index.topic(dead_letter.topic) if dead_letter else None
    declared = dead_letter.retention_days if dead_letter else None
    enforced = topic.retention_days if topic is not None else declared
    result.dead_letters.append(
        DeadLetterRow(
            consumer=consumer.name,
            topic=dead_letter.topic if dead_letter else None,
            retention_days=enforced,
            declared_retention_days=declared,
            topic_retention_days=topic.retention_days if topic is not None else None,
            redrive=dead_letter.redrive if dead_letter else None,
            alert_depth=dead_letter.alert_depth if dead_letter else None,
            inflow_per_day=per_day,
            required_days=DEAD_LETTER_NOTICE_DAYS,
            consumer_index=position,
        )
    )
    idem = consumer.idempotency
    sizing_ = None
    if idem.strategy != "none" and rate is not None:
        # a dedup store keeps keys for its TTL; upserts and business keys live as long as the data itself
        ttl = idem.ttl_days if idem.strategy == "dedup_event_id" else None
        sizing_ = dedup.size_dedup_store(
            rate_eps=rate,
            retry_s=None if in_retry is None else in_retry / 1000.0,
            outage_s=what_if.outage_s,
            ttl_days=ttl,
            redelivery_s=what_if.redelivery_s,
        )
    result.idempotency.append(
        IdempotencyRow(
            consumer=consumer.name,
            strategy=idem.strategy,
            key=idem.key,
            store=idem.store,
            ttl_days=idem.ttl_days,
            window_s=sizing_.window_s if sizing_ else None,
            keys_in_window=sizing_.keys_in_window if sizing_ else None,
            keys_held=sizing_.keys_held if sizing_ else None,
            store_bytes=sizing_.store_bytes if sizing_ else None,
            ttl_covers=sizing_.ttl_covers if sizing_ else None,
            consumer_index=position,
        )
    )


def _latency_rows(design: Design, index: DesignIndex, result: CapacityAnalysis) -> None:
    """A flow per saga (its trigger, then each step's command and outcome) and per consumer (one hop)."""
    target = design.requirements.latency_p99_ms
    publishing = {s.name: s.publishing for s in design.services}
    handler_ms: dict[str, float] = {}
    for consumer in design.consumers:
        handler_ms.setdefault(consumer.service, consumer.processing_time_ms or DEFAULT_PROCESSING_TIME_MS)

    def hop(source: str | None, target_service: str, label: str) -> list[latency.Hop]:
        parts = latency.hop_budget(
            publishing.get(source or "", "none"), handler_ms.get(target_service, DEFAULT_PROCESSING_TIME_MS)
        )
        return [latency.Hop(f"{label}: {p.name}", p.ms) for p in parts]

    for saga in design.sagas:
        hops: list[latency.Hop] = []
        coordinator = saga.orchestrator
        trigger = index.event(saga.trigger_event) if saga.trigger_event else None
        if trigger is not None and coordinator:
            hops += hop(trigger.producer, coordinator, saga.trigger_event or "trigger")
        previous = coordinator
        for step in saga.steps:
            if saga.coordination == "orchestration" and coordinator:
                hops += hop(coordinator, step.service, step.command or step.name)
                hops += hop(step.service, coordinator, step.success_event or f"{step.name} outcome")
            else:
                hops += hop(previous, step.service, step.name)
                previous = step.service
        if hops:
            total = latency.total_ms(hops)
            result.latency.append(
                LatencyRow(f"saga {saga.name}", hops, total, target, latency.within_target(total, target))
            )
    for consumer in design.consumers:
        producers = sorted(
            {p for name in consumer.subscriptions for p in index.producers.get(name, ()) if p in publishing}
        )
        if not producers:
            continue
        slowest = max(producers, key=lambda p: latency.PUBLISH_MS.get(publishing[p], 0.0))
        hops = [
            latency.Hop(p.name, p.ms)
            for p in latency.hop_budget(
                publishing[slowest], consumer.processing_time_ms or DEFAULT_PROCESSING_TIME_MS
            )
        ]
        total = latency.total_ms(hops)
        result.latency.append(
            LatencyRow(
                f"{slowest} → {consumer.name}", hops, total, target, latency.within_target(total, target)
            )
        )


def _duration(seconds: float) -> str:
    return format_duration(seconds)


def format_duration(seconds: float | None) -> str:
    """A duration for people: 900 → '15 min', 5400 → '1.5 h', 0.25 → '250 ms'; None → 'never'."""
    if seconds is None:
        return "never"
    if seconds != seconds or seconds == float("inf"):
        return "forever"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 3 * 86_400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86_400:.3g} days"
