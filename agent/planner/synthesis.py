"""From an event-storming result to bounded contexts and the workflow between them.

Each context is expressed in the knowledge base's own schema (a `Domain`), so the composer assembles stormed
contexts and catalogued domains the same way. Ownership decides the contexts: an action the lexicon gives to a
context (charging belongs to payments) goes there; a message to a person goes to notifications; a thing acted on
again stays with the context that first recorded it; anything else starts a context named after its object.
The workflow is the order of the brief; a saga is formed where money or a claimed resource must stay consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archassist.agent.model.naming import kebab, pascal, snake
from archassist.agent.planner import inflection
from archassist.agent.planner.knowledge import (
    Domain,
    KAggregate,
    KCommand,
    KEvent,
    KField,
    KReaction,
    KSagaInitiator,
    KSagaRole,
    KSagaStep,
    KVerb,
    domains,
    lexicon,
)
from archassist.agent.planner.storming import Action, Storm
from archassist.agent.rules.words import TECHNICAL_WORDS

NOTIFICATION = "notification"
DEFAULT_STEP_TIMEOUT_S = 60.0
MONEY_STEP_TIMEOUT_S = 120.0
# Verbs whose money step is an authorisation before the point of no return and a capture after it.
_CAPTURED = frozenset({"pay", "charge", "capture", "deposit", "buy", "purchase"})


@dataclass
class StormedStep:
    """One saga step: the context that performs it and what it does, undoes and announces."""

    context: str
    step: KSagaStep


@dataclass
class StormedWorkflow:
    initiator: str
    trigger: Action
    steps: list[StormedStep]
    expiry_event: str | None = None
    expiry_s: float | None = None


@dataclass
class Synthesis:
    """Contexts (in the knowledge schema), the workflow, and what each event needs of the composer."""

    domains: list[Domain]
    workflow: StormedWorkflow | None
    keys: dict[str, str] = field(default_factory=dict)  # event -> partition key, where it is not the aggregate id
    emitted: set[str] = field(default_factory=set)  # events a device or client emits straight to its topic
    latest_state: set[str] = field(default_factory=set)  # events whose current value is kept on a compacted topic
    schedules: dict[str, str] = field(default_factory=dict)  # event -> "every 15 minutes", "monthly"
    timeouts: dict[str, float] = field(default_factory=dict)  # event -> seconds the brief allows
    notes: list[str] = field(default_factory=list)


@dataclass
class _Context:
    name: str
    aggregates: dict[str, KAggregate] = field(default_factory=dict)
    events: dict[str, KEvent] = field(default_factory=dict)
    commands: dict[str, KCommand] = field(default_factory=dict)
    reactions: list[KReaction] = field(default_factory=list)
    first_actor: str | None = None
    initiates: KSagaInitiator | None = None


# A condition that comes after the action it is attached to: "retried before the creator is told".
_AFTERWARDS = frozenset({"before", "until"})


def _head(phrase: str | None) -> str:
    return phrase.split()[-1] if phrase else ""


def _participle(verb: str) -> str:
    sense = lexicon().verb(verb)
    if sense is not None and sense.participle:
        return sense.participle
    words = verb.split()
    return pascal(" ".join([inflection.participle(words[0]), *words[1:]]))


def _catalog_fields() -> dict[str, list[KField]]:
    """Payloads the knowledge base already knows, by event name: a stormed `PaymentCaptured` carries the same."""
    return {e.name: list(e.fields) for d in domains().values() for e in d.events}


class _Builder:
    def __init__(self, found: Storm) -> None:
        self.storm = found
        self.lex = lexicon()
        self.contexts: dict[str, _Context] = {}
        self.owner_of: dict[str, str] = {}  # object -> context that first recorded it
        self.aggregate_of: dict[str, tuple[str, str]] = {}  # event -> (context, aggregate)
        self.catalog = _catalog_fields()
        self.out = Synthesis(domains=[], workflow=None)
        self.trigger_id: str | None = None

    # -- contexts -------------------------------------------------------------------------------------------

    def _context_for(self, action: Action) -> str:
        lex = self.lex
        if action.message or _head(action.obj) in lex.messages:
            return NOTIFICATION
        if action.context:
            return action.context
        if action.machine_actor and action.actor:
            return action.actor
        owner = self.owner_of.get(action.obj)
        if owner is not None:
            return owner
        return self._business_name(action)

    def _business_name(self, action: Action) -> str:
        """A context is named after a business thing: "lab test" is the lab's, and a bare "change" belongs to what
        was acted on before it. Words that name plumbing (test, change, data, out) would name the topics after it."""
        words = action.obj.split()
        kept = [w for w in words if w not in TECHNICAL_WORDS]
        if kept == words:
            return action.obj
        if kept:
            return " ".join(kept)
        earlier = [a for a in self.storm.actions if a.order < action.order and not a.message]
        if earlier:
            return self._context_for(earlier[-1])
        process = [w for w in (self.storm.process or "").split() if w not in TECHNICAL_WORDS]
        return " ".join(process) or action.obj  # the business the brief's title names

    def _context(self, name: str) -> _Context:
        if name not in self.contexts:
            self.contexts[name] = _Context(name=name)
        return self.contexts[name]

    def _aggregate(self, context: _Context, action: Action) -> KAggregate:
        emitter = self._emitter(action)
        thing = emitter or action.obj
        if context.name == NOTIFICATION and not emitter:
            thing = "notification"
        base = pascal(thing)
        owner = self.owner_of.setdefault(thing, context.name)
        name = base if owner == context.name else base + pascal(context.name)
        if name not in context.aggregates:
            context.aggregates[name] = KAggregate(
                name=name,
                id_field=f"{snake(thing)}_id",
                expected_stream_length=10,
                invariants=self._invariants(action, thing),
            )
        return context.aggregates[name]

    def _emitter(self, action: Action) -> str | None:
        """Readings and telemetry belong to the device or client that emits them: keyed by it, ordered per it."""
        if not action.actor:
            return None
        reports = action.sense.event_verb == "report" or action.verb in ("report", "stream", "receive")
        if reports and (_head(action.actor) not in self.lex.parties or action.verb == "receive"):
            return action.actor
        return None

    def _invariants(self, action: Action, thing: str) -> list[str]:
        sense = action.sense
        out: list[str] = []
        if sense.claim:
            out.append(f"A {thing} is claimed by at most one party at a time; a claim that lapses releases it.")
        if sense.money:
            out.append("Amounts are decimals in one currency per record; a repeated request never moves money twice.")
        if action.clause.duration_s:
            out.append(f"A {thing} {_participle(action.verb).lower()} expires after {_span(action.clause.duration_s)}.")
        return out

    # -- events ---------------------------------------------------------------------------------------------

    def _fields(self, action: Action, aggregate: KAggregate, event: str, kind: str = "success") -> list[KField]:
        known = self.catalog.get(event)
        if known:
            fields = list(known)
            if all(f.name != aggregate.id_field for f in fields):
                fields.insert(0, KField(name=aggregate.id_field, type="uuid"))
            return fields
        fields = [KField(name=aggregate.id_field, type="uuid", description=f"The {aggregate.name} this is about")]
        if _head(action.obj) != aggregate.id_field.removesuffix("_id") and action.obj:
            ref = f"{snake(action.obj)}_id"
            if ref != aggregate.id_field:
                fields.append(KField(name=ref, type="uuid", description=f"The {action.obj} concerned"))
        for role, party in (("actor", action.actor), ("recipient", action.recipient)):
            if party and snake(_head(party)) + "_id" not in {f.name for f in fields}:
                what = "who acted" if role == "actor" else "who receives it"
                fields.append(KField(name=f"{snake(_head(party))}_id", type="uuid", description=f"The {party}, {what}"))
        if action.money or _head(action.obj) in self.lex.charges:
            fields.append(KField(name="amount", type="decimal", description="Amount in minor-unit precision"))
            fields.append(KField(name="currency", type="string", description="ISO 4217 code"))
        if kind == "failure":
            fields.append(KField(name="reason_code", type="string", description="Why the step failed"))
            fields.append(KField(name="failed_at", type="timestamp"))
            return fields
        stamp = snake(event.removeprefix(pascal(action.obj)) or "occurred") + "_at"
        fields.append(KField(name=stamp, type="timestamp", description="When it happened"))
        if action.clause.duration_s and action.sense.claim:
            fields.append(KField(name="expires_at", type="timestamp", description="When the claim lapses"))
        if action.clause.within_s:
            fields.append(KField(name="due_by", type="timestamp", description="Deadline the brief sets"))
        for noun in {_head(action.obj), action.obj, _head(action.actor), _head(action.recipient)}:
            for extra in self.lex.personal_data.get(noun, []):
                if extra.name not in {f.name for f in fields}:
                    fields.append(extra.model_copy(update={"pii": True}))
        return fields

    def _event(self, context: _Context, aggregate: KAggregate, name: str, action: Action, description: str,
               kind: str = "success") -> None:
        if name in context.events or name in self.aggregate_of:
            return
        context.events[name] = KEvent(
            name=name,
            aggregate=aggregate.name,
            description=description,
            fields=self._fields(action, aggregate, name, kind),
        )
        self.aggregate_of[name] = (context.name, aggregate.name)

    def _command(self, context: _Context, aggregate: KAggregate, name: str, emits: list[str], text: str) -> None:
        if name in context.commands:
            merged = list(dict.fromkeys([*context.commands[name].emits, *emits]))
            context.commands[name] = context.commands[name].model_copy(update={"emits": merged})
            return
        if any(name in c.commands for c in self.contexts.values()):
            return
        context.commands[name] = KCommand(name=name, aggregate=aggregate.name, emits=emits, description=text)

    def _record(self, action: Action) -> tuple[_Context, KAggregate]:
        context = self._context(self._context_for(action))
        aggregate = self._aggregate(context, action)
        what = _describe(action)
        self._event(context, aggregate, action.event, action, what)
        self._command(context, aggregate, action.command, [action.event], _imperative(action))
        emitter = self._emitter(action)
        if emitter:
            self.out.emitted.add(action.event)
        if action.state and action.sense.read_model:
            self.out.latest_state.add(action.event)
        if action.clause.schedule:
            self.out.schedules[action.event] = action.clause.schedule
        if action.clause.within_s:
            self.out.timeouts[action.event] = action.clause.within_s
        if action.sense.failure:
            # An inbound boundary can refuse what arrives ("webhook ingestion"): the refusal is a fact too.
            failure = pascal(action.obj) + _participle(action.sense.failure)
            self._event(context, aggregate, failure, action, f"The {action.obj} was refused.", kind="failure")
            self._command(context, aggregate, action.command, [action.event, failure], _imperative(action))
        if context.first_actor is None:
            context.first_actor = action.actor
        return context, aggregate

    # -- workflow -------------------------------------------------------------------------------------------

    def _chain(self) -> list[Action]:
        """The business transaction: the brief's actions in order, without messages, views and periodic runs."""
        return [
            a
            for a in self.storm.actions
            if not a.otherwise
            and not a.message
            and not a.sense.read_model
            and not a.clause.every_s
            and a.verb not in ("expire", "cancel", "miss")
            and a.event not in self.out.emitted
        ]

    def _workflow(self) -> None:
        chain = self._chain()
        if len(chain) < 3 or (not any(a.money or a.sense.claim for a in chain[1:]) and not chain[0].sense.claim):
            return
        if not any(a.money for a in chain):
            return
        trigger, rest = chain[0], chain[1:]
        contexts = {self._context_for(a) for a in chain}
        if len(contexts) < 2:
            return
        initiator_name = self._context_for(trigger)
        initiator = self._context(initiator_name)
        trigger_aggregate = self._aggregate(initiator, trigger)
        self.trigger_id = trigger_aggregate.id_field
        pivot_at = next((i for i, a in enumerate(rest) if _saga_sense(a).pivot), None)
        if pivot_at is None:
            pivot_at = next((i for i, a in enumerate(rest) if not _saga_sense(a).reverse), None)
        steps: list[StormedStep] = []
        captures: list[StormedStep] = []
        for index, action in enumerate(rest):
            before_pivot = pivot_at is None or index < pivot_at
            if action.verb in _CAPTURED and action.money and before_pivot and pivot_at is not None:
                authorise, capture = self._authorise_and_capture(action)
                steps.append(authorise)
                captures.append(capture)
                continue
            steps.append(self._step(action, pivot=index == pivot_at, compensable=before_pivot))
            if index == pivot_at:
                steps.extend(captures)
                captures = []
        steps.extend(captures)
        if len(steps) < 2:
            return
        agg = trigger_aggregate.name
        reverse = trigger.sense.reverse or "cancel"
        done = f"{agg}Confirmed"
        failed = f"{agg}{_participle(reverse)}"
        self._command(initiator, trigger_aggregate, f"Confirm{agg}", [done], f"Confirm the {trigger.obj}.")
        self._command(initiator, trigger_aggregate, f"{pascal(reverse)}{agg}", [failed],
                      f"{reverse.capitalize()} the {trigger.obj}: the workflow could not finish.")
        self._event(initiator, trigger_aggregate, done, trigger, f"The {trigger.obj} workflow finished: every step succeeded.")
        self._event(initiator, trigger_aggregate, failed, trigger,
                    f"The {trigger.obj} workflow was undone: a step failed or timed out and earlier steps were compensated.")
        initiator.initiates = KSagaInitiator(
            trigger_event=trigger.event,
            completion_command=f"Confirm{agg}",
            completion_event=done,
            failure_command=f"{pascal(reverse)}{agg}",
            failure_event=failed,
        )
        expiry = next((a for a in self.storm.actions if a.verb == "expire"), None)
        self.out.workflow = StormedWorkflow(
            initiator=initiator_name,
            trigger=trigger,
            steps=steps,
            expiry_event=expiry.event if expiry else None,
            expiry_s=trigger.clause.duration_s,
        )

    def _step(self, action: Action, *, pivot: bool, compensable: bool) -> StormedStep:
        context, aggregate = self._record(action)
        self._reference(context, action.event)
        sense = _saga_sense(action)
        failure_verb = sense.failure or "fail"
        failure = f"{pascal(action.obj)}{_participle(failure_verb)}"
        self._event(context, aggregate, failure, action, f"{_describe(action)} could not be done.", kind="failure")
        self._command(context, aggregate, action.command, [action.event, failure], _imperative(action))
        self._reference(context, failure)
        compensation = compensation_command = compensation_event = None
        if compensable and not pivot:
            undo = sense.reverse or "cancel"
            # Undoing an action on a thing another context owns undoes the action, not the thing: "cancel the
            # order fill", not "cancel the order".
            # The action is named by its noun where it has one: "cancel the order approval", not "order approve".
            noun = (lexicon().sense(action.verb).nominal or [action.verb])[0]
            thing = action.obj if self.owner_of.get(action.obj) == context.name else f"{action.obj} {noun}"
            compensation_command = pascal(undo) + pascal(thing)
            compensation_event = pascal(thing) + _participle(undo)
            compensation = f"{undo.capitalize()} the {action.obj} (undoes '{action.verb}')."
            self._event(context, aggregate, compensation_event, action, f"The {action.obj} was {_participle(undo).lower()}: the workflow is being undone.")
            self._command(context, aggregate, compensation_command, [compensation_event], compensation)
        timeout = action.clause.within_s or action.sense.timeout_s or (
            MONEY_STEP_TIMEOUT_S if action.money else DEFAULT_STEP_TIMEOUT_S
        )
        step = KSagaStep(
            rank=action.order,
            action=_imperative(action),
            command=action.command,
            success_event=action.event,
            failure_event=failure,
            side_effect=True,
            compensation=compensation,
            compensation_command=compensation_command,
            compensation_event=compensation_event,
            timeout_s=timeout,
            retriable=True,
            pivot=pivot,
        )
        return StormedStep(context=context.name, step=step)

    def _reference(self, context: _Context, event: str) -> None:
        """A step's facts name the business transaction they belong to (the workflow's trigger)."""
        trigger = self.trigger_id
        found = context.events.get(event)
        if trigger is None or found is None or any(f.name == trigger for f in found.fields):
            return
        ref = KField(name=trigger, type="uuid", description="The business transaction this step belongs to")
        context.events[event] = found.model_copy(update={"fields": [found.fields[0], ref, *found.fields[1:]]})

    def _authorise_and_capture(self, action: Action) -> tuple[StormedStep, StormedStep]:
        """Money taken before the point of no return is authorised there and captured after it."""
        obj = action.obj if action.obj != "card" else "payment"
        authorise = _derived(action, "authorize", obj)
        capture = _derived(action, "capture", obj)
        first = self._step(authorise, pivot=False, compensable=True)
        second = self._step(capture, pivot=False, compensable=False)
        return first, second

    # -- reactions --------------------------------------------------------------------------------------------

    def _reactions(self) -> None:
        """Each action's context reacts to the fact before it; notifications react to what they announce."""
        previous: Action | None = None
        in_saga = set()
        if self.out.workflow is not None:
            in_saga = {s.step.success_event for s in self.out.workflow.steps} | {self.out.workflow.trigger.event}
        stream = next((a for a in self.storm.actions if a.event in self.out.emitted), None)
        for action in self.storm.actions:
            context = self._context_for(action)
            if previous is not None and action.event not in in_saga:
                source_context = self._context_for(previous)
                cause = previous
                if action.otherwise:
                    cause = self._condition_cause(action) or previous
                    source_context = self._context_for(cause)
                elif action.conditional or self._conditions_of(action):
                    cause = self._conditional_cause(action, previous)
                    source_context = self._context_for(cause)
                elif not action.clause.continues and stream is not None and stream is not action:
                    # "bills are computed monthly", "outages trigger alerts": a new statement about a fleet's data
                    # is derived from the stream the fleet emits, not from the sentence before it.
                    cause = stream
                    source_context = self._context_for(cause)
                if source_context != context:
                    self._context(context).reactions.append(
                        KReaction(
                            domain=snake(source_context),
                            event=cause.event,
                            action=_imperative(action),
                            emits=[action.event],
                        )
                    )
            if not action.message:
                previous = action
            if action.recipient and not action.message and action.sense.perspective is None and (
                _head(action.obj) in self.lex.documents
            ):
                self._deliver(action)

    def _owners(self, action: Action) -> list[Action]:
        """The actions of the clause this condition belongs to: "published" in "published only when ... ready"."""
        index = action.clause.condition_of
        if index is None:
            return []
        owner = self.storm.clauses[index]
        return [a for a in self.storm.actions if a.clause is owner]

    def _conditions_of(self, action: Action) -> list[Action]:
        """The conditions that must hold before this action: "when every rendition is ready", "if approved"."""
        return [
            a
            for a in self.storm.actions
            if a.clause.condition_of is not None
            and a.clause.condition_word not in _AFTERWARDS
            and not a.otherwise
            and action in self._owners(a)
        ]

    def _conditional_cause(self, action: Action, previous: Action) -> Action:
        """A condition comes first and its owner reacts to it; "before" and "until" turn the order round."""
        conditions = self._conditions_of(action)
        if conditions:
            return conditions[-1]
        owners = self._owners(action)
        if not owners:
            return previous
        if action.clause.condition_word in _AFTERWARDS:
            return owners[-1]  # "retried before the creator is told": the creator is told after the retries
        first = min(o.order for o in owners)
        earlier = [a for a in self.storm.actions if a.order < first and not a.message]
        return earlier[-1] if earlier else previous

    def _condition_cause(self, action: Action) -> Action | None:
        siblings = [a for a in self.storm.actions if a.clause.condition_of is not None and a is not action]
        return siblings[-1] if siblings else None

    def _confirm(self, action: Action) -> None:
        """One context alone still owes the party an answer: notifications confirm the outcome to them."""
        if self._context_for(action) == NOTIFICATION:
            return
        party = action.actor or action.recipient or "requester"
        confirmed = _derived(action, "send", f"{action.obj} confirmation")
        confirmed.sense = KVerb(message=True, participle="Sent")
        confirmed.recipient = party
        context = self._context(NOTIFICATION)
        aggregate = self._aggregate(context, confirmed)
        name = pascal(f"{action.obj} confirmation") + "Sent"
        self._event(context, aggregate, name, confirmed, f"The {party} was told that the {action.obj} was recorded.")
        self._command(context, aggregate, f"Send{pascal(action.obj)}Confirmation", [name], "Send the confirmation.")
        context.reactions.append(
            KReaction(
                domain=snake(self._context_for(action)),
                event=action.event,
                action=f"confirm the {action.obj} to the {party}",
                emits=[name],
            )
        )

    def _deliver(self, action: Action) -> None:
        """What a person receives must reach them: notifications deliver it and record that they did."""
        delivered = _derived(action, "deliver", action.obj)
        delivered.sense = KVerb(message=True, participle="Delivered")
        context = self._context(NOTIFICATION)
        aggregate = self._aggregate(context, delivered)
        name = pascal(action.obj) + "Delivered"
        self._event(context, aggregate, name, delivered, f"The {action.obj} reached the {action.recipient}.")
        self._command(context, aggregate, f"Deliver{pascal(action.obj)}", [name], f"Deliver the {action.obj}.")
        context.reactions.append(
            KReaction(
                domain=snake(self._context_for(action)),
                event=action.event,
                action=f"deliver the {action.obj} to the {action.recipient}",
                emits=[name],
            )
        )

    # -- assembly ---------------------------------------------------------------------------------------------

    def _claims(self) -> None:
        """ "fans hold seats …; unpaid holds expire": the hold is the claim on the seat, so its facts are the seat's."""
        for claim in (a for a in self.storm.actions if a.sense.claim):
            nouns = set(claim.sense.nominal) | {claim.verb}
            for action in self.storm.actions:
                if action is not claim and action.obj in nouns and action.context is None:
                    action.obj = claim.obj
                    action.context = self._context_for(claim)

    def build(self) -> Synthesis:
        self._claims()
        for action in self.storm.actions:
            self._record(action)
        self._workflow()
        self._reactions()
        if len([c for c in self.contexts.values() if c.events]) < 2 and self.storm.actions:
            self._confirm(self.storm.actions[-1])
        for action in self.storm.actions:
            if self._emitter(action):
                self.out.keys[action.event] = f"{snake(self._emitter(action) or '')}_id"
        out: list[Domain] = []
        for context in self.contexts.values():
            if not context.events:
                continue
            name = snake(context.name)
            out.append(
                Domain(
                    name=name,
                    title=context.name.capitalize(),
                    description=_context_description(context),
                    synonyms=[context.name],
                    service=f"{kebab(context.name)}-service",
                    bounded_context=pascal(context.name),
                    aggregates=list(context.aggregates.values()),
                    commands=list(context.commands.values()),
                    events=list(context.events.values()),
                    reacts_to=[r for r in context.reactions if snake(r.domain) != name],
                    projections=[],
                    saga=KSagaRole(initiates=context.initiates),
                    throughput="medium",
                )
            )
        self.out.domains = out
        return self.out


def _saga_sense(action: Action) -> KVerb:
    """ "the bank issues a provisional credit": issuing money is the money's own verb (a credit can be reversed)."""
    own = lexicon().verb(_head(action.obj))
    if action.verb in ("issue", "grant", "send") and own is not None and own.money:
        return own
    return action.sense


def _derived(action: Action, verb: str, obj: str) -> Action:
    sense = lexicon().sense(verb)
    return Action(
        order=action.order,
        verb=verb,
        obj=obj,
        event=pascal(obj) + _participle(verb),
        command=pascal(verb) + pascal(obj),
        actor=action.actor,
        recipient=action.recipient,
        context=action.context,
        source=action.source,
        clause=action.clause,
        sense=sense.model_copy(update={"money": action.money or sense.money}),
    )


def _describe(action: Action) -> str:
    who = f" by the {action.actor}" if action.actor else ""
    to = f" for the {action.recipient}" if action.recipient else ""
    return f"The {action.obj} was {_participle(action.verb).lower()}{who}{to} (from the brief: '{action.source}')."


def _imperative(action: Action) -> str:
    return f"{action.verb.capitalize()} the {action.obj}."


def _context_description(context: _Context) -> str:
    things = ", ".join(a.name for a in context.aggregates.values())
    facts = ", ".join(list(context.events)[:4])
    return f"Owns {things}: records {facts}{'…' if len(context.events) > 4 else ''}."


def _span(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} s"


def synthesise(found: Storm) -> Synthesis:
    return _Builder(found).build()
