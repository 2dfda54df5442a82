"""Rules for migration plans: a plan is checked like a design, each flaw a finding with a code.

Plan rules share the design rules' shape (a code, a slug, a severity, a docstring with Why / Anti-pattern / Fix)
but read a :class:`MigrationPlan`; their codes are ``MIG`` + number so they can never collide with a design rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from archassist.agent.migration.model import MigrationPlan
from archassist.agent.model.findings import Finding, Severity
from archassist.agent.rules.base import RuleDoc, Violation, parse_doc

PlanCheck = Callable[[MigrationPlan], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class PlanRule:
    code: str
    name: str
    severity: Severity
    function: PlanCheck
    doc: RuleDoc

    @property
    def group(self) -> str:
        return "migration"

    @property
    def summary(self) -> str:
        return self.doc.summary

    def check(self, plan: MigrationPlan) -> Iterator[Finding]:
        for violation in self.function(plan):
            yield violation.finding(self.code, self.name, self.severity)


PLAN_RULES: list[PlanRule] = []


def plan_rule(code: str, name: str, *, severity: Severity) -> Callable[[PlanCheck], PlanRule]:
    def register(function: PlanCheck) -> PlanRule:
        made = PlanRule(code, name, severity, function, parse_doc(function.__doc__ or ""))
        PLAN_RULES.append(made)
        return made

    return register


def get_plan_rule(code: str) -> PlanRule | None:
    key = code.strip()
    return next((r for r in PLAN_RULES if key.upper() == r.code or key.lower() == r.name), None)


def check_plan(plan: MigrationPlan) -> list[Finding]:
    """Every plan rule's findings, in phase order."""
    return [finding for rule in PLAN_RULES for finding in rule.check(plan)]


def _first_phase(plan: MigrationPlan, has: Callable[[int], bool]) -> int | None:
    return next((i for i in range(len(plan.phases)) if has(i)), None)


@plan_rule("MIG101", "phase-without-rollback", severity="error")
def phase_without_rollback(plan: MigrationPlan) -> Iterator[Violation]:
    """A phase has no rollback, or its rollback names no trigger or no steps.

    Why: A migration is safe only while every step can be undone; a phase nobody knows how to reverse turns the
    first surprise in production into an outage.

    Anti-pattern: "Phase 3: switch email sending to the notification service" with no word on how to switch back.

    Fix: Give the phase a rollback: the signal that triggers it, the steps (usually a flag back to the old path, which
    stays deployed) and the data to reconcile afterwards.
    """
    for i, phase in enumerate(plan.phases):
        if phase.rollback is None or not phase.rollback.trigger.strip() or not phase.rollback.steps:
            yield Violation(
                f"/phases/{i}/rollback",
                f"phase {phase.id} '{phase.name}' cannot be rolled back: it states no trigger or no steps",
                "add a rollback with its trigger, its steps and what to reconcile",
            )


@plan_rule("MIG102", "phase-without-exit-criteria", severity="warning")
def phase_without_exit_criteria(plan: MigrationPlan) -> Iterator[Violation]:
    """A phase has no exit criteria.

    Why: Without a stated, measurable condition for moving on, phases end when someone feels confident, and the next
    phase builds on an unproven one.

    Anti-pattern: A shadow phase that ends "when it looks good".

    Fix: State exit criteria a dashboard can show: counts that match for a period, lag under target, empty
    dead-letter topics.
    """
    for i, phase in enumerate(plan.phases):
        if not phase.exit_criteria:
            yield Violation(
                f"/phases/{i}/exit_criteria",
                f"phase {phase.id} '{phase.name}' has no exit criteria",
                "add measurable exit criteria",
            )


@plan_rule("MIG103", "cutover-without-parity-check", severity="error")
def cutover_without_parity_check(plan: MigrationPlan) -> Iterator[Violation]:
    """A side effect is cut over before any phase compared the new path with the old one.

    Why: Only a shadow or dual run with a parity check shows that the new consumer does what the old code did;
    cutting over without it finds the differences in production, through customers.

    Anti-pattern: Deploying the new email consumer and flipping the flag the same day.

    Fix: Run the consumer in shadow first, with parity checks (counts and sampled payloads) for this side effect over
    a stated period, in this phase or an earlier one.
    """
    for i, phase in enumerate(plan.phases):
        for j, cutover in enumerate(phase.cutovers):
            checked = any(
                p.verification is not None
                and p.verification.parity_checks
                and p.verification.kind in {"shadow", "dual_run"}
                and cutover.side_effect in p.verification.side_effects
                for p in plan.phases[:i]
            )
            if not checked:
                yield Violation(
                    f"/phases/{i}/cutovers/{j}",
                    f"phase {phase.id} cuts over '{cutover.side_effect}' without an earlier shadow or dual run "
                    "that checks its parity",
                    "add a shadow phase with parity checks for this side effect before the cutover",
                )


@plan_rule("MIG104", "dual-write", severity="error")
def dual_write(plan: MigrationPlan) -> Iterator[Violation]:
    """A phase publishes events by writing the database and the broker separately.

    Why: The two writes are not atomic: a crash between them loses the event or publishes one for a change that
    was rolled back, and the new path silently diverges from the old.

    Anti-pattern: "After saving the order, the monolith also sends OrderPlaced to Kafka."

    Fix: Write the event to an outbox table in the same transaction and relay it, or capture it from the database
    log with change data capture when the code cannot change.
    """
    for i, phase in enumerate(plan.phases):
        if phase.mechanism == "dual_write":
            yield Violation(
                f"/phases/{i}/mechanism",
                f"phase {phase.id} '{phase.name}' publishes with a dual write",
                "publish through a transactional outbox, or change data capture",
            )


@plan_rule("MIG105", "consumer-before-its-events", severity="error")
def consumer_before_its_events(plan: MigrationPlan) -> Iterator[Violation]:
    """A consumer is turned on before the events it reads are published.

    Why: A consumer started early reads nothing and proves nothing; worse, its parity checks report success on an
    empty stream, and its offsets start after the history it needed.

    Anti-pattern: Shadowing the loyalty consumer in phase 1 while OrderPlaced is first published in phase 2.

    Fix: Publish the events in an earlier phase than the one that turns their consumers on.
    """
    trigger_of = {e.consumer: e.trigger_event for e in plan.side_effects}
    published: set[str] = set()
    for i, phase in enumerate(plan.phases):
        for consumer in phase.enables:
            event = trigger_of.get(consumer)
            if event is not None and event not in published:
                yield Violation(
                    f"/phases/{i}/enables/{consumer}",
                    f"phase {phase.id} turns on {consumer} before {event} is published",
                    f"publish {event} in an earlier phase",
                )
        published.update(phase.publishes)


@plan_rule("MIG106", "decommission-before-cutover", severity="error")
def decommission_before_cutover(plan: MigrationPlan) -> Iterator[Violation]:
    """The old path of a side effect is removed before that side effect was cut over to the new path.

    Why: Removing the old path first leaves a window where nobody performs the side effect, and takes away the
    rollback of every later phase.

    Anti-pattern: Deleting the monolith's email code in the same release that turns the email consumer on.

    Fix: Decommission only after every side effect has been cut over and has soaked at 100 %.
    """
    cut: set[str] = set()
    for i, phase in enumerate(plan.phases):
        for name in phase.decommissions:
            if name not in cut:
                yield Violation(
                    f"/phases/{i}/decommissions",
                    f"phase {phase.id} removes the old path of '{name}' before it was cut over",
                    "move the decommission after the cutover phases",
                )
        cut.update(c.side_effect for c in phase.cutovers)


@plan_rule("MIG107", "side-effect-never-cut-over", severity="warning")
def side_effect_never_cut_over(plan: MigrationPlan) -> Iterator[Violation]:
    """A side effect of the current system is never cut over.

    Why: A side effect left on the old path keeps the old code, and with it the synchronous coupling the migration
    set out to remove.

    Anti-pattern: Three side effects listed, two cutover phases.

    Fix: Give every side effect its own cutover behind its own flag, or say in the plan why it stays.
    """
    cut = {c.side_effect for p in plan.phases for c in p.cutovers}
    for i, effect in enumerate(plan.side_effects):
        if effect.name not in cut:
            yield Violation(
                f"/side_effects/{i}",
                f"side effect '{effect.name}' is never cut over",
                "add a cutover phase for it",
            )


@plan_rule("MIG108", "cutover-shares-a-flag", severity="warning")
def cutover_shares_a_flag(plan: MigrationPlan) -> Iterator[Violation]:
    """Several side effects move behind one flag, or a cutover has none.

    Why: One flag for several side effects makes the rollback all or nothing: a broken email consumer also sends
    stock updates back to the old path.

    Anti-pattern: `use_event_path` switching emails, loyalty points and stock updates together.

    Fix: One flag per side effect, ramped and rolled back independently.
    """
    owner: dict[str, str] = {}
    for i, phase in enumerate(plan.phases):
        for j, cutover in enumerate(phase.cutovers):
            if not cutover.flag.strip():
                yield Violation(f"/phases/{i}/cutovers/{j}/flag", f"cutover of '{cutover.side_effect}' has no flag", "add a flag")
            elif owner.setdefault(cutover.flag, cutover.side_effect) != cutover.side_effect:
                yield Violation(
                    f"/phases/{i}/cutovers/{j}/flag",
                    f"flag '{cutover.flag}' switches both '{owner[cutover.flag]}' and '{cutover.side_effect}'",
                    "give each side effect its own flag",
                )


@plan_rule("MIG109", "unknown-side-effect", severity="error")
def unknown_side_effect(plan: MigrationPlan) -> Iterator[Violation]:
    """A phase names a side effect the plan does not list.

    Why: A cutover or decommission of something the plan never described cannot be verified or rolled back.

    Anti-pattern: A cutover of `sms_reminder` in a plan whose side effects are emails and loyalty points.

    Fix: List the side effect (its trigger event, consumer and flag) or correct the name.
    """
    known = {e.name for e in plan.side_effects}
    for i, phase in enumerate(plan.phases):
        named = [(f"cutovers/{j}", c.side_effect) for j, c in enumerate(phase.cutovers)]
        named += [("decommissions", n) for n in phase.decommissions]
        for where, name in named:
            if name not in known:
                yield Violation(f"/phases/{i}/{where}", f"phase {phase.id} names unknown side effect '{name}'", "list it")
