"""Idempotency: the window a dedup store must remember, and what it holds.

A duplicate can arrive as long as the original may still be redelivered: while it is being retried, while the
group is down and its offsets are not committed, and within the redelivery window after a crash or a rebalance
(uncommitted messages come again, up to the poll interval). The store must remember every key for at least that
long; a shorter TTL lets a late duplicate through as if it were new.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archassist.agent.capacity.backlog import SECONDS_PER_DAY

# Kafka's max.poll.interval.ms default: a consumer that stalls this long is evicted and its uncommitted messages
# go to another member.
DEFAULT_REDELIVERY_S = 300.0
# An event id (a UUID as text), the time it was seen and the store's per-row overhead.
DEFAULT_KEY_BYTES = 100


def dedup_window_s(*, retry_s: float | None, outage_s: float, redelivery_s: float = DEFAULT_REDELIVERY_S) -> float:
    """Seconds a key must be remembered: retry time + outage + redelivery (infinite when retries never end)."""
    if retry_s is None:
        return math.inf
    return retry_s + outage_s + redelivery_s


def keys_in(rate_eps: float, seconds: float) -> float:
    """Distinct keys arriving at ``rate_eps`` within ``seconds`` (every event has its own id)."""
    return rate_eps * seconds


def ttl_covers(ttl_days: float | None, window_s: float) -> bool:
    """Whether a TTL remembers keys for the whole window (no TTL remembers them forever)."""
    return ttl_days is None or ttl_days * SECONDS_PER_DAY >= window_s


@dataclass(frozen=True, slots=True)
class DedupSizing:
    window_s: float
    keys_in_window: float
    keys_held: float | None  # what the store holds at its TTL (None: no TTL, it only grows)
    store_bytes: float | None
    ttl_covers: bool


def size_dedup_store(
    *,
    rate_eps: float,
    retry_s: float | None,
    outage_s: float,
    ttl_days: float | None,
    redelivery_s: float = DEFAULT_REDELIVERY_S,
    key_bytes: int = DEFAULT_KEY_BYTES,
) -> DedupSizing:
    """The window, the keys it spans at the rate, the keys the store keeps at its TTL, and their size."""
    window = dedup_window_s(retry_s=retry_s, outage_s=outage_s, redelivery_s=redelivery_s)
    held = None if ttl_days is None else keys_in(rate_eps, ttl_days * SECONDS_PER_DAY)
    return DedupSizing(
        window_s=window,
        keys_in_window=keys_in(rate_eps, window),
        keys_held=held,
        store_bytes=None if held is None else held * key_bytes,
        ttl_covers=ttl_covers(ttl_days, window),
    )
