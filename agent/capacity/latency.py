"""End-to-end latency budget: the sum of the hops an event takes, against the design's p99 target.

A hop from one service to the next costs the publishing path (the outbox relay's polling interval, or the CDC
connector's lag), the broker (an acknowledged write to the in-sync replicas and the consumer's fetch) and the
handler. The figures are p99 budgets per hop, not measurements; a design that states its own handler times gets
them used instead of the default.
"""

from __future__ import annotations

from dataclasses import dataclass

# p99 of each publishing path: a relay polls its outbox table; CDC tails the write-ahead log; an event store
# subscription polls like a relay; a direct publish is the write itself.
PUBLISH_MS: dict[str, float] = {"outbox": 100.0, "cdc": 250.0, "event_store": 100.0, "direct": 0.0, "none": 0.0}
BROKER_MS = 20.0


@dataclass(frozen=True, slots=True)
class Hop:
    name: str
    ms: float


def hop_budget(publishing: str, processing_time_ms: float) -> list[Hop]:
    """The parts of one service-to-service hop: publish path, broker, handler."""
    return [
        Hop(f"publish ({publishing})", PUBLISH_MS.get(publishing, 0.0)),
        Hop("broker", BROKER_MS),
        Hop("handler", processing_time_ms),
    ]


def total_ms(hops: list[Hop]) -> float:
    return sum(h.ms for h in hops)


def within_target(total: float, target_ms: float | None) -> bool | None:
    """Whether the budget fits the p99 target (None when the design states none)."""
    return None if target_ms is None else total <= target_ms
