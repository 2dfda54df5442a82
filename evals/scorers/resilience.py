"""resilience: failures are bounded, parked and recoverable; nothing is lost between the database and the broker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer, capacity_of, index_of
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {
    "bounded_retries": 2.0,
    "backoff": 1.0,
    "dead_letters": 3.0,
    "dead_letter_topics": 1.0,
    "outage_drain": 2.0,
    "publishing": 2.0,
    "saga_failure_paths": 2.0,
    "replication": 1.0,
}
THRESHOLDS = {
    "max_attempts": 20.0,  # the rules' EDA404 bound
    "dead_letter_days": 7.0,  # a person notices, fixes and redrives within a week
    "min_replicas": 3.0,
    "min_insync": 2.0,
}
BACKOFF_CREDIT = {"exponential": 1.0, "linear": 0.5, "fixed": 0.4, "none": 0.0}
NO_JITTER_CREDIT = 0.6


class ResilienceScorer(ParamScorer):
    """Checks (weight):

    - bounded_retries (2): every consumer retries a bounded number of times, at most ``max_attempts`` (20); a
      consumer that never retries gets half credit (every transient fault becomes a dead letter).
    - backoff (1): retrying consumers back off exponentially with jitter (exponential without jitter 0.6,
      linear 0.5, fixed 0.4, none 0).
    - dead_letters (3): every consumer has a dead-letter destination.
    - dead_letter_topics (1): that destination is a declared topic, keeps messages at least
      ``dead_letter_days`` (7) as the broker enforces it, and has a redrive procedure (a third each).
    - outage_drain (2): after the capacity model's 15-minute outage each consumer group drains its backlog
      before the topic's retention deletes it (groups whose topic states no rate are not judged).
    - publishing (2): every service that writes a database and publishes uses an outbox, CDC or an event store
      (no dual write).
    - saga_failure_paths (2): every saga step has a timeout, and every side-effecting step before the pivot has a
      compensation (half credit each).
    - replication (1): operational topics keep ``min_replicas`` (3) copies and ``min_insync`` (2) in sync.
    """

    name = "resilience"
    description = "Retries are bounded with backoff, failures are parked in dead letters, outages drain, no dual writes."
    default_weights = WEIGHTS
    default_thresholds = THRESHOLDS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic
        from archassist.agent.rules.reliability import SAFE_PUBLISHING
        from archassist.agent.rules.sagas import has_compensation, pivot_position

        limits = self._params.thresholds
        sheet = Sheet(self.name, self._params.weights)
        index = index_of(design)
        bounded = sheet.check("bounded_retries", "retries are bounded")
        backoff = sheet.check("backoff", "retries back off exponentially with jitter")
        dead = sheet.check("dead_letters", "consumers have a dead-letter destination")
        dead_topics = sheet.check("dead_letter_topics", "dead-letter topics are declared, kept and redriven")
        for consumer in design.consumers:
            attempts = consumer.retry.max_attempts
            if attempts is None:
                bounded.record(False, f"'{consumer.name}' retries forever")
            elif attempts > limits["max_attempts"]:
                bounded.record(False, f"'{consumer.name}' retries {attempts} times")
            elif attempts == 1:
                bounded.record(0.5, f"'{consumer.name}' never retries")
            else:
                bounded.record(True)
            if attempts is None or attempts > 1:
                credit = BACKOFF_CREDIT[consumer.retry.backoff]
                if consumer.retry.backoff != "none" and not consumer.retry.jitter:
                    credit *= NO_JITTER_CREDIT
                backoff.record(credit, f"'{consumer.name}' retries with {consumer.retry.backoff} backoff"
                               + ("" if consumer.retry.jitter else " and no jitter"))
            letter = consumer.dead_letter
            dead.record(letter is not None, f"'{consumer.name}' has none")
            if letter is None:
                continue
            topic = index.topic(letter.topic)
            retention = topic.retention_days if topic is not None else letter.retention_days
            kept = retention is None or retention >= limits["dead_letter_days"]
            parts = [topic is not None, kept, letter.redrive != "none"]
            missing = [what for what, ok in zip(("undeclared topic", "short retention", "no redrive"), parts, strict=True)
                       if not ok]
            dead_topics.record(sum(parts) / 3, f"'{letter.topic}': {', '.join(missing)}")
        drain = sheet.check("outage_drain", "groups drain a 15-minute outage within retention")
        if design.consumers:
            for row in capacity_of(design, index).capacity:
                if row.within_retention is not None:
                    drain.record(row.within_retention, f"'{row.group}' on '{row.topic}'")
        publishing = sheet.check("publishing", "services publish through an outbox, CDC or event store")
        producing = {name for producers in index.producers.values() for name in producers}
        for service in design.services:
            if service.database and (service.publishes or service.name in producing):
                publishing.record(
                    service.publishing in SAFE_PUBLISHING, f"'{service.name}' publishing: {service.publishing}"
                )
        failure_paths = sheet.check("saga_failure_paths", "saga steps time out and compensate")
        for saga in design.sagas:
            pivot = len(saga.steps) if not saga.starts_after_pivot else 0
            pivot = min(pivot, pivot_position(saga))
            for position, step in enumerate(saga.steps):
                needs = step.side_effect and position < pivot
                compensated = has_compensation(step) or not needs
                timed = step.timeout_s is not None
                lost = [what for what, ok in (("no timeout", timed), ("no compensation", compensated)) if not ok]
                failure_paths.record((timed + compensated) / 2, f"'{saga.name}.{step.name}': {', '.join(lost)}")
        replication = sheet.check("replication", "operational topics are replicated")
        for topic in design.topics:
            if is_dead_letter_topic(topic) or is_retry_topic(topic) or not topic.durable:
                continue
            replicas = topic.replication_factor or 1
            insync = topic.min_insync_replicas or 1
            ok = replicas >= limits["min_replicas"] and insync >= limits["min_insync"]
            replication.record(ok, f"'{topic.name}' {replicas} replicas, {insync} in sync")
        return sheet.score("the design has no consumers, publishing services, sagas or topics")
