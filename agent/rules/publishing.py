"""EDA412: how events leave a service, against what that path can carry."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex

# What one transactional-outbox relay moves, events per second: it polls a table, publishes, and marks or deletes
# each row in the service's database, so it is bound by that database's write rate, not the broker's.
OUTBOX_RELAY_EPS = 2000.0


def published_rate(design: Design, index: DesignIndex, service: str) -> float | None:
    """Peak events per second a service publishes, from the throughput of the topics its events travel on."""
    rates: dict[str, float] = {}
    for position, event in enumerate(design.events):
        if service not in index.producers.get(event.name, set()):
            continue
        topic = index.topic(index.event_topic[position])
        if topic is not None and topic.throughput_eps is not None:
            producers = {p for i in index.topic_events.get(topic.name, []) for p in index.producers.get(
                design.events[i].name, set())}
            rates[topic.name] = topic.throughput_eps / max(1, len(producers))
    return sum(rates.values()) if rates else None


@rule("EDA412", "outbox-above-relay-capacity", severity="warning")
def outbox_above_relay_capacity(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A service publishes through a transactional outbox faster than an outbox relay can carry.

    Why: The outbox writes every event as a row in the service's database and a relay polls, publishes and
    deletes those rows. Past a few thousand events a second the relay and the extra database writes fall
    behind: the outbox table grows, publishing lags by minutes, and the database the service needs for its own
    work is busy with the queue.

    Anti-pattern: a telemetry ingester at 50,000 readings a second with `publishing: outbox`.

    Fix: Publish high-rate streams that change no business state (telemetry, clicks) directly to the broker
    with an idempotent producer (`publishing: direct`), keep the outbox for state changes, or read the outbox
    with change data capture (`publishing: cdc`), which follows the database log instead of polling it.
    """
    for position, service in enumerate(design.services):
        if service.publishing != "outbox":
            continue
        rate = published_rate(design, index, service.name)
        if rate is not None and rate > OUTBOX_RELAY_EPS:
            yield Violation(
                f"/services/{position}/publishing",
                f"service '{service.name}' publishes about {rate:,.0f} events/s through an outbox; a relay carries "
                f"about {OUTBOX_RELAY_EPS:,.0f}",
                "publish the high-rate stream directly (publishing: direct) with an idempotent producer, or use cdc",
            )
