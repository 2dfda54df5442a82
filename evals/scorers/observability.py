"""observability: lag and dead letters are alerted on, and every message can be traced to what caused it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer, index_of
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {
    "lag_alerts": 3.0,
    "dead_letter_alerts": 2.0,
    "correlation": 1.5,
    "causation": 1.0,
    "tracing": 1.0,
    "projection_lag": 1.0,
    "saga_watch": 1.0,
    "declared_metrics": 1.0,
}
SAGA_METRIC_WORDS = ("saga", "timeout", "stuck")


class ObservabilityScorer(ParamScorer):
    """Checks (weight):

    - lag_alerts (3): an alert with a threshold watches every consumer group's lag (one per group, or one over
      all groups), read the way the rules engine reads alerts (EDA901).
    - dead_letter_alerts (2): every dead-letter destination has a depth alert (``alert_depth`` or an alert on a
      DLQ metric for it).
    - correlation (1.5), causation (1): correlation and causation ids are propagated to caused messages.
    - tracing (1): the design names its tracing (OpenTelemetry, W3C trace context…).
    - projection_lag (1): every read model states a lag target and an alert watches its lag (half each).
    - saga_watch (1): an alert watches each saga's timeouts or stuck instances.
    - declared_metrics (1): every alert watches a metric the design declares (when it declares any).
    """

    name = "observability"
    description = "Consumer lag and dead letters are alerted on; correlation, causation and tracing are carried."
    default_weights = WEIGHTS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        from archassist.agent.rules.observability import LAG_METRIC_WORDS
        from archassist.agent.rules.reliability import DEAD_LETTER_METRIC_WORDS

        sheet = Sheet(self.name, self._params.weights)
        index = index_of(design)
        watched = design.observability
        lag = sheet.check("lag_alerts", "consumer lag is alerted")
        dead = sheet.check("dead_letter_alerts", "dead-letter depth is alerted")
        for consumer in design.consumers:
            targets = {consumer.name, consumer.service, consumer.group or ""}
            lag.record(index.alert_covers(LAG_METRIC_WORDS, targets), f"'{consumer.group or consumer.name}'")
            letter = consumer.dead_letter
            if letter is not None:
                covered = letter.alert_depth is not None or index.alert_covers(
                    DEAD_LETTER_METRIC_WORDS, targets | {letter.topic}
                )
                dead.record(covered, f"'{letter.topic}'")
        if design.events or design.consumers:
            sheet.check("correlation", "correlation ids propagate").record(
                watched.correlation_propagation, "correlation_propagation is off"
            )
            sheet.check("causation", "causation ids propagate").record(
                watched.causation_propagation, "causation_propagation is off"
            )
            sheet.check("tracing", "tracing is named").record(bool(watched.tracing), "no tracing")
        projections = sheet.check("projection_lag", "read models have a lag target and alert")
        for projection in design.projections:
            alerted = index.alert_covers(LAG_METRIC_WORDS, {projection.name, projection.service or ""})
            lost = [w for w, ok in (("no lag target", projection.lag_target_ms), ("no alert", alerted)) if not ok]
            projections.record((bool(projection.lag_target_ms) + alerted) / 2, f"'{projection.name}': {', '.join(lost)}")
        sagas = sheet.check("saga_watch", "saga timeouts are alerted")
        for saga in design.sagas:
            sagas.record(
                index.alert_covers(SAGA_METRIC_WORDS, {saga.name, saga.orchestrator or ""}), f"'{saga.name}'"
            )
        declared = sheet.check("declared_metrics", "alerts watch declared metrics")
        if index.metrics:
            for alert in watched.alerts:
                declared.record(alert.metric in index.metrics, f"'{alert.name}' watches '{alert.metric}'")
        return sheet.score("the design has no events, consumers or read models to watch")
