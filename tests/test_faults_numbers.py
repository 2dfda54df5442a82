"""Numbers at the edges: a Design's numbers are finite and bounded, and every rule stays safe and fast on the
extreme values the model accepts."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from archassist.agent.model import design as model
from archassist.agent.model import io
from archassist.agent.model.design import Design, Event, Upcaster
from archassist.agent.rules.engine import check
from archassist.agent.rules.event_sourcing import missing_upcast_versions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def refused(text: str) -> str:
    with pytest.raises(io.DesignLoadError) as caught:
        io.loads(text, "d.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("requirements: {throughput_eps: .inf}", ["d.yaml:2:16", "requirements.throughput_eps", "finite"]),
        ("requirements: {throughput_eps: .nan}", ["finite"]),
        ("requirements: {throughput_eps: 1.0e+300, partition_capacity_eps: 1.0e-300}", ["throughput_eps"]),
        (
            "requirements: {partition_capacity_eps: 1.0e-300}",
            ["partition_capacity_eps", "greater than or equal"],
        ),
        ("events: [{name: A, version: 1000000000000}]", ["events[0].version", "less than or equal to 10000"]),
        ("topics: [{name: t, partitions: 10000000}]", ["topics[0].partitions", "100000"]),
        ("topics: [{name: t, retention_days: 1.0e+9}]", ["topics[0].retention_days", "36500"]),
        ("observability: {alerts: [{name: a, metric: m, threshold: -.inf}]}", ["threshold", "finite"]),
        ("consumers: [{name: c, service: s, processing_time_ms: .inf}]", ["processing_time_ms"]),
    ],
)
def test_non_finite_and_out_of_domain_numbers_are_one_line(text: str, expected: list[str]) -> None:
    message = refused("name: x\n" + text + "\n")
    for part in expected:
        assert part in message, message


def test_the_rules_that_crashed_now_report() -> None:
    top = Design.model_validate(
        {
            "name": "x",
            "requirements": {
                "throughput_eps": model.MAX_RATE_EPS,
                "peak_factor": model.MAX_PEAK_FACTOR,
                "partition_capacity_eps": model.MIN_PARTITION_CAPACITY_EPS,
            },
            "topics": [{"name": "orders.events", "partitions": 3}],
        }
    )
    found = [f for f in check(top) if f.code == "EDA308"]
    assert found and "needs" in found[0].message
    # Values set without validation (a caller's model_construct) are still no crash.
    unchecked = top.model_copy(deep=True)
    unchecked.requirements.throughput_eps = math.inf
    assert any(f.code == "EDA308" for f in check(unchecked))


def test_upcaster_gaps_never_build_the_range_of_all_versions() -> None:
    started = time.process_time()
    huge = Event.model_construct(name="A", version=10**12, upcasters=[])
    gaps = missing_upcast_versions(huge)
    assert gaps[:3] == [2, 3, 4] and len(gaps) == 100
    assert time.process_time() - started < 0.5
    chain = Event(
        name="B", version=5, upcasters=[Upcaster(from_version=v, to_version=v + 1) for v in (1, 2, 4)]
    )
    assert missing_upcast_versions(chain) == [4, 5]


# -- property: designs with extreme numbers and random structure, through every rule ------------------------


def _bounded(low: float, high: float, *, integer: bool = False) -> st.SearchStrategy[Any]:
    """Values at and near both ends of a bound, plus anything in between."""
    if integer:
        ints = st.sampled_from([int(low), int(low) + 1, int(high) - 1, int(high)]) | st.integers(
            int(low), int(high)
        )
        return ints
    edges = st.sampled_from([low, math.nextafter(low, math.inf), high, math.nextafter(high, -math.inf)])
    return edges | st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


NAMES = st.sampled_from(
    ["orders.events", "payments.events", "orders.events.pay.dlq", "a", "OrderPlaced", "x.y.z"]
)
EVENTS = st.sampled_from(["OrderPlaced", "PaymentCaptured", "ShipOrder", "A"])


@st.composite
def extreme_designs(draw: st.DrawFn) -> dict[str, Any]:
    positive = _bounded(model.MIN_PARTITION_CAPACITY_EPS, model.MAX_RATE_EPS)
    events = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": EVENTS,
                    "version": st.none() | _bounded(1, model.MAX_VERSION, integer=True),
                    "topic": st.none() | NAMES,
                    "aggregate": st.none() | st.just("Order"),
                    "ordering": st.sampled_from(["per_key", "none", "global"]),
                    "ordered_with": st.lists(EVENTS, max_size=2),
                    "estimated_size_bytes": st.none() | _bounded(0, model.MAX_MESSAGE_BYTES, integer=True),
                    "upcasters": st.lists(
                        st.builds(
                            lambda a, b: {"from_version": a, "to_version": b},
                            _bounded(1, model.MAX_VERSION, integer=True),
                            _bounded(2, model.MAX_VERSION, integer=True),
                        ),
                        max_size=3,
                    ),
                }
            ),
            max_size=4,
        )
    )
    topics = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": NAMES,
                    "partitions": st.none() | _bounded(1, model.MAX_PARTITIONS, integer=True),
                    "replication_factor": st.none() | _bounded(1, model.MAX_REPLICAS, integer=True),
                    "min_insync_replicas": st.none() | _bounded(1, model.MAX_REPLICAS, integer=True),
                    "retention_days": st.none() | _bounded(1e-9, model.MAX_RETENTION_DAYS),
                    "throughput_eps": st.none() | _bounded(0, model.MAX_RATE_EPS),
                    "purpose": st.sampled_from(["operational", "audit", "dead_letter", "retry"]),
                    "cleanup_policy": st.sampled_from(["delete", "compact"]),
                    "events": st.lists(EVENTS, max_size=2),
                }
            ),
            max_size=4,
        )
    )
    consumers = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["c1", "pay", "c2"]),
                    "service": st.sampled_from(["orders", "payments"]),
                    "subscriptions": st.lists(EVENTS, max_size=2),
                    "concurrency": _bounded(1, model.MAX_PARTITIONS, integer=True),
                    "processing_time_ms": st.none() | _bounded(1e-9, model.MAX_DELAY_MS),
                    "in_flight_per_partition": _bounded(1, model.MAX_IN_FLIGHT, integer=True),
                    "retry": st.fixed_dictionaries(
                        {
                            "max_attempts": st.none() | _bounded(1, model.MAX_ATTEMPTS, integer=True),
                            "backoff": st.sampled_from(["none", "fixed", "exponential"]),
                            "initial_delay_ms": _bounded(0, model.MAX_DELAY_MS, integer=True),
                            "max_delay_ms": _bounded(0, model.MAX_DELAY_MS, integer=True),
                            "multiplier": _bounded(1, model.MAX_MULTIPLIER),
                        }
                    ),
                }
            ),
            max_size=3,
        )
    )
    return {
        "name": "extreme",
        "style": {
            "event_sourcing": draw(st.booleans()),
            "coordination": draw(st.sampled_from(["choreography", "orchestration"])),
        },
        "requirements": {
            "throughput_eps": draw(st.none() | _bounded(0, model.MAX_RATE_EPS)),
            "peak_factor": draw(_bounded(1, model.MAX_PEAK_FACTOR)),
            "partition_capacity_eps": draw(positive),
            "latency_p99_ms": draw(st.none() | _bounded(1e-9, model.MAX_DELAY_MS)),
            "retention_days": draw(st.none() | _bounded(1e-9, model.MAX_RETENTION_DAYS)),
            "audit": draw(st.booleans()),
        },
        "aggregates": [
            {
                "name": "Order",
                "service": "orders",
                "id_field": "order_id",
                "snapshot_every": draw(st.none() | _bounded(1, model.MAX_COUNT, integer=True)),
                "expected_stream_length": draw(st.none() | _bounded(0, model.MAX_COUNT, integer=True)),
            }
        ],
        "events": events,
        "topics": topics,
        "consumers": consumers,
        "sagas": [
            {
                "name": "S",
                "timeout_s": draw(st.none() | _bounded(1e-9, model.MAX_TIMEOUT_S)),
                "steps": [
                    {
                        "name": "s",
                        "service": "payments",
                        "timeout_s": draw(st.none() | _bounded(1e-9, model.MAX_TIMEOUT_S)),
                    }
                ],
            }
        ],
        "event_store": {
            "snapshot_every": draw(st.none() | _bounded(1, model.MAX_COUNT, integer=True)),
            "retention_days": draw(st.none() | _bounded(1e-9, model.MAX_RETENTION_DAYS)),
        },
        "dead_letter_policy": {
            "max_attempts": draw(_bounded(1, model.MAX_ATTEMPTS, integer=True)),
            "retention_days": draw(_bounded(1e-9, model.MAX_RETENTION_DAYS)),
            "alert_depth": draw(_bounded(0, model.MAX_COUNT, integer=True)),
        },
        "observability": {
            "alerts": [
                {
                    "name": "lag",
                    "metric": "consumer_lag",
                    "threshold": draw(st.floats(allow_nan=False, allow_infinity=False)),
                }
            ]
        },
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_designs())
def test_every_rule_is_safe_and_fast_on_extreme_accepted_values(data: dict[str, Any]) -> None:
    design = Design.model_validate(data)  # everything generated lies inside the model's bounds
    started = time.process_time()
    findings = check(design)
    assert time.process_time() - started < 1.0
    for finding in findings:
        assert finding.message and "\n" not in finding.message
        assert "inf" not in finding.message.split() and "nan" not in finding.message.split()
