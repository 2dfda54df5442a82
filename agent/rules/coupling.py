"""EDA8xx: services stay decoupled: no synchronous chains, no RPC over the bus, no shared database, no addressed
events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import BROKERS, DesignIndex
from archassist.agent.rules.words import split_words

SERVICE_SUFFIXES = frozenset({"service", "svc", "worker", "app", "api", "system"})


@rule("EDA801", "sync-call-on-event-path", severity="warning")
def sync_call_on_event_path(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A service calls another service synchronously while handling an event or command.

    Why: A synchronous call inside an event handler couples the two services in time: when the callee is slow
    or down, the handler fails, retries pile up, and the outage spreads along the event flow that was meant to
    isolate it.

    Anti-pattern: `shipping-service` calls `GET /orders/{id}` on `order-service` from its `OrderPaid` handler.

    Fix: Carry the needed data in the event, or keep a local read model fed by the other service's events.
    """
    for position, service in enumerate(design.services):
        for number, call in enumerate(service.sync_calls):
            if call.on_event_path and call.target in index.services and call.target != service.name:
                purpose = f" ({call.purpose})" if call.purpose else ""
                yield Violation(
                    f"/services/{position}/sync_calls/{number}",
                    f"service '{service.name}' calls '{call.target}' synchronously on the event path{purpose}",
                    "carry the data in the event, or keep a local read model fed by the target's events",
                )


def _reply_services(index: DesignIndex, event_name: str) -> set[str]:
    """Services that consume something emitted by the handlers of this event."""
    found: set[str] = set()
    for handler in index.consumers_of(event_name):
        for reply in handler.emits:
            found.update(consumer.service for consumer in index.consumers_of(reply))
    return found


@rule("EDA802", "request-reply-over-bus", severity="warning", protocols=BROKERS)
def request_reply_over_bus(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is used as a request that waits for a reply.

    Why: Request and response over a broker combine the latency of messaging with the coupling of a remote call:
    the requester waits on a specific answer, correlates replies, and handles timeouts by hand. An event is a
    fact for anyone; if a specific answer is needed, a command (in a saga) or a direct call says so honestly.

    Anti-pattern: `order-service` publishes `CreditCheckRequested` and waits for `CreditCheckReplied` from
    `risk-service`, or an event with `expects_reply: true`.

    Fix: Send a command inside a saga with a timeout and compensation, use a synchronous API for low-latency
    queries, or let the other service publish its own facts that the requester reacts to.
    """
    for position, event in enumerate(design.events):
        if event.expects_reply:
            yield Violation(
                f"/events/{position}/expects_reply",
                f"event '{event.name}' expects a reply: request/response over the bus",
                "model it as a command in a saga, or a synchronous query if an answer is needed now",
            )
            continue
        words = split_words(event.name)
        if not words or words[-1] != "requested" or event.name in index.saga_names:
            continue
        requesters = index.producers.get(event.name, set())
        repliers_consumed_by = _reply_services(index, event.name)
        looped = sorted(requesters & repliers_consumed_by)
        if looped:
            yield Violation(
                f"/events/{position}/name",
                f"'{event.name}' is a request: its producer '{looped[0]}' consumes the reply to it",
                "make it a command handled in a saga, or have the requester react to the other service's facts",
            )


@rule("EDA803", "shared-database", severity="error")
def shared_database(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """Two services use the same database.

    Why: A shared database is a hidden, synchronous, schema-level contract: one team's migration breaks the other,
    and data changes bypass the events that are supposed to announce them.

    Anti-pattern: `order-service` and `shipping-service` both with `database: commerce-db`.

    Fix: Give each service its own database (or at least its own schema with no cross-access) and share data
    through events.
    """
    owners: dict[str, str] = {}
    for position, service in enumerate(design.services):
        if not service.database:
            continue
        key = service.database.strip().lower()
        first = owners.setdefault(key, service.name)
        if first != service.name:
            yield Violation(
                f"/services/{position}/database",
                f"service '{service.name}' shares database '{service.database}' with '{first}'",
                "give each service its own database and share data through events",
            )


def _service_name_forms(design: Design) -> dict[tuple[str, ...], str]:
    forms: dict[tuple[str, ...], str] = {}
    for service in design.services:
        words = split_words(service.name)
        if not words:
            continue
        if words[-1] in SERVICE_SUFFIXES:
            forms[words] = service.name
        else:
            # a bare domain word ("billing") is only an address when the name says "to billing" / "for billing"
            forms[("to", *words)] = service.name
            forms[("for", *words)] = service.name
    return forms


@rule("EDA804", "event-names-consumer", severity="warning")
def event_names_consumer(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event's name addresses another service.

    Why: An event describes what happened in its producer; it should not know who reacts. A name such as
    `SendEmailToNotificationService` is a command in disguise, and every new consumer needs a new event.

    Anti-pattern: `SendEmailToNotificationService`, `InventoryServiceUpdateNeeded`.

    Fix: Name the fact in the producer's language (`OrderConfirmed`) and let the notification and inventory
    services subscribe to it.
    """
    forms = _service_name_forms(design)
    lengths = sorted({len(form) for form in forms})
    if not lengths:
        return
    for position, event in enumerate(design.events):
        words = split_words(event.name)
        producers = index.producers.get(event.name, set())
        hit = None
        for size in lengths:
            for start in range(len(words) - size + 1):
                service = forms.get(words[start : start + size])
                if service and service not in producers:
                    hit = service
                    break
            if hit:
                break
        if hit:
            yield Violation(
                f"/events/{position}/name",
                f"event '{event.name}' names the service '{hit}'; events should not know their consumers",
                "name the fact that happened in the producer and let that service subscribe",
            )


@rule("EDA805", "command-multiple-handlers", severity="warning")
def command_multiple_handlers(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A command is handled by consumers in more than one service.

    Why: A command asks one service to do one thing and may be refused by it. If several services handle the
    same command, it is really an event, and the sender cannot know whose answer counts.

    Anti-pattern: `ReserveStock` consumed by both `inventory-service` and `warehouse-service`.

    Fix: Send the command to one owning service; if several must react, publish an event instead.
    """
    services_by_command: dict[str, set[str]] = defaultdict(set)
    for position, command in enumerate(design.commands):
        for consumer in index.consumers_of(command.name):
            services_by_command[command.name].add(consumer.service)
        handlers = services_by_command[command.name]
        if len(handlers) > 1:
            yield Violation(
                f"/commands/{position}",
                f"command '{command.name}' is handled by {len(handlers)} services: {', '.join(sorted(handlers))}",
                "route the command to one owning service, or publish an event if several must react",
            )
