"""EDA5xx: sagas can always finish: forwards to success or backwards through compensations to failure."""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.model.design import Design, Saga, SagaStep
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex

VOLATILE_STORES = frozenset(
    {"memory", "in-memory", "in_memory", "inmemory", "local", "ram", "heap", "none", "cache"}
)


def pivot_position(saga: Saga) -> int:
    """The first pivot step; without one, past the last step.

    Without a declared pivot every step must be undoable: the saga's own ending (the initiator confirming the
    business transaction) can still be refused or time out after the last step has run.
    """
    for position, step in enumerate(saga.steps):
        if step.pivot:
            return position
    return len(saga.steps)


def has_compensation(step: SagaStep) -> bool:
    return bool(step.compensation or step.compensation_command)


@rule("EDA501", "saga-compensation-missing", severity="error")
def saga_compensation_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A side-effecting saga step before the pivot has no compensation.

    Why: If a later step fails, the saga must undo what earlier steps did, in reverse order. A step that changed
    something (reserved stock, authorised a card) and has no compensation leaves that change behind: stock stays
    reserved, money stays held. When no step is marked as the pivot, every side-effecting step counts as before
    it, because the saga's own ending can still fail.

    Anti-pattern: a `reserve-stock` step before the payment pivot with `compensation: null`.

    Fix: Give each such step a compensating action and command (`ReleaseStock`), or move it after the pivot if
    it cannot be undone. A saga started by an irrevocable fact (a settled payment) has nothing to undo to: mark it
    `starts_after_pivot: true` and make its steps retriable instead.
    """
    for saga_position, saga in enumerate(design.sagas):
        if saga.starts_after_pivot:
            continue
        pivot = pivot_position(saga)
        for position, step in enumerate(saga.steps[:pivot]):
            if step.side_effect and not has_compensation(step):
                yield Violation(
                    f"/sagas/{saga_position}/steps/{position}/compensation",
                    f"saga '{saga.name}' step '{step.name}' changes state before the pivot but has no compensation",
                    "add a compensation and compensation_command that undo the step",
                )


@rule("EDA502", "saga-compensation-not-idempotent", severity="error")
def saga_compensation_not_idempotent(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga compensation is not idempotent.

    Why: Compensations run when things are already going wrong: timeouts, retries and redeliveries are the norm.
    A refund or a stock release that is not idempotent runs twice and refunds twice.

    Anti-pattern: `{compensation: refund payment, compensation_idempotent: false}`.

    Fix: Key each compensation by the saga and step (`refund_id = saga_id + step`) so a repeat is a no-op, and
    mark it `compensation_idempotent: true`.
    """
    for saga_position, saga in enumerate(design.sagas):
        for position, step in enumerate(saga.steps):
            compensates = has_compensation(step) or step.compensation_event
            if compensates and not step.compensation_idempotent:
                yield Violation(
                    f"/sagas/{saga_position}/steps/{position}/compensation_idempotent",
                    f"saga '{saga.name}' step '{step.name}' has a compensation that is not idempotent",
                    "key the compensation by saga id and step so repeats are no-ops; set compensation_idempotent",
                )


@rule("EDA503", "saga-step-timeout-missing", severity="error")
def saga_step_timeout_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga step has no timeout.

    Why: A participant can crash or lose a message; without a deadline the saga waits forever, holding whatever
    earlier steps reserved, and nobody learns that it is stuck.

    Anti-pattern: `{name: capture-payment, timeout_s: null}`.

    Fix: Give every step a timeout after which the saga retries or compensates.
    """
    for saga_position, saga in enumerate(design.sagas):
        for position, step in enumerate(saga.steps):
            if step.timeout_s is None:
                yield Violation(
                    f"/sagas/{saga_position}/steps/{position}/timeout_s",
                    f"saga '{saga.name}' step '{step.name}' has no timeout; the saga can wait forever",
                    "set timeout_s for the step (and decide whether a timeout retries or compensates)",
                )


@rule("EDA504", "saga-state-not-durable", severity="error")
def saga_state_not_durable(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga keeps its state nowhere, or in memory.

    Why: A saga runs for seconds to days. If its progress lives in memory, a restart forgets which steps ran and
    which compensations are owed, and the half-finished business transaction is never completed or undone.

    Anti-pattern: `{name: order-fulfillment, state_store: null}` or `state_store: memory`.

    Fix: Persist saga state (step reached, data gathered, deadlines) in a durable store such as the
    coordinator's database, written in the same transaction as the messages it sends.
    """
    for saga_position, saga in enumerate(design.sagas):
        store = (saga.state_store or "").strip()
        if not store or store.lower() in VOLATILE_STORES:
            shown = f"in '{store}'" if store else "nowhere"
            yield Violation(
                f"/sagas/{saga_position}/state_store",
                f"saga '{saga.name}' keeps its state {shown}; a restart loses its progress",
                "set state_store to a durable store (e.g. the orchestrator's postgresql database)",
            )


@rule("EDA505", "saga-terminal-event-missing", severity="warning")
def saga_terminal_event_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga does not announce how it ended: no completion event or no failure event.

    Why: Other services, read models and people need to know whether the business transaction succeeded or was
    undone. Without terminal events, they infer it from the absence of messages, which never works reliably.

    Anti-pattern: `{name: order-fulfillment, completion_event: OrderConfirmed, failure_event: null}`.

    Fix: Publish one terminal event for success and one for failure (`OrderConfirmed`, `OrderCancelled`).
    """
    for saga_position, saga in enumerate(design.sagas):
        for field_name, outcome in (("completion_event", "success"), ("failure_event", "failure")):
            if not getattr(saga, field_name):
                yield Violation(
                    f"/sagas/{saga_position}/{field_name}",
                    f"saga '{saga.name}' announces no {outcome}",
                    f"set {field_name} to the event published when the saga ends in {outcome}",
                )


@rule("EDA506", "saga-orchestrator-missing", severity="error")
def saga_orchestrator_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An orchestrated saga names no orchestrator.

    Why: Orchestration means one service drives the steps, tracks state and runs compensations. If none is named,
    that responsibility falls between services and nobody implements the timeouts and rollbacks.

    Anti-pattern: `{coordination: orchestration, orchestrator: null}`.

    Fix: Name the service that runs the saga (usually the one that owns the triggering aggregate).
    """
    for saga_position, saga in enumerate(design.sagas):
        if saga.coordination == "orchestration" and not saga.orchestrator:
            yield Violation(
                f"/sagas/{saga_position}/orchestrator",
                f"orchestrated saga '{saga.name}' has no orchestrator",
                "set orchestrator to the service that runs the saga",
            )


@rule("EDA507", "saga-step-after-pivot-not-retriable", severity="warning")
def saga_step_after_pivot_not_retriable(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga step after the pivot is not retriable.

    Why: After the pivot the saga is committed to finishing: there is nothing left to compensate with. Steps
    after it must succeed eventually, so they must be safe to retry until they do.

    Anti-pattern: a `ship-order` step after the payment pivot with `retriable: false`.

    Fix: Make later steps idempotent and retriable, or move the pivot after them and give them compensations.
    """
    for saga_position, saga in enumerate(design.sagas):
        if not any(step.pivot for step in saga.steps):
            continue
        pivot = pivot_position(saga)
        for position, step in enumerate(saga.steps[pivot + 1 :], start=pivot + 1):
            if not step.retriable:
                yield Violation(
                    f"/sagas/{saga_position}/steps/{position}/retriable",
                    f"saga '{saga.name}' step '{step.name}' follows the pivot but cannot be retried",
                    "make the step idempotent and retriable, or move the pivot",
                )


@rule("EDA508", "saga-incomplete", severity="warning")
def saga_incomplete(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga has no trigger event or no steps.

    Why: A saga is defined by what starts it and what it does. Without a trigger nobody knows when it runs;
    without steps there is nothing to coordinate, compensate or time out.

    Anti-pattern: `{name: order-fulfillment, trigger_event: null, steps: []}`.

    Fix: Name the event that starts the saga and list its steps in order.
    """
    for saga_position, saga in enumerate(design.sagas):
        if not saga.trigger_event:
            yield Violation(
                f"/sagas/{saga_position}/trigger_event",
                f"saga '{saga.name}' has no trigger event",
                "set trigger_event to the event that starts the saga",
            )
        if not saga.steps:
            yield Violation(
                f"/sagas/{saga_position}/steps",
                f"saga '{saga.name}' has no steps",
                "list the saga's steps in the order they run",
            )


@rule("EDA509", "saga-multiple-pivots", severity="warning")
def saga_multiple_pivots(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga marks more than one step as its pivot.

    Why: The pivot is the single point of no return: before it everything can be undone, after it everything
    must be retried to completion. Two pivots leave the steps between them with neither guarantee.

    Anti-pattern: `capture-payment` and `ship-order` both with `pivot: true`.

    Fix: Keep one pivot, usually the step that cannot be undone (capturing payment, sending goods).
    """
    for saga_position, saga in enumerate(design.sagas):
        pivots = [position for position, step in enumerate(saga.steps) if step.pivot]
        for position in pivots[1:]:
            yield Violation(
                f"/sagas/{saga_position}/steps/{position}/pivot",
                f"saga '{saga.name}' has more than one pivot ('{saga.steps[position].name}' is the second)",
                "keep a single pivot step",
            )


@rule("EDA510", "saga-single-step", severity="warning")
def saga_single_step(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga has a single step.

    Why: A saga coordinates several local transactions so that they all happen or are all undone. With one step
    there is nothing to coordinate: the saga's state store, timeouts and terminal events add moving parts around
    what is a plain event handler.

    Anti-pattern: `sagas: [{name: send-receipt, steps: [{name: email-receipt}]}]`.

    Fix: Model the single step as a consumer that handles the trigger event and emits the outcome, or add the
    steps the business transaction really has.
    """
    for position, saga in enumerate(design.sagas):
        if len(saga.steps) == 1:
            yield Violation(
                f"/sagas/{position}/steps",
                f"saga '{saga.name}' has one step; there is nothing to coordinate",
                "handle the trigger in a consumer that emits the outcome, or model the other steps",
            )


@rule("EDA511", "saga-compensation-never-runs", severity="warning")
def saga_compensation_never_runs(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A saga step has a compensation that can never run: the step is at or after the pivot, or the saga only
    moves forward.

    Why: Compensations undo completed steps when a later step fails before the point of no return. Once the
    pivot has succeeded the saga only goes forward (failed steps are retried until they succeed), and a saga
    started by an irrevocable fact never goes back. A compensation there is dead code that readers trust: they
    believe the step can be undone when the saga will never undo it.

    Anti-pattern: `{name: ship-order, pivot: true, compensation: cancel-shipment}`, or a compensation in a saga
    marked `starts_after_pivot: true`.

    Fix: Remove the compensation and make the step retriable, or move the pivot after the step if undoing it is
    really part of the design.
    """
    for saga_position, saga in enumerate(design.sagas):
        start = 0 if saga.starts_after_pivot else pivot_position(saga)
        if start >= len(saga.steps):
            continue
        for position, step in enumerate(saga.steps[start:], start=start):
            if has_compensation(step):
                where = "the saga only moves forward" if saga.starts_after_pivot else "it is at or after the pivot"
                yield Violation(
                    f"/sagas/{saga_position}/steps/{position}/compensation",
                    f"saga '{saga.name}' step '{step.name}' has a compensation that never runs: {where}",
                    "remove the compensation and make the step retriable, or move the pivot after it",
                )
