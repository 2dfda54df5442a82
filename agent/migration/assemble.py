"""Putting a plan together: from a brief (recognise today's system, design the target) or from two designs."""

from __future__ import annotations

from archassist.agent.migration.current import BriefReading, read_brief
from archassist.agent.migration.mapping import externally_visible, place
from archassist.agent.migration.model import CurrentPath, CurrentSystem, MigrationPlan, SideEffect, SyncCall
from archassist.agent.migration.phases import PlanInputs, build_phases, standard_risks
from archassist.agent.model.design import Design
from archassist.agent.model.naming import slug, snake, words_of
from archassist.agent.planner.inflection import noun_lemma as singular

# Side effects whose new owner keeps a running state (a balance, a stock level, an index) start from history.
_STATEFUL = {"point", "balance", "stock", "inventory", "index", "report", "analytics", "ledger", "statistic", "count", "total"}
# Assumed when a brief names no side effect: the three a business action most often drags along.
ASSUMED_EFFECTS = ("confirmation email", "stock update", "analytics record")


def _side_effect(
    phrase: str, written: str, path: CurrentPath, detail: str, design: Design, action: str, hint: str | None
) -> SideEffect:
    placement = place(phrase, design, action=action, target_hint=hint)
    return SideEffect(
        name=snake(phrase),
        description=written,
        current_path=path,
        current_detail=detail,
        trigger_event=placement.trigger_event,
        target_service=placement.service,
        consumer=placement.consumer,
        flag=f"migrate_{snake(phrase)}",
        externally_visible=externally_visible(phrase),
        needs_history=bool({singular(w) for w in words_of(phrase)} & _STATEFUL),
    )


def _lookups(design: Design) -> tuple[dict[str, str], dict[str, str]]:
    topic_of = {e.name: e.topic for e in design.events if e.topic}
    key_of = {e.name: e.partition_key for e in design.events if e.partition_key}
    return topic_of, key_of


def _not_in_design(plan_effects: list[SideEffect], design: Design) -> list[str]:
    names = {c.name for c in design.consumers}
    return [
        f"{e.consumer}: the target design has no consumer for '{e.description}'; the plan introduces it"
        for e in plan_effects
        if e.consumer not in names
    ]


def target_brief(reading: BriefReading, brief: str) -> str:
    """The brief the design mode gets: the migration brief itself when it names side effects."""
    if reading.side_effects:
        return brief
    action = reading.action or "order"
    return f"migrate a monolith's {action} side effects ({', '.join(ASSUMED_EFFECTS)}) to events"


def plan_from_brief(brief: str, target: Design) -> MigrationPlan:
    reading = read_brief(brief)
    assumptions = list(reading.assumptions)
    effects = reading.side_effects
    action = reading.action or "order"
    if not reading.action:
        assumptions.append(f"The brief names no business action; the plan assumes the side effects hang off an {action}.")
    if not effects:
        effects = [(p, p, "in_process") for p in ASSUMED_EFFECTS]
        assumptions.append(
            "The brief names no side effects; the plan assumes the three most common ones ("
            + ", ".join(ASSUMED_EFFECTS)
            + "). Name yours, or pass the current design with --from, to plan the real ones."
        )
    side_effects = [
        _side_effect(phrase, written, path, f"done by the {reading.current.name} during the {action}", target, action, None)
        for phrase, written, path in effects
    ]
    topic_of, key_of = _lookups(target)
    inputs = PlanInputs(
        current=reading.current,
        action=action,
        side_effects=side_effects,
        topic_of=topic_of,
        key_of=key_of,
        splits=list(reading.current.shared_tables),
    )
    return _finish(brief, reading.current, target, inputs, assumptions)


def _finish(
    brief: str, current: CurrentSystem, target: Design, inputs: PlanInputs, assumptions: list[str]
) -> MigrationPlan:
    phases = build_phases(inputs)
    mechanism = phases[0].mechanism
    services = sorted({e.target_service for e in inputs.side_effects})
    return MigrationPlan(
        name=f"{slug(current.name, 50)}-migration",
        brief=brief,
        current=current,
        target_design=target.name,
        side_effects=inputs.side_effects,
        phases=phases,
        risks=standard_risks(inputs, mechanism),
        success_metrics=[
            f"The {inputs.action}'s p99 latency no longer includes the moved side effects.",
            f"The {inputs.action} succeeds while {', '.join(services)} are down; their work catches up from the topics.",
            "Parity checks at 100 % through every shadow and canary period.",
            "Consumer lag under target and dead-letter topics empty at peak.",
            "Zero synchronous calls and zero old-path executions after decommissioning.",
        ],
        assumptions=assumptions,
        not_modelled=_not_in_design(inputs.side_effects, target),
    )


def current_from_design(design: Design) -> CurrentSystem:
    """The current system as a design file describes it: its synchronous calls, shared databases, dual writes."""
    by_db: dict[str, list[str]] = {}
    for service in design.services:
        if service.database:
            by_db.setdefault(service.database, []).append(service.name)
    shared = [f"{db} (shared by {', '.join(names)})" for db, names in sorted(by_db.items()) if len(names) > 1]
    return CurrentSystem(
        name=design.name,
        kind="services" if len(design.services) > 1 else "monolith",
        databases=sorted(by_db),
        shared_tables=shared,
        sync_calls=[
            SyncCall(caller=s.name, target=c.target, purpose=c.purpose) for s in design.services for c in s.sync_calls
        ],
        dual_writes=[
            f"{s.name} writes {s.database} and publishes directly"
            for s in design.services
            if s.publishing == "direct" and s.database
        ],
    )


def plan_from_designs(current_design: Design, target: Design) -> MigrationPlan:
    """The plan as the difference of two designs: each sync call replaced by an event and its consumer, each new
    event published, each new consumer added, each shared database split, in dependency order."""
    current = current_from_design(current_design)
    assumptions: list[str] = []
    side_effects: list[SideEffect] = []
    for call in current.sync_calls:
        phrase = call.purpose or f"call to {call.target}"
        effect = _side_effect(
            phrase, phrase, "sync_call", f"{call.caller} calls {call.target} synchronously", target, call.caller, call.target
        )
        name = snake(" ".join(w for w in words_of(phrase) if w not in {"the", "a", "an", "for", "of"})) or snake(call.target)
        side_effects.append(effect.model_copy(update={"name": name, "flag": f"migrate_{name}"}))
    old_events = {e.name for e in current_design.events}
    old_consumers = {c.name for c in current_design.consumers}
    effect_consumers = {e.consumer for e in side_effects}
    topic_of, key_of = _lookups(target)
    action = words_of(current_design.name)[0] if words_of(current_design.name) else "request"
    if not side_effects:
        assumptions.append("The current design makes no synchronous calls; the plan introduces the new events and consumers.")
    inputs = PlanInputs(
        current=current,
        action=action,
        side_effects=side_effects,
        topic_of=topic_of,
        key_of=key_of,
        # Only the current system's own services publish from the start; new services publish once they run.
        extra_events=[
            e.name
            for e in target.events
            if e.name not in old_events and e.producer in {s.name for s in current_design.services} and not e.external
        ],
        extra_consumers=[c.name for c in target.consumers if c.name not in old_consumers | effect_consumers],
        splits=current.shared_tables,
    )
    return _finish("", current, target, inputs, assumptions)
