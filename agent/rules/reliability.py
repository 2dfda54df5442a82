"""EDA4xx: consumers survive duplicates and failures, and producers publish what they commit."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.capacity.analysis import DEAD_LETTER_NOTICE_DAYS
from archassist.agent.model.design import Consumer, Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex

MAX_SANE_ATTEMPTS = 20
MIN_DEAD_LETTER_RETENTION_DAYS = DEAD_LETTER_NOTICE_DAYS
SAFE_PUBLISHING = frozenset({"outbox", "cdc", "event_store"})
DEAD_LETTER_METRIC_WORDS: tuple[str, ...] = ("dlq", "dead_letter", "dead-letter", "deadletter")


def retries(consumer: Consumer) -> bool:
    return consumer.retry.max_attempts is None or consumer.retry.max_attempts > 1


@rule("EDA401", "consumer-not-idempotent", severity="error")
def consumer_not_idempotent(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer that can receive a message twice has no idempotency strategy.

    Why: At-least-once delivery means redelivery after every crash, rebalance or retry, and replays deliver old
    messages again. A consumer that is not idempotent charges twice, ships twice or double-counts.

    Anti-pattern: `{name: payment-handler, delivery: at_least_once, idempotency: {strategy: none}}`.

    Fix: Deduplicate by event id in a processed-messages store, use a business idempotency key, or make the
    write a natural upsert keyed by the entity id.
    """
    for position, consumer in enumerate(design.consumers):
        if consumer.delivery == "at_least_once" and consumer.idempotency.strategy == "none":
            yield Violation(
                f"/consumers/{position}/idempotency/strategy",
                f"consumer '{consumer.name}' receives messages at least once but is not idempotent",
                "set idempotency.strategy: dedup_event_id (with a store), idempotency_key or natural_upsert",
            )


@rule("EDA402", "idempotency-key-missing", severity="error")
def idempotency_key_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer's idempotency strategy needs a key, and none is named.

    Why: An idempotency-key or upsert strategy is only as good as the key it uses: without one, the
    implementation picks something arbitrary (often a timestamp or a random id) and duplicates slip through.

    Anti-pattern: `idempotency: {strategy: idempotency_key, key: null}`.

    Fix: Name the field that identifies the operation (`payment_id`, `order_id` + `line_no`).
    """
    for position, consumer in enumerate(design.consumers):
        strategy = consumer.idempotency.strategy
        if strategy in ("idempotency_key", "natural_upsert") and not consumer.idempotency.key:
            yield Violation(
                f"/consumers/{position}/idempotency/key",
                f"consumer '{consumer.name}' uses {strategy} but names no key",
                "set idempotency.key to the field that identifies the operation",
            )


@rule("EDA403", "retry-unbounded", severity="error")
def retry_unbounded(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer retries a failing message forever.

    Why: A message that can never succeed (a poison message: bad data, a bug) is retried endlessly. On an
    ordered consumer it blocks its whole partition, so every later message for those keys waits behind it; on
    any consumer it burns resources and hides the failure.

    Anti-pattern: `retry: {max_attempts: null}`.

    Fix: Bound the attempts (3 to 10 is typical) and send the message to a dead-letter topic afterwards.
    """
    for position, consumer in enumerate(design.consumers):
        if consumer.retry.max_attempts is None:
            blocked = (
                " and a poison message would block its partition" if consumer.ordering == "per_key" else ""
            )
            yield Violation(
                f"/consumers/{position}/retry/max_attempts",
                f"consumer '{consumer.name}' retries forever{blocked}",
                f"set retry.max_attempts (the design default is {design.dead_letter_policy.max_attempts}) "
                "and route failures to a dead-letter topic",
            )


@rule("EDA404", "retry-attempts-excessive", severity="warning")
def retry_attempts_excessive(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer retries a message more than 20 times before giving up.

    Why: Transient faults clear within a few attempts; beyond that, retries only delay the dead-letter hand-off,
    hold the partition for ordered consumers, and hammer a dependency that is already failing.

    Anti-pattern: `retry: {max_attempts: 100}`.

    Fix: Use a handful of attempts with exponential backoff, then dead-letter the message.
    """
    for position, consumer in enumerate(design.consumers):
        attempts = consumer.retry.max_attempts
        if attempts is not None and attempts > MAX_SANE_ATTEMPTS:
            yield Violation(
                f"/consumers/{position}/retry/max_attempts",
                f"consumer '{consumer.name}' retries {attempts} times",
                f"lower retry.max_attempts to {MAX_SANE_ATTEMPTS} or fewer and rely on the dead-letter topic",
            )


@rule("EDA405", "retry-backoff-not-exponential", severity="warning")
def retry_backoff_not_exponential(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer retries without exponential backoff.

    Why: Retrying immediately or at a fixed pace keeps pressure on a dependency that is struggling, and turns a
    brief outage into a retry storm. Exponential backoff gives the dependency room to recover.

    Anti-pattern: `retry: {max_attempts: 5, backoff: none}`.

    Fix: `backoff: exponential` with an initial delay (e.g. 1 s), a multiplier of 2 and a maximum delay.
    """
    for position, consumer in enumerate(design.consumers):
        if retries(consumer) and consumer.retry.backoff != "exponential":
            how = (
                "without backoff"
                if consumer.retry.backoff == "none"
                else f"with {consumer.retry.backoff} backoff"
            )
            yield Violation(
                f"/consumers/{position}/retry/backoff",
                f"consumer '{consumer.name}' retries {how}",
                "set retry.backoff: exponential with initial_delay_ms and max_delay_ms",
            )


@rule("EDA406", "retry-without-jitter", severity="warning")
def retry_without_jitter(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer's retries have no jitter.

    Why: When a dependency fails, every instance fails at once; without jitter they all retry on the same
    schedule and hit the dependency in synchronized waves just as it comes back.

    Anti-pattern: `retry: {backoff: exponential, jitter: false}`.

    Fix: Add random jitter to each delay (`jitter: true`).
    """
    for position, consumer in enumerate(design.consumers):
        if retries(consumer) and consumer.retry.backoff != "none" and not consumer.retry.jitter:
            yield Violation(
                f"/consumers/{position}/retry/jitter",
                f"consumer '{consumer.name}' retries without jitter",
                "set retry.jitter: true",
            )


@rule("EDA407", "dead-letter-missing", severity="error")
def dead_letter_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer has no dead-letter destination.

    Why: When retries are exhausted, a message must go somewhere. Without a dead-letter topic the consumer either
    drops it (data loss) or stops (an outage); with one, it parks the message for inspection and redrive.

    Anti-pattern: a consumer with `retry: {max_attempts: 5}` and `dead_letter: null`.

    Fix: Give each consumer a dead-letter topic named after its source (`orders.events.payment-service.dlq`), with
    retention, an alert on depth and a redrive procedure.
    """
    for position, consumer in enumerate(design.consumers):
        if consumer.dead_letter is None:
            yield Violation(
                f"/consumers/{position}/dead_letter",
                f"consumer '{consumer.name}' has no dead-letter topic; failed messages are lost or block it",
                f"set dead_letter.topic (e.g. <source-topic>.{consumer.group or consumer.name}"
                f"{design.dead_letter_policy.topic_suffix})",
            )


@rule("EDA408", "dead-letter-retention", severity="warning")
def dead_letter_retention(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A dead-letter destination has no retention, or keeps messages less than a week.

    Why: Dead-lettered messages wait for a person to look at them. Without a stated retention nobody knows how
    long that person has; a short one deletes the evidence (and the data) before the weekend is over.

    Anti-pattern: `dead_letter: {topic: orders.events.billing.dlq, retention_days: 1}`.

    Fix: Keep dead letters at least 7 days (14 is common), longer than the time to triage an alert.
    """
    for position, consumer in enumerate(design.consumers):
        dead_letter = consumer.dead_letter
        if dead_letter is None:
            continue
        days = dead_letter.retention_days
        if days is None:
            topic = index.topic(dead_letter.topic)
            days = topic.retention_days if topic else None
            if topic is not None and days is None:
                continue  # the topic keeps its messages forever
        pointer = f"/consumers/{position}/dead_letter/retention_days"
        if days is None:
            yield Violation(
                pointer,
                f"dead-letter topic '{dead_letter.topic}' of '{consumer.name}' has no retention",
                f"set dead_letter.retention_days (the design default is {design.dead_letter_policy.retention_days:g})",
            )
        elif days < MIN_DEAD_LETTER_RETENTION_DAYS:
            yield Violation(
                pointer,
                f"dead-letter topic '{dead_letter.topic}' of '{consumer.name}' keeps messages only {days:g} days",
                f"keep dead letters at least {MIN_DEAD_LETTER_RETENTION_DAYS} days",
            )


@rule("EDA409", "dead-letter-unmonitored", severity="warning")
def dead_letter_unmonitored(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Nobody is alerted when a consumer's dead-letter topic fills up.

    Why: A dead-letter topic nobody watches is a silent data-loss channel: messages pile up until retention
    deletes them. The depth of every dead-letter topic needs a threshold and an alert.

    Anti-pattern: a dead-letter topic with no `alert_depth` and no alert on a DLQ-depth metric.

    Fix: Set `dead_letter.alert_depth` (often 1) or add an alert on the DLQ depth metric targeting the topic or
    consumer group.
    """
    for position, consumer in enumerate(design.consumers):
        dead_letter = consumer.dead_letter
        if dead_letter is None or dead_letter.alert_depth is not None:
            continue
        targets = {dead_letter.topic, consumer.name, consumer.service, consumer.group or ""}
        if not index.alert_covers(DEAD_LETTER_METRIC_WORDS, targets):
            yield Violation(
                f"/consumers/{position}/dead_letter/alert_depth",
                f"no alert watches the depth of '{dead_letter.topic}' ({consumer.name})",
                "set dead_letter.alert_depth: 1 or add an alert on the DLQ depth metric for this topic",
            )


@rule("EDA410", "dual-write", severity="error")
def dual_write(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A service writes its database and publishes events without an outbox, CDC or event store.

    Why: Writing the database and then the broker is two transactions. A crash between them commits a change no
    one hears about, or announces a change that was rolled back, and the services drift apart silently.

    Anti-pattern: `{name: order-service, database: orders-db, publishes: [OrderPlaced], publishing: direct}`.

    Fix: Write the event to an outbox table in the same transaction and relay it to the broker (or use CDC on
    the table, or make the event store the database).
    """
    producing = {name for producers in index.producers.values() for name in producers}
    for position, service in enumerate(design.services):
        publishes = bool(service.publishes) or service.name in producing
        if service.database and publishes and service.publishing not in SAFE_PUBLISHING:
            how = "publishes directly" if service.publishing == "direct" else "does not say how it publishes"
            yield Violation(
                f"/services/{position}/publishing",
                f"service '{service.name}' writes '{service.database}' and {how}: a dual write",
                "set publishing: outbox (or cdc, or event_store for event-sourced services)",
            )


@rule("EDA411", "consumer-at-most-once", severity="warning")
def consumer_at_most_once(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer acknowledges messages before processing them (at-most-once).

    Why: Committing the offset first means a crash during processing loses the message for good. That is
    acceptable only for data whose loss does not matter (some telemetry), and should be a recorded decision.

    Anti-pattern: `{name: ledger-writer, delivery: at_most_once}`.

    Fix: Commit after processing (at-least-once) and make the handler idempotent.
    """
    for position, consumer in enumerate(design.consumers):
        if consumer.delivery == "at_most_once":
            yield Violation(
                f"/consumers/{position}/delivery",
                f"consumer '{consumer.name}' may lose messages (at-most-once)",
                "use delivery: at_least_once with an idempotent handler",
            )
