"""Mutation testing of the rules: inject one known flaw into a planner design and expect the intended rule to fire.

Each mutation names the rule that must catch it. A mutation is "caught" when the intended rule reports more
findings after the mutation than before it. The detection rate (caught / applied) is printed at the end of the
run and by benchmarks/mutation_rate.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import pytest

planner = pytest.importorskip("archassist.agent.planner.compose")

from archassist.agent.model.design import Design, SyncCall  # noqa: E402
from archassist.agent.rules.engine import check  # noqa: E402
from archassist.agent.rules.privacy import looks_personal  # noqa: E402
from archassist.agent.rules.words import split_words  # noqa: E402

BRIEFS = [
    "order fulfillment across payments, inventory and shipping",
    "ride hailing trips with payments and notifications",
    "IoT telemetry at 100k events/sec with audit and GDPR",
    "event sourced bank ledger with audit for 10 years",
    "KYC onboarding of customers with fraud screening and GDPR",
]

Mutate = Callable[[Design], Design | None]
T = TypeVar("T")


@dataclass(frozen=True)
class Mutation:
    kind: str
    code: str
    apply: Mutate


def renamed(design: Design, old: str, new: str) -> Design:
    """The design with a name replaced everywhere it is used, as a careless rename would do."""
    text = json.dumps(design.model_dump(mode="json"))
    return Design.model_validate(json.loads(text.replace(json.dumps(old), json.dumps(new))))


def _first(items: Iterator[T]) -> T | None:
    return next(items, None)


def to_imperative(d: Design) -> Design | None:
    event = d.events[0]
    words = split_words(event.name)
    return renamed(d, event.name, "Process" + "".join(w.capitalize() for w in words[:-1]))


def to_present_tense(d: Design) -> Design | None:
    for event in d.events:
        words = split_words(event.name)
        if len(words) >= 2 and words[-1].endswith("ed") and not any(w.endswith("ed") for w in words[:-1]):
            present = words[-1][:-2] + "es"
            new = "".join(w.capitalize() for w in words[:-1]) + present.capitalize()
            return renamed(d, event.name, new)
    return None


def drop_compensation(d: Design) -> Design | None:
    for saga in d.sagas:
        for step in saga.steps:
            if step.pivot:
                break
            if step.compensation or step.compensation_command:
                step.compensation = step.compensation_command = None
                return d
    return None


def drop_saga_timeout(d: Design) -> Design | None:
    if not d.sagas or not d.sagas[0].steps:
        return None
    d.sagas[0].steps[0].timeout_s = None
    return d


def drop_saga_state(d: Design) -> Design | None:
    if not d.sagas:
        return None
    d.sagas[0].state_store = "in-memory"
    return d


def drop_partition_key(d: Design) -> Design | None:
    event = d.events[0]
    event.partition_key = None
    for topic in d.topics:
        if topic.name == event.topic or event.name in topic.events:
            topic.partition_key = None
    return d


def add_sync_call(d: Design) -> Design | None:
    if len(d.services) < 2:
        return None
    d.services[0].sync_calls.append(SyncCall(target=d.services[1].name, purpose="look up details"))
    return d


def share_database(d: Design) -> Design | None:
    with_db = [s for s in d.services if s.database]
    if len(with_db) < 2:
        return None
    with_db[1].database = with_db[0].database
    return d


def under_partition(d: Design) -> Design | None:
    topic = _first(t for t in d.topics if t.purpose not in ("dead_letter", "retry") and t.partitions)
    if topic is None:
        return None
    assert topic.partitions is not None
    topic.throughput_eps = (topic.partitions + 5) * d.requirements.partition_capacity_eps
    return d


def remove_outbox(d: Design) -> Design | None:
    service = _first(s for s in d.services if s.database and s.publishes)
    if service is None:
        return None
    service.publishing = "direct"
    return d


def unmark_pii(d: Design) -> Design | None:
    for event in d.events:
        for field in event.fields:
            if field.pii and looks_personal(field.name):
                field.pii = False
                return d
    return None


def unprotect_pii(d: Design) -> Design | None:
    for event in d.events:
        for field in event.fields:
            if field.pii:
                field.protection = "none"
                return d
    return None


def drop_dead_letter_alerts(d: Design) -> Design | None:
    consumer = d.consumers[0]
    if consumer.dead_letter is None:
        return None
    for item in d.consumers:
        if item.dead_letter:
            item.dead_letter.alert_depth = None
    d.observability.alerts = [
        a for a in d.observability.alerts if "dlq" not in a.metric and "dead" not in a.metric
    ]
    return d


def drop_event_store_uniqueness(d: Design) -> Design | None:
    if not d.style.event_sourcing or d.event_store is None:
        return None
    d.event_store.unique = []
    return d


def rename_topic_technical(d: Design) -> Design | None:
    topic = _first(t for t in d.topics if t.purpose == "operational")
    return None if topic is None else renamed(d, topic.name, "database.changes")


def setter(path: str, value: object) -> Mutate:
    """Set an attribute addressed like 'consumers.0.retry.max_attempts' (None when the part does not exist)."""

    def apply(design: Design) -> Design | None:
        target: object = design
        *parents, last = path.split(".")
        try:
            for part in parents:
                target = target[int(part)] if part.isdigit() else getattr(target, part)  # type: ignore[index]
        except IndexError:
            return None
        if target is None:
            return None
        setattr(target, last, value)
        return design

    return apply


def remove_envelope_field(d: Design) -> Design | None:
    d.envelope.fields = [f for f in d.envelope.fields if f != "causation_id"]
    return d


def split_entity_events(d: Design) -> Design | None:
    """Move one of a read model's entity events to another topic, as a second team publishing it would."""
    aggregates = {a.name: a.id_field for a in d.aggregates}
    operational = [t.name for t in d.topics if t.purpose == "operational"]
    for projection in d.projections:
        about = [e for e in d.events if e.name in projection.source_events and projection.key
                 and aggregates.get(e.aggregate or "") == projection.key]
        if len(about) < 2 or len({e.topic for e in about}) != 1:
            continue
        other = next((t for t in operational if t != about[0].topic), None)
        if other is None:
            return None
        about[-1].topic = other
        for topic in d.topics:
            if about[-1].name in topic.events and topic.name != other:
                topic.events.remove(about[-1].name)
        return d
    return None


MUTATIONS: list[Mutation] = [
    Mutation("drop a saga compensation", "EDA501", drop_compensation),
    Mutation("drop consumer idempotency", "EDA401", setter("consumers.0.idempotency.strategy", "none")),
    Mutation("drop the dead-letter topic", "EDA407", setter("consumers.0.dead_letter", None)),
    Mutation("rename an event to the imperative", "EDA101", to_imperative),
    Mutation("rename an event to the present tense", "EDA102", to_present_tense),
    Mutation("remove a partition key", "EDA302", drop_partition_key),
    Mutation("add a synchronous call", "EDA801", add_sync_call),
    Mutation("share a database", "EDA803", share_database),
    Mutation("under-partition for the throughput", "EDA308", under_partition),
    Mutation("remove the outbox", "EDA410", remove_outbox),
    Mutation("remove an event version", "EDA202", setter("events.0.version", None)),
    Mutation("unbounded retry", "EDA403", setter("consumers.0.retry.max_attempts", None)),
    Mutation("remove an envelope field", "EDA201", remove_envelope_field),
    Mutation("drop replication to 1", "EDA310", setter("topics.0.replication_factor", 1)),
    Mutation("make a projection non-rebuildable", "EDA601", setter("projections.0.rebuild", "none")),
    Mutation("make a projection non-idempotent", "EDA602", setter("projections.0.idempotent", False)),
    Mutation("unmark PII", "EDA912", unmark_pii),
    Mutation("remove PII protection", "EDA911", unprotect_pii),
    Mutation("add expects_reply", "EDA802", setter("events.0.expects_reply", True)),
    Mutation("drop a saga step timeout", "EDA503", drop_saga_timeout),
    Mutation("keep saga state in memory", "EDA504", drop_saga_state),
    Mutation("retry without jitter", "EDA406", setter("consumers.0.retry.jitter", False)),
    Mutation("commit before processing", "EDA411", setter("consumers.0.delivery", "at_most_once")),
    Mutation("drop min in-sync replicas to 1", "EDA311", setter("topics.0.min_insync_replicas", 1)),
    Mutation("switch off schema compatibility", "EDA203", setter("events.0.compatibility", "NONE")),
    Mutation(
        "stop propagating correlation ids", "EDA902", setter("observability.correlation_propagation", False)
    ),
    Mutation("stop alerting on DLQ depth", "EDA409", drop_dead_letter_alerts),
    Mutation(
        "drop the event store's (aggregate_id, version) constraint", "EDA702", drop_event_store_uniqueness
    ),
    Mutation("name a topic after the database", "EDA306", rename_topic_technical),
    Mutation("oversized payload", "EDA207", setter("events.0.estimated_size_bytes", 2_000_000)),
    Mutation("split a read model's entity events over two topics", "EDA321", split_entity_events),
]


@cache
def planned(brief: str) -> Design:
    return planner.plan(brief).design


def count(design: Design, code: str) -> int:
    return len(check(design, select=[code]))


OUTCOMES: list[tuple[str, str, bool]] = []  # (kind, brief, caught)


def detect(mutation: Mutation, brief: str) -> bool | None:
    """True if caught, False if missed, None if the mutation does not apply to this design."""
    base = planned(brief)
    changed = mutation.apply(base.model_copy(deep=True))
    if changed is None:
        return None
    return count(changed, mutation.code) > count(base, mutation.code)


@pytest.fixture(scope="module", autouse=True)
def detection_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not OUTCOMES:
        return
    caught = sum(1 for _, _, ok in OUTCOMES if ok)
    kinds = {kind for kind, _, _ in OUTCOMES}
    line = (
        f"rule mutation detection: {caught}/{len(OUTCOMES)} injected flaws caught by the intended rule "
        f"({caught / len(OUTCOMES):.0%}), {len(kinds)} kinds of flaw over {len(BRIEFS)} planner designs"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - run without pytest's terminal or capture
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


def test_at_least_fifteen_kinds_of_flaw() -> None:
    assert len({m.kind for m in MUTATIONS}) >= 15


@pytest.mark.parametrize(
    "mutation", MUTATIONS, ids=[m.code + "-" + m.kind.replace(" ", "-") for m in MUTATIONS]
)
def test_mutation_is_caught_by_the_intended_rule(mutation: Mutation) -> None:
    applied = 0
    missed = []
    for brief in BRIEFS:
        outcome = detect(mutation, brief)
        if outcome is None:
            continue
        applied += 1
        OUTCOMES.append((mutation.kind, brief, outcome))
        if not outcome:
            missed.append(brief)
    if applied == 0:
        pytest.skip(f"'{mutation.kind}' applies to none of the planner designs")
    assert missed == [], f"{mutation.code} missed '{mutation.kind}' in: {missed}"
