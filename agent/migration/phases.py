"""The phases of a migration, in the order that keeps every step reversible.

Publish first (the old path still does everything, nobody reads the events yet), then run the new consumers in
shadow and compare, then move one side effect at a time behind its own flag, backfill where a new consumer needs
history, remove the old path only after every side effect has moved, and split data ownership last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archassist.agent.migration.model import (
    CurrentSystem,
    Cutover,
    ParityCheck,
    Phase,
    Risk,
    Rollback,
    SideEffect,
    Verification,
)

PARITY_PERIOD = "for 7 days, covering the weekly peak"
SOAK = "7 days"


@dataclass
class PlanInputs:
    """Everything the phases are derived from."""

    current: CurrentSystem
    action: str
    side_effects: list[SideEffect]
    topic_of: dict[str, str] = field(default_factory=dict)
    key_of: dict[str, str] = field(default_factory=dict)
    extra_events: list[str] = field(default_factory=list)  # events the target adds beyond the triggers
    extra_consumers: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)

    @property
    def id_label(self) -> str:
        """What identifies one business action: the trigger events' partition key, else '<action> id'."""
        keys = [self.key_of[e.trigger_event] for e in self.side_effects if e.trigger_event in self.key_of]
        return f"`{keys[0]}`" if keys else f"{self.action} id"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _shortlist(names: list[str], limit: int = 3) -> str:
    if len(names) <= limit:
        return _join(names)
    rest = len(names) - limit
    return _join([*names[:limit], f"{rest} more event{'s' if rest > 1 else ''}"])


def _publish_phase(inputs: PlanInputs, events: list[str]) -> Phase:
    current = inputs.current
    db = current.databases[0] if current.databases else f"{current.name}-db"
    topics = sorted({inputs.topic_of.get(e, "") for e in events} - {""})
    where = f" to {_join(topics)}" if topics else ""
    keys = sorted({inputs.key_of.get(e, "") for e in events} - {""})
    keyed = f", keyed by {_join(keys)}" if keys else ""
    if current.can_change_code:
        mechanism = "outbox"
        changes = [
            f"Add an outbox table to {db}; the {current.name} writes one outbox row per {_join(events)} in the same "
            f"transaction as the business change, so a fact is published if and only if it was committed.",
            f"Run a relay that publishes outbox rows in commit order{where}{keyed}, marking rows sent only after the "
            "broker acknowledges them.",
        ]
        changes += [f"Replace the dual write ({w}) with the outbox row." for w in current.dual_writes]
        rollback_steps = [
            "Stop the relay and switch the outbox write off with its flag.",
            "Nothing reads the events yet, so no side effect changes; the old path keeps doing all of them.",
        ]
        exit_extra = "Writing the outbox row adds under 5 ms to the business transaction at p99."
    else:
        mechanism = "cdc"
        changes = [
            f"Capture committed changes of the {current.name}'s tables from the {db} log with a change-data-capture "
            f"connector (Debezium or the database's own), and map them to {_join(events)}{where}{keyed}.",
            "The code of the current system does not change; the connector's offsets are the replay point.",
        ]
        rollback_steps = [
            "Stop the connector; its offsets stay where they are, so it resumes without gaps.",
            "Nothing reads the events yet, so the old path is unaffected.",
        ]
        exit_extra = "Connector lag stays under 5 s at p99 through a daily peak."
    changes.append(f"Register the schemas of {_join(events)} (BACKWARD compatible) with the producer as their owner.")
    return Phase(
        id="",
        name=f"Publish {_shortlist(events)} from the {current.name}",
        goal="Every committed business change produces exactly one event, without changing what users see.",
        changes=changes,
        mechanism=mechanism,
        publishes=events,
        rollback=Rollback(
            trigger="Relay or connector lag grows for 15 minutes, or the business transaction slows down measurably.",
            steps=rollback_steps,
            reconcile="None needed: no side effect depends on the events yet.",
        ),
        exit_criteria=[
            f"For 3 days, the daily count of each of {_join(events)} equals the count of committed business changes.",
            exit_extra,
        ],
        duration="1–2 weeks",
    )


def _shadow_phase(inputs: PlanInputs) -> Phase:
    effects = inputs.side_effects
    enables = {e.consumer: "shadow" for e in effects}
    enables.update({c: "shadow" for c in inputs.extra_consumers if c not in enables})
    checks: list[ParityCheck] = []
    for effect in effects:
        checks.append(
            ParityCheck(
                what=f"{effect.description}: how many",
                method=f"Per day and per {inputs.id_label}, compare what the old path did with what "
                f"{effect.consumer} would have done.",
                tolerance="0 missing, 0 extra",
            )
        )
        checks.append(
            ParityCheck(
                what=f"{effect.description}: what",
                method="Compare a 1 % sample of payloads field by field (recipients, amounts, quantities).",
                tolerance="No difference outside timestamps and generated ids",
            )
        )
    return Phase(
        id="",
        name="Run the new consumers in shadow mode",
        goal="Prove the new path would do exactly what the old path does, before it does anything.",
        changes=[
            f"Deploy {e.consumer} in {e.target_service}, reading {e.trigger_event} with its own consumer group, "
            "idempotent by event id, with bounded retries and a dead-letter topic; in shadow mode it records what it "
            "would do in a shadow log instead of doing it."
            for e in effects
        ]
        + [f"Deploy {c} in shadow mode." for c in inputs.extra_consumers if c not in {e.consumer for e in effects}],
        enables=enables,
        verification=Verification(
            kind="shadow", side_effects=[e.name for e in effects], parity_checks=checks, period=PARITY_PERIOD
        ),
        rollback=Rollback(
            trigger="A shadow consumer falls behind, fills its dead-letter topic, or loads a shared dependency.",
            steps=["Stop the shadow consumers and delete their consumer groups.", "Drop the shadow logs."],
            reconcile="None needed: shadow consumers change nothing.",
        ),
        exit_criteria=[
            f"Every parity check passes {PARITY_PERIOD}, and every mismatch found was explained and fixed.",
            "Consumer lag stays under its target and the dead-letter topics stay empty at peak.",
        ],
        duration="1–2 weeks (at least the parity period)",
    )


def _backfill_phase(inputs: PlanInputs, effects: list[SideEffect]) -> Phase:
    events = sorted({e.trigger_event for e in effects})
    owners = sorted({e.target_service for e in effects})
    return Phase(
        id="",
        name=f"Backfill the history that {_join(owners)} {'needs' if len(owners) == 1 else 'need'}",
        goal="New owners start from the same state as the current system, not from an empty store.",
        changes=[
            f"Publish historical {_join(events)} for records older than the first phase (from the {inputs.current.name}'s "
            "tables, marked as backfilled in the envelope) or replay them from the topic where retention still holds them.",
            "Run the backfill under a separate consumer group, throttled and off-peak; consumers stay idempotent by "
            "event id, so a rerun is harmless.",
        ],
        backfills=events,
        verification=Verification(
            kind="dual_run",
            side_effects=[e.name for e in effects],
            parity_checks=[
                ParityCheck(
                    what=f"{e.description}: state",
                    method=f"For every key, compare the state {e.target_service} derived with the {inputs.current.name}'s.",
                )
                for e in effects
            ],
            period="until every key matches",
        ),
        rollback=Rollback(
            trigger="The backfill slows production traffic, or derived state does not match.",
            steps=["Pause the backfill consumer group.", "Truncate the state it derived and restart from the shadow offsets."],
            reconcile="Compare derived state key by key against the current system before resuming.",
        ),
        exit_criteria=["Derived state matches the current system for every key.", "Production lag unaffected during the run."],
        duration="days, throttled",
    )


def _cutover_phase(inputs: PlanInputs, effect: SideEffect) -> Phase:
    visible = effect.externally_visible
    dedup = (
        f"The flag is evaluated per {inputs.id_label}, so each id takes exactly one path; {effect.consumer} "
        "deduplicates redeliveries by event id"
        + ("; the provider call carries the event id as its idempotency key, so a retry never repeats it." if visible else ".")
    )
    return Phase(
        id="",
        name=f"Cut over {effect.description}",
        goal=f"{effect.target_service} does {effect.name} from {effect.trigger_event}; the old path stops doing it.",
        changes=[
            f"Switch {effect.consumer} from shadow to live.",
            f"Ramp the flag {effect.flag} through 1 %, 10 %, 50 % and 100 % of {inputs.id_label} values; at each step the "
            "old path skips the ids the flag sends to the new path.",
        ],
        enables={effect.consumer: "live"},
        cutovers=[Cutover(side_effect=effect.name, flag=effect.flag, deduplication=dedup)],
        verification=Verification(
            kind="canary",
            side_effects=[effect.name],
            parity_checks=[
                ParityCheck(
                    what=f"{effect.description}: exactly once",
                    method=f"Per {inputs.id_label}, old-path count plus new-path count equals one.",
                    tolerance="0 missing, 0 doubled",
                )
            ],
            period="each ramp step holds for a day",
        ),
        rollback=Rollback(
            trigger="Parity breaks, the consumer's error rate or dead-letter depth crosses its alert, or lag passes its target.",
            steps=[
                f"Set {effect.flag} to 0 %: the old path, still deployed, takes every {inputs.action} again.",
                f"Keep {effect.consumer} running in shadow so the comparison continues.",
            ],
            reconcile=f"List the {inputs.id_label} values the new path handled since the ramp began; check each got exactly one "
            f"{effect.name}, and redo or retract the ones that did not.",
        ),
        exit_criteria=[
            f"{effect.flag} at 100 % for {SOAK} with no parity break.",
            "Dead-letter topic empty and lag under target at peak.",
        ],
        duration="about a week (four ramp steps)",
    )


def _decommission_phase(inputs: PlanInputs) -> Phase:
    current = inputs.current
    removals = [f"Remove the synchronous call to {c.target} ({c.purpose})." for c in current.sync_calls]
    removals += [f"Retire the {job}." for job in current.cron_jobs]
    removals += [
        f"Delete the old code path for {e.name} and the flag {e.flag}."
        for e in inputs.side_effects
        if e.current_path not in {"sync_call", "cron"}
    ]
    return Phase(
        id="",
        name="Decommission the old paths",
        goal=f"The {current.name} no longer performs any of the moved side effects.",
        changes=removals or ["Delete the old code paths and their flags."],
        decommissions=[e.name for e in inputs.side_effects],
        rollback=Rollback(
            trigger="A side effect turns out to have a reader or a caller nobody listed.",
            steps=[
                "Redeploy the last release that still has the old paths (kept tagged for one release cycle).",
                "Set the affected flags back to the old path.",
            ],
            reconcile="Compare the side effects done during the incident with the business actions of the same window.",
        ),
        exit_criteria=[
            "Metrics of the old paths stay at zero calls for 14 days.",
            "The old code, its flags and its scheduled jobs are deleted.",
        ],
        duration="one release cycle after the last cutover",
    )


def _split_phase(inputs: PlanInputs) -> Phase:
    return Phase(
        id="",
        name="Split data ownership",
        goal="Each table has one owning service; others learn about its data from events.",
        changes=[f"Move {s} to its owning service; other readers switch to events or a projection." for s in inputs.splits],
        splits=list(inputs.splits),
        rollback=Rollback(
            trigger="A reader of the moved data breaks or reads stale data.",
            steps=["Point the reader back at the old table, kept in sync read-only by change data capture until exit."],
            reconcile="Compare row counts and checksums of the moved and the old table.",
        ),
        exit_criteria=["No cross-service query touches the moved tables for 14 days.", "The old copies are dropped."],
        duration="2–4 weeks per table",
    )


def build_phases(inputs: PlanInputs) -> list[Phase]:
    """Every phase, in order, numbered P1, P2, …"""
    events = list(dict.fromkeys([e.trigger_event for e in inputs.side_effects] + inputs.extra_events))
    phases = [_publish_phase(inputs, events), _shadow_phase(inputs)]
    # Internal side effects go first: a mistake there costs a correction, not a duplicate email to a customer.
    ordered = sorted(inputs.side_effects, key=lambda e: e.externally_visible)
    with_history = [e for e in ordered if e.needs_history]
    for effect in ordered:
        if with_history and effect is with_history[0]:
            phases.append(_backfill_phase(inputs, with_history))
        phases.append(_cutover_phase(inputs, effect))
    phases.append(_decommission_phase(inputs))
    if inputs.splits:
        phases.append(_split_phase(inputs))
    return [p.model_copy(update={"id": f"P{i}"}) for i, p in enumerate(phases, 1)]


def standard_risks(inputs: PlanInputs, mechanism: str) -> list[Risk]:
    action = inputs.action
    risks = [
        Risk(
            title="Ordering changes",
            impact=f"The old path ran side effects in sequence inside the {action}; consumers now see events in order "
            "per key only, and side effects of different ids interleave.",
            mitigation="Key every topic by the id whose order matters; consumers check the event version before applying it.",
        ),
        Risk(
            title="Duplicate side effects during cutover",
            impact="Both paths act on the same id while the flag ramps, or a redelivery repeats an action.",
            mitigation="The flag is evaluated per id so exactly one path acts; consumers deduplicate by event id and pass "
            "it as the provider's idempotency key.",
        ),
        Risk(
            title="Schema drift",
            impact="The current system changes a table or payload and the events silently change shape.",
            mitigation="Schemas registered with BACKWARD compatibility; the publishing code or connector fails the build "
            "on an incompatible change.",
        ),
        Risk(
            title="Backfill load",
            impact="Replaying history competes with production traffic on the broker and the new stores.",
            mitigation="A separate consumer group, throttled, off-peak, and idempotent so it can stop and resume.",
        ),
    ]
    if mechanism == "cdc":
        risks.append(
            Risk(
                title="Change data capture exposes table shapes",
                impact="Events mirror the current tables, so every schema change there is a contract change.",
                mitigation="Map rows to business events in the connector (an outbox-style table or a transform), never "
                "publish raw rows.",
            )
        )
    if inputs.current.sync_calls:
        risks.append(
            Risk(
                title="Hidden callers",
                impact="Another module depends on the synchronous call's answer, not just its side effect.",
                mitigation="Trace each call before its cutover; a call whose answer is used stays a request, not an event.",
            )
        )
    return risks
