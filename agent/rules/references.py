"""EDA92x: the design hangs together: names resolve, nothing is defined twice, nothing is orphaned, no loop runs
forever."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import (
    BLANKET_ALERT_TARGETS,
    DesignIndex,
    is_dead_letter_topic,
    is_retry_topic,
)

Reference = tuple[str, str | None, str]  # (pointer, name, what it should name)


def _many(pointer: str, names: Iterable[str], kind: str) -> Iterator[Reference]:
    for number, name in enumerate(names):
        yield f"{pointer}/{number}", name, kind


def references(design: Design) -> Iterator[Reference]:
    """Every name the design uses to point at another part, with its pointer and the kind it must name."""
    for i, event in enumerate(design.events):
        yield f"/events/{i}/producer", event.producer, "service"
        yield f"/events/{i}/aggregate", event.aggregate, "aggregate"
        yield f"/events/{i}/topic", event.topic, "topic"
        yield from _many(f"/events/{i}/ordered_with", event.ordered_with, "event")
    for i, aggregate in enumerate(design.aggregates):
        yield f"/aggregates/{i}/service", aggregate.service, "service"
        yield from _many(f"/aggregates/{i}/commands", aggregate.commands, "command")
        yield from _many(f"/aggregates/{i}/events", aggregate.events, "event")
    for i, command in enumerate(design.commands):
        yield f"/commands/{i}/aggregate", command.aggregate, "aggregate"
        yield f"/commands/{i}/topic", command.topic, "topic"
        yield from _many(f"/commands/{i}/emits", command.emits, "event")
    for i, service in enumerate(design.services):
        yield from _many(f"/services/{i}/aggregates", service.aggregates, "aggregate")
        yield from _many(f"/services/{i}/publishes", service.publishes, "message")
        yield from _many(f"/services/{i}/consumes", service.consumes, "message")
    for i, topic in enumerate(design.topics):
        yield from _many(f"/topics/{i}/events", topic.events, "event")
        yield from _many(f"/topics/{i}/commands", topic.commands, "command")
    for i, consumer in enumerate(design.consumers):
        yield f"/consumers/{i}/service", consumer.service, "service"
        yield from _many(f"/consumers/{i}/subscriptions", consumer.subscriptions, "message")
        yield from _many(f"/consumers/{i}/emits", consumer.emits, "message")
        if consumer.dead_letter:
            yield f"/consumers/{i}/dead_letter/topic", consumer.dead_letter.topic, "topic"
    for i, projection in enumerate(design.projections):
        yield f"/projections/{i}/service", projection.service, "service"
    for i, saga in enumerate(design.sagas):
        yield f"/sagas/{i}/orchestrator", saga.orchestrator, "service"
        for field_name in ("trigger_event", "completion_event", "failure_event"):
            yield f"/sagas/{i}/{field_name}", getattr(saga, field_name), "event"
        for j, step in enumerate(saga.steps):
            base = f"/sagas/{i}/steps/{j}"
            yield f"{base}/service", step.service, "service"
            yield f"{base}/command", step.command, "command"
            yield f"{base}/compensation_command", step.compensation_command, "command"
            for field_name in ("success_event", "failure_event", "compensation_event"):
                yield f"{base}/{field_name}", getattr(step, field_name), "event"
    for i, alert in enumerate(design.observability.alerts):
        yield f"/observability/alerts/{i}/target", alert.target, "alert target"


def _resolver(index: DesignIndex) -> Callable[[str, str], bool]:
    """A function telling whether a name resolves to a part of the given kind."""
    tables: dict[str, Container[str]] = {
        "service": index.services,
        "aggregate": index.aggregates,
        "event": index.events,
        "command": index.commands,
        "topic": index.topics,
    }
    alert_targets = (
        set(index.topics)
        | set(index.consumers)
        | index.consumer_groups
        | set(index.projections)
        | set(index.services)
    )

    def resolves(name: str, kind: str) -> bool:
        if kind == "message":
            return name in index.events or name in index.commands
        if kind == "alert target":
            return name.strip().lower() in BLANKET_ALERT_TARGETS or name in alert_targets
        return name in tables[kind]

    return resolves


@rule("EDA921", "reference-unresolved", severity="error")
def reference_unresolved(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A name used somewhere in the design does not match any service, aggregate, command, event or topic.

    Why: Parts of a design point at each other by name. A dangling name is a typo or a leftover from a rename, and
    the part it belongs to silently does nothing: a consumer subscribed to a misspelt event never receives
    anything.

    Anti-pattern: `consumers: [{name: billing, subscriptions: [OrderPlace]}]` when the event is `OrderPlaced`.

    Fix: Use the exact name of a declared part, or declare the missing part.
    """
    resolves = _resolver(index)
    for pointer, name, kind in references(design):
        if name and not resolves(name, kind):
            wanted = "event or command" if kind == "message" else kind
            yield Violation(
                pointer, f"'{name}' is not a declared {wanted}", f"use a declared {wanted} or declare it"
            )


@rule("EDA922", "duplicate-definition", severity="error")
def duplicate_definition(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Two parts of the same kind share a name.

    Why: Everything else refers to parts by name, so a duplicate makes every reference ambiguous: which of the two
    `OrderPlaced` events does the consumer get, and which schema is registered?

    Anti-pattern: two events named `OrderPlaced`, with different fields.

    Fix: Merge the duplicates, or rename one (and raise its version if it replaces the other).
    """
    kinds: dict[str, list[str]] = {
        "events": [e.name for e in design.events],
        "commands": [c.name for c in design.commands],
        "services": [s.name for s in design.services],
        "topics": [t.name for t in design.topics],
        "aggregates": [a.name for a in design.aggregates],
        "consumers": [c.name for c in design.consumers],
        "projections": [p.name for p in design.projections],
        "sagas": [s.name for s in design.sagas],
    }
    for kind, names in kinds.items():
        counts = Counter(names)
        seen: set[str] = set()
        for position, name in enumerate(names):
            if counts[name] > 1 and name in seen:
                yield Violation(
                    f"/{kind}/{position}/name",
                    f"{kind[:-1]} '{name}' is defined {counts[name]} times",
                    "merge the definitions or rename one",
                )
            seen.add(name)


@rule("EDA923", "event-without-consumer", severity="warning")
def event_without_consumer(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event has no consumer, projection or saga reading it, and is not published for outside consumers.

    Why: An event nobody reads is either dead weight (schema, topic, monitoring to maintain for nothing) or a sign
    that a reaction was forgotten in the design.

    Anti-pattern: `OrderArchived` produced by `order-service` with no subscriber and `external: false`.

    Fix: Add the consumer that should react, mark the event `external: true` if it is published for systems
    outside this design, or remove it.
    """
    for position, event in enumerate(design.events):
        if not event.external and event.name not in index.consumed:
            yield Violation(
                f"/events/{position}",
                f"event '{event.name}' has no consumer",
                "add the consumer that reacts to it, mark it external: true, or remove it",
            )


@rule("EDA924", "consumer-without-subscriptions", severity="warning")
def consumer_without_subscriptions(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer subscribes to nothing.

    Why: A consumer of nothing is dead configuration: it will be deployed, monitored and paid for, and never
    do anything.

    Anti-pattern: `{name: audit-writer, subscriptions: []}`.

    Fix: List the events or commands it handles, or remove it.
    """
    for position, consumer in enumerate(design.consumers):
        if not consumer.subscriptions:
            yield Violation(
                f"/consumers/{position}/subscriptions",
                f"consumer '{consumer.name}' subscribes to nothing",
                "list the events or commands it handles, or remove it",
            )


def _message_graph(design: Design) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for consumer in design.consumers:
        if not consumer.emits:
            continue
        for name in consumer.subscriptions:
            graph[name].update(consumer.emits)
    for command in design.commands:
        graph[command.name].update(command.emits)
    return graph


def strongly_connected_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of messages that can cause each other in a loop (Tarjan's algorithm, iterative)."""
    counter = 0
    number: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    loops: list[list[str]] = []
    for root in list(graph):
        if root in number:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph.get(root, ()))))]
        number[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for following in successors:
                if following not in number:
                    number[following] = low[following] = counter
                    counter += 1
                    stack.append(following)
                    on_stack.add(following)
                    work.append((following, iter(sorted(graph.get(following, ())))))
                    advanced = True
                    break
                if following in on_stack:
                    low[node] = min(low[node], number[following])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == number[node]:
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in graph.get(node, ()):
                    loops.append(sorted(members))
    return loops


@rule("EDA925", "event-cycle", severity="error")
def event_cycle(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Messages cause each other in a loop that nothing ends.

    Why: If handling A emits B and handling B emits A again, one message starts an endless storm that fills
    topics and burns every consumer on the way. The graph checked is message -> consumers subscribed to it ->
    messages they emit (and command -> events it emits). A loop is accepted only when one of its messages belongs
    to a saga (its trigger, a step's command or outcome, or a terminal event): the saga's durable state runs each
    step at most once per instance, which ends the loop.

    Anti-pattern: `price-service` handles `OrderUpdated` and emits `PriceRecalculated`; `order-service` handles
    `PriceRecalculated` and emits `OrderUpdated`.

    Fix: Break the loop (emit only when something actually changed, and say so in a distinct event), or drive the
    exchange from a saga whose state ends it.
    """
    for members in strongly_connected_loops(_message_graph(design)):
        if any(name in index.saga_names for name in members):
            continue
        events = [index.events[name] for name in members if name in index.events]
        commands = [index.commands[name] for name in members if name in index.commands]
        pointer = f"/events/{min(events)}" if events else (f"/commands/{min(commands)}" if commands else "")
        shown = ", ".join(members[:6]) + (", ..." if len(members) > 6 else "")
        yield Violation(
            pointer,
            f"messages {shown} cause each other in a loop with no end",
            "break the loop, or let a saga drive the exchange so its state ends it",
        )


@rule("EDA926", "topic-unused", severity="info")
def topic_unused(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A topic carries no events or commands and is no consumer's dead-letter destination.

    Why: Unused topics cost partitions, replication and attention, and invite someone to start publishing
    unrelated data to them.

    Anti-pattern: `topics: [{name: orders.legacy, events: []}]` that nothing references.

    Fix: Remove the topic, or assign the events that should travel on it.
    """
    command_topics = set(index.command_topic.values())
    for position, topic in enumerate(design.topics):
        if (
            index.topic_events.get(topic.name)
            or topic.commands
            or topic.name in command_topics
            or topic.name in index.dead_letter_destinations
        ):
            continue
        kind = "dead-letter topic" if is_dead_letter_topic(topic) or is_retry_topic(topic) else "topic"
        yield Violation(
            f"/topics/{position}",
            f"{kind} '{topic.name}' is not used by any event, command or consumer",
            "remove it, or assign the messages that should travel on it",
        )


@rule("EDA927", "suppression-invalid", severity="warning")
def suppression_invalid(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A suppression names an unknown rule or gives no real reason.

    Why: Suppressions are decisions to accept a risk. One without a reason cannot be reviewed later, and one that
    names an unknown rule suppresses nothing while looking like it does.

    Anti-pattern: `suppressions: [{code: EDA999, reason: " "}]`.

    Fix: Name an existing rule code and say why the finding does not apply here.
    """
    from archassist.agent.rules import get_rule, nearest_code

    for position, suppression in enumerate(design.suppressions):
        if get_rule(suppression.code) is None:
            near = nearest_code(suppression.code)
            hint = f"did you mean {near}?" if near else "see `archassist rules`"
            yield Violation(
                f"/suppressions/{position}/code",
                f"suppression names unknown rule '{suppression.code}'",
                hint,
            )
        if not suppression.reason.strip():
            yield Violation(
                f"/suppressions/{position}/reason",
                f"suppression of {suppression.code} gives no reason and is not applied",
                "say why the finding does not apply to this design",
            )


@rule("EDA928", "command-consumed-from-no-topic", severity="warning")
def command_consumed_from_no_topic(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A consumer subscribes to a command that travels on no topic.

    Why: A consumer reads from topics. A command it subscribes to that no topic carries never reaches it:
    either the command is really a synchronous call (and the consumer is fiction) or its topic was forgotten,
    and the handler waits forever.

    Anti-pattern: `consumers: [{name: payment-handler, subscriptions: [CapturePayment]}]` while `CapturePayment`
    has no `topic` and no topic lists it in `commands`.

    Fix: Put the command on the handling service's command topic (`topic: payments.commands`, and list it in that
    topic's `commands`), or model the request as the synchronous call it is.
    """
    for position, consumer in enumerate(design.consumers):
        for name in consumer.subscriptions:
            if name in index.commands and name not in index.events and index.topic_of(name) is None:
                yield Violation(
                    f"/consumers/{position}/subscriptions",
                    f"consumer '{consumer.name}' subscribes to command '{name}', which travels on no topic",
                    f"set topic on command '{name}' (e.g. <domain>.commands) and list it on that topic",
                )
