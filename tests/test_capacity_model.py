"""The capacity and failure model, figure by figure, against cases computed by hand (the arithmetic is in the
comments)."""

from __future__ import annotations

import math

import pytest
from archassist.agent.capacity import backlog, dedup, latency, retries
from archassist.agent.capacity.analysis import WhatIf, analyse, format_duration
from archassist.agent.model.design import (
    Consumer,
    DeadLetter,
    Design,
    Event,
    Idempotency,
    Projection,
    Requirements,
    RetryPolicy,
    Service,
    Topic,
)
from hypothesis import given
from hypothesis import strategies as st

# ---- backlog and drain ---------------------------------------------------------------------------------------


def test_outage_backlog_and_drain() -> None:
    # 1,000/s for 15 min: 900,000 waiting; capacity 1,500/s drains 500/s net → 1,800 s
    waiting = backlog.outage_backlog(1000, 900)
    assert waiting == 900_000
    assert backlog.drain_seconds(waiting, capacity_eps=1500, peak_eps=1000) == 1800
    assert backlog.recovery_seconds(900, 1800) == 2700
    # at or over capacity it never drains; nothing waiting drains at once
    assert backlog.drain_seconds(waiting, capacity_eps=1000, peak_eps=1000) is None
    assert backlog.drain_seconds(0, capacity_eps=10, peak_eps=20) == 0


def test_within_retention() -> None:
    # 2,700 s of recovery fits one day; 2 days of drain after a 15-min outage does not fit 2 days
    assert backlog.within_retention(900, 1800, 1)
    assert not backlog.within_retention(900, 2 * 86_400, 2)
    assert not backlog.within_retention(900, None, 7)
    assert backlog.within_retention(900, 10**9, None)  # kept forever


def test_backlog_curve_has_the_corners() -> None:
    curve = backlog.backlog_curve(peak_eps=1000, capacity_eps=1500, outage_s=900, points=11)
    assert curve[0] == (0, 0)
    assert (900, 900_000) in curve  # the end of the outage
    assert (2700, 0) in curve  # the end of the drain
    assert curve[-1][0] == pytest.approx(2970)  # 10 % past recovery
    # halfway through the drain half the backlog is left: 1,800 s after the outage began → 450,000
    assert backlog.backlog_at(1800, peak_eps=1000, capacity_eps=1500, outage_s=900) == 450_000
    # a group that cannot keep up keeps falling behind after it returns: 900,000 + (1,000 − 800) × 100
    assert backlog.backlog_at(1000, peak_eps=1000, capacity_eps=800, outage_s=900) == 920_000


@given(
    peak=st.floats(0.1, 1e5),
    spare=st.floats(0.1, 1e5),
    outage=st.floats(1, 1e5),
)
def test_drain_brings_the_backlog_to_zero(peak: float, spare: float, outage: float) -> None:
    capacity = peak + spare
    drain = backlog.drain_seconds(backlog.outage_backlog(peak, outage), capacity_eps=capacity, peak_eps=peak)
    assert drain is not None
    left = backlog.backlog_at(outage + drain, peak_eps=peak, capacity_eps=capacity, outage_s=outage)
    assert left == pytest.approx(0, abs=1e-6 * peak * outage)


# ---- retries -------------------------------------------------------------------------------------------------


def test_exponential_schedule_with_cap_and_jitter() -> None:
    # 6 attempts, 1 s × 2^k capped at 10 s: 1, 2, 4, 8, 10 s; jitter bounds are half of each
    plan = retries.schedule(
        max_attempts=6, backoff="exponential", initial_delay_ms=1000, max_delay_ms=10_000, jitter=True
    )
    assert plan.delays_ms == (1000, 2000, 4000, 8000, 10_000)
    assert plan.low_ms == (500, 1000, 2000, 4000, 5000)
    assert plan.total_delay_ms == 25_000 and plan.total_delay_low_ms == 12_500
    # in retry: 6 attempts × 20 ms + 25 s
    assert retries.time_in_retry_ms(plan, 20) == 25_120


def test_fixed_linear_and_no_backoff() -> None:
    assert retries.retry_delays_ms(max_attempts=4, backoff="fixed", initial_delay_ms=500) == [500, 500, 500]
    assert retries.retry_delays_ms(max_attempts=4, backoff="linear", initial_delay_ms=500) == [500, 1000, 1500]
    assert retries.retry_delays_ms(max_attempts=3, backoff="none", initial_delay_ms=500) == [0, 0]
    assert retries.retry_delays_ms(max_attempts=1, backoff="exponential", initial_delay_ms=500) == []
    # multiplier 3, no cap: 100, 300, 900
    assert retries.retry_delays_ms(
        max_attempts=4, backoff="exponential", initial_delay_ms=100, multiplier=3
    ) == [100, 300, 900]


def test_amplification_and_dead_letters() -> None:
    # p = 0.5, 3 attempts: 1 + 0.5 + 0.25 = 1.75 attempts per message
    assert retries.expected_attempts(3, 0.5) == 1.75
    assert retries.expected_attempts(None, 0.5) == 2.0  # 1 / (1 − p)
    assert retries.expected_attempts(4, 1.0) == 4
    # add 10 % poison messages tried 3 times: 0.9 × 1.75 + 0.1 × 3 = 1.875
    assert retries.amplification(3, error_rate=0.5, poison_rate=0.1) == pytest.approx(1.875)
    assert retries.amplification(None, error_rate=0.01, poison_rate=0.001) == math.inf
    # dead letters: 100/s × 86,400 × (0.0001 + 0.9999 × 0.01^5) ≈ 864.0000864
    per_day = retries.dead_letters_per_day(100, 5, error_rate=0.01, poison_rate=0.0001)
    assert per_day == pytest.approx(864 + 100 * 86_400 * 0.9999e-10)
    assert retries.dead_letters_per_day(100, None, error_rate=0.01, poison_rate=0.0001) == 0


def test_partition_stall_in_place_versus_retry_topics() -> None:
    plan = retries.schedule(max_attempts=5, backoff="exponential", initial_delay_ms=1000, max_delay_ms=60_000)
    # in place: 5 × 20 ms + (1 + 2 + 4 + 8) s = 15,100 ms; a retry topic takes the message off after one attempt
    assert retries.partition_stall_ms("in_place", plan, 20) == 15_100
    assert retries.partition_stall_ms("retry_topics", plan, 20) == 20
    assert retries.partition_stall_ms("in_place", None, 20) is None  # retries forever


# ---- dedup ---------------------------------------------------------------------------------------------------


def test_dedup_window_keys_and_store() -> None:
    # 15.1 s in retry + 900 s outage + 300 s redelivery = 1,215.1 s; at 200/s that is 243,020 keys
    sized = dedup.size_dedup_store(rate_eps=200, retry_s=15.1, outage_s=900, ttl_days=1)
    assert sized.window_s == pytest.approx(1215.1)
    assert sized.keys_in_window == pytest.approx(243_020)
    # a one-day TTL holds 200 × 86,400 = 17,280,000 keys of 100 bytes = 1.728 GB
    assert sized.keys_held == 17_280_000 and sized.store_bytes == 1_728_000_000
    assert sized.ttl_covers
    # 0.01 days = 864 s < 1,215.1 s
    assert not dedup.ttl_covers(0.01, sized.window_s)
    assert dedup.ttl_covers(None, 10**9)
    assert dedup.dedup_window_s(retry_s=None, outage_s=900) == math.inf


# ---- latency -------------------------------------------------------------------------------------------------


def test_hop_budget() -> None:
    # outbox relay 100 + broker 20 + handler 30 = 150 ms
    hops = latency.hop_budget("outbox", 30)
    assert [h.ms for h in hops] == [100, 20, 30]
    assert latency.total_ms(hops) == 150
    assert latency.within_target(150, 200) is True and latency.within_target(150, 100) is False
    assert latency.within_target(150, None) is None


def test_format_duration() -> None:
    assert format_duration(900) == "15 min"
    assert format_duration(0.25) == "250 ms"
    assert format_duration(5400) == "1.5 h"
    assert format_duration(30) == "30 s"
    assert format_duration(None) == "never"
    assert format_duration(10 * 86_400) == "10 days"


# ---- the whole design ----------------------------------------------------------------------------------------


def small_design(**consumer: object) -> Design:
    """One topic at 300/s peak (100/s × 3), 6 partitions, read by one group of 3 instances with 10 ms handlers."""
    base: dict[str, object] = {
        "name": "ledger-writer",
        "service": "ledger",
        "group": "ledger-writer",
        "subscriptions": ["PaymentCaptured"],
        "concurrency": 3,
        "processing_time_ms": 10,
        "idempotency": Idempotency(strategy="dedup_event_id", key="event_id", store="ledger-db", ttl_days=1),
        "retry": RetryPolicy(
            max_attempts=5, backoff="exponential", initial_delay_ms=1000, max_delay_ms=60_000, jitter=True
        ),
        "dead_letter": DeadLetter(topic="payments.events.ledger-writer.dlq", retention_days=14, alert_depth=1),
    }
    base.update(consumer)
    return Design(
        name="payments",
        requirements=Requirements(throughput_eps=100, peak_factor=3, latency_p99_ms=500),
        services=[
            Service(name="payments", publishing="outbox", database="payments-db", publishes=["PaymentCaptured"]),
            Service(name="ledger", database="ledger-db"),
        ],
        events=[Event(name="PaymentCaptured", producer="payments", topic="payments.events")],
        topics=[
            Topic(name="payments.events", partitions=6, retention_days=7),
            Topic(name="payments.events.ledger-writer.dlq", partitions=1, retention_days=14, purpose="dead_letter"),
        ],
        consumers=[Consumer.model_validate(base)],
        projections=[
            Projection(name="ledger_view", service="ledger", source_events=["PaymentCaptured"], lag_target_ms=2000)
        ],
    )


def test_capacity_row_of_a_small_design() -> None:
    result = analyse(small_design())
    (row,) = result.capacity
    # 3 consumers on 6 partitions, 10 ms: 3 × 100 = 300/s against a 300/s peak → utilisation 1.0, falls behind
    assert (row.topic, row.group, row.peak_eps, row.partitions, row.consumers) == (
        "payments.events",
        "ledger-writer",
        300,
        6,
        3,
    )
    assert row.capacity_eps == 300 and row.utilisation == 1.0 and row.keeps_up is False
    # 300 / (min(1,000, 100) × 0.7) = 4.29 → 5 partitions (fewer than the 6 there are)
    assert row.partitions_needed == 5
    # consumers for 300/s at 100/s each and 70 %: ceil(4.29) = 5, within the 6 partitions
    assert row.consumers_needed == 5
    assert row.backlog_after_outage == 270_000 and row.drain_seconds is None and row.within_retention is False


def test_more_instances_drain_the_outage() -> None:
    result = analyse(small_design(concurrency=6))
    (row,) = result.capacity
    # 6 × 100 = 600/s, utilisation 0.5, drain 270,000 / 300 = 900 s, recovery 30 min ≪ 7 days
    assert row.capacity_eps == 600 and row.utilisation == 0.5 and row.keeps_up
    assert row.drain_seconds == 900 and row.within_retention


def test_retry_dead_letter_idempotency_and_latency_rows() -> None:
    result = analyse(small_design(concurrency=6), WhatIf(outage_s=600, error_rate=0.1, poison_rate=0.001))
    (retry,) = result.retries
    assert retry.delays_ms == [1000, 2000, 4000, 8000] and retry.time_in_retry_ms == 15_050
    assert retry.mode == "in_place" and retry.partition_stall_ms == 15_050 and retry.lag_target_ms == 2000
    # 0.999 × (1 − 0.1^5) / 0.9 + 0.001 × 5
    assert retry.amplification == pytest.approx(0.999 * 0.99999 / 0.9 + 0.005)
    # 300/s × 86,400 × (0.001 + 0.999 × 1e-5)
    assert retry.dead_letters_per_day == pytest.approx(300 * 86_400 * (0.001 + 0.999e-5))
    (dead,) = result.dead_letters
    assert (dead.topic, dead.retention_days, dead.required_days) == ("payments.events.ledger-writer.dlq", 14, 7)
    (idem,) = result.idempotency
    # 15.05 s + 600 s + 300 s = 915.05 s; × 300/s = 274,515 keys; one day holds 25,920,000
    assert idem.window_s == pytest.approx(915.05) and idem.keys_in_window == pytest.approx(274_515)
    assert idem.keys_held == 25_920_000 and idem.ttl_covers
    (flow,) = result.latency
    # outbox 100 + broker 20 + handler 10 = 130 ms ≤ 500 ms
    assert flow.flow == "payments → ledger-writer" and flow.total_ms == 130 and flow.within_target


def test_omitted_values_use_stated_defaults() -> None:
    design = small_design()
    design.consumers[0] = Consumer(name="ledger-writer", service="ledger", subscriptions=["PaymentCaptured"])
    design.topics[0].partitions = None
    result = analyse(design)
    (row,) = result.capacity
    # 1 partition, 1 instance, 20 ms: 50/s
    assert (row.partitions, row.consumers, row.processing_time_ms, row.capacity_eps) == (1, 1, 20, 50)
    text = " ".join(result.assumptions)
    assert "no processing time; assumed 20 ms" in text
    assert "no partition count; assumed 1" in text
    assert "no instance count; assumed 1" in text


def test_retry_topics_are_recognised() -> None:
    design = small_design()
    design.topics.append(Topic(name="payments.events.ledger-writer.retry", partitions=6, purpose="retry"))
    (retry,) = analyse(design).retries
    assert retry.mode == "retry_topics" and retry.partition_stall_ms == 10


def test_json_has_the_issue_fields_and_no_infinities() -> None:
    design = small_design(retry=RetryPolicy(max_attempts=None))
    data = analyse(design).to_data()
    assert set(data) >= {"capacity", "retries", "dead_letters", "idempotency", "latency"}
    row = data["capacity"][0]
    for key in (
        "topic", "group", "peak_eps", "partitions", "consumers", "processing_time_ms", "capacity_eps",
        "utilisation", "keeps_up", "partitions_needed", "backlog_after_outage", "drain_seconds",
    ):
        assert key in row
    assert data["retries"][0]["amplification"] is None  # unbounded, reported as null
    import json

    json.dumps(data, allow_nan=False)


def test_what_if_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        WhatIf(error_rate=1.5)
    with pytest.raises(ValueError):
        WhatIf(outage_s=-1)
