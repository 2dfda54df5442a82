"""The rules, one by one: each passes the clean fixture design and fails a mutated copy at the expected pointer.

The clean design (tests/fixtures/review/clean.yaml) passes every rule with no finding at all. Each case below
changes one thing and names the rule that must catch it and the JSON pointer it must report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from archassist.agent.model.design import (
    Aggregate,
    Consumer,
    DeadLetter,
    Design,
    Event,
    Idempotency,
    PayloadField,
    RetryPolicy,
    SagaStep,
    Service,
    Suppression,
    SyncCall,
    Topic,
)
from archassist.agent.model.io import load_design_file
from archassist.agent.rules import get_rule, nearest_code, registry
from archassist.agent.rules.docs import default_path, render_rules_markdown
from archassist.agent.rules.engine import UnknownRuleWarning, check, run
from archassist.agent.rules.index import DesignIndex
from archassist.agent.rules.words import reads_as_command

FIXTURES = Path(__file__).parent / "fixtures" / "review"
CLEAN = FIXTURES / "clean.yaml"

Mutation = Callable[[Design], None]


@cache
def _clean() -> Design:
    return load_design_file(CLEAN).design


def clean_design() -> Design:
    """A fresh copy of the clean design."""
    return _clean().model_copy(deep=True)


def mutated(mutation: Mutation) -> Design:
    design = clean_design()
    mutation(design)
    return design


def findings_of(design: Design, code: str) -> list[tuple[str, str]]:
    return [(f.pointer, f.severity) for f in check(design, select=[code])]


# ---- mutations -----------------------------------------------------------------------------------------------


def _drop_producer(d: Design) -> None:
    d.events[3].producer = None
    d.services[1].publishes.remove("PaymentCaptured")


def _second_producer(d: Design) -> None:
    d.services[0].publishes.append("PaymentCaptured")


def _bytes_field(d: Design) -> None:
    d.events[3].fields[2] = PayloadField(name="receipt_pdf", type="bytes")


def _no_topic(d: Design) -> None:
    d.events[2].topic = None
    d.topics[0].events.remove("OrderCancelled")


def _no_key(d: Design) -> None:
    d.events[2].partition_key = None
    d.topics[0].partition_key = None


def _compacted_unkeyed(d: Design) -> None:
    d.topics[0].cleanup_policy = "compact"
    d.topics[0].partition_key = None
    for event in d.events[:3]:
        event.partition_key = None


def _under_partitioned(d: Design) -> None:
    d.requirements.throughput_eps = 5000  # x3 peak = 15,000/s, at 1,000/s per partition needs 15
    d.topics[0].partitions = 6


def _audit_topic_short(d: Design) -> None:
    d.style.event_sourcing = False
    d.event_store = None
    d.topics.append(Topic(name="orders.audit", partitions=6, purpose="audit", retention_days=30))


def _no_audit_trail(d: Design) -> None:
    d.style.event_sourcing = False
    d.event_store = None


def _step_after_pivot(d: Design) -> None:
    d.sagas[0].steps.append(
        SagaStep(name="notify-customer", service="order-service", timeout_s=5, retriable=False)
    )


def _dlq_without_retention(d: Design) -> None:
    assert d.consumers[0].dead_letter is not None
    d.consumers[0].dead_letter.retention_days = None
    d.topics.pop(3)  # the DLQ topic that would otherwise state a retention


def _dlq_unmonitored(d: Design) -> None:
    assert d.consumers[0].dead_letter is not None
    d.consumers[0].dead_letter.alert_depth = None


def _dlq_short(d: Design) -> None:
    assert d.consumers[0].dead_letter is not None
    d.consumers[0].dead_letter.retention_days = 2


def _sync_call(d: Design) -> None:
    d.services[1].sync_calls.append(SyncCall(target="order-service", purpose="read the order total"))


def _requested_with_reply(d: Design) -> None:
    d.events.append(
        Event(
            name="CreditCheckRequested",
            producer="order-service",
            topic="orders.events",
            partition_key="order_id",
            owner="team-orders",
            fields=[PayloadField(name="order_id", type="uuid"), PayloadField(name="amount", type="decimal")],
        )
    )
    d.consumers.append(
        Consumer(
            name="credit-checker",
            service="payment-service",
            subscriptions=["CreditCheckRequested"],
            emits=["PaymentFailed"],
        )
    )


def _event_names_service(d: Design) -> None:
    d.services.append(Service(name="notification-service", database="notifications-db"))
    d.events[2].name = "SendEmailToNotificationService"


def _event_names_inventory_service(d: Design) -> None:
    d.services.append(Service(name="inventory-service", database="inventory-db"))
    d.events[2].name = "InventoryServiceUpdateNeeded"


def _drop_compensation(d: Design) -> None:
    d.sagas[0].steps[0].compensation = None
    d.sagas[0].steps[0].compensation_command = None


def _second_command_handler(d: Design) -> None:
    d.consumers.append(
        Consumer(name="order-payments", service="order-service", subscriptions=["CapturePayment"])
    )


def _duplicate_event(d: Design) -> None:
    d.events.append(d.events[0].model_copy(deep=True))


def _unsubscribed(d: Design) -> None:
    d.projections[0].source_events.remove("OrderCancelled")


def _loop(d: Design) -> None:
    for name, emits in (("CartUpdated", "PriceRecalculated"), ("PriceRecalculated", "CartUpdated")):
        d.events.append(
            Event(
                name=name,
                producer="order-service",
                topic="orders.events",
                partition_key="order_id",
                owner="team-orders",
                external=True,
                fields=[
                    PayloadField(name="order_id", type="uuid"),
                    PayloadField(name="total", type="decimal"),
                ],
            )
        )
        d.consumers.append(
            Consumer(
                name=f"on-{name.lower()}",
                service="order-service",
                subscriptions=[name],
                emits=[emits],
                idempotency=Idempotency(strategy="dedup_event_id"),
                retry=RetryPolicy(max_attempts=3, backoff="exponential", jitter=True),
                dead_letter=DeadLetter(
                    topic="orders.events.order-saga.dlq", retention_days=14, alert_depth=1
                ),
            )
        )


def _short_drain_window(d: Design) -> None:
    # 3 × 1 ms instances absorb 3,000/s of 600/s: a 15-min backlog of 540,000 drains in 225 s, 1,125 s after
    # the outage began, while the topic keeps only 864 s
    d.consumers[1].processing_time_ms = 1
    d.topics[2].retention_days = 0.01


def _saga_feeds_read_model(d: Design) -> None:
    # subscribed to every source of order_summary (1 s lag target) while retrying in place for 15 s
    d.consumers[0].subscriptions += ["OrderConfirmed", "OrderCancelled"]


def _order_event_keyed_by_shipment(d: Design) -> None:
    """The order status page also shows shipping, from an OrderShipped the shipping side keys by its shipment."""
    d.events.append(
        Event(name="OrderShipped", aggregate="Shipment", producer="shipping-service", topic="shipping.events",
              partition_key="shipment_id", fields=[PayloadField(name="order_id"), PayloadField(name="shipment_id")])
    )
    d.projections[0].source_events.append("OrderShipped")


def _order_note_keyed_by_itself(d: Design) -> None:
    """An order note is its own aggregate, keyed by its own id: its name starts with the order's, it is not the
    order's event."""
    d.aggregates.append(Aggregate(name="OrderNote", service="order-service", id_field="order_note_id"))
    d.events.append(
        Event(name="OrderNoteAdded", aggregate="OrderNote", producer="order-service", topic="orders.events",
              partition_key="order_note_id", fields=[PayloadField(name="order_note_id")])
    )
    d.projections[0].source_events.append("OrderNoteAdded")


def _set(path: str, value: object) -> Mutation:
    """A mutation that sets one attribute, addressed like 'consumers.0.retry.max_attempts'."""

    def apply(design: Design) -> None:
        target: object = design
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else getattr(target, part)  # type: ignore[index]
        if last.isdigit():
            target[int(last)] = value  # type: ignore[index]
        else:
            setattr(target, last, value)

    return apply


# (rule code, mutation, pointer the rule must report, severity expected there)
def _deltas_upserted(d: Design) -> None:
    d.projections[0].applies = "deltas"
    d.consumers[0].idempotency = Idempotency(strategy="natural_upsert", key="order_id")


def _strong_from_read_model(d: Design) -> None:
    d.commands[2].consistency = "strong"
    d.commands[2].reads = ["order_summary"]


def _command_without_topic(d: Design) -> None:
    d.commands[3].topic = None
    d.topics[2].commands.remove("CapturePayment")


def _forward_only(d: Design) -> None:
    d.sagas[0].starts_after_pivot = True
    d.sagas[0].steps[0].compensation = None
    d.sagas[0].steps[0].compensation_command = None


CASES: list[tuple[str, Mutation, str, str]] = [
    ("EDA101", _set("events.2.name", "ReserveStock"), "/events/2/name", "error"),
    ("EDA101", _set("events.2.name", "ConfirmOrder"), "/events/2/name", "error"),
    ("EDA101", _set("events.2.name", "OrderCancelRequest"), "/events/2/name", "error"),
    ("EDA102", _set("events.2.name", "OrderStatus"), "/events/2/name", "warning"),
    ("EDA102", _set("events.2.name", "OrderShips"), "/events/2/name", "warning"),
    ("EDA103", _set("commands.1.name", "OrderConfirmed"), "/commands/1/name", "warning"),
    ("EDA104", _set("events.2.name", "order_cancelled"), "/events/2/name", "warning"),
    ("EDA201", lambda d: d.envelope.fields.remove("causation_id"), "/envelope/fields", "error"),
    ("EDA201", _set("events.3.envelope", ["event_id", "event_type"]), "/events/3/envelope", "error"),
    ("EDA202", _set("events.3.version", None), "/events/3/version", "error"),
    ("EDA203", _set("events.3.compatibility", "NONE"), "/events/3/compatibility", "warning"),
    ("EDA203", _set("events.3.compatibility", None), "/events/3/compatibility", "warning"),
    ("EDA204", _set("events.3.owner", None), "/events/3/owner", "warning"),
    ("EDA205", _drop_producer, "/events/3/producer", "error"),
    ("EDA206", _second_producer, "/events/3/producer", "warning"),
    ("EDA207", _set("events.3.estimated_size_bytes", 1_000_000), "/events/3/estimated_size_bytes", "warning"),
    ("EDA207", _bytes_field, "/events/3/fields/2/type", "warning"),
    (
        "EDA208",
        _set("events.2.fields", [PayloadField(name="order_id", type="uuid")]),
        "/events/2/fields",
        "info",
    ),
    ("EDA208", _set("events.2.fields", []), "/events/2/fields", "info"),
    ("EDA301", _no_topic, "/events/2/topic", "error"),
    ("EDA302", _no_key, "/events/2/partition_key", "error"),
    ("EDA303", _set("events.2.partition_key", "customer_id"), "/events/2/partition_key", "warning"),
    ("EDA304", _set("events.5.topic", "orders.events"), "/events/5/ordered_with/0", "error"),
    ("EDA305", _set("topics.0.name", "OrderEvents"), "/topics/0/name", "warning"),
    ("EDA305", _set("topics.0.name", "service-a-out"), "/topics/0/name", "warning"),
    ("EDA305", _set("topics.0.name", "user/signedup"), "/topics/0/name", "warning"),  # illegal on Kafka
    (
        "EDA305",
        lambda d: (_set("style.broker", "mqtt")(d), _set("topics.0.name", "Orders/OrderPlaced")(d)),
        "/topics/0/name",
        "warning",
    ),
    ("EDA305", _set("topics.0.name", "orders/order-placed"), "/topics/0/name", "warning"),  # '/' is MQTT's
    ("EDA306", _set("topics.0.name", "database.changes"), "/topics/0/name", "warning"),
    ("EDA306", _set("topics.0.name", "kafka.topic1"), "/topics/0/name", "warning"),
    ("EDA306", _set("topics.0.name", "service-a-out"), "/topics/0/name", "warning"),
    ("EDA307", _set("topics.3.name", "errors.dlq"), "/topics/3/name", "warning"),
    ("EDA308", _under_partitioned, "/topics/0/partitions", "error"),
    ("EDA308", _set("topics.0.partitions", None), "/topics/0/partitions", "warning"),
    ("EDA308", _set("topics.0.throughput_eps", 9000), "/topics/0/partitions", "error"),
    ("EDA309", _set("consumers.0.concurrency", 12), "/consumers/0/concurrency", "warning"),
    ("EDA310", _set("topics.0.replication_factor", 1), "/topics/0/replication_factor", "error"),
    ("EDA311", _set("topics.0.min_insync_replicas", 1), "/topics/0/min_insync_replicas", "error"),
    ("EDA311", _set("topics.0.min_insync_replicas", 3), "/topics/0/min_insync_replicas", "warning"),
    ("EDA312", _set("topics.0.retention_days", 1), "/topics/0/retention_days", "warning"),
    ("EDA312", _audit_topic_short, "/topics/5/retention_days", "error"),
    ("EDA313", _compacted_unkeyed, "/topics/0/cleanup_policy", "error"),
    ("EDA314", lambda d: d.topics[0].events.append("PaymentCaptured"), "/topics/0/events/3", "warning"),
    ("EDA315", _set("events.0.ordering", "global"), "/events/0/ordering", "error"),
    ("EDA316", _no_audit_trail, "/requirements/audit", "warning"),
    (
        "EDA401",
        _set("consumers.1.idempotency.strategy", "none"),
        "/consumers/1/idempotency/strategy",
        "error",
    ),
    ("EDA402", _set("consumers.1.idempotency.key", None), "/consumers/1/idempotency/key", "error"),
    ("EDA403", _set("consumers.0.retry.max_attempts", None), "/consumers/0/retry/max_attempts", "error"),
    ("EDA404", _set("consumers.0.retry.max_attempts", 50), "/consumers/0/retry/max_attempts", "warning"),
    ("EDA405", _set("consumers.0.retry.backoff", "fixed"), "/consumers/0/retry/backoff", "warning"),
    ("EDA406", _set("consumers.0.retry.jitter", False), "/consumers/0/retry/jitter", "warning"),
    ("EDA407", _set("consumers.0.dead_letter", None), "/consumers/0/dead_letter", "error"),
    ("EDA408", _dlq_without_retention, "/consumers/0/dead_letter/retention_days", "warning"),
    ("EDA408", _dlq_short, "/consumers/0/dead_letter/retention_days", "warning"),
    ("EDA409", _dlq_unmonitored, "/consumers/0/dead_letter/alert_depth", "warning"),
    ("EDA410", _set("services.1.publishing", "direct"), "/services/1/publishing", "error"),
    ("EDA410", _set("services.1.publishing", "none"), "/services/1/publishing", "error"),
    ("EDA411", _set("consumers.0.delivery", "at_most_once"), "/consumers/0/delivery", "warning"),
    # capacity (EDA42x): 3 instances at 20 ms absorb 150/s of a 600/s peak
    ("EDA420", _set("consumers.1.processing_time_ms", 20), "/consumers/1/concurrency", "error"),
    ("EDA421", _short_drain_window, "/topics/2/retention_days", "error"),
    ("EDA422", _set("consumers.0.idempotency.ttl_days", 0.01), "/consumers/0/idempotency/ttl_days", "error"),
    ("EDA423", _set("consumers.0.retry.max_attempts", 20_000), "/consumers/0/retry/max_attempts", "warning"),
    ("EDA424", _saga_feeds_read_model, "/consumers/0/retry", "warning"),
    ("EDA425", _set("topics.4.retention_days", 1), "/topics/4/retention_days", "warning"),
    ("EDA501", _drop_compensation, "/sagas/0/steps/0/compensation", "error"),
    (
        "EDA502",
        _set("sagas.0.steps.0.compensation_idempotent", False),
        "/sagas/0/steps/0/compensation_idempotent",
        "error",
    ),
    ("EDA503", _set("sagas.0.steps.1.timeout_s", None), "/sagas/0/steps/1/timeout_s", "error"),
    ("EDA504", _set("sagas.0.state_store", "memory"), "/sagas/0/state_store", "error"),
    ("EDA504", _set("sagas.0.state_store", None), "/sagas/0/state_store", "error"),
    ("EDA505", _set("sagas.0.failure_event", None), "/sagas/0/failure_event", "warning"),
    ("EDA506", _set("sagas.0.orchestrator", None), "/sagas/0/orchestrator", "error"),
    ("EDA507", _step_after_pivot, "/sagas/0/steps/2/retriable", "warning"),
    ("EDA508", _set("sagas.0.trigger_event", None), "/sagas/0/trigger_event", "warning"),
    ("EDA508", _set("sagas.0.steps", []), "/sagas/0/steps", "warning"),
    ("EDA509", _set("sagas.0.steps.0.pivot", True), "/sagas/0/steps/1/pivot", "warning"),
    ("EDA601", _set("projections.0.rebuild", "none"), "/projections/0/rebuild", "warning"),
    ("EDA602", _set("projections.0.idempotent", False), "/projections/0/idempotent", "error"),
    (
        "EDA603",
        lambda d: d.projections[0].source_events.append("OrderShipped"),
        "/projections/0/source_events/4",
        "error",
    ),
    ("EDA603", _set("projections.0.source_events", []), "/projections/0/source_events", "error"),
    ("EDA604", _set("style.event_sourcing", False), "/projections/0/rebuild", "info"),
    ("EDA701", _set("event_store", None), "/event_store", "error"),
    ("EDA702", _set("event_store.unique", [["event_id"]]), "/event_store/unique", "error"),
    ("EDA703", _set("aggregates.1.snapshot_every", None), "/aggregates/1/snapshot_every", "warning"),
    ("EDA703", _set("aggregates.0.expected_stream_length", None), "/aggregates/0/snapshot_every", "warning"),
    ("EDA704", _set("aggregates.1.snapshot_every", 5000), "/aggregates/1/snapshot_every", "warning"),
    ("EDA705", _set("events.0.upcasters", []), "/events/0/upcasters", "error"),
    ("EDA705", _set("events.0.version", 3), "/events/0/upcasters", "error"),
    ("EDA706", _set("event_store.retention_days", 90), "/event_store/retention_days", "error"),
    ("EDA801", _sync_call, "/services/1/sync_calls/0", "warning"),
    ("EDA802", _set("events.3.expects_reply", True), "/events/3/expects_reply", "warning"),
    ("EDA802", _requested_with_reply, "/events/6/name", "warning"),
    ("EDA803", _set("services.1.database", "orders-db"), "/services/1/database", "error"),
    ("EDA804", _event_names_service, "/events/2/name", "warning"),
    ("EDA804", _event_names_inventory_service, "/events/2/name", "warning"),
    ("EDA805", _second_command_handler, "/commands/3", "warning"),
    ("EDA901", _set("observability.alerts", []), "/consumers/0", "warning"),
    (
        "EDA902",
        _set("observability.correlation_propagation", False),
        "/observability/correlation_propagation",
        "warning",
    ),
    (
        "EDA903",
        _set("observability.causation_propagation", False),
        "/observability/causation_propagation",
        "warning",
    ),
    (
        "EDA904",
        _set("observability.alerts.0.metric", "consumer_lagg"),
        "/observability/alerts/0/metric",
        "warning",
    ),
    ("EDA911", _set("events.0.fields.4.protection", "none"), "/events/0/fields/4/protection", "error"),
    ("EDA912", _set("events.0.fields.4.pii", False), "/events/0/fields/4/pii", "warning"),
    ("EDA913", _set("events.0.partition_key", "customer_email"), "/events/0/partition_key", "warning"),
    ("EDA921", _set("consumers.0.subscriptions.0", "OrderPlace"), "/consumers/0/subscriptions/0", "error"),
    ("EDA921", _set("sagas.0.steps.0.service", "billing-service"), "/sagas/0/steps/0/service", "error"),
    (
        "EDA921",
        _set("observability.alerts.1.target", "nowhere.dlq"),
        "/observability/alerts/1/target",
        "error",
    ),
    ("EDA922", _duplicate_event, "/events/6/name", "error"),
    ("EDA923", _unsubscribed, "/events/2", "warning"),
    ("EDA924", _set("consumers.0.subscriptions", []), "/consumers/0/subscriptions", "warning"),
    ("EDA925", _loop, "/events/6", "error"),
    ("EDA926", lambda d: d.topics.append(Topic(name="orders.legacy", partitions=6)), "/topics/5", "info"),
    ("EDA317", _set("topics.0.name", "orders.{order_id}.events"), "/topics/0/name", "warning"),
    ("EDA317", _set("topics.0.name", "orders." + "x" * 250), "/topics/0/name", "error"),
    ("EDA317", _set("topics.0.name", "orders events"), "/topics/0/name", "error"),
    ("EDA318", _set("events.0.partition_key", "placed_at"), "/events/0/partition_key", "warning"),
    ("EDA319", lambda d: d.consumers.append(Consumer(name="receipt-mailer", service="order-service",
                                                     group="order-saga", subscriptions=["OrderPlaced"])),
     "/consumers/2/group", "warning"),
    ("EDA320", _set("event_store.retention_days", 30), "/topics/0/retention_days", "warning"),
    ("EDA412", _set("topics.1.throughput_eps", 5000), "/services/1/publishing", "warning"),
    ("EDA321", _order_event_keyed_by_shipment, "/projections/0", "warning"),
    ("EDA321", _set("events.1.topic", "payments.events"), "/projections/0", "warning"),
    ("EDA321", lambda d: (_set("events.1.partition_key", "customer_id")(d), _set("events.1.ordering", "none")(d)),
     "/sagas/0", "warning"),
    ("EDA510", lambda d: d.sagas[0].steps.pop(), "/sagas/0/steps", "warning"),
    ("EDA511", _set("sagas.0.steps.1.compensation", "reopen the order"), "/sagas/0/steps/1/compensation", "warning"),
    ("EDA511", lambda d: (_forward_only(d), _set("sagas.0.steps.1.compensation", "undo")(d)),
     "/sagas/0/steps/1/compensation", "warning"),
    ("EDA605", _deltas_upserted, "/projections/0/applies", "error"),
    ("EDA606", _strong_from_read_model, "/commands/2/reads", "error"),
    ("EDA928", _command_without_topic, "/consumers/1/subscriptions", "warning"),
    (
        "EDA927",
        lambda d: d.suppressions.append(Suppression(code="EDA999", reason="x")),
        "/suppressions/0/code",
        "warning",
    ),
    (
        "EDA927",
        lambda d: d.suppressions.append(Suppression(code="EDA101", reason=" ")),
        "/suppressions/0/reason",
        "warning",
    ),
]


def _case_id(case: tuple[str, Mutation, str, str]) -> str:
    return f"{case[0]}-{case[2]}"


def test_clean_design_has_no_findings_at_all() -> None:
    result = run(clean_design())
    assert result.findings == []
    assert result.rules_run == len(registry())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_rule_fails_at_expected_pointer(case: tuple[str, Mutation, str, str]) -> None:
    code, mutation, pointer, severity = case
    assert findings_of(clean_design(), code) == [], f"{code} must pass the clean design"
    found = findings_of(mutated(mutation), code)
    pointers = [p for p, _ in found]
    assert pointer in pointers, f"{code} reported {found}, expected {pointer}"
    assert (pointer, severity) in found


def test_every_rule_has_a_failing_case() -> None:
    from archassist.agent.rules.contracts import BASELINE_RULES  # their cases need a baseline design

    covered = {case[0] for case in CASES} | BASELINE_RULES
    missing = [r.code for r in registry() if r.code not in covered]
    assert missing == []


# ---- rules that must stay quiet on legitimate designs --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "mutation"),
    [
        # dead-letter topics need not follow the {domain}.{event} shape, and name their source
        ("EDA305", _set("topics.3.name", "orders.events.order-saga.dlq")),
        # an event published for outside consumers needs no consumer here
        ("EDA923", _set("events.1.external", True)),
        # a call to a system outside the design is not service-to-service coupling
        (
            "EDA801",
            lambda d: d.services[1].sync_calls.append(SyncCall(target="stripe", purpose="card capture")),
        ),
        # a call made outside event handling (an admin screen) is not on the event path
        (
            "EDA801",
            lambda d: d.services[1].sync_calls.append(SyncCall(target="order-service", on_event_path=False)),
        ),
        # a group with the headroom to drain a 15-min outage well within a day's retention
        ("EDA421", lambda d: (_set("consumers.1.processing_time_ms", 1)(d), _set("topics.2.retention_days", 1)(d))),
        # retry topics let the partition move on; brief in-place retries stay under the lag target
        (
            "EDA424",
            lambda d: (
                _saga_feeds_read_model(d),
                d.topics.append(Topic(name="orders.events.order-saga.retry", partitions=6, purpose="retry")),
            ),
        ),
        (
            "EDA424",
            lambda d: (
                _saga_feeds_read_model(d),
                _set("consumers.0.retry", RetryPolicy(max_attempts=3, backoff="exponential", initial_delay_ms=100,
                                                      max_delay_ms=400, jitter=True))(d),
            ),
        ),
        # a short dead-letter policy is EDA408's finding, not the topic's
        ("EDA425", lambda d: (_set("topics.4.retention_days", 1)(d), _set("consumers.1.dead_letter.retention_days", 1)(d))),
        # a dedup store without a TTL remembers every key
        ("EDA422", _set("consumers.0.idempotency.ttl_days", None)),
        # no retries at all: backoff and jitter do not matter
        ("EDA405", _set("consumers.0.retry", RetryPolicy(max_attempts=1))),
        ("EDA406", _set("consumers.0.retry", RetryPolicy(max_attempts=1))),
        # at-most-once consumers need no idempotency (EDA411 flags the delivery mode instead)
        ("EDA401", _set("consumers.0.delivery", "at_most_once")),
        # short streams need no snapshots
        ("EDA703", _set("aggregates.1.expected_stream_length", 40)),
        # event-sourcing rules are silent for designs that do not use it
        ("EDA701", lambda d: (_set("style.event_sourcing", False)(d), _set("event_store", None)(d))),
        # a chain that jumps versions is still a chain
        (
            "EDA705",
            lambda d: (_set("events.0.version", 3)(d), d.events[0].upcasters[0].__setattr__("to_version", 3)),
        ),
        # camelCase and CloudEvents names of the envelope fields count
        (
            "EDA201",
            _set(
                "envelope.fields",
                ["id", "type", "subject", "time", "dataschema", "correlationId", "causationId"],
            ),
        ),
        # a service that owns no database cannot dual-write
        (
            "EDA410",
            lambda d: (_set("services.1.database", None)(d), _set("services.1.publishing", "direct")(d)),
        ),
        # 'PlaceBid' is a command: 'Bid' after an imperative is a noun
        ("EDA103", _set("commands.1.name", "PlaceBid")),
        # MQTT topics are '/'-separated levels, with a level per device or entity
        ("EDA305", lambda d: (_set("style.broker", "mqtt")(d), _set("topics.0.name", "orders/order-placed")(d))),
        (
            "EDA305",
            lambda d: (_set("style.broker", "mqtt")(d), _set("topics.0.name", "fleet/{vehicle_id}/position")(d)),
        ),
        # a document that names no broker may use either separator
        (
            "EDA305",
            lambda d: (_set("style.broker", "unspecified")(d), _set("topics.0.name", "orders/order-placed")(d)),
        ),
        # HTTP and WebSocket channels are URL paths, not broker topics
        ("EDA305", lambda d: (_set("style.broker", "ws")(d), _set("topics.0.name", "/v1/listen")(d))),
        # the domain is the first level, whatever the separator
        ("EDA306", lambda d: (_set("style.broker", "mqtt")(d), _set("topics.0.name", "drone/camera/stream")(d))),
        # facts without a regular participle: simple past forms and reached states (issue 15)
        ("EDA101", _set("events.2.name", "HoldReadyForPickup")),
        ("EDA102", _set("events.2.name", "HoldReadyForPickup")),
        ("EDA102", _set("events.2.name", "DriverWentOnline")),
        ("EDA102", _set("events.2.name", "LoanBecameOverdue")),
        ("EDA102", _set("events.2.name", "ItemOutOfStock")),
        # commands, requests and replies are not events
        ("EDA101", lambda d: (_set("events.2.name", "ReserveStock")(d), _set("events.2.role", "command")(d))),
        ("EDA102", lambda d: (_set("events.2.name", "StockQuery")(d), _set("events.2.role", "request")(d))),
        # HTTP and WebSocket frames are an API's messages: no event naming, no claim-check, no bus coupling
        ("EDA102", lambda d: (_set("style.broker", "wss")(d), _set("events.2.name", "MarketData")(d))),
        ("EDA207", lambda d: (_set("style.broker", "ws")(d), _bytes_field(d))),
        ("EDA802", lambda d: (_set("style.broker", "https")(d), _set("events.2.expects_reply", True)(d))),
        # AMQP queues are infrastructure by design
        ("EDA306", lambda d: (_set("style.broker", "rabbitmq")(d), _set("topics.0.name", "rpc_queue")(d))),
        # a short raw stream whose history lives elsewhere
        ("EDA312", lambda d: (_set("topics.0.retention_days", 0.1)(d), _set("topics.0.replay_source", "lake")(d))),
        ("EDA320", lambda d: (_set("event_store.retention_days", 30)(d),
                              _set("topics.0.replay_source", "s3://lake/orders")(d),
                              _set("topics.1.replay_source", "s3://lake/payments")(d))),
        # hot aggregates snapshot by time, or by a count that still means a snapshot a minute
        ("EDA704", lambda d: (_set("aggregates.0.snapshot_every", 10000)(d),
                              _set("aggregates.0.snapshot_interval_s", 30.0)(d))),
        ("EDA704", lambda d: (_set("aggregates.0.snapshot_every", 10000)(d),
                              _set("aggregates.0.events_per_s", 2000.0)(d))),
        # a saga after an irrevocable fact only moves forward
        ("EDA501", _forward_only),
        ("EDA511", _forward_only),
        # placeholders for the environment are filled in per deployment
        ("EDA317", _set("topics.0.name", "orders.{env}.events")),
        ("EDA318", _set("events.0.partition_key", "created_by_id")),
        # instances of one consumer share its group; members reading different topics do not split a stream
        ("EDA319", lambda d: d.consumers.append(d.consumers[0].model_copy(update={"name": "order-saga-2"}))),
        ("EDA319", _set("consumers.1.group", "order-saga")),
        ("EDA412", lambda d: (_set("topics.1.throughput_eps", 5000)(d), _set("services.1.publishing", "cdc")(d))),
        # a saga's step outcome on another topic answers the saga's own command; deltas commute
        ("EDA321", lambda d: (_set("events.1.topic", "payments.events")(d), _set("projections.0.applies", "deltas")(d))),
        # an order event keyed by another field is EDA303's to report, once
        ("EDA321", _set("events.1.partition_key", "customer_id")),
        # facts about the payment, keyed by the payment, are not the order's events (the clean design's own case)
        ("EDA321", lambda d: d.projections[0].source_events.extend(["PaymentFailed", "PaymentRefunded"])),
        # an aggregate whose name extends the entity's ("OrderNote" of an order) is another entity
        ("EDA321", _order_note_keyed_by_itself),
        ("EDA605", lambda d: (_deltas_upserted(d), _set("consumers.0.idempotency",
                                                       Idempotency(strategy="dedup_event_id", key="event_id"))(d))),
        ("EDA606", lambda d: (_strong_from_read_model(d), _set("projections.0.update_strategy", "synchronous")(d))),
    ],
)
def test_rule_accepts_legitimate_variant(code: str, mutation: Mutation) -> None:
    assert findings_of(mutated(mutation), code) == []


def test_cycle_through_a_saga_is_accepted() -> None:
    # the clean design's orchestrator consumes PaymentCaptured and emits CapturePayment, which emits
    # PaymentCaptured: a loop, ended by the saga's state
    design = clean_design()
    assert "CapturePayment" in design.consumers[0].emits
    assert findings_of(design, "EDA925") == []
    design.sagas = []
    assert findings_of(design, "EDA925")


def test_command_detection_words() -> None:
    assert reads_as_command("ReserveStock")
    assert reads_as_command("SendEmailToNotificationService")
    assert not reads_as_command("StockReserved")
    assert not reads_as_command("PasswordReset")
    assert reads_as_command("ResetPassword")


# ---- the registry --------------------------------------------------------------------------------------------


def test_registry_has_enough_rules_with_unique_codes_and_names() -> None:
    rules = registry()
    assert len(rules) >= 35
    codes = [r.code for r in rules]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert len({r.name for r in rules}) == len(rules)


@pytest.mark.parametrize("rule", registry(), ids=[r.code for r in registry()])
def test_rule_is_documented(rule: object) -> None:
    from archassist.agent.rules import Rule

    assert isinstance(rule, Rule)
    doc = rule.doc
    assert doc.summary and doc.summary.endswith((".", ")")) and len(doc.summary) < 140
    assert len(doc.why) > 60, "the docstring must say why"
    assert doc.anti_pattern, "the docstring must show an anti-pattern"
    assert doc.fix, "the docstring must give the fix"
    assert rule.severity in ("error", "warning", "info")
    assert get_rule(rule.code) is rule and get_rule(rule.name) is rule


def test_rule_groups_follow_their_codes() -> None:
    expected = {
        "1": "naming",
        "2": "contracts",
        "3": "topology",
        "4": "reliability",
        "5": "sagas",
        "6": "projections",
        "7": "event-sourcing",
        "8": "coupling",
    }
    for rule in registry():
        if rule.code[3] in expected:
            assert rule.group == expected[rule.code[3]]
        else:
            assert rule.group in ("observability", "privacy", "references")


def test_docs_rules_md_is_up_to_date() -> None:
    path = default_path()
    assert path.is_file(), "run: python -m archassist.agent.rules.docs"
    assert path.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale; run: python -m archassist.agent.rules.docs"
    )


# ---- the engine ----------------------------------------------------------------------------------------------


def test_findings_carry_file_line_and_column(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8").replace("max_attempts: 5,", "max_attempts: null,", 1)
    target = tmp_path / "flawed.yaml"
    target.write_text(text, encoding="utf-8")
    loaded = load_design_file(target)
    findings = check(loaded.design, source=loaded.source, select=["EDA403"])
    assert len(findings) == 1
    finding = findings[0]
    line_number = next(i for i, line in enumerate(text.splitlines(), 1) if "max_attempts: null" in line)
    line = text.splitlines()[line_number - 1]
    assert finding.file == str(target)
    assert (finding.line, finding.column) == (line_number, line.index("max_attempts") + 1)


def test_findings_of_unwritten_fields_point_at_their_parent(tmp_path: Path) -> None:
    loaded = load_design_file(CLEAN)
    design = loaded.design
    design.consumers[0].dead_letter = None  # the pointer's key is in the file, the check reports the field
    findings = check(design, source=loaded.source, select=["EDA407"])
    assert findings and findings[0].line is not None and findings[0].line >= 1


def test_suppressions_need_a_reason_and_respect_the_pointer_prefix() -> None:
    design = mutated(_set("observability.alerts", []))
    assert len(findings_of(design, "EDA901")) == 2
    design.suppressions = [
        Suppression(code="EDA901", reason="lag is watched by the platform", pointer="/consumers/1")
    ]
    result = run(design, select=["EDA901"])
    assert [f.pointer for f in result.findings] == ["/consumers/0"]
    assert result.suppressed == {"EDA901": 1}
    design.suppressions = [Suppression(code="consumer-lag-unalerted", reason="platform alerting")]
    result = run(design, select=["EDA901"])
    assert result.findings == [] and result.suppressed == {"EDA901": 2}
    design.suppressions = [Suppression(code="EDA901", reason="   ")]
    result = run(design, select=["EDA901", "EDA927"])
    assert {f.code for f in result.findings} == {"EDA901", "EDA927"}
    assert result.suppressed == {}


def test_unused_suppressions_are_reported() -> None:
    design = clean_design()
    design.suppressions = [Suppression(code="EDA403", reason="nothing to suppress")]
    result = run(design)
    assert result.findings == [] and result.unused_suppressions == [0]


def test_select_ignore_and_severity_overrides() -> None:
    def two_flaws(d: Design) -> None:
        d.consumers[0].retry.jitter = False
        d.events[3].version = None

    design = mutated(two_flaws)
    assert {f.code for f in check(design)} == {"EDA406", "EDA202"}
    assert {f.code for f in check(design, select=["EDA4"])} == {"EDA406"}
    assert {f.code for f in check(design, select=["contracts"])} == {"EDA202"}
    assert {f.code for f in check(design, select=["retry-without-jitter"])} == {"EDA406"}
    assert {f.code for f in check(design, select=["EDA4,EDA2"], ignore=["EDA202"])} == {"EDA406"}
    assert check(design, ignore=["ALL"]) == []
    overridden = check(design, severity_overrides={"EDA406": "error", "EDA202": "off"})
    assert [(f.code, f.severity) for f in overridden] == [("EDA406", "error")]
    by_group = check(design, severity_overrides={"reliability": "info"})
    assert {(f.code, f.severity) for f in by_group} == {("EDA406", "info"), ("EDA202", "error")}


def test_findings_are_sorted_by_severity_then_pointer() -> None:
    def three_flaws(d: Design) -> None:
        d.consumers[1].retry.jitter = False
        d.consumers[0].retry.jitter = False
        d.events[3].version = None

    assert [(f.severity, f.pointer) for f in check(mutated(three_flaws))] == [
        ("error", "/events/3/version"),
        ("warning", "/consumers/0/retry/jitter"),
        ("warning", "/consumers/1/retry/jitter"),
    ]


def test_unknown_codes_warn_with_the_nearest_match() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check(clean_design(), select=["EDA4O3"], ignore=["retry-unbounde"])
    messages = [str(w.message) for w in caught if issubclass(w.category, UnknownRuleWarning)]
    assert any("EDA4O3" in m and "EDA403" in m for m in messages)
    assert any("retry-unbounde" in m and "retry-unbounded" in m for m in messages)
    assert nearest_code("EDA9O1") == "EDA901"


def test_bad_severity_level_is_an_input_error() -> None:
    from archassist.agent.errors import InputError

    with pytest.raises(InputError, match="use one of error, warning, info or off"):
        check(clean_design(), severity_overrides={"EDA403": "fatal"})


def test_index_is_shared_and_consistent() -> None:
    design = clean_design()
    index = DesignIndex.build(design)
    assert index.topic_of("OrderPlaced") == "orders.events"
    assert index.topic_of("CapturePayment") == "payments.commands"
    assert index.partition_key_of(0) == "order_id"
    assert index.producers["PaymentCaptured"] == {"payment-service"}
    assert [c.name for c in index.consumers_of("CapturePayment")] == ["payment-handler"]
    assert "OrderConfirmed" in index.saga_terminal_events


def test_large_design_reviews_clean() -> None:
    # Time is measured by benchmarks/review_large.py, not here: a timed assertion fails on a busy machine.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "review_large", Path(__file__).parents[1] / "benchmarks" / "review_large.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    design = module.synthetic_design(events=10_000, consumers=2_000)
    findings = check(design)
    assert all(f.severity == "info" for f in findings), findings[:3]


def test_eda309_a_group_of_several_topics_idles_only_beyond_its_largest_topic() -> None:
    """order-saga reads orders.events and payments.events: with 12 partitions on one of them, 9 instances all
    get work (the range assignor gives each instance partitions of every topic it can), 13 leave one idle."""

    def widen(design: Design) -> None:
        topic = next(t for t in design.topics if t.name == "payments.events")
        topic.partitions = 12

    design = mutated(widen)
    design.consumers[0].concurrency = 9
    assert findings_of(design, "EDA309") == []
    design.consumers[0].concurrency = 13
    [finding] = check(design, select=["EDA309"])
    assert finding.pointer == "/consumers/0/concurrency"
    assert "the largest of its topics, 'payments.events', has 12 partitions; 1 would sit idle" in finding.message
