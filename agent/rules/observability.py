"""EDA90x: the event flow can be watched: lag is alerted and every message can be traced to its cause."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex

LAG_METRIC_WORDS: tuple[str, ...] = ("lag",)


@rule("EDA901", "consumer-lag-unalerted", severity="warning")
def consumer_lag_unalerted(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """No alert with a threshold watches a consumer group's lag.

    Why: Lag (how far a consumer group is behind the newest message) is the first sign that a consumer cannot
    keep up or has stopped. Unwatched, it grows until retention deletes unread messages or users notice stale
    data.

    Anti-pattern: consumers declared, but `observability.alerts` has no alert on a lag metric for their groups.

    Fix: Alert on lag per consumer group (`metric: consumer_lag`, threshold in messages or seconds), either
    one alert per group (`target: <group>`) or one alert over all groups (`target: null` or `"*"`).
    """
    for position, consumer in enumerate(design.consumers):
        targets = {consumer.name, consumer.service, consumer.group or ""}
        if not index.alert_covers(LAG_METRIC_WORDS, targets):
            yield Violation(
                f"/consumers/{position}",
                f"no alert watches the lag of consumer '{consumer.name}' (group '{consumer.group or consumer.name}')",
                "add an alert on consumer_lag with a threshold, targeting this group or all groups",
            )


@rule("EDA902", "correlation-id-not-propagated", severity="warning")
def correlation_id_not_propagated(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Correlation ids are not propagated from each message to the messages it causes.

    Why: The correlation id ties every event of one business flow together (one order, one checkout). Without it
    you cannot answer "what happened to order 42" across services, nor find all the work a failed request left
    behind.

    Anti-pattern: `observability: {correlation_propagation: false}`.

    Fix: Copy the incoming correlation id onto every emitted message and log it with every line; set
    `correlation_propagation: true`.
    """
    if not design.observability.correlation_propagation:
        yield Violation(
            "/observability/correlation_propagation",
            "correlation ids are not propagated; a business flow cannot be followed across services",
            "copy the incoming correlation_id onto every emitted message; set correlation_propagation: true",
        )


@rule("EDA903", "causation-id-not-propagated", severity="warning")
def causation_id_not_propagated(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Causation ids are not set from the message being handled.

    Why: The causation id names the message that directly caused this one, which turns a flat set of events into
    a tree: you can see which handler emitted what, and find loops and fan-outs during an incident.

    Anti-pattern: `observability: {causation_propagation: false}`.

    Fix: Set each emitted message's causation_id to the event_id of the message being handled; set
    `causation_propagation: true`.
    """
    if not design.observability.causation_propagation:
        yield Violation(
            "/observability/causation_propagation",
            "causation ids are not set; you cannot tell which message caused which",
            "set causation_id to the handled message's event_id; set causation_propagation: true",
        )


@rule("EDA904", "alert-metric-undeclared", severity="warning")
def alert_metric_undeclared(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An alert watches a metric that the design does not declare.

    Why: An alert on a metric nobody emits never fires; it gives the comfort of monitoring without any of its
    protection. Usually the metric was renamed or misspelt.

    Anti-pattern: `alerts: [{metric: consumer_lagg, threshold: 1000}]` with `metrics: [{name: consumer_lag}]`.

    Fix: Point the alert at a declared metric, or declare the metric the alert needs.
    """
    if not index.metrics:
        return  # a design that lists no metrics relies on the platform's standard ones
    for position, alert in enumerate(design.observability.alerts):
        if alert.metric not in index.metrics:
            yield Violation(
                f"/observability/alerts/{position}/metric",
                f"alert '{alert.name}' watches undeclared metric '{alert.metric}'",
                "declare the metric in observability.metrics or fix the alert's metric name",
            )
