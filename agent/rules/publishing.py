"""EDA412: how events leave a service, against what that path can carry."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.capacity.sizing import OUTBOX_RELAY_EPS
from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex


def published_rates(design: Design, index: DesignIndex) -> dict[str, float]:
    """Peak events per second each service publishes: each topic's throughput shared among its producers."""
    producers_of_topic: dict[str, set[str]] = {}
    for position, event in enumerate(design.events):
        topic_name = index.event_topic[position]
        if topic_name:
            producers_of_topic.setdefault(topic_name, set()).update(index.producers.get(event.name, ()))
    rates: dict[str, float] = {}
    for name, producers in producers_of_topic.items():
        topic = index.topic(name)
        if topic is None or topic.throughput_eps is None or not producers:
            continue
        for service in producers:
            rates[service] = rates.get(service, 0.0) + topic.throughput_eps / len(producers)
    return rates


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
    if not any(service.publishing == "outbox" for service in design.services):
        return
    rates = published_rates(design, index)
    for position, service in enumerate(design.services):
        if service.publishing != "outbox":
            continue
        rate = rates.get(service.name)
        if rate is not None and rate > OUTBOX_RELAY_EPS:
            yield Violation(
                f"/services/{position}/publishing",
                f"service '{service.name}' publishes about {rate:,.0f} events/s through an outbox; a relay carries "
                f"about {OUTBOX_RELAY_EPS:,.0f}",
                "publish the high-rate stream directly (publishing: direct) with an idempotent producer, or use cdc",
            )
