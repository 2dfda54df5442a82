"""EDA42x: the numbers add up: groups keep up at peak, outages drain in time, retries and dedup stores fit.

Every figure comes from the capacity model (:mod:`archassist.agent.capacity.analysis`) under its default
what-if: a 15-minute consumer outage, 1 % of attempts failing transiently and 0.01 % of messages poison. The
model runs once per review and the rules share its result. The load rules judge only what a design states: a
group whose handler time or partition count is left out is sized under a default in the reliability plan, but
a review does not convict it on a guess.
"""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.capacity.analysis import CapacityAnalysis, CapacityRow, analyse, format_duration
from archassist.agent.capacity.backlog import SECONDS_PER_DAY
from archassist.agent.capacity.retries import AMPLIFICATION_LIMIT
from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex


def capacity_of(design: Design, index: DesignIndex) -> CapacityAnalysis:
    """The design's capacity figures, computed once per index and shared by every rule here."""
    cached = index.__dict__.get("_capacity_analysis")
    if not isinstance(cached, CapacityAnalysis):
        cached = analyse(design, index=index)
        index.__dict__["_capacity_analysis"] = cached
    return cached


def _guessed(row: CapacityRow) -> bool:
    """Whether the row's capacity rests on a default handler time or partition count."""
    return "processing_time_ms" in row.assumed or "partitions" in row.assumed


def _eps(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.3g}"


@rule("EDA420", "consumer-group-falls-behind", severity="error")
def consumer_group_falls_behind(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer group absorbs fewer events per second than its topic carries at peak.

    Why: A group works at most min(partitions, instances) messages at a time, each for its handler time. When
    that is less than the peak rate, lag grows for as long as the peak lasts, and a group that is already
    behind cannot drain an outage at all: messages wait until retention deletes them.

    Anti-pattern: a topic at 240,000 events/s at peak read by 360 instances with 20 ms handlers (18,000/s).

    Fix: Size the group for the peak at 70 % utilisation: enough partitions and instances (one per partition),
    a shorter handler, or a keyed parallel consumer with several calls in flight per partition.
    """
    analysis = capacity_of(design, index)
    for row in analysis.capacity:
        if row.keeps_up is not False or row.peak_eps is None or _guessed(row):
            continue
        active = min(row.partitions, row.consumers)
        flight = f" × {row.in_flight_per_partition} in flight" if row.in_flight_per_partition > 1 else ""
        needed_partitions = max(row.partitions_needed or 1, row.partitions)
        if (row.partitions_needed or 0) > row.partitions:
            fix = (
                f"give '{row.topic}' {row.partitions_needed} partitions and run {row.consumers_needed} instances "
                f"(70 % at peak), or shorten the {row.processing_time_ms:g} ms handler"
            )
        else:
            fix = f"run {row.consumers_needed} instances of the {needed_partitions} partitions (70 % at peak)"
        yield Violation(
            f"/consumers/{row.consumer_index}/concurrency",
            f"group '{row.group}' ({row.consumer}) absorbs {_eps(row.capacity_eps)} events/s from "
            f"'{row.topic}' ({active} busy instance(s){flight} at {row.processing_time_ms:g} ms) but the peak is "
            f"{_eps(row.peak_eps)} events/s: {row.utilisation or 0:.0%} utilisation, lag grows without bound",
            fix,
        )


@rule("EDA421", "outage-drain-exceeds-retention", severity="error")
def outage_drain_exceeds_retention(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """After a consumer outage, the group would still be catching up when the topic's retention deletes events.

    Why: While a group is down the backlog grows at the peak rate; afterwards it shrinks only at the spare
    capacity (capacity minus peak). A group with little headroom takes many times the outage to catch up, and
    if that outlasts the topic's retention, events are deleted before they are read: silent data loss.

    Anti-pattern: a group at 95 % utilisation on a topic with `retention_days: 1` (a 15-minute outage takes
    about 5 hours to drain, a longer one days).

    Fix: Add headroom (partitions and instances for 70 % at peak) so the drain is short, and keep operational
    topics at least 7 days so a weekend outage is recoverable.
    """
    analysis = capacity_of(design, index)
    outage = format_duration(analysis.what_if.outage_s)
    for row in analysis.capacity:
        if not row.keeps_up or row.within_retention is not False or row.drain_seconds is None or _guessed(row):
            continue
        retention = row.retention_days or 0
        recovery = analysis.what_if.outage_s + row.drain_seconds
        yield Violation(
            f"/topics/{row.topic_index}/retention_days",
            f"after a {outage} outage group '{row.group}' needs {format_duration(row.drain_seconds)} to drain "
            f"{row.backlog_after_outage or 0:,.0f} events from '{row.topic}' (current after "
            f"{format_duration(recovery)}) but the topic keeps only {format_duration(retention * SECONDS_PER_DAY)}",
            f"keep '{row.topic}' at least {max(recovery / SECONDS_PER_DAY, 7):.3g} days, or add instances: the "
            f"group works the backlog off at only {_eps(row.capacity_eps - (row.peak_eps or 0))} events/s",
        )


@rule("EDA422", "dedup-ttl-below-redelivery-window", severity="error")
def dedup_ttl_below_redelivery_window(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer's dedup store forgets event ids before a duplicate can stop arriving.

    Why: A duplicate can arrive as long as the original can be redelivered: during its retries, while the
    group is down with uncommitted offsets, and after a crash or rebalance. A store that forgets a key sooner
    treats the late duplicate as new and applies it twice.

    Anti-pattern: `idempotency: {strategy: dedup_event_id, ttl_days: 0.01}` (about 14 minutes) on a consumer
    that retries for a minute and may be down for 15 minutes.

    Fix: Keep keys at least the retry time plus the longest outage plus the redelivery window; days are
    cheap (the review reports the store size).
    """
    analysis = capacity_of(design, index)
    for row in analysis.idempotency:
        if row.ttl_covers is not False or row.ttl_days is None or row.window_s is None:
            continue
        yield Violation(
            f"/consumers/{row.consumer_index}/idempotency/ttl_days",
            f"consumer '{row.consumer}' forgets event ids after {format_duration(row.ttl_days * SECONDS_PER_DAY)} "
            f"but duplicates can arrive for {format_duration(row.window_s)} (retries, a "
            f"{format_duration(analysis.what_if.outage_s)} outage and "
            f"{format_duration(analysis.what_if.redelivery_s)} of redelivery)",
            f"set idempotency.ttl_days to at least {max(row.window_s / SECONDS_PER_DAY, 0.01):.2g} (7 is common)",
        )


@rule("EDA423", "retry-amplification", severity="warning")
def retry_amplification(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer's retries would more than double its load at the assumed error and poison rates.

    Why: Every retry is another call to the handler and to whatever it depends on. When retries multiply the
    load, a dependency that starts failing receives more traffic exactly when it can handle least, and a
    brief fault becomes an outage.

    Anti-pattern: `retry: {max_attempts: 50000}` on a consumer whose poison messages are each tried 50,000
    times.

    Fix: Bound attempts to a handful with exponential backoff, send what still fails to the dead-letter topic,
    and add a circuit breaker in front of a failing dependency.
    """
    analysis = capacity_of(design, index)
    what = analysis.what_if
    for row in analysis.retries:
        if row.attempts is None or row.amplification <= AMPLIFICATION_LIMIT:
            continue  # unbounded retries are EDA403's finding
        yield Violation(
            f"/consumers/{row.consumer_index}/retry/max_attempts",
            f"consumer '{row.consumer}' makes {row.amplification:.2f} attempts per message with "
            f"{what.error_rate:.0%} transient errors and {what.poison_rate:.2%} poison messages "
            f"({row.attempts} attempts each): retries multiply its load by more than {AMPLIFICATION_LIMIT:g}",
            "lower retry.max_attempts (3 to 10) and dead-letter what still fails",
        )


@rule("EDA424", "blocking-retry-stalls-partition", severity="warning")
def blocking_retry_stalls_partition(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An ordered consumer retries in place for longer than the lag target of the read model it feeds.

    Why: An ordered consumer cannot pass a failing message, so a poison message holds its whole partition
    until the retry schedule is spent. Every key on that partition waits, and the read model falls further
    behind than its lag target allows with every poison message.

    Anti-pattern: a projector with `retry: {max_attempts: 5, initial_delay_ms: 1000}` (15 s in retry)
    feeding a read model with `lag_target_ms: 1000`.

    Fix: Retry briefly in place (a few attempts with delays well under the lag target) and then park the
    message, or move failures to retry topics (`<topic>.<group>.retry`) and accept that a parked message lets
    later messages of its key pass (guard with versions).
    """
    analysis = capacity_of(design, index)
    for row in analysis.retries:
        if not row.ordered or row.mode != "in_place" or row.lag_target_ms is None:
            continue
        stall = row.partition_stall_ms
        if stall is not None and stall <= row.lag_target_ms:
            continue
        held = "forever" if stall is None else f"for {format_duration(stall / 1000)}"
        yield Violation(
            f"/consumers/{row.consumer_index}/retry",
            f"consumer '{row.consumer}' retries in place, so a poison message holds its partition {held} "
            f"({row.attempts or 'unbounded'} attempts, delays {_delays(row.delays_ms)}), beyond the "
            f"{row.lag_target_ms:,} ms lag target of the read model it feeds",
            f"keep the in-place retries under {row.lag_target_ms:,} ms in total, or retry through a "
            f"'<topic>.{row.group}.retry' topic",
        )


def _delays(delays_ms: list[float]) -> str:
    if not delays_ms:
        return "none"
    shown = ", ".join(format_duration(d / 1000) for d in delays_ms[:6])
    return shown + (", …" if len(delays_ms) > 6 else "")


@rule("EDA425", "dead-letter-topic-retention-short", severity="warning")
def dead_letter_topic_retention_short(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The broker deletes dead letters sooner than a person can notice and fix them.

    Why: The retention that counts is the dead-letter topic's own: the broker enforces it, whatever the
    consumer's policy says. Dead letters wait for someone to see the alert, find the cause, ship a fix and
    redrive; a week covers a long weekend. A topic that deletes them sooner loses the messages with the
    evidence.

    Anti-pattern: `dead_letter: {topic: orders.events.billing.dlq, retention_days: 14}` while the topic
    `orders.events.billing.dlq` is declared with `retention_days: 1`.

    Fix: Give the dead-letter topic at least 7 days of retention (14 is common), the same as the policy says.
    """
    analysis = capacity_of(design, index)
    for row in analysis.dead_letters:
        declared, enforced = row.declared_retention_days, row.topic_retention_days
        if enforced is None or enforced >= row.required_days:
            continue
        if declared is not None and declared < row.required_days:
            continue  # the policy itself is short: EDA408's finding
        topic_position = index.topics.get(row.topic or "")
        inflow = (
            f"; about {row.inflow_per_day:,.0f} dead letters a day at peak would be lost"
            if row.inflow_per_day
            else ""
        )
        yield Violation(
            f"/topics/{topic_position}/retention_days",
            f"dead-letter topic '{row.topic}' of '{row.consumer}' keeps messages {enforced:g} days, less than the "
            f"{row.required_days:g} days to notice and fix a failure{inflow}",
            f"set the topic's retention_days to {declared if declared is not None else row.required_days:g} or more",
        )
