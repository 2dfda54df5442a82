"""EDA6xx: read models are disposable: idempotent to update and rebuildable from the events."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex


@rule("EDA601", "projection-not-rebuildable", severity="warning")
def projection_not_rebuildable(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection cannot be rebuilt by replaying events.

    Why: Read models get corrupted by bugs, need new columns, or move to another store. If a projection cannot be
    rebuilt from the event history, every such change becomes a hand-written data migration with no way back.

    Anti-pattern: `{name: order_summary, rebuild: none}`.

    Fix: Rebuild by replay (`rebuild: replay`), or from a snapshot plus the events after it
    (`snapshot_and_replay`) when the history is long.
    """
    for position, projection in enumerate(design.projections):
        if projection.rebuild == "none":
            yield Violation(
                f"/projections/{position}/rebuild",
                f"projection '{projection.name}' cannot be rebuilt from events",
                "set rebuild: replay (or snapshot_and_replay for long histories)",
            )


@rule("EDA602", "projection-not-idempotent", severity="error")
def projection_not_idempotent(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection handler is not idempotent.

    Why: Projections see the same event more than once: after redelivery, after a crash before the offset commit,
    and during every rebuild. A handler that increments a counter or appends a row double-counts.

    Anti-pattern: `{name: daily_revenue, idempotent: false}` that adds each order's total to a sum.

    Fix: Upsert by key and remember the last applied event (aggregate version or event id) per row, skipping
    events already applied.
    """
    for position, projection in enumerate(design.projections):
        if not projection.idempotent:
            yield Violation(
                f"/projections/{position}/idempotent",
                f"projection '{projection.name}' is not idempotent; duplicates and replays corrupt it",
                "upsert by key and track the last applied version per row; then set idempotent: true",
            )


@rule("EDA603", "projection-source-unknown", severity="error")
def projection_source_unknown(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection is built from no events, or from events the design does not define.

    Why: A read model is only as correct as its inputs. An unknown source event is usually a typo or a renamed
    event, and the projection silently stops updating.

    Anti-pattern: `{name: order_summary, source_events: [OrderCreated]}` when the event is `OrderPlaced`.

    Fix: List the exact names of the events the projection consumes.
    """
    for position, projection in enumerate(design.projections):
        if not projection.source_events:
            yield Violation(
                f"/projections/{position}/source_events",
                f"projection '{projection.name}' has no source events",
                "list the events the projection is built from",
            )
        for number, name in enumerate(projection.source_events):
            if name not in index.events:
                yield Violation(
                    f"/projections/{position}/source_events/{number}",
                    f"projection '{projection.name}' reads unknown event '{name}'",
                    "use the name of a declared event",
                )


@rule("EDA604", "projection-replay-history-short", severity="info")
def projection_replay_history_short(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection is rebuilt by full replay, but its events are kept only for a limited time.

    Why: A full replay needs every event since the beginning. If the source topics delete events after a few
    days and there is no event store, a rebuild produces a read model that only knows recent history.

    Anti-pattern: `rebuild: replay` over `orders.events` with `retention_days: 7` and no event store.

    Fix: Rebuild from an event store or a compacted topic that keeps everything, or use
    `snapshot_and_replay` with periodic snapshots taken more often than the retention window.
    """
    if design.style.event_sourcing and design.event_store is not None:
        return
    for position, projection in enumerate(design.projections):
        if projection.rebuild != "replay":
            continue
        for name in projection.source_events:
            topic = index.topic(index.topic_of(name))
            if topic and topic.retention_days is not None and "compact" not in topic.cleanup_policy:
                yield Violation(
                    f"/projections/{position}/rebuild",
                    f"projection '{projection.name}' replays '{name}' from '{topic.name}', which keeps only "
                    f"{topic.retention_days:g} days",
                    "replay from an event store or a topic kept forever, or use snapshot_and_replay",
                )
                break


@rule("EDA605", "projection-deltas-upserted", severity="error")
def projection_deltas_upserted(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A projection adds up deltas (counters, balances) but its consumer relies on natural upsert for duplicates.

    Why: An upsert is idempotent only when each event carries the new state: writing "balance = 120" twice
    leaves 120. A delta ("add 20") applied twice adds 40. Redeliveries are normal under at-least-once delivery,
    so a balance or a counter fed by upserted deltas drifts away from the truth, silently.

    Anti-pattern: `projections: [{name: account_balance, applies: deltas}]` fed by a consumer with
    `idempotency: {strategy: natural_upsert}`.

    Fix: Deduplicate by event id in the same transaction as the update (`strategy: dedup_event_id`), or store the
    last applied version per key and skip events at or below it.
    """
    for position, projection in enumerate(design.projections):
        if projection.applies != "deltas":
            continue
        sources = set(projection.source_events)
        for consumer in design.consumers:
            if projection.service and consumer.service != projection.service:
                continue
            if sources & set(consumer.subscriptions) and consumer.idempotency.strategy == "natural_upsert":
                yield Violation(
                    f"/projections/{position}/applies",
                    f"projection '{projection.name}' adds up deltas, but consumer '{consumer.name}' relies on "
                    "natural upsert: a redelivered event is counted twice",
                    f"deduplicate by event id in '{consumer.name}' (idempotency.strategy: dedup_event_id)",
                )
                break


@rule("EDA606", "strong-decision-from-read-model", severity="error")
def strong_decision_from_read_model(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A decision that needs strong consistency is taken from an eventually consistent read model.

    Why: A projection lags the events it is built from. Authorising a debit from a balance projection, or
    accepting a booking from an availability view, lets two requests in that lag both see the old value and
    both pass: the account is overdrawn, the seat sold twice.

    Anti-pattern: `commands: [{name: DebitAccount, consistency: strong, reads: [account_balance]}]` with
    `account_balance` updated eventually.

    Fix: Decide on the aggregate that owns the invariant (load it from the event store or its table, with
    optimistic concurrency), or update that read model synchronously in the same transaction.
    """
    eventual = {p.name for p in design.projections if p.update_strategy == "eventual"}
    for position, command in enumerate(design.commands):
        strong = command.consistency == "strong" or (
            command.consistency is None and design.requirements.consistency == "strong"
        )
        if not strong:
            continue
        for name in command.reads:
            if name in eventual:
                yield Violation(
                    f"/commands/{position}/reads",
                    f"command '{command.name}' needs strong consistency but decides from '{name}', an eventually "
                    "consistent read model",
                    f"decide on the aggregate '{command.aggregate}' itself, or update '{name}' synchronously",
                )
