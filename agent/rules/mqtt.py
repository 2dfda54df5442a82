"""AAPI201–AAPI205: MQTT's own conventions, checked on what an AsyncAPI document declares for its MQTT channels.

These rules read the document's MQTT bindings (quality of service, retained messages, clean sessions) and topic
addresses, which the Design does not carry (see archassist.agent.asyncapi.mqtt). They share the design rules'
shape (a code, a slug, a severity, a docstring with Why / Anti-pattern / Fix) and their findings point into the
document; their codes are AsyncAPI's (`AAPI` + number), in the 200s for protocol conventions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from archassist.agent.asyncapi.mqtt import MqttMessage, MqttOperation, MqttView
from archassist.agent.model.findings import Finding, Severity
from archassist.agent.rules.base import RuleDoc, Violation, parse_doc

MqttCheck = Callable[[MqttView], Iterable[Violation]]
_CODE = re.compile(r"^AAPI2\d\d$")


@dataclass(frozen=True, slots=True)
class MqttRule:
    code: str
    name: str
    severity: Severity
    function: MqttCheck
    doc: RuleDoc
    # Design rule codes whose finding on the same channel only says the same thing less precisely.
    covers: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return "mqtt"

    @property
    def summary(self) -> str:
        return self.doc.summary

    def check(self, view: MqttView) -> Iterator[Finding]:
        for violation in self.function(view):
            yield violation.finding(self.code, self.name, self.severity)


MQTT_RULES: list[MqttRule] = []


def mqtt_rule(
    code: str, name: str, *, severity: Severity, covers: tuple[str, ...] = ()
) -> Callable[[MqttCheck], MqttRule]:
    if not _CODE.match(code):
        raise ValueError(f"MQTT rule code {code!r} must look like AAPI201")

    def register(function: MqttCheck) -> MqttRule:
        if not function.__doc__:
            raise ValueError(f"rule {code} needs a docstring")
        made = MqttRule(code, name, severity, function, parse_doc(function.__doc__), covers)
        MQTT_RULES.append(made)
        return made

    return register


def get_mqtt_rule(code: str) -> MqttRule | None:
    key = code.strip()
    return next((r for r in MQTT_RULES if key.upper() == r.code or key.lower() == r.name), None)


def check_mqtt(view: MqttView) -> list[Finding]:
    """Every MQTT rule's findings on one document's MQTT view, pointing into the document."""
    return [finding for rule in MQTT_RULES for finding in rule.check(view)]


# What a lost or replayed message costs, by kind, in the findings' words.
_MUST_ARRIVE = ("command", "request", "reply", "event")
_KIND_WORDS = {"command": "command", "request": "request", "reply": "reply", "event": "state change"}
_LOSS = {
    "command": "a device that is offline or reconnecting never carries it out",
    "request": "a request lost on a reconnect leaves its sender waiting for a reply that never comes",
    "reply": "a reply lost on a reconnect leaves the requester waiting until it times out",
    "event": "a subscriber that reconnects misses the change and keeps acting on the old state",
}


def _what(message: MqttMessage) -> str:
    """'the command dimLight', or 'the state change (the message of operation x)' for an unnamed message."""
    kind = _KIND_WORDS[message.kind]
    if message.words.startswith("message "):
        return f"the {kind} {message.words.removeprefix('message ')}"
    return f"the {kind} ({message.words})"


def _verb(operation: MqttOperation) -> str:
    return "publishes" if operation.sends else "subscribes to"


def _must_arrive(operation: MqttOperation) -> list[MqttMessage]:
    return [m for m in operation.messages if m.kind in _MUST_ARRIVE]


@mqtt_rule("AAPI201", "mqtt-qos-zero-for-what-must-arrive", severity="warning")
def qos_zero_for_what_must_arrive(view: MqttView) -> Iterator[Violation]:
    """A command, request, reply or state change travels at MQTT QoS 0, declared or by default.

    Why: QoS 0 is fire and forget: the broker does not store the message for a client that is offline or
    reconnecting, and nothing is resent when a connection drops mid-flight. For telemetry that is fine (the next
    reading replaces a lost one); an order to a device, a request or its reply, or a change of state is simply gone,
    and nothing tells anyone. A subscription's QoS caps what it receives, so QoS 0 on either side is QoS 0. Clients
    publish and subscribe at QoS 0 unless told otherwise, so a document that declares no QoS for commands or
    requests leaves them at most once (an info finding).

    Anti-pattern: `turnOn` sends the streetlight's `turnOnOff` command with `bindings: {mqtt: {qos: 0}}`, or
    with no QoS at all; a notification service subscribes to `comment/liked` at QoS 0.

    Fix: Declare `bindings: {mqtt: {qos: 1}}` on the operation (or in an operation trait every such operation
    uses), and make the handler idempotent, since QoS 1 can deliver a message twice; use QoS 2 only where a
    duplicate does harm that idempotency cannot undo. Leave telemetry at QoS 0.
    """
    for operation in view.operations:
        must = _must_arrive(operation)
        if not must:
            continue
        what = ", ".join(_what(m) for m in must[:3]) + (", …" if len(must) > 3 else "")
        kind = must[0].kind
        if operation.qos == 0:
            yield Violation(
                operation.qos_pointer or operation.pointer,
                f"{operation.words} {_verb(operation)} {what} at QoS 0: {_LOSS[kind]}",
                "declare qos: 1 in the operation's mqtt binding and make the handler idempotent",
            )
        elif operation.qos is None:
            orders = [m for m in must if m.kind in ("command", "request")]
            if not orders:
                continue  # a change whose QoS the document leaves open is not guessed at
            default = (
                "MQTT clients publish at QoS 0 unless told otherwise"
                if operation.sends
                else "a subscription at MQTT's default QoS 0 gets even QoS 1 messages at most once"
            )
            what = ", ".join(_what(m) for m in orders[:3]) + (", …" if len(orders) > 3 else "")
            yield Violation(
                operation.pointer,
                f"{operation.words} {_verb(operation)} {what} and declares no QoS; {default}, so "
                f"{_LOSS[orders[0].kind]}",
                "declare bindings: {mqtt: {qos: 1}} on the operation and make the handler idempotent",
                severity="info",
            )


@mqtt_rule("AAPI202", "mqtt-retained-event-or-command", severity="warning")
def retained_event_or_command(view: MqttView) -> Iterator[Violation]:
    """A command, request, reply or event is published retained (`retain: true`).

    Why: The broker keeps the last retained message of a topic and hands it to every client that subscribes
    later, as if it had just been published. That is right for a last-known value (a device's status, its
    configuration): a new subscriber learns the current state at once. For an event or a command it is wrong: a
    dashboard that starts tomorrow sees yesterday's `OrderPlaced` as new, and a device that reconnects carries out
    the last `turnOn` again, hours after someone turned the light off.

    Anti-pattern: `bindings: {mqtt: {qos: 1, retain: true}}` on the operation that sends `dimLight` to
    `…/action/{streetlightId}/dim`.

    Fix: Publish events and commands with `retain: false`. Keep `retain: true` for state topics
    (`devices/{id}/status`) whose newest message is the state, and clear a retained message by publishing an empty
    retained payload to its topic.
    """
    for operation in view.operations:
        if operation.retain is not True:
            continue
        must = _must_arrive(operation)
        if not must:
            continue
        message = must[0]
        replay = (
            "every client that subscribes later, or reconnects, carries it out again"
            if message.kind in ("command", "request")
            else "every client that subscribes later gets the last one as if it had just happened"
        )
        verb = "publishes" if operation.sends else "receives"
        yield Violation(
            operation.retain_pointer or operation.pointer,
            f"{operation.words} {verb} {_what(message)} retained: {replay}",
            "set retain: false; retain only last-known-value topics such as a status",
        )


# A level that is a wildcard, or that holds one where MQTT allows none.
_PARAMETER = re.compile(r"\{[^{}]*\}")


def _wildcard_problem(address: str, sends: bool) -> str | None:
    levels = _PARAMETER.sub("x", address).split("/")
    if not any("+" in level or "#" in level for level in levels):
        return None
    if sends:
        return "MQTT forbids the wildcards '+' and '#' in a topic a client publishes to; the broker drops the client"
    for position, level in enumerate(levels):
        if "#" in level and (level != "#" or position != len(levels) - 1):
            return "'#' must be a whole level and the last one; the broker refuses the subscription"
        if "+" in level and level != "+":
            return "'+' must be a whole level ('a/+/b', not 'a/b+'); the broker refuses the subscription"
    return None


@mqtt_rule("AAPI203", "mqtt-wildcard-misplaced", severity="error", covers=("EDA305",))
def wildcard_misplaced(view: MqttView) -> Iterator[Violation]:
    """An MQTT address has a wildcard where MQTT allows none: in a topic that is published to, or not a whole level.

    Why: `+` (one level) and `#` (all remaining levels) belong to topic filters, the patterns a client subscribes
    with. A PUBLISH to a topic with a wildcard in it is a protocol violation: the broker closes the connection and
    the message is lost. In a filter, a wildcard must fill a whole level and `#` must come last; `sensors/temp#`
    or `a/#/b` is refused outright.

    Anti-pattern: an operation that sends to `fleet/+/position`; a subscription to `fleet/vehicle+/position`.

    Fix: Publish to the concrete topic, with a channel parameter for the varying level (`fleet/{vehicleId}/position`);
    subscribe with whole-level wildcards (`fleet/+/position`, `fleet/#`).
    """
    reported: set[tuple[str, bool]] = set()
    for operation in view.operations:
        problem = _wildcard_problem(operation.address, operation.sends)
        if problem is None or (operation.channel, operation.sends) in reported:
            continue
        reported.add((operation.channel, operation.sends))
        channel = next((c for c in view.channels if c.key == operation.channel), None)
        yield Violation(
            channel.pointer if channel else operation.pointer,
            f"{operation.words} {_verb(operation)} '{operation.address}': {problem}",
            "publish to a concrete topic with a {parameter} for the varying level; subscribe with whole-level "
            "wildcards",
        )


def _level_problems(address: str) -> list[str]:
    filled = _PARAMETER.sub("x", address)
    problems: list[str] = []
    if filled.startswith("/"):
        problems.append("it starts with '/', so its first level is empty and 'a/#'-style filters never match it")
    if filled.endswith("/") and len(filled) > 1:
        problems.append("it ends with '/', which adds an empty last level")
    if "//" in filled:
        problems.append("it has an empty level ('//')")
    if any(c.isspace() for c in filled):
        problems.append("a level has a space in it, which shell tools and ACL patterns split")
    if filled.startswith("$"):
        problems.append("topics starting with '$' are the broker's own ($SYS), not for applications")
    return problems


@mqtt_rule("AAPI204", "mqtt-topic-levels", severity="warning", covers=("EDA305",))
def topic_levels(view: MqttView) -> Iterator[Violation]:
    """An MQTT topic has empty levels (a leading or trailing `/`, or `//`), spaces, or a leading `$`.

    Why: MQTT splits a topic at every `/`, so `/devices/1/status` has an empty first level and is a different topic
    from `devices/1/status`: a subscription to `devices/#` never sees it, and publishers and subscribers that
    disagree about the slash miss each other without any error. Spaces are legal but break command-line tools and
    access-control patterns; topics starting with `$` are reserved for the broker (`$SYS`).

    Anti-pattern: `address: /smartylighting/streetlights/{streetlightId}/`, `address: devices//status`,
    `address: plant 1/line/temperature`.

    Fix: Start with the first real level and separate levels with single slashes (`smartylighting/streetlights/
    {streetlightId}/status`); use `-` or `_` instead of spaces.
    """
    for channel in view.channels:
        problems = _level_problems(channel.address)
        if problems:
            yield Violation(
                channel.pointer,
                f"channel {channel.key} has the MQTT topic '{channel.address}': {'; '.join(problems)}",
                "drop the leading and trailing '/', collapse '//' and replace spaces with '-'",
            )


@mqtt_rule("AAPI205", "mqtt-clean-session-drops-messages", severity="warning")
def clean_session_drops_messages(view: MqttView) -> Iterator[Violation]:
    """A QoS 1 or 2 subscription to commands or state changes runs on a clean session, declared or by default.

    Why: QoS 1 and 2 protect a message on its way to a connected client, and to one that comes back only if the
    broker kept its session: with `cleanSession: true` (MQTT 5: a session expiry of 0) the broker forgets the
    subscription and everything queued for it the moment the client disconnects, so every command or change
    published during a restart or a network drop is lost, whatever the QoS says. Clients start clean sessions unless
    told otherwise, so a server that declares no `cleanSession` leaves it to chance (an info finding).

    Anti-pattern: `servers: {production: {protocol: mqtt, bindings: {mqtt: {cleanSession: true}}}}` with an
    operation that receives the device's commands at `qos: 1`.

    Fix: Connect with `cleanSession: false` and a fixed `clientId` (the session is the client id's), and on MQTT 5
    with a `sessionExpiryInterval` that outlasts the outages to bridge (an expiry of 0 ends the session at the
    disconnect even without a clean start); telemetry subscriptions may stay clean.
    """
    for operation in view.operations:
        if operation.sends or operation.qos not in (1, 2):
            continue
        must = _must_arrive(operation)
        if not must:
            continue
        for key in operation.servers:
            server = view.servers.get(key)
            if server is None:
                continue
            if server.clean_session is True:
                yield Violation(
                    operation.qos_pointer or operation.pointer,
                    f"{operation.words} subscribes to {_what(must[0])} at QoS {operation.qos} through server {key}, "
                    f"whose session ends when the client disconnects ({server.clean_words}): what is published "
                    "while the client is away is dropped",
                    f"set cleanSession: false and a fixed clientId on server {key}",
                )
            elif server.clean_session is None:
                yield Violation(
                    operation.qos_pointer or operation.pointer,
                    f"{operation.words} subscribes to {_what(must[0])} at QoS {operation.qos} through server {key}, "
                    "which declares no cleanSession; MQTT clients start clean sessions unless told otherwise, and "
                    "then what is published while the client is away is dropped",
                    f"declare cleanSession: false and a fixed clientId in server {key}'s mqtt binding",
                    severity="info",
                )
