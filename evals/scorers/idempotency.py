"""idempotency: every place a message or a request can arrive twice is safe to repeat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer, capacity_of, index_of
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {
    "consumers": 4.0,
    "keys": 2.0,
    "dedup_window": 1.0,
    "commands": 2.0,
    "compensations": 2.0,
    "projections": 2.0,
}
KEYED_STRATEGIES = frozenset({"idempotency_key", "natural_upsert"})


class IdempotencyScorer(ParamScorer):
    """Checks (weight):

    - consumers (4): every at-least-once consumer has an idempotency strategy (dedup by event id, a business
      key, or a natural upsert). At-most-once consumers never see a duplicate and are judged by resilience.
    - keys (2): a keyed strategy names its key; a dedup store is named for event-id deduplication.
    - dedup_window (1): the capacity model's dedup window (retries + a 15-minute outage + redelivery) fits in the
      store's TTL, so a late duplicate is still recognised.
    - commands (2): every command carries an idempotency key, so a retried request does not act twice.
    - compensations (2): every saga compensation is marked idempotent (it runs when retries are the norm).
    - projections (2): every read model applies events idempotently (replays and redeliveries do not
      double-count).
    """

    name = "idempotency"
    description = "Consumers, commands, compensations and projections are safe to repeat."
    default_weights = WEIGHTS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        sheet = Sheet(self.name, self._params.weights)
        consumers = sheet.check("consumers", "at-least-once consumers are idempotent")
        keys = sheet.check("keys", "idempotency strategies name their key or store")
        for consumer in design.consumers:
            strategy = consumer.idempotency.strategy
            if consumer.delivery == "at_least_once":
                consumers.record(strategy != "none", f"'{consumer.name}' has no idempotency strategy")
            if strategy in KEYED_STRATEGIES:
                keys.record(bool(consumer.idempotency.key), f"'{consumer.name}' uses {strategy} without a key")
            elif strategy == "dedup_event_id":
                keys.record(bool(consumer.idempotency.store), f"'{consumer.name}' deduplicates into no named store")
        window = sheet.check("dedup_window", "dedup stores remember ids for the redelivery window")
        if any(c.idempotency.strategy == "dedup_event_id" and c.idempotency.ttl_days for c in design.consumers):
            for row in capacity_of(design, index_of(design)).idempotency:
                if row.ttl_covers is not None:
                    window.record(row.ttl_covers, f"'{row.consumer}' forgets ids before duplicates stop")
        commands = sheet.check("commands", "commands carry an idempotency key")
        for command in design.commands:
            commands.record(bool(command.idempotency_key), f"'{command.name}' has no idempotency key")
        compensations = sheet.check("compensations", "compensations are idempotent")
        for saga in design.sagas:
            for step in saga.steps:
                if step.compensation or step.compensation_command or step.compensation_event:
                    compensations.record(
                        step.compensation_idempotent, f"saga '{saga.name}' step '{step.name}' compensation"
                    )
        projections = sheet.check("projections", "projections apply events idempotently")
        for projection in design.projections:
            projections.record(projection.idempotent, f"'{projection.name}' ({projection.applies})")
        return sheet.score("the design has no consumers, commands, compensations or projections")
