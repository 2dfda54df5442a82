from __future__ import annotations

import math

import pytest
from archassist.agent.capacity.sizing import (
    consumer_capacity_eps,
    consumers_needed,
    partitions_needed,
    utilisation,
)


def test_capacity_is_bounded_by_the_smaller_of_partitions_and_consumers() -> None:
    # 6 partitions, 10 consumers, 20 ms: 6 active × 1000/20 = 300/s
    assert consumer_capacity_eps(partitions=6, consumers=10, processing_time_ms=20) == 300
    # 12 partitions, 4 consumers, 5 ms, 3 in flight: 4 × 3 × 200 = 2,400/s
    assert consumer_capacity_eps(partitions=12, consumers=4, processing_time_ms=5, in_flight_per_partition=3) == 2400


def test_capacity_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        consumer_capacity_eps(partitions=0, consumers=1, processing_time_ms=10)
    with pytest.raises(ValueError):
        consumer_capacity_eps(partitions=1, consumers=1, processing_time_ms=math.inf)


def test_partitions_from_broker_and_consumer_sides() -> None:
    # broker side: 7,000/s on 1,000/s partitions at 0.7 → 10
    assert partitions_needed(7000, partition_capacity_eps=1000) == 10
    # consumer side dominates: 20 ms handlers absorb 50/s a partition; 700/s / (50 × 0.7) = 20
    assert partitions_needed(700, partition_capacity_eps=1000, processing_time_ms=20) == 20
    assert partitions_needed(0, partition_capacity_eps=1000, minimum=3) == 3


def test_consumers_needed_and_utilisation() -> None:
    # 700/s, 10 ms handlers (100/s each) at 0.7 → 10, capped by 6 partitions
    assert consumers_needed(700, partitions=6, processing_time_ms=10) == 6
    assert consumers_needed(350, partitions=12, processing_time_ms=10) == 5
    assert utilisation(500, 1000) == 0.5 and utilisation(1, 0) == math.inf
