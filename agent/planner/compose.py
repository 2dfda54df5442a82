"""The offline planner: a brief in, a complete Design out. No key, no network, same brief → same Design.

It recognises the business domains of the brief in the knowledge base, reads the numbers and flags the brief
states, decides how the workflow is coordinated, sizes the topics, and assembles every part of the Design the
way an experienced event-driven architect would: outbox publishing, idempotent consumers with bounded retries
and dead-letter topics, sagas with compensations and timeouts, read models, observability and written decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from archassist.agent.capacity.sizing import (
    DEFAULT_TARGET_UTILISATION,
    OUTBOX_RELAY_EPS,
    consumer_capacity_eps,
    consumers_needed,
    partitions_needed,
)
from archassist.agent.model.design import (
    Aggregate,
    Alert,
    BusinessRate,
    Column,
    Command,
    Consumer,
    DeadLetter,
    DeadLetterPolicy,
    Decision,
    Design,
    Event,
    EventStore,
    Idempotency,
    Metric,
    NotModelled,
    Observability,
    PayloadField,
    Projection,
    Requirements,
    RetryPolicy,
    Saga,
    SagaOutcome,
    SagaStep,
    Service,
    Style,
    Topic,
    TopicCapacity,
    Tradeoff,
)
from archassist.agent.model.naming import kebab, pascal, slug, snake
from archassist.agent.model.precedents import PlanOverrides, Precedent, interpret_precedents
from archassist.agent.planner.brief import BriefFacts, parse_brief
from archassist.agent.planner.history import (
    ARCHIVE_SOURCE,
    archive_decision,
    archive_tradeoff,
    archived_topics,
    plan_archive,
)
from archassist.agent.planner.knowledge import (
    THROUGHPUT_EPS,
    Domain,
    KAggregate,
    KCommand,
    KEvent,
    KField,
    KProjection,
    KSagaStep,
)
from archassist.agent.planner.storming import Storm, storm
from archassist.agent.planner.synthesis import Synthesis, synthesise

PARTITION_CAPACITY_EPS = 1000.0
HEADROOM = 1.5
MIN_PARTITIONS = 6
HANDLER_TIME_MS = 20.0
# Telemetry and clickstream consumers write in batches: a fraction of a millisecond of work per event.
BATCH_HANDLER_TIME_MS = 1.0
TELEMETRY_PARTITION_EPS = 5000.0
# A keyed parallel consumer keeps this many calls in flight per partition (distinct keys, order kept per key).
KEYED_IN_FLIGHT = 16
AVERAGE_EVENT_BYTES = 1024
OPERATIONAL_RETENTION_DAYS = 7.0
AUDIT_TOPIC_RETENTION_DAYS = 30.0
ORCHESTRATION_MIN_STEPS = 3


@dataclass
class Plan:
    """The planner's answer: the Design plus what shaped it."""

    design: Design
    facts: BriefFacts
    precedents: list[Precedent] = field(default_factory=list)
    precedents_applied: list[str] = field(default_factory=list)


@dataclass
class _Workflow:
    initiator: Domain
    steps: list[tuple[Domain, KSagaStep]]


def _figure(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _field(f: KField, protect: str) -> PayloadField:
    return PayloadField(
        name=f.name,
        type=f.type,
        required=f.required,
        description=f.description,
        pii=f.pii,
        protection=protect if f.pii else "none",
        items=f.items,
    )


def _short(text: str, limit: int = 32) -> str:
    """A kebab-case name from the first words of a sentence, cut at a word boundary."""
    out = ""
    for word in kebab(text).split("-"):
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or "handle"


def _generic_domain(noun: str) -> Domain:
    """A plausible domain for a noun the catalog does not know: a lifecycle of create, update, complete, cancel."""
    agg = pascal(noun)
    id_field = f"{snake(noun)}_id"
    base_fields = [KField(name=id_field, type="uuid")]
    events = [
        KEvent(
            name=f"{agg}Created",
            aggregate=agg,
            description=f"A new {noun} was recorded.",
            fields=[
                *base_fields,
                KField(name="created_by", type="string"),
                KField(name="attributes", type="object"),
            ],
        ),
        KEvent(
            name=f"{agg}Updated",
            aggregate=agg,
            description=f"Details of a {noun} changed.",
            fields=[
                *base_fields,
                KField(name="changed_fields", type="array", items="string"),
                KField(name="attributes", type="object"),
            ],
        ),
        KEvent(
            name=f"{agg}Completed",
            aggregate=agg,
            description=f"A {noun} reached its successful end state.",
            fields=[*base_fields, KField(name="completed_at", type="timestamp")],
        ),
        KEvent(
            name=f"{agg}Cancelled",
            aggregate=agg,
            description=f"A {noun} was cancelled before completion.",
            fields=[*base_fields, KField(name="reason", type="string")],
        ),
    ]
    commands = [
        KCommand(name=f"Create{agg}", aggregate=agg, emits=[f"{agg}Created"]),
        KCommand(name=f"Update{agg}", aggregate=agg, emits=[f"{agg}Updated"]),
        KCommand(name=f"Complete{agg}", aggregate=agg, emits=[f"{agg}Completed"]),
        KCommand(name=f"Cancel{agg}", aggregate=agg, emits=[f"{agg}Cancelled"]),
    ]
    name = snake(noun)
    return Domain(
        name=name,
        title=noun.capitalize(),
        description=f"{noun.capitalize()} records and their lifecycle (inferred from the brief).",
        synonyms=[noun],
        service=f"{kebab(noun)}-service",
        bounded_context=pascal(noun),
        aggregates=[KAggregate(name=agg, id_field=id_field, expected_stream_length=10)],
        commands=commands,
        events=events,
        projections=[],
        throughput="medium",
    )


# A projector is ordered and its read model has a lag target of about a second: a poison event must not hold the
# partition through the side-effect retry schedule (seconds to minutes). A few quick attempts, then the
# dead-letter topic, keep the stall at 100 + 200 ms plus three handler runs.
PROJECTOR_RETRY = RetryPolicy(
    max_attempts=3, backoff="exponential", initial_delay_ms=100, max_delay_ms=400, multiplier=2.0, jitter=True
)
# A read model is never promised fresher than this, however tight the brief's response-time bound: a projector
# needs a few handler runs and retries inside the lag target.
MIN_LAG_TARGET_MS = 100


def projector_retry(lag_target_ms: int) -> RetryPolicy:
    """The projector's in-place retries, short enough that a poison event holds its partition within the lag
    target: three handler runs plus two delays (d, 2d), with room for jitter."""
    if lag_target_ms >= 1000:
        return PROJECTOR_RETRY
    delay = max(1, int((lag_target_ms - 3 * HANDLER_TIME_MS) / 4))
    return RetryPolicy(
        max_attempts=3, backoff="exponential", initial_delay_ms=delay, max_delay_ms=2 * delay, multiplier=2.0,
        jitter=True,
    )

class _Planner:
    def __init__(
        self,
        brief: str,
        facts: BriefFacts,
        overrides: PlanOverrides,
        stormed: Storm | None = None,
        synthesis: Synthesis | None = None,
    ) -> None:
        self.brief = brief
        self.facts = facts
        self.overrides = overrides
        self.assumptions: list[str] = []
        self.decisions: list[Decision] = []
        self.tradeoffs: list[Tradeoff] = []
        self.cited: list[str] = []
        self.stormed = stormed
        self.synthesis = synthesis
        self.domains: list[Domain] = self._choose_domains([m.domain for m in facts.domains])
        if not self.domains:
            nouns = [n for n in facts.nouns if len(n) >= 3][:3] or ["record"]
            self.domains = [_generic_domain(n) for n in nouns]
            self.assumptions.append(
                "No business domain of the knowledge base was recognised in the brief; the design is built on "
                f"the nouns it names ({', '.join(nouns)}), each with a create/update/complete/cancel lifecycle. "
                "Rename the events to the facts of your domain."
            )
        self.by_name = {d.name: d for d in self.domains}
        self.event_domain: dict[str, Domain] = {e.name: d for d in self.domains for e in d.events}
        self.command_domain: dict[str, Domain] = {c.name: d for d in self.domains for c in d.commands}
        self.style = Style()
        self.requirements = Requirements(partition_capacity_eps=PARTITION_CAPACITY_EPS)
        self.commands: dict[str, Command] = {}
        self.consumers: list[Consumer] = []
        self.sagas: list[Saga] = []
        self.extra_services: list[Service] = []
        self.policy = DeadLetterPolicy()
        if overrides.max_attempts is not None:
            self.policy = self.policy.model_copy(update={"max_attempts": overrides.max_attempts[0]})
            self._cite(overrides.max_attempts[1])
        self.consumed_by: dict[str, list[str]] = {}
        self.topic_consumption: dict[str, tuple[float, int]] = {}
        self.wired: set[tuple[str, str]] = set()

    def _choose_domains(self, catalogued: list[Domain]) -> list[Domain]:
        """The stormed contexts when the brief describes actions; catalogued domains fill in a brief that only
        names areas ("order fulfillment across payments, inventory and shipping")."""
        stormed = self.synthesis.domains if self.synthesis else []
        actions = len(self.stormed.actions) if self.stormed else 0
        if actions >= 2 and len(stormed) >= 2:
            return list(stormed)
        taken = {d.service for d in stormed} | {d.name for d in stormed}
        parts = {a.name for d in stormed for a in d.aggregates} | {e.name for d in stormed for e in d.events}
        parts |= {c.name for d in stormed for c in d.commands}
        return [
            *stormed,
            *(
                d
                for d in catalogued
                if d.service not in taken
                and d.name not in taken
                and not parts & ({a.name for a in d.aggregates} | {e.name for e in d.events} | {c.name for c in d.commands})
            ),
        ]

    # -- helpers ---------------------------------------------------------------------------------------------

    def _cite(self, precedent_id: str) -> None:
        if precedent_id not in self.cited:
            self.cited.append(precedent_id)

    def _aggregate(self, domain: Domain, name: str) -> KAggregate:
        return next((a for a in domain.aggregates if a.name == name), domain.aggregates[0])

    def _id_field(self, domain: Domain, aggregate: str) -> str:
        return self._aggregate(domain, aggregate).id_field

    def _topic_name(self, domain: Domain, aggregate: str) -> str:
        """`{domain}.events` for the domain's main aggregate, `{domain}.{aggregate}_events` for the others."""
        if aggregate == domain.aggregates[0].name:
            return f"{domain.name}.events"
        return f"{domain.name}.{snake(aggregate)}_events"

    def _db(self, service: str) -> str:
        return f"{service}-db"

    def _dlq(self, service: str) -> str:
        return f"{service}.dlq"

    # -- requirements and style ------------------------------------------------------------------------------

    def _requirements(self) -> None:
        f = self.facts
        notes = self.assumptions
        peak = f.peak_factor or 3.0
        sustained = f.throughput_eps
        if f.throughput_eps is not None and f.rate_is_peak:
            sustained = f.throughput_eps / peak
            notes.append(
                f"'{f.throughput_source}' is the busiest moment the brief describes: it is the peak "
                f"(≈ {_figure(f.throughput_eps)}/s); the sustained rate is assumed to be a third of it."
            )
        elif f.peak_factor is None:
            notes.append(
                "Peak load is assumed to be 3× the sustained rate; state the real peak to resize topics."
            )
        if f.fleet_assumed and f.fleet_period_s:
            notes.append(
                f"The brief does not say how many {f.fleet_unit} report; {f.fleet:,.0f} are assumed, so "
                f"{f.fleet:,.0f} / {f.fleet_period_s:g} s ≈ {_figure(f.throughput_eps or 0)} events/s. "
                "State the fleet size to resize the telemetry topics."
            )
        if f.throughput_eps is not None and not f.rate_is_peak:
            rate = _figure(f.throughput_eps)
            notes.append(f"Sustained load read from the brief: '{f.throughput_source}' ≈ {rate} per second.")
        else:
            notes.append(
                "The brief states no throughput; each domain is sized from its typical class in the knowledge base "
                "(low 20/s, medium 200/s, high 2,000/s, very high 20,000/s sustained)."
            )
        notes.append(
            f"One partition with one consumer instance is assumed to absorb {PARTITION_CAPACITY_EPS:,.0f} events/s "
            f"of ~{AVERAGE_EVENT_BYTES // 1024} KiB with {HANDLER_TIME_MS:.0f} ms handlers; partitions are sized "
            f"for peak × {HEADROOM} headroom and never below {MIN_PARTITIONS}. Measure and adjust."
        )
        retention = f.retention_days
        if f.audit and retention is None:
            retention = 7 * 365
            notes.append(
                "Audit or compliance is named without a period; history is kept 7 years (a common "
                "regulatory minimum). Confirm the period with your compliance team."
            )
        for days, pid in (v for k, v in self.overrides.retention_days.items() if k == "*"):
            retention = max(retention or 0, days)
            self._cite(pid)
        self.requirements = Requirements(
            throughput_eps=sustained,
            business_rates=self._business_rates(),
            peak_factor=peak,
            latency_p99_ms=f.latency_p99_ms,
            consistency="strong" if f.strong_consistency else "eventual",
            delivery="effectively_once" if f.exactly_once else "at_least_once",
            audit=f.audit,
            retention_days=retention,
            pii=f.pii or any(fl.pii for d in self.domains for e in d.events for fl in e.fields),
            partition_capacity_eps=PARTITION_CAPACITY_EPS,
        )
        if f.exactly_once:
            notes.append(
                "'Exactly once' is delivered as effectively-once: at-least-once delivery plus idempotent "
                "consumers that deduplicate by event id, which holds across every broker and database."
            )
        if f.strong_consistency:
            notes.append(
                "Strong consistency is asked for: it holds inside each aggregate (one writer per key); "
                "across services the design is eventually consistent by construction."
            )

    def _business_rates(self) -> list[BusinessRate]:
        f = self.facts
        if f.throughput_eps is None or not f.throughput_source:
            return []
        if f.fleet is not None and f.fleet_period_s:
            return [
                BusinessRate(
                    quantity=f.fleet,
                    unit=f.fleet_unit or "devices",
                    per_seconds=f.fleet_period_s,
                    events_per_transaction=1,
                    assumed=f.fleet_assumed,
                    source=f.throughput_source,
                )
            ]
        return [
            BusinessRate(
                quantity=f.throughput_eps,
                unit=f.throughput_unit or "events",
                per_seconds=1,
                events_per_transaction=self._events_per_transaction() if f.instance_rate else 1,
                peak=f.rate_is_peak,
                source=f.throughput_source,
            )
        ]

    def _events_per_transaction(self) -> float:
        """Success-path facts one business transaction records: the stormed actions, or half a domain's events."""
        if self.stormed is not None and len(self.stormed.actions) >= 2:
            return float(len([a for a in self.stormed.actions if not a.otherwise and not a.clause.every_s]) or 1)
        return float(max(1, max((len(d.events) for d in self.domains), default=2) // 2))

    def _domain_rate(self, domain: Domain) -> float:
        """Sustained events per second for one domain's topic."""
        f = self.facts
        if f.throughput_eps is None:
            return THROUGHPUT_EPS[domain.throughput]
        if f.instance_rate and f.throughput_unit:
            # A rate of business things (orders/day): each instance produces roughly its lifecycle of events.
            return f.throughput_eps * max(1, len(domain.events) // 2)
        return f.throughput_eps

    def _event_sourced(self) -> bool:
        if self.overrides.event_sourcing is not None:
            self._cite(self.overrides.event_sourcing[1])
            return self.overrides.event_sourcing[0]
        return self.facts.event_sourcing or self.facts.audit

    # -- workflows ------------------------------------------------------------------------------------------

    def _workflows(self) -> list[_Workflow]:
        if self.synthesis is not None and self.stormed is not None and len(self.stormed.actions) >= 2:
            return self._stormed_workflows()
        flows: list[_Workflow] = []
        for initiator in self.domains:
            if initiator.saga.initiates is None:
                continue
            steps = [
                (d, step)
                for d in self.domains
                if d.saga.participates is not None and d.name != initiator.name
                for step in (d.saga.participates, *d.saga.also)
                if not step.serves or initiator.name in step.serves
            ]
            if steps:
                steps.sort(key=lambda pair: (pair[1].rank, pair[0].name))
                flows.append(_Workflow(initiator=initiator, steps=steps))
        return flows

    def _stormed_workflows(self) -> list[_Workflow]:
        assert self.synthesis is not None
        flow = self.synthesis.workflow
        if flow is None:
            return []
        initiator = self.by_name.get(snake(flow.initiator))
        steps = [(self.by_name[snake(s.context)], s.step) for s in flow.steps if snake(s.context) in self.by_name]
        if initiator is None or initiator.saga.initiates is None or len(steps) < 2:
            return []
        return [_Workflow(initiator=initiator, steps=steps)]

    def _coordination(self, flows: list[_Workflow]) -> str:
        longest = max((len(f.steps) for f in flows), default=0)
        alternatives = [
            "choreography: each service reacts to the previous service's events",
            "orchestration: a workflow service sends commands and tracks the saga state",
        ]
        if self.overrides.coordination is not None:
            choice, pid = self.overrides.coordination
            self._cite(pid)
            why = f"The team's accepted precedent {pid} sets {choice} for workflows like this one."
        elif self.facts.coordination is not None:
            choice = self.facts.coordination
            why = f"The brief asks for {choice}."
        elif not flows:
            choice = "choreography"
            why = (
                "No workflow spans domains with steps that must be undone together, so services publish facts "
                "and react to each other's events without a coordinator."
            )
        elif longest >= ORCHESTRATION_MIN_STEPS:
            choice = "orchestration"
            why = (
                f"The longest workflow has {longest} side-effecting steps with compensations. A workflow "
                "service that owns the saga state makes the order of steps, the timeouts and the compensation "
                "path explicit and observable, and avoids a web of services reacting to each other."
            )
        else:
            choice = "choreography"
            why = (
                f"The workflow has {longest} step{'s' if longest != 1 else ''}: few enough that services can "
                "react to each other's events directly, with no coordinator to run and scale."
            )
        if flows:
            self.decisions.append(
                Decision(
                    id="D1",
                    title=f"Coordinate cross-domain workflows by {choice}",
                    context="; ".join(
                        f"{f.initiator.title} workflow: {' → '.join(snake(s.command) for _, s in f.steps)}"
                        for f in flows
                    ),
                    decision=why,
                    consequences=(
                        "Compensations run from the workflow service in reverse order; the saga state is "
                        "queryable in one place."
                        if choice == "orchestration"
                        else "Each service compensates its own step when it sees a later step fail; the workflow "
                        "state is reconstructed from events by the read model."
                    ),
                    alternatives=[a for a in alternatives if not a.startswith(choice)],
                        cites=[self.overrides.coordination[1]] if self.overrides.coordination else [],
                    tags=["coordination", "saga"],
                )
            )
        else:
            self.decisions.append(
                Decision(
                    id="D1",
                    title="Coordinate by choreography",
                    context="No workflow in the brief spans several domains with compensable steps.",
                    decision=why,
                    consequences="Services stay independent; adding a consumer needs no change to any producer.",
                    alternatives=alternatives[1:],
                        cites=[self.overrides.coordination[1]] if self.overrides.coordination else [],
                    tags=["coordination"],
                )
            )
        return choice

    # -- consumers --------------------------------------------------------------------------------------------

    def _consumer(
        self,
        service: str,
        name: str,
        subscriptions: list[str],
        action: str,
        emits: Sequence[str] = (),
        *,
        upsert_key: str | None = None,
        lag_target_ms: int = 1000,
    ) -> None:
        subs = [s for s in dict.fromkeys(subscriptions)]
        if not subs:
            return
        base = f"{service}.{name}"
        existing = {c.name for c in self.consumers}
        unique, n = base, 2
        while unique in existing:
            unique, n = f"{base}-{n}", n + 1
        p = self.policy
        idempotency = (
            Idempotency(strategy="natural_upsert", key=upsert_key, store=f"{self._db(service)}.read_models")
            if upsert_key
            else Idempotency(
                strategy="dedup_event_id",
                key="event_id",
                store=f"{self._db(service)}.inbox",
                ttl_days=max(OPERATIONAL_RETENTION_DAYS, 7.0),
            )
        )
        self.consumers.append(
            Consumer(
                name=unique,
                service=service,
                # One group per purpose: resetting a projector's offsets must never replay a side effect.
                group=unique,
                subscriptions=subs,
                action=action,
                emits=list(dict.fromkeys(emits)),
                idempotency=idempotency,
                retry=projector_retry(lag_target_ms)
                if upsert_key
                else RetryPolicy(
                    max_attempts=p.max_attempts,
                    backoff="exponential",
                    initial_delay_ms=p.initial_delay_ms,
                    max_delay_ms=p.max_delay_ms,
                    multiplier=2.0,
                    jitter=True,
                ),
                dead_letter=DeadLetter(
                    topic=self._dlq(service),
                    retention_days=p.retention_days,
                    redrive="manual",
                    alert_depth=p.alert_depth,
                ),
                ordering="per_key",
                concurrency=1,
                processing_time_ms=HANDLER_TIME_MS,
                delivery="at_least_once",
            )
        )
        for s in subs:
            self.consumed_by.setdefault(s, []).append(service)
            self.wired.add((service, s))

    def _saga(self, flow: _Workflow, coordination: str) -> None:
        init = flow.initiator.saga.initiates
        assert init is not None
        agg = self._aggregate(flow.initiator, flow.initiator.events[0].aggregate)
        correlation_key = agg.id_field
        saga_name = f"{agg.name}Saga"
        steps: list[SagaStep] = []
        for domain, s in flow.steps:
            steps.append(
                SagaStep(
                    name=snake(s.command),
                    service=domain.service,
                    action=s.action,
                    command=s.command if coordination == "orchestration" else None,
                    success_event=s.success_event,
                    failure_event=s.failure_event,
                    compensation=s.compensation if s.side_effect else None,
                    compensation_command=s.compensation_command
                    if (s.side_effect and coordination == "orchestration")
                    else None,
                    compensation_event=s.compensation_event if s.side_effect else None,
                    compensation_idempotent=bool(s.side_effect and s.compensation),
                    timeout_s=s.timeout_s,
                    retriable=s.retriable,
                    pivot=s.pivot,
                    side_effect=s.side_effect,
                )
            )
        total_timeout = sum(s.timeout_s for _, s in flow.steps) * 2 + 60
        initiator_service = flow.initiator.service
        if coordination == "orchestration":
            orchestrator = f"{kebab(agg.name)}-workflow-service"
            self.extra_services.append(
                Service(
                    name=orchestrator,
                    bounded_context=flow.initiator.bounded_context,
                    description=f"Runs the {agg.name.lower()} saga: sends each step's command, tracks the saga state, "
                    "handles timeouts and compensates completed steps in reverse order on failure.",
                    database=self._db(orchestrator),
                    publishing="outbox",
                    owner=f"{flow.initiator.name} team",
                )
            )
            state_store = f"{self._db(orchestrator)}.saga_instances"
            first = flow.steps[0][1]
            self._use_command(first.command, orchestrator, correlation_key)
            self._consumer(
                orchestrator,
                f"start-on-{kebab(init.trigger_event)}",
                [init.trigger_event],
                f"start a {saga_name} instance and send {first.command}",
                [first.command],
            )
            for index, (_domain, s) in enumerate(flow.steps):
                if index + 1 < len(flow.steps):
                    nxt = flow.steps[index + 1][1].command
                    self._use_command(nxt, orchestrator, correlation_key)
                else:
                    nxt = init.completion_command
                    self._use_command(nxt, orchestrator, correlation_key)
                self._consumer(
                    orchestrator,
                    f"advance-on-{kebab(s.success_event)}",
                    [s.success_event],
                    f"record the step and send {nxt}",
                    [nxt],
                )
                pivot_at = next((i for i, (_, p) in enumerate(flow.steps) if p.pivot), len(flow.steps))
                if index >= pivot_at:
                    # Past the point of no return a failure is retried forward, never compensated.
                    if s.failure_event not in {e for c in self.consumers for e in c.subscriptions if c.service == orchestrator}:
                        self._consumer(
                            orchestrator,
                            f"retry-on-{kebab(s.failure_event)}",
                            [s.failure_event],
                            f"retry {s.command} with backoff: the step is past the pivot and cannot be undone",
                            [s.command],
                        )
                    continue
                undo = [
                    p.compensation_command
                    for _, p in reversed(flow.steps[:index])
                    if p.side_effect and p.compensation_command
                ]
                for cmd in undo:
                    self._use_command(cmd, orchestrator, correlation_key)
                self._use_command(init.failure_command, orchestrator, correlation_key)
                self._consumer(
                    orchestrator,
                    f"compensate-on-{kebab(s.failure_event)}",
                    [s.failure_event],
                    "compensate completed steps in reverse order, then send " + init.failure_command,
                    [*undo, init.failure_command],
                )
            compensation_events = [
                s.compensation_event for _, s in flow.steps if s.side_effect and s.compensation_event
            ]
            self._consumer(
                orchestrator,
                "track-compensations",
                compensation_events,
                "mark compensations done and close the saga instance as failed",
            )
            for domain, s in flow.steps:
                self._consumer(
                    domain.service,
                    f"handle-{kebab(s.command)}",
                    [s.command],
                    s.action,
                    [s.success_event, s.failure_event],
                )
                # Only compensations some failure can issue get a handler (and a command topic).
                if (
                    s.side_effect
                    and s.compensation_command in self.commands
                    and s.compensation_event
                ):
                    self._consumer(
                        domain.service,
                        f"handle-{kebab(s.compensation_command)}",
                        [s.compensation_command],
                        (s.compensation or "compensate"),
                        [s.compensation_event],
                    )
            self._consumer(
                initiator_service,
                f"handle-{kebab(init.completion_command)}",
                [init.completion_command],
                f"mark the {agg.name.lower()} as successfully processed",
                [init.completion_event],
            )
            if init.failure_command in self.commands:  # some step before the pivot can fail
                self._consumer(
                    initiator_service,
                    f"handle-{kebab(init.failure_command)}",
                    [init.failure_command],
                    f"mark the {agg.name.lower()} as failed",
                    [init.failure_event],
                )
        else:
            orchestrator = None
            state_store = f"{self._db(initiator_service)}.saga_state"
            previous = init.trigger_event
            for index, (domain, s) in enumerate(flow.steps):
                self._consumer(
                    domain.service,
                    f"{kebab(s.command)}-on-{kebab(previous)}",
                    [previous],
                    s.action,
                    [s.success_event, s.failure_event],
                )
                later_failures = [p.failure_event for _, p in flow.steps[index + 1 :]]
                if s.side_effect and s.compensation_event and later_failures:
                    self._consumer(
                        domain.service,
                        f"{kebab(s.compensation_command or 'compensate')}-on-failure",
                        later_failures,
                        (s.compensation or "compensate"),
                        [s.compensation_event],
                    )
                previous = s.success_event
            self._consumer(
                initiator_service,
                f"complete-on-{kebab(previous)}",
                [previous],
                f"mark the {agg.name.lower()} as successfully processed",
                [init.completion_event],
            )
            self._consumer(
                initiator_service,
                "fail-on-step-failure",
                [s.failure_event for _, s in flow.steps],
                f"mark the {agg.name.lower()} as failed",
                [init.failure_event],
            )
        self.sagas.append(
            Saga(
                name=saga_name,
                coordination=coordination,
                orchestrator=orchestrator,
                trigger_event=init.trigger_event,
                steps=steps,
                state_store=state_store,
                completion_event=init.completion_event,
                failure_event=init.failure_event,
                timeout_s=total_timeout,
            )
        )

    def _use_command(self, name: str, issuer: str, key: str) -> None:
        domain = self.command_domain.get(name)
        if domain is None:
            return
        k = next(c for c in domain.commands if c.name == name)
        self.commands[name] = Command(
            name=name,
            aggregate=k.aggregate,
            issued_by=issuer,
            emits=list(k.emits),
            idempotency_key=key,
            topic=f"{domain.name}.commands",
            partition_key=key,
            description=k.description,
        )

    def _reactions(self, saga_messages: set[tuple[str, str]]) -> None:
        for domain in self.domains:
            for r in domain.reacts_to:
                source = self.by_name.get(r.domain)
                if source is None or source.event(r.event) is None:
                    continue
                emits = [e for e in r.emits if domain.event(e) is not None]
                # A reaction that performs this domain's saga step is already wired by the saga itself.
                if (domain.service, r.event) in self.wired or any((domain.name, e) in saga_messages for e in emits):
                    continue
                self._consumer(
                    domain.service,
                    f"{_short(r.action)}-on-{kebab(r.event)}",
                    [r.event],
                    r.action,
                    emits,
                )

    # -- assembly -------------------------------------------------------------------------------------------

    def build(self) -> Design:
        self._requirements()
        event_sourced = self._event_sourced()
        flows = self._workflows()
        coordination = self._coordination(flows)
        saga_messages: set[tuple[str, str]] = set()
        for flow in flows:
            init = flow.initiator.saga.initiates
            assert init is not None
            names = {init.trigger_event, init.completion_event, init.failure_event}
            for _, s in flow.steps:
                names |= {s.success_event, s.failure_event, s.compensation_event or ""}
            for d in [flow.initiator, *(d for d, _ in flow.steps)]:
                saga_messages |= {(d.name, n) for n in names}
            self._saga(flow, coordination)
        self._reactions(saga_messages)
        # One step has nothing to coordinate and no earlier step to compensate: its messages stay, the saga goes.
        self.sagas = [saga for saga in self.sagas if len(saga.steps) >= 2]

        protect = "crypto_shredding" if (self.facts.gdpr or self.facts.pii) else "encrypted"
        projections = self._projections(event_sourced)
        services = self._services(event_sourced)
        topics, events = self._topics_and_events(protect)
        aggregates = self._aggregates(event_sourced)
        commands = self._commands()
        self._size_consumers(topics, events)
        services = self._relay_within_capacity(services, topics, events)
        event_store = self._event_store() if event_sourced else None
        self._outcomes()
        archive = plan_archive(self.requirements, topics)
        if not event_sourced:
            topics = archived_topics(topics, archive)
        if archive is not None or event_sourced:
            source = "event_store" if event_sourced else "archive"
            projections = [p.model_copy(update={"replay_source": source}) for p in projections]
        self.style = Style(
            coordination=coordination,
            event_sourcing=event_sourced,
            cqrs=bool(projections) and (self.facts.cqrs or event_sourced or len(projections) > 0),
            broker=self._broker(),
            schema_format=(self.facts.schema_format or "json_schema"),
        )
        self._standard_decisions(event_sourced, protect, services)
        if archive is not None and not event_sourced:
            broker_days = max((t.retention_days or 0 for t in topics if t.replay_source == ARCHIVE_SOURCE), default=0)
            self.decisions.append(archive_decision(len(self.decisions) + 1, archive, broker_days))
        # The planner proposes; a decision becomes accepted when the team says so, or when it follows a precedent
        # the team already accepted. Only accepted decisions are ever applied as precedents.
        self.decisions = [
            d.model_copy(update={"status": "accepted" if d.cites else "proposed"}) for d in self.decisions
        ]
        design = Design(
            name=slug(self.brief) if self.brief.strip() else "design",
            brief=self.brief,
            summary=self._summary(coordination, event_sourced),
            style=self.style,
            requirements=self.requirements,
            assumptions=self.assumptions,
            services=services,
            aggregates=aggregates,
            commands=commands,
            events=events,
            topics=topics,
            consumers=self.consumers,
            projections=projections,
            sagas=self.sagas,
            event_store=event_store,
            dead_letter_policy=self.policy,
            observability=self._observability(topics, projections),
            decisions=self.decisions,
            tradeoffs=self._tradeoffs(coordination, event_sourced)
            + ([archive_tradeoff()] if archive is not None and not event_sourced else []),
            archive=archive,
            not_modelled=self._not_modelled(),
            notices=self._notices(),
        )
        return design

    def _relay_within_capacity(self, services: list[Service], topics: list[Topic], events: list[Event]) -> list[Service]:
        """A polling outbox relay carries a few thousand events a second; a service publishing faster keeps its
        outbox but has it read from the database log (change data capture), which follows the write rate."""
        rate_of = {t.name: t.throughput_eps or 0.0 for t in topics}
        producers: dict[str, set[str]] = {}
        for event in events:
            if event.topic and event.producer:
                producers.setdefault(event.topic, set()).add(event.producer)
        published: dict[str, float] = {}
        for topic, names in producers.items():
            for name in names:
                published[name] = published.get(name, 0.0) + rate_of.get(topic, 0.0) / len(names)
        out = []
        for service in services:
            rate = published.get(service.name, 0.0)
            if service.publishing == "outbox" and rate > OUTBOX_RELAY_EPS:
                self.assumptions.append(
                    f"{service.name} publishes about {rate:,.0f} events/s, beyond what a polling outbox relay "
                    f"carries (about {OUTBOX_RELAY_EPS:,.0f}/s): its outbox is read by change data capture."
                )
                service = service.model_copy(update={"publishing": "cdc"})
            out.append(service)
        return out

    def _broker(self) -> str:
        if self.overrides.broker is not None:
            self._cite(self.overrides.broker[1])
            return self.overrides.broker[0]
        return self.facts.broker or "kafka"

    def _publishing(self, domain_name: str, event_sourced: bool) -> str:
        override = self.overrides.publishing.get(domain_name)
        if override is not None:
            self._cite(override[1])
            return override[0]
        return "event_store" if event_sourced else "outbox"

    def _services(self, event_sourced: bool) -> list[Service]:
        out: list[Service] = []
        emitted = self.synthesis.emitted if self.synthesis else set()
        for d in self.domains:
            publishes = [e.name for e in d.events]
            consumes = sorted({s for c in self.consumers if c.service == d.service for s in c.subscriptions})
            # A fleet's readings or a client's clicks are produced straight to their topic: there is no state
            # change to keep consistent with them, so no database and no outbox in the way of the rate.
            streaming = bool(publishes) and all(e in emitted for e in publishes) and not consumes
            out.append(
                Service(
                    name=d.service,
                    bounded_context=d.bounded_context,
                    description=d.description,
                    aggregates=[a.name for a in d.aggregates],
                    database=None if streaming else self._db(d.service),
                    publishes=publishes,
                    consumes=consumes,
                    publishing="direct" if streaming else self._publishing(d.name, event_sourced),
                    owner=f"{d.name} team",
                    event_sourced=event_sourced and not streaming,
                    ingestion=self._ingestion() if streaming else None,
                )
            )
        for extra in self.extra_services:
            consumes = sorted({s for c in self.consumers if c.service == extra.name for s in c.subscriptions})
            out.append(extra.model_copy(update={"consumes": consumes}))
        return out

    def _ingestion(self) -> str | None:
        if "mqtt" in self.brief.lower():
            return "MQTT gateway: devices publish to the gateway, which produces to the broker"
        return None

    def _not_modelled(self) -> list[NotModelled]:
        if self.stormed is None:
            return []
        return [NotModelled(text=text, reason=reason) for text, reason in self.stormed.not_modelled]

    def _notices(self) -> list[str]:
        out: list[str] = []
        letters = [c for c in self.brief if c.isalpha()]
        foreign = sum(1 for c in letters if not c.isascii())
        if letters and foreign / len(letters) > 0.02:
            out.append(
                "The brief does not read as English: the planner reads English briefs only, so this design rests "
                "on the few words it recognised. Restate the brief in English for a design built from it."
            )
        if (self.stormed is None or not self.stormed.actions) and not self.facts.domains:
            out.append(
                "No action (who does what) and no business area of the knowledge base was recognised in the "
                "brief; the design is a generic skeleton. Describe what happens, e.g. 'customers place orders, "
                "we charge them and ship the goods'."
            )
        return out

    def _outcomes(self) -> None:
        """Endings besides success and failure: a claim that lapses before the workflow finishes."""
        flow = self.synthesis.workflow if self.synthesis else None
        if flow is None or not self.sagas:
            return
        outcomes = []
        if flow.expiry_event and any(e.name == flow.expiry_event for d in self.domains for e in d.events):
            span = f" after {flow.expiry_s:g} s" if flow.expiry_s else ""
            outcomes.append(
                SagaOutcome(
                    name="expired",
                    event=flow.expiry_event,
                    description=f"The claim lapsed{span} before the workflow finished; completed steps are "
                    "compensated as on failure.",
                )
            )
        saga = self.sagas[0]
        timeout = saga.timeout_s
        if flow.expiry_s:
            timeout = max(flow.expiry_s, sum(s.timeout_s or 0 for s in saga.steps))
        self.sagas[0] = saga.model_copy(update={"outcomes": outcomes, "timeout_s": timeout})

    def _aggregates(self, event_sourced: bool) -> list[Aggregate]:
        out: list[Aggregate] = []
        for d in self.domains:
            for a in d.aggregates:
                length = a.expected_stream_length
                snapshot = None
                if event_sourced and (length is None or length > 100):
                    snapshot = 200
                out.append(
                    Aggregate(
                        name=a.name,
                        service=d.service,
                        id_field=a.id_field,
                        commands=[c.name for c in d.commands if c.aggregate == a.name],
                        events=[e.name for e in d.events if e.aggregate == a.name],
                        snapshot_every=snapshot,
                        expected_stream_length=length,
                        invariants=list(a.invariants),
                    )
                )
        return out

    def _commands(self) -> list[Command]:
        out: list[Command] = []
        for d in self.domains:
            for c in d.commands:
                if c.name in self.commands:
                    out.append(self.commands[c.name])
                    continue
                out.append(
                    Command(
                        name=c.name,
                        aggregate=c.aggregate,
                        issued_by="api",
                        emits=list(c.emits),
                        idempotency_key="idempotency_key",
                        description=c.description,
                    )
                )
        return out

    def _projections(self, event_sourced: bool) -> list[Projection]:
        """Read models from the catalog; every event nobody else reacts to feeds its domain's first read model,
        so each fact has a consumer and the status view shows the whole lifecycle."""
        out: list[Projection] = []
        lag = max(int(min(self.facts.latency_p99_ms or 1000, 1000)), MIN_LAG_TARGET_MS)
        for d in self.domains:
            catalog = list(d.projections) or [
                KProjection(
                    name=f"{snake(d.aggregates[0].name)}_status",
                    purpose=f"Current state of each {d.title.lower()} record, for look-ups by id.",
                    source_events=[],
                    key=d.aggregates[0].id_field,
                )
            ]
            covered = {e for p in catalog for e in p.source_events} | set(self.consumed_by)
            leftovers = [e.name for e in d.events if e.name not in covered]
            for index, p in enumerate(catalog):
                sources = [e for e in p.source_events if e in self.event_domain]
                if index == 0:
                    sources += [e for e in leftovers if e not in sources]
                if not sources:
                    continue
                out.append(
                    Projection(
                        name=p.name,
                        service=d.service,
                        purpose=p.purpose,
                        source_events=sources,
                        store=p.store,
                        key=p.key,
                        update_strategy="eventual",
                        idempotent=True,
                        # Without an event store the topic holds only recent history: rebuild from a snapshot of
                        # the read model and replay the topic from the snapshot's offsets.
                        rebuild="replay" if event_sourced else "snapshot_and_replay",
                        lag_target_ms=lag,
                    )
                )
                self._consumer(
                    d.service,
                    f"{kebab(p.name)}-projector",
                    sources,
                    f"upsert the {p.name} read model",
                    upsert_key=p.key,
                    lag_target_ms=lag,
                )
        return out

    def _topics_and_events(self, protect: str) -> tuple[list[Topic], list[Event]]:
        topics: list[Topic] = []
        events: list[Event] = []
        audit = self.requirements.audit
        compat = (
            self.overrides.compatibility[0]
            if self.overrides.compatibility
            else ("FULL_TRANSITIVE" if audit else "BACKWARD")
        )
        if self.overrides.compatibility:
            self._cite(self.overrides.compatibility[1])
        for d in self.domains:
            retention = self._retention(d)
            command_peak = 0.0
            for aggregate in d.aggregates:
                # One topic per aggregate keeps every event on a topic keyed the same way.
                topic_name = self._topic_name(d, aggregate.name)
                own = [e for e in d.events if self._aggregate(d, e.aggregate).name == aggregate.name]
                if not own:
                    continue
                rate, emitted = self._topic_rate(d, own)
                peak = rate * self.requirements.peak_factor
                command_peak = max(command_peak, peak)
                partitions, capacity = self._size_topic(topic_name, peak, emitted)
                topics.append(
                    Topic(
                        name=topic_name,
                        partitions=partitions,
                        replication_factor=3,
                        min_insync_replicas=2,
                        retention_days=retention,
                        cleanup_policy="delete",
                        compression="zstd",
                        partition_key=aggregate.id_field,
                        events=[e.name for e in own],
                        purpose="audit" if audit else "operational",
                        throughput_eps=round(peak, 3),
                        partition_capacity_eps=capacity.partition_capacity_eps if emitted else None,
                        capacity=capacity,
                    )
                )
                for e in own:
                    consumers = self.consumed_by.get(e.name, [])
                    foreign = any(c != d.service for c in consumers)
                    events.append(
                        Event(
                            name=e.name,
                            version=1,
                            kind="integration" if foreign else "domain",
                            description=e.description,
                            aggregate=aggregate.name,
                            producer=d.service,
                            topic=topic_name,
                            partition_key=aggregate.id_field,
                            fields=[_field(f, protect) for f in e.fields],
                            owner=f"{d.name} team",
                            compatibility=compat,
                            ordering="per_key",
                            external=not consumers,
                            estimated_size_bytes=AVERAGE_EVENT_BYTES,
                        )
                    )
            commands = [c for c in self.commands.values() if c.topic == f"{d.name}.commands"]
            if commands:
                ckey = commands[0].partition_key
                peak = command_peak or self._domain_rate(d) * self.requirements.peak_factor
                partitions, capacity = self._size_topic(f"{d.name}.commands", peak, False)
                topics.append(
                    Topic(
                        name=f"{d.name}.commands",
                        partitions=partitions,
                        replication_factor=3,
                        min_insync_replicas=2,
                        retention_days=OPERATIONAL_RETENTION_DAYS,
                        cleanup_policy="delete",
                        compression="zstd",
                        partition_key=ckey,
                        commands=[c.name for c in commands],
                        purpose="command",
                        throughput_eps=round(peak, 3),
                        capacity=capacity,
                    )
                )
        for service in sorted({c.service for c in self.consumers}):
            topics.append(
                Topic(
                    name=self._dlq(service),
                    partitions=3,
                    replication_factor=3,
                    min_insync_replicas=2,
                    retention_days=self.policy.retention_days,
                    cleanup_policy="delete",
                    compression="zstd",
                    partition_key=None,
                    purpose="dead_letter",
                )
            )
        return topics, events

    def _topic_rate(self, d: Domain, own: list[KEvent]) -> tuple[float, bool]:
        """Sustained events/s of the events that really travel on one topic, and whether a fleet emits them."""
        f = self.facts
        sustained = self.requirements.throughput_eps
        emitted_names = self.synthesis.emitted if self.synthesis else set()
        emitted = any(e.name in emitted_names for e in own)
        stormed = self.stormed is not None and len(self.stormed.actions) >= 2
        if sustained is None:
            return THROUGHPUT_EPS[d.throughput], emitted
        if emitted and not f.instance_rate:
            return sustained, True
        if not stormed:
            return self._domain_rate(d), emitted
        if f.instance_rate:
            facts = {a.event for a in self.stormed.actions} if self.stormed else set()
            per_transaction = max(1, sum(1 for e in own if e.name in facts))
            return sustained * per_transaction, emitted
        if emitted_names:
            # The stated rate is the fleet's or the clients'; the facts derived from it are far fewer.
            return THROUGHPUT_EPS["medium"], emitted
        return sustained, emitted

    def _size_topic(self, name: str, peak: float, emitted: bool) -> tuple[int, TopicCapacity]:
        """Partitions from the capacity model: the broker's share per partition and the consumers' throughput."""
        partition_eps = TELEMETRY_PARTITION_EPS if emitted else PARTITION_CAPACITY_EPS
        handler = BATCH_HANDLER_TIME_MS if emitted else HANDLER_TIME_MS
        in_flight = 1 if peak <= PARTITION_CAPACITY_EPS else KEYED_IN_FLIGHT
        partitions = partitions_needed(
            peak,
            partition_capacity_eps=partition_eps,
            processing_time_ms=handler,
            in_flight_per_partition=in_flight,
            target_utilisation=DEFAULT_TARGET_UTILISATION,
            minimum=MIN_PARTITIONS,
        )
        per_partition = consumer_capacity_eps(
            partitions=1, consumers=1, processing_time_ms=handler, in_flight_per_partition=in_flight
        )
        effective = min(partition_eps, per_partition)
        derivation = (
            f"peak {_figure(peak)}/s ÷ (min(partition {_figure(partition_eps)}/s, consumer {in_flight} × 1000 / "
            f"{handler:g} ms = {_figure(per_partition)}/s) × {DEFAULT_TARGET_UTILISATION:g} utilisation) = "
            f"{_figure(peak / (effective * DEFAULT_TARGET_UTILISATION))} → {partitions} partitions"
            f"{f' (at least {MIN_PARTITIONS})' if partitions == MIN_PARTITIONS else ''}"
        )
        self.topic_consumption[name] = (handler, in_flight)
        capacity = TopicCapacity(
            peak_eps=round(peak, 3),
            partition_capacity_eps=partition_eps,
            handler_ms=handler,
            consumer_eps_per_partition=round(per_partition, 3),
            target_utilisation=DEFAULT_TARGET_UTILISATION,
            partitions=partitions,
            derivation=derivation,
        )
        return partitions, capacity

    def _retention(self, d: Domain) -> float:
        override = self.overrides.retention_days.get(d.name)
        if override is not None:
            self._cite(override[1])
            return override[0]
        if self.requirements.audit:
            return AUDIT_TOPIC_RETENTION_DAYS
        return OPERATIONAL_RETENTION_DAYS

    def _size_consumers(self, topics: list[Topic], events: list[Event]) -> None:
        topic_of = {e.name: e.topic for e in events}
        topic_of.update({c.name: c.topic for c in self.commands.values() if c.topic})
        by_name = {t.name: t for t in topics}
        sized: list[Consumer] = []
        for c in self.consumers:
            read = sorted(
                (by_name[t] for t in {topic_of.get(s) for s in c.subscriptions} if t in by_name), key=lambda t: t.name
            )
            if not read:
                sized.append(c)
                continue
            handler, in_flight = _shared_handling(read, [self.topic_consumption.get(t.name, (HANDLER_TIME_MS, 1)) for t in read])
            # Each topic the group reads must be drained at its own peak over its own partitions: the busiest
            # topic is not always the one with the fewest partitions.
            needed = max(
                consumers_needed(
                    t.throughput_eps or 0,
                    partitions=t.partitions or 1,
                    processing_time_ms=handler,
                    in_flight_per_partition=in_flight,
                )
                for t in read
            )
            sized.append(
                c.model_copy(
                    update={"concurrency": needed, "processing_time_ms": handler, "in_flight_per_partition": in_flight}
                )
            )
        self.consumers = sized

    def _event_store(self) -> EventStore:
        # The store is the state itself: a retention requirement is a minimum, so events are kept forever
        # (erasure of personal data goes through crypto-shredding, not deletion).
        retention = None
        return EventStore(
            table="event_store",
            columns=[
                Column(name="global_position", type="BIGSERIAL"),
                Column(name="event_id", type="UUID"),
                Column(name="aggregate_type", type="VARCHAR(100)"),
                Column(name="aggregate_id", type="VARCHAR(255)"),
                Column(name="version", type="INTEGER"),
                Column(name="event_type", type="VARCHAR(150)"),
                Column(name="schema_version", type="INTEGER"),
                Column(name="occurred_at", type="TIMESTAMPTZ"),
                Column(name="correlation_id", type="UUID"),
                Column(name="causation_id", type="UUID", nullable=True),
                Column(name="data", type="JSONB"),
                Column(name="metadata", type="JSONB", nullable=True),
            ],
            partitioning="by aggregate_id (hash, 16 partitions)",
            indexes=["event_type", "occurred_at", "correlation_id"],
            unique=[["event_id"], ["aggregate_id", "version"]],
            snapshot_table="snapshots",
            snapshot_every=200,
            retention_days=retention,
        )

    def _observability(self, topics: list[Topic], projections: list[Projection]) -> Observability:
        latency = self.requirements.latency_p99_ms or 1000.0
        lag_budget_s = max(5.0, round(latency / 1000 * 5, 1))
        metrics = [
            Metric(
                name="consumer_lag_messages",
                kind="gauge",
                labels=["group", "topic", "partition"],
                description="Messages between the log end and the group's committed offset.",
            ),
            Metric(
                name="consumer_lag_seconds",
                kind="gauge",
                labels=["group", "topic"],
                description="Age of the oldest unprocessed message per group.",
            ),
            Metric(
                name="dlq_depth",
                kind="gauge",
                labels=["topic"],
                description="Messages waiting in a dead-letter topic.",
            ),
            Metric(
                name="event_end_to_end_latency_ms",
                kind="histogram",
                labels=["event_type", "group"],
                description="From the event's timestamp to the end of its handling.",
            ),
            Metric(
                name="handler_errors_total",
                kind="counter",
                labels=["group", "event_type", "error"],
                description="Failed handling attempts, retried or not.",
            ),
            Metric(
                name="events_published_total",
                kind="counter",
                labels=["event_type", "producer"],
                description="Publish rate per event type.",
            ),
        ]
        alerts: list[Alert] = []
        for group in sorted({c.group or c.service for c in self.consumers}):
            alerts.append(
                Alert(
                    name=f"{group} falling behind",
                    metric="consumer_lag_seconds",
                    condition=">",
                    threshold=lag_budget_s,
                    unit="s",
                    for_duration="5m",
                    severity="page",
                    target=group,
                )
            )
        for t in topics:
            if t.purpose == "dead_letter":
                alerts.append(
                    Alert(
                        name=f"messages in {t.name}",
                        metric="dlq_depth",
                        condition=">=",
                        threshold=float(self.policy.alert_depth or 1),
                        unit="messages",
                        for_duration="1m",
                        severity="ticket",
                        target=t.name,
                    )
                )
        alerts.append(
            Alert(
                name="end-to-end latency over target",
                metric="event_end_to_end_latency_ms",
                condition=">",
                threshold=latency,
                unit="ms (p99)",
                for_duration="10m",
                severity="page",
            )
        )
        alerts.append(
            Alert(
                name="handler error rate",
                metric="handler_errors_total",
                condition=">",
                threshold=1.0,
                unit="% of handled messages",
                for_duration="5m",
                severity="ticket",
            )
        )
        if not self.style.event_sourcing:
            metrics.append(
                Metric(
                    name="outbox_oldest_unpublished_seconds",
                    kind="gauge",
                    labels=["service"],
                    description="Age of the oldest outbox row not yet relayed to the broker.",
                )
            )
            alerts.append(
                Alert(
                    name="outbox relay stalled",
                    metric="outbox_oldest_unpublished_seconds",
                    condition=">",
                    threshold=30,
                    unit="s",
                    for_duration="2m",
                    severity="page",
                )
            )
        if self.sagas:
            metrics.append(
                Metric(
                    name="saga_duration_seconds",
                    kind="histogram",
                    labels=["saga", "outcome"],
                    description="Time from trigger to terminal event.",
                )
            )
            metrics.append(
                Metric(
                    name="saga_timeouts_total",
                    kind="counter",
                    labels=["saga", "step"],
                    description="Steps that did not answer within their timeout.",
                )
            )
            alerts.append(
                Alert(
                    name="saga steps timing out",
                    metric="saga_timeouts_total",
                    condition=">",
                    threshold=0,
                    unit="in 15m",
                    for_duration="15m",
                    severity="ticket",
                )
            )
        if projections:
            metrics.append(
                Metric(
                    name="projection_lag_ms",
                    kind="gauge",
                    labels=["projection"],
                    description="Delay between an event and its effect on the read model.",
                )
            )
            for p in projections:
                alerts.append(
                    Alert(
                        name=f"{p.name} stale",
                        metric="projection_lag_ms",
                        condition=">",
                        threshold=float(p.lag_target_ms or 1000) * 5,
                        unit="ms",
                        for_duration="5m",
                        severity="ticket",
                        target=p.name,
                    )
                )
        return Observability(
            metrics=metrics,
            alerts=alerts,
            correlation_propagation=True,
            causation_propagation=True,
            tracing="OpenTelemetry; W3C traceparent, correlation_id and causation_id carried in message headers",
        )

    def _standard_decisions(self, event_sourced: bool, protect: str, services: list[Service]) -> None:
        n = len(self.decisions) + 1
        publishing = {s.publishing for s in services}
        cdc_cites = [pid for _, pid in self.overrides.publishing.values()]
        if event_sourced:
            self.decisions.append(
                Decision(
                    id=f"D{n}",
                    title="Event-source the aggregates and publish from the event store",
                    context=(
                        "The brief names audit or compliance needs; the history of every change is itself "
                        "a requirement."
                        if self.facts.audit
                        else "The brief asks for event sourcing or replay."
                    ),
                    decision=(
                        "Each aggregate's state is the fold of its events in an append-only store that enforces "
                        "unique (aggregate_id, version); snapshots every 200 events bound replay time; a relay "
                        "publishes committed events in order to the broker."
                    ),
                    consequences="Full audit trail and temporal queries; events become a long-lived contract that "
                    "needs upcasters as they evolve.",
                    alternatives=["state tables with a transactional outbox", "state tables with CDC"],
                    cites=[self.overrides.event_sourcing[1]] if self.overrides.event_sourcing else [],
                    tags=["event-sourcing", "audit"],
                )
            )
            n += 1
        else:
            self.decisions.append(
                Decision(
                    id=f"D{n}",
                    title=(
                        "Publish through a transactional outbox"
                        if publishing <= {"outbox"}
                        else "Publish through an outbox, or CDC where the team's precedent says so"
                    ),
                    context="Each service changes its own database and must publish the matching event; writing to "
                    "the database and the broker separately loses or invents events when one of them fails.",
                    decision="Events are written to an outbox table in the same transaction as the state change and "
                    "relayed to the broker in commit order"
                    + (
                        "; services named by a precedent publish through change data capture instead."
                        if "cdc" in publishing
                        else "."
                    ),
                    consequences="No dual write; publishing adds the relay's delay (typically tens of milliseconds) "
                    "and the relay needs monitoring.",
                    alternatives=[
                        "change data capture on the state tables",
                        "dual write (rejected: loses events)",
                    ],
                    cites=cdc_cites,
                    tags=["outbox", "publishing"],
                )
            )
            n += 1
        self.decisions.append(
            Decision(
                id=f"D{n}",
                title="Key every topic by aggregate id",
                context="Consumers need the events of one aggregate in the order they happened.",
                decision="Each domain publishes to `{domain}.events`, keyed by the aggregate id, so one aggregate's "
                "events share a partition and stay ordered; partitions are sized from the peak rate.",
                consequences="Ordering holds per aggregate only; a hot key limits throughput to one partition.",
                alternatives=["one topic per event type", "a single global topic"],
                tags=["partitioning", "ordering"],
            )
        )
        n += 1
        delivery = self.requirements.delivery
        self.decisions.append(
            Decision(
                id=f"D{n}",
                title="At-least-once delivery with idempotent consumers",
                context=(
                    "The brief asks for exactly-once processing."
                    if delivery == "effectively_once"
                    else "Brokers redeliver after failures and rebalances; replays deliver everything again."
                ),
                decision="Every consumer records processed event ids in an inbox table (or upserts by key) in the same "
                "transaction as its effect, retries with exponential backoff and jitter a bounded number of "
                f"times ({self.policy.max_attempts}), then parks the message on its dead-letter topic.",
                consequences="Duplicates are harmless and poison messages never block a partition; the DLQ needs an "
                "owner and a redrive procedure.",
                alternatives=[
                    "broker transactions (exactly-once within Kafka only)",
                    "at-most-once (loses data)",
                ],
                cites=[self.overrides.max_attempts[1]] if self.overrides.max_attempts else [],
                tags=["idempotency", "retry", "dead-letter"],
            )
        )
        n += 1
        compat = "FULL_TRANSITIVE" if self.requirements.audit else "BACKWARD"
        self.decisions.append(
            Decision(
                id=f"D{n}",
                title="Versioned contracts that evolve additively",
                context="Producers and consumers deploy independently; old events are replayed long after they were "
                "written.",
                decision=f"Schemas live in a registry with {compat} compatibility; fields are added as optional, never "
                "renamed or removed; a breaking change is a new event version with an upcaster.",
                consequences="Consumers keep working through producer upgrades; removing a field takes a deprecation "
                "window.",
                alternatives=["unversioned JSON", "NONE compatibility with coordinated releases"],
                tags=["contracts", "versioning"],
            )
        )
        n += 1
        if self.requirements.pii:
            self.decisions.append(
                Decision(
                    id=f"D{n}",
                    title="Crypto-shred personal data"
                    if protect == "crypto_shredding"
                    else "Encrypt personal data",
                    context="Events carry personal data and are immutable and replicated, so they cannot be edited "
                    "to honour erasure requests.",
                    decision="Fields marked PII are encrypted with a per-subject key; forgetting a person deletes "
                    "the key, which makes every copy of their data unreadable."
                    if protect == "crypto_shredding"
                    else "Fields marked PII are encrypted at the field level with keys held in a KMS.",
                    consequences="Consumers that need PII must have key access; analytics sees only pseudonymous ids.",
                    alternatives=[
                        "keep PII out of events and look it up",
                        "plain fields with topic-level ACLs",
                    ],
                    tags=["pii", "gdpr", "security"],
                )
            )

    def _tradeoffs(self, coordination: str, event_sourced: bool) -> list[Tradeoff]:
        out = [
            Tradeoff(
                title="Eventual consistency",
                benefit="Services stay available and scale independently.",
                cost="Read models and other services see changes after a delay.",
                mitigation="Lag targets on read models, alerts on consumer lag, UI that shows pending states.",
            ),
            Tradeoff(
                title="Broker and relay operations",
                benefit="Durable, replayable history of every business fact.",
                cost="A broker cluster, schema registry and outbox relays to run and monitor.",
                mitigation="Managed broker; dashboards for lag, DLQ depth and relay age.",
            ),
            Tradeoff(
                title="At-least-once with idempotency",
                benefit="No lost messages; duplicates are harmless.",
                cost="An inbox table per consumer and careful idempotent handlers.",
                mitigation="Shared consumer library that wraps the inbox check and the effect in one "
                "transaction.",
            ),
        ]
        if self.sagas:
            if coordination == "orchestration":
                out.append(
                    Tradeoff(
                        title="Orchestrated sagas",
                        benefit="One place shows each workflow's state, timeouts and compensations.",
                        cost="The workflow service is one more component on the critical path.",
                        mitigation="Run it stateless over a durable saga table, with several instances.",
                    )
                )
            else:
                out.append(
                    Tradeoff(
                        title="Choreographed sagas",
                        benefit="No coordinator; services only know events.",
                        cost="The workflow is implicit across services and harder to follow.",
                        mitigation="A saga read model built from the events, and correlation ids in traces.",
                    )
                )
        if event_sourced:
            out.append(
                Tradeoff(
                    title="Event sourcing",
                    benefit="Complete audit trail, temporal queries and rebuildable read models.",
                    cost="Event schemas are forever; replay and snapshots add complexity.",
                    mitigation="Upcasters for old versions, snapshots every 200 events.",
                )
            )
        return out

    def _summary(self, coordination: str, event_sourced: bool) -> str:
        names = ", ".join(d.title.lower() for d in self.domains)
        parts = [
            f"An event-driven design for {names}: {len(self.domains)} domain service"
            f"{'s' if len(self.domains) != 1 else ''} publishing to keyed topics, coordinated by {coordination}"
        ]
        if self.sagas:
            parts.append(
                f"with {len(self.sagas)} saga{'s' if len(self.sagas) != 1 else ''} whose steps compensate "
                "on failure"
            )
        if event_sourced:
            parts.append("event-sourced for a complete audit trail")
        return ", ".join(parts) + "."


def _shared_handling(read: list[Topic], handling: list[tuple[float, int]]) -> tuple[float, int]:
    """One group reading a batched fleet topic and a keyed topic handles both one way: the slowest handling that
    still drains every topic it reads over that topic's partitions, else the fastest (the batched one)."""
    for handler, in_flight in sorted(set(handling), reverse=True):
        per_partition = in_flight * 1000.0 / handler
        if all((t.throughput_eps or 0) <= (t.partitions or 1) * per_partition for t in read):
            return handler, in_flight
    return min(handling)


def plan(brief: str, *, precedents: Sequence[Precedent] = ()) -> Plan:
    """Plan a complete Design for a brief, following the accepted precedents that apply to it."""
    facts = parse_brief(brief)
    stormed = storm(brief)
    synthesis = synthesise(stormed) if stormed.actions else None
    domain_names = facts.domain_names
    overrides = interpret_precedents(precedents, domain_names)
    planner = _Planner(brief, facts, overrides, stormed, synthesis)
    design = planner.build()
    return Plan(design=design, facts=facts, precedents=list(precedents), precedents_applied=planner.cited)
