"""Mutations of a good design, each about one criterion, for the scorers' sensitivity tests.

Each takes a Design and returns a changed copy; the original is never touched. Names are changed everywhere they
are referenced (by rewriting exact string values), so a renamed part stays connected and only the criterion the
mutation is about should notice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any

from archassist.agent.model.design import Design, RetryPolicy, SyncCall
from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic
from archassist.evals.base import Scenario
from archassist.evals.concepts import match_concepts, parse_concept


def _copy(design: Design) -> Design:
    return design.model_copy(deep=True)


def rename_values(design: Design, renames: dict[str, str]) -> Design:
    """The design with every string value equal to a key replaced by its new name (names are references)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return renames.get(value, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    data = json.loads(design.model_dump_json())
    return Design.model_validate(walk(data))


def remove_idempotency(design: Design) -> Design:
    changed = _copy(design)
    for consumer in changed.consumers:
        consumer.idempotency.strategy = "none"
        consumer.idempotency.key = None
    for command in changed.commands:
        command.idempotency_key = None
    for saga in changed.sagas:
        for step in saga.steps:
            step.compensation_idempotent = False
    for projection in changed.projections:
        projection.idempotent = False
    return changed


def sync_calls_on_saga_path(design: Design) -> Design:
    """Every saga's orchestrator and steps call the next participant synchronously while handling events."""
    changed = _copy(design)
    for saga in changed.sagas:
        chain = [s for s in [saga.orchestrator, *(step.service for step in saga.steps)] if s]
        for caller, callee in pairwise(chain):
            service = changed.service(caller)
            if service is not None and callee != caller:
                service.sync_calls.append(SyncCall(target=callee, purpose="confirm the step", on_event_path=True))
    return changed


def hottest_topic(design: Design) -> str:
    operational = [t for t in design.topics if not (is_dead_letter_topic(t) or is_retry_topic(t))]
    return max(operational, key=lambda t: ((t.throughput_eps or 0), t.partitions or 0)).name


def under_partition_hot_topic(design: Design) -> Design:
    changed = _copy(design)
    topic = changed.topic(hottest_topic(changed))
    assert topic is not None
    topic.partitions = 1
    if topic.capacity is not None:
        topic.capacity = None  # the derivation no longer holds
    return changed


def drop_dead_letters_and_retries(design: Design) -> Design:
    changed = _copy(design)
    for consumer in changed.consumers:
        consumer.dead_letter = None
        consumer.retry = RetryPolicy(max_attempts=1)
        consumer.retry_topics = []
    return changed


def drop_versions(design: Design) -> Design:
    changed = _copy(design)
    for event in changed.events:
        event.version = None
        event.compatibility = None
        event.upcasters = []
    return changed


def drop_observability(design: Design) -> Design:
    changed = _copy(design)
    changed.observability.alerts = []
    changed.observability.metrics = []
    changed.observability.correlation_propagation = False
    changed.observability.causation_propagation = False
    changed.observability.tracing = None
    for consumer in changed.consumers:
        if consumer.dead_letter is not None:
            consumer.dead_letter.alert_depth = None
    for projection in changed.projections:
        projection.lag_target_ms = None
    return changed


def _matching(names: Iterable[str], patterns: list[str]) -> list[str]:
    return [n for n in names if any(re.search(p, n, re.IGNORECASE) for p in patterns)]


def remove_expected_concepts(design: Design, scenario: Scenario) -> Design:
    """Rename every service and event that an expected concept finds to a name no concept matches."""
    concepts = [parse_concept(c) for c in scenario.expected_concepts]
    service_patterns = [c.pattern for c in concepts if c.kind == "service"]
    event_patterns = [c.pattern for c in concepts if c.kind in ("event", "key")]
    renames: dict[str, str] = {}
    for number, name in enumerate(_matching((s.name for s in design.services), service_patterns)):
        renames[name] = f"unit-{number}-service"
    for number, name in enumerate(_matching((e.name for e in design.events), event_patterns)):
        renames[name] = f"Fact{number}Noted"
    changed = rename_values(design, renames)
    assert sum(r.found for r in match_concepts(changed, tuple(concepts)) if r.concept.kind != "forbid") < sum(
        r.found for r in match_concepts(design, tuple(concepts)) if r.concept.kind != "forbid"
    )
    return changed


def plant_rule_violations(design: Design) -> Design:
    """Give every operational topic a name Kafka refuses (EDA317), everywhere it is referenced."""
    renames = {
        t.name: f"{t.name} (v1)!"
        for t in design.topics
        if not (is_dead_letter_topic(t) or is_retry_topic(t))
    }
    return rename_values(design, renames)


Mutation = Callable[[Design], Design]
