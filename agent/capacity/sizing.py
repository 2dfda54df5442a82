"""Sizing: how much a consumer group absorbs and how many partitions a topic needs for its peak."""

from __future__ import annotations

import math

# Below this utilisation a group keeps up with headroom for bursts, rebalances and slow handlers.
DEFAULT_TARGET_UTILISATION = 0.7

# What one transactional-outbox relay moves, events per second: it polls a table, publishes, and marks or deletes
# each row in the service's database, so it is bound by that database's write rate, not the broker's.
OUTBOX_RELAY_EPS = 2000.0


def consumer_capacity_eps(
    *,
    partitions: int,
    consumers: int,
    processing_time_ms: float,
    in_flight_per_partition: int = 1,
) -> float:
    """Events per second a consumer group can process.

    Per-key ordering serialises each partition, so only min(partitions, consumers) instances work at once; a keyed
    parallel consumer keeps ``in_flight_per_partition`` calls in flight per partition (distinct keys only).
    """
    if partitions < 1 or consumers < 1 or in_flight_per_partition < 1:
        raise ValueError("partitions, consumers and in-flight calls must be at least 1")
    if not math.isfinite(processing_time_ms) or processing_time_ms <= 0:
        raise ValueError("processing time must be a positive finite number of milliseconds")
    active = min(partitions, consumers)
    return active * in_flight_per_partition * 1000.0 / processing_time_ms


def utilisation(peak_eps: float, capacity_eps: float) -> float:
    """Peak load as a share of capacity (above 1.0 the group falls behind)."""
    if capacity_eps <= 0:
        return math.inf
    return peak_eps / capacity_eps


def partitions_needed(
    peak_eps: float,
    *,
    partition_capacity_eps: float,
    processing_time_ms: float | None = None,
    in_flight_per_partition: int = 1,
    target_utilisation: float = DEFAULT_TARGET_UTILISATION,
    minimum: int = 1,
) -> int:
    """The fewest partitions that keep both the broker and one consumer per partition under the target utilisation.

    The broker side: ``peak / (partition_capacity × target)``. The consumer side (when the handler time is known):
    one consumer per partition processes ``in_flight × 1000 / processing_time_ms`` events/s.
    """
    if not 0 < target_utilisation <= 1:
        raise ValueError("target utilisation must be in (0, 1]")
    if peak_eps <= 0 or not math.isfinite(peak_eps):
        return max(1, minimum)
    per_partition = partition_capacity_eps
    if processing_time_ms is not None:
        per_partition = min(per_partition, in_flight_per_partition * 1000.0 / processing_time_ms)
    return max(minimum, math.ceil(peak_eps / (per_partition * target_utilisation)))


def consumers_needed(
    peak_eps: float,
    *,
    partitions: int,
    processing_time_ms: float,
    in_flight_per_partition: int = 1,
    target_utilisation: float = DEFAULT_TARGET_UTILISATION,
) -> int:
    """Consumers (at most one per partition) that keep the group under the target utilisation; the partition count
    when even one per partition is not enough (then the topic needs more partitions)."""
    per_consumer = in_flight_per_partition * 1000.0 / processing_time_ms
    needed = math.ceil(peak_eps / (per_consumer * target_utilisation)) if peak_eps > 0 else 1
    return max(1, min(partitions, needed))
