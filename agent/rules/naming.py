"""EDA1xx: names say what a message is. Events are facts in the past tense; commands are requests in the imperative."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archassist.agent.model.design import Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import BROKERS, DesignIndex
from archassist.agent.rules.words import (
    fact_name,
    has_past_tense_word,
    is_past_participle,
    pascal_case,
    reads_as_command,
    split_words,
)

_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _named_like_command(name: str, index: DesignIndex) -> bool:
    return name in index.commands or reads_as_command(name)


@rule("EDA101", "event-named-like-command", severity="error")
def event_named_like_command(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is named like a command: an imperative verb, or the name of a declared command.

    Why: An event records something that already happened and cannot be refused; a command asks for something
    that may still be rejected. A message named `ReserveStock` that is published as an event leaves every
    consumer guessing whether stock is reserved or merely wanted, and invites consumers to "execute" it, which
    turns a broadcast into hidden point-to-point control.

    Anti-pattern: `events: [{name: ReserveStock, producer: order-service}]`, or an event and a command that
    share the name `PlaceOrder`.

    Fix: Name the fact in the past tense (`StockReserved`). If the message really asks a service to act, model it
    as a command sent to that one service and let the service publish the resulting event. Messages whose `role`
    is command, request or reply are not events and are not checked here.
    """
    for position, event in enumerate(design.events):
        if event.role != "event" or not _named_like_command(event.name, index):
            continue
        reason = "is also a command's name" if event.name in index.commands else "reads as an instruction"
        example = f" ({fact_name(event.name)})"
        yield Violation(
            f"/events/{position}/name",
            f"event '{event.name}' {reason}; events state facts that already happened",
            f"rename it to the past-tense fact{example}, or model the request as a command",
        )


@rule("EDA102", "event-not-past-tense", severity="warning", protocols=BROKERS - {"mqtt"})
def event_not_past_tense(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event name holds no past-tense verb.

    Why: A past participle (`Placed`, `Captured`, `Sent`) tells readers that the event is an immutable fact.
    Nouns (`Order`, `Payment`) or present-tense names (`OrderShips`) hide whether the message is a state dump,
    a notification or a request, and make the catalog hard to read.

    Anti-pattern: `name: PaymentStatus` or `name: OrderShips`.

    Fix: Name the state change in the past tense: `PaymentCaptured`, `OrderShipped`. A reached state reads as a
    fact too (`ItemOutOfStock`, `DriverWentOnline`). Commands, requests and replies are not checked, nor are the
    frames of HTTP and WebSocket streams (an API's messages rather than events on a broker) or MQTT topics, whose
    messages are mostly device state and telemetry published under the state's own name.
    """
    for position, event in enumerate(design.events):
        if event.role != "event" or _named_like_command(event.name, index) or has_past_tense_word(event.name):
            continue
        yield Violation(
            f"/events/{position}/name",
            f"event '{event.name}' has no past-tense verb; an event should name a fact",
            f"rename it to the fact it records, in the past tense (e.g. {fact_name(event.name)})",
        )


@rule("EDA103", "command-named-like-event", severity="warning")
def command_named_like_event(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A command is named like an event: it ends in a past-tense verb.

    Why: A command is a request addressed to one handler that may refuse it; naming it like a fact
    (`OrderPlaced`) blurs the line between what was asked and what happened, and makes it easy to publish
    requests as if they were facts.

    Anti-pattern: `commands: [{name: PaymentCaptured, aggregate: Payment}]`.

    Fix: Use the imperative for commands (`CapturePayment`) and keep the past tense for the event it emits.
    """
    for position, command in enumerate(design.commands):
        words = split_words(command.name)
        if words and is_past_participle(words[-1]) and not reads_as_command(command.name):
            yield Violation(
                f"/commands/{position}/name",
                f"command '{command.name}' is named like an event",
                "name it with an imperative verb first, e.g. CapturePayment",
            )


@rule("EDA104", "message-name-not-pascal-case", severity="warning")
def message_name_not_pascal_case(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event or command name is not PascalCase.

    Why: Event and command names become type names in code, schema-registry subjects and documentation. One
    consistent convention keeps them searchable and stops near-duplicates (`order_placed`, `OrderPlaced`,
    `order.placed`) from appearing as different messages.

    Anti-pattern: `name: order_placed` or `name: order.placed.v1`.

    Fix: Use PascalCase (`OrderPlaced`) and carry the version in the `version` field, not in the name.
    """
    names = (("events", [e.name for e in design.events]), ("commands", [c.name for c in design.commands]))
    for kind, items in names:
        for position, name in enumerate(items):
            if not _PASCAL.match(name):
                yield Violation(
                    f"/{kind}/{position}/name",
                    f"{kind[:-1]} name '{name}' is not PascalCase",
                    f"rename it to {pascal_case(name) or 'a PascalCase name'}",
                )
