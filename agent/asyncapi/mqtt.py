"""What an AsyncAPI document declares about its MQTT traffic, read for the MQTT rules (archassist.agent.rules.mqtt).

The Design has no place for MQTT's own settings (quality of service, retained messages, clean sessions, topic
levels), so the importer reads them here, straight from the document's bindings, with the document's pointers and
names. A channel is MQTT when an operation, its channel or one of its messages has an `mqtt` binding, when the
servers the channel names speak MQTT, or, when it names none, when the document's broker is MQTT.

Each message an operation carries is told apart by what losing or replaying it costs: a command, request or reply
(someone waits for it or acts on it), a state change (an event), a state (a last-known value, such as a status
that the next message supersedes) or telemetry (a reading, where the next one makes a lost one moot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from archassist.agent.asyncapi.kinds import message_role
from archassist.agent.rules.index import protocol_family
from archassist.agent.rules.words import split_words, word_set

if TYPE_CHECKING:
    from archassist.agent.asyncapi.importer import Mapper
    from archassist.agent.asyncapi.refs import Node

MessageKind = Literal["command", "request", "reply", "event", "state", "telemetry"]

# Words (in a message name or a topic level) of readings, where the next message makes a lost one moot.
TELEMETRY_WORDS = word_set(
    """
    telemetry measured measurement measurements measure reading readings metric metrics sample samples sensor
    sensors temperature humidity pressure position positions location locations gps imu attitude velocity
    speed groundspeed heading altitude course climb battery voltage rssi signal heartbeat ping stats
    statistics lumens quaternion euler confidence odometry raw frame frames tick ticks quote quotes ticker
    level levels usage load
    """
)
# Words of a last-known value: the newest message supersedes the ones before it.
STATE_WORDS = word_set(
    """
    status state states presence online offline availability available connected connection config
    configuration settings shadow mode last current health
    """
)
_PARAMETER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class MqttMessage:
    words: str  # how findings name it: "message turnOnOff", or as the document places an unnamed one
    kind: MessageKind


@dataclass(frozen=True)
class MqttOperation:
    words: str  # "operation turnOn", or "the publish operation of channel avr/pcm/laser/fire"
    pointer: str
    sends: bool  # the application publishes (3.x send, 2.x subscribe)
    channel: str  # the channel's key
    address: str  # the topic it publishes to, or the topic filter it subscribes with
    messages: tuple[MqttMessage, ...]
    qos: int | None = None
    qos_pointer: str = ""
    retain: bool | None = None
    retain_pointer: str = ""
    servers: tuple[str, ...] = ()  # the keys of the servers it connects through


@dataclass(frozen=True)
class MqttChannel:
    key: str
    pointer: str  # of its address (3.x) or of the channel (2.x, whose key is the topic)
    address: str
    sent: bool  # some operation of the document publishes to it


@dataclass(frozen=True)
class MqttServer:
    key: str
    pointer: str
    # The session ends when the client disconnects: cleanSession (MQTT 5: clean start) true, or an MQTT 5 session
    # expiry of 0 (then even cleanStart: false keeps nothing). None when the document declares neither.
    clean_session: bool | None = None
    clean_pointer: str = ""
    clean_words: str = ""  # what the document says that makes it clean, for findings


@dataclass
class MqttView:
    operations: list[MqttOperation] = field(default_factory=list)
    channels: list[MqttChannel] = field(default_factory=list)
    servers: dict[str, MqttServer] = field(default_factory=dict)


def message_kind(role: str, name: str, address: str) -> MessageKind:
    """A message's kind for MQTT: its role, and for an event whether it is a reading, a state or a change."""
    if role in ("command", "request", "reply"):
        return role  # type: ignore[return-value]
    words = set(split_words(name))
    for level in _PARAMETER.sub("", address).split("/"):
        words.update(split_words(level))
    if words & TELEMETRY_WORDS:
        return "telemetry"
    if words & STATE_WORDS:
        return "state"
    return "event"


def _mqtt(protocol: str) -> bool:
    return protocol_family(protocol) == "mqtt"


class _Reader:
    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self.view = MqttView()
        self.server_protocols: dict[str, str] = {}
        self.document_mqtt = False

    def run(self) -> MqttView:
        self._servers()
        # A channel that names no servers is on all of them: MQTT when one of them is (MQTT over WebSockets
        # included), or, without servers, when the bindings or the title say the document is MQTT.
        self.document_mqtt = bool(self.view.servers) or (not self.server_protocols and _mqtt(self.m.broker))
        if self.m.major >= 3:
            self._operations_v3()
        else:
            self._operations_v2()
        return self.view

    # --- servers ---

    def _servers(self) -> None:
        servers = self.m._deref(self.m.root.child("servers"))
        if servers is None or not isinstance(servers.value, dict):
            return
        for key in servers.value:
            server = self.m._deref(servers.child(key)) if isinstance(key, str) else None
            if server is None or not isinstance(server.value, dict):
                continue
            protocol = str(server.get("protocol") or "").strip().lower()
            self.server_protocols[key] = protocol
            binding = self.m._binding(server, "mqtt") or self.m._binding(server, "mqtt5")
            if not _mqtt(protocol) and binding is None:
                continue
            clean, clean_pointer, words = None, "", ""
            if binding is not None:
                raw = binding.get("cleanSession")
                if isinstance(raw, bool):
                    clean, clean_pointer = raw, _anchor(binding, "cleanSession")
                    words = f"cleanSession: {str(raw).lower()}"
                expiry = binding.get("sessionExpiryInterval")
                if isinstance(expiry, int) and not isinstance(expiry, bool) and expiry == 0 and clean is not True:
                    clean, clean_pointer = True, _anchor(binding, "sessionExpiryInterval")
                    words = "sessionExpiryInterval: 0"
            self.view.servers[key] = MqttServer(key, server.anchor, clean, clean_pointer, words)

    def _channel_servers(self, channel: Node) -> tuple[str, ...]:
        listed = channel.child("servers")
        if listed is None or not isinstance(listed.value, list):
            return tuple(self.view.servers) if self.document_mqtt else ()
        names: list[str] = []
        for i, item in enumerate(listed.value):
            if isinstance(item, str):  # 2.x: server names
                names.append(item)
            elif isinstance(item, dict) and isinstance(item.get("$ref"), str):  # 3.x: references
                ref = item["$ref"]
                if ref.startswith("#/servers/"):
                    names.append(ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~"))
                else:
                    resolved = self.m._deref(listed.child(i))
                    names.extend(k for k, s in self.view.servers.items() if resolved and s.pointer == resolved.anchor)
        return tuple(names)

    def _is_mqtt(
        self, channel: Node, op: Node, traits: list[Node], messages: list[Node], servers: tuple[str, ...]
    ) -> bool:
        if self.m._binding(op, "mqtt", traits) is not None or self.m._binding(channel, "mqtt") is not None:
            return True
        if any(self.m._binding(message, "mqtt") is not None for message in messages):
            return True
        listed = channel.child("servers")
        if listed is not None and isinstance(listed.value, list):
            return any(_mqtt(self.server_protocols.get(s, "")) or s in self.view.servers for s in servers)
        return self.document_mqtt

    # --- operations ---

    def _operations_v3(self) -> None:
        channels_sent: dict[tuple[str, str], bool] = {}
        seen: dict[tuple[str, str], tuple[str, Node]] = {}
        for key, op in self.m._map(self.m.root, "operations"):
            if not isinstance(op.value, dict):
                continue
            channel = self.m._deref(op.child("channel"))
            if channel is None or not isinstance(channel.value, dict):
                continue
            channel_key = channel.pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            address = channel.get("address")
            address = address if isinstance(address, str) else channel_key
            listed = self._listed(op)
            messages = [m for _, m in self.m._map(channel, "messages")] if listed is None else listed
            sends = op.get("action") == "send"
            traits = self.m._list(op, "traits")
            servers = self._channel_servers(channel)
            if not self._is_mqtt(channel, op, traits, messages, servers):
                continue
            self._operation(f"operation {key}", op, traits, sends, channel_key, address, messages, servers)
            channels_sent[channel.identity] = channels_sent.get(channel.identity, False) or sends
            address_node = channel.child("address")
            seen[channel.identity] = (channel_key, address_node if address_node is not None else channel)
        for identity, (channel_key, node) in seen.items():
            address = node.value if isinstance(node.value, str) else channel_key
            self.view.channels.append(MqttChannel(channel_key, node.anchor, address, channels_sent[identity]))

    def _listed(self, op: Node) -> list[Node] | None:
        """The messages an operation lists; None when it lists none, and so carries all of its channel's."""
        listed = op.child("messages")
        if listed is None or not isinstance(listed.value, list):
            return None
        found = [self.m._deref(listed.child(i)) for i in range(len(listed.value))]
        return [m for m in found if m is not None and isinstance(m.value, dict)]

    def _operations_v2(self) -> None:
        for key, channel in self.m._map(self.m.root, "channels"):
            if not isinstance(channel.value, dict):
                continue
            servers = self._channel_servers(channel)
            sent = False
            found = False
            for verb in ("subscribe", "publish"):
                op = self.m._deref(channel.child(verb))
                if op is None or not isinstance(op.value, dict):
                    continue
                traits = self.m._list(op, "traits")
                messages = self._v2_messages(op)
                if not self._is_mqtt(channel, op, traits, messages, servers):
                    continue
                op_id = op.get("operationId")
                named = isinstance(op_id, str) and op_id
                words = f"operation {op_id}" if named else f"the {verb} operation of channel {key}"
                # 2.x: `subscribe` is what others subscribe to, so this application publishes it.
                self._operation(words, op, traits, verb == "subscribe", key, key, messages, servers)
                sent = sent or verb == "subscribe"
                found = True
            if found:
                self.view.channels.append(MqttChannel(key, channel.anchor, key, sent))

    def _v2_messages(self, op: Node) -> list[Node]:
        message = self.m._deref(op.child("message"))
        if message is None or not isinstance(message.value, dict):
            return []
        options = message.child("oneOf")
        if options is None or not isinstance(options.value, list):
            return [message]
        found = [self.m._deref(options.child(i)) for i in range(len(options.value))]
        return [m for m in found if m is not None and isinstance(m.value, dict)]

    def _operation(
        self, words: str, op: Node, traits: list[Node], sends: bool, channel: str, address: str,
        messages: list[Node], servers: tuple[str, ...],
    ) -> None:
        binding = self.m._binding(op, "mqtt", traits)
        qos, qos_pointer, retain, retain_pointer = None, "", None, ""
        if binding is not None:
            raw = binding.get("qos")
            if isinstance(raw, int) and not isinstance(raw, bool) and raw in (0, 1, 2):
                qos, qos_pointer = raw, _anchor(binding, "qos")
            raw_retain = binding.get("retain")
            if isinstance(raw_retain, bool):
                retain, retain_pointer = raw_retain, _anchor(binding, "retain")
        self.view.operations.append(
            MqttOperation(
                words=words, pointer=op.anchor, sends=sends, channel=channel, address=address,
                messages=tuple(self._message(m, address) for m in messages), qos=qos, qos_pointer=qos_pointer,
                retain=retain, retain_pointer=retain_pointer, servers=servers,
            )
        )

    def _message(self, node: Node, address: str) -> MqttMessage:
        draft = self.m.events.get(node.identity)
        name = draft.name if draft is not None else str(node.get("name") or node.pointer.rsplit("/", 1)[-1])
        role = message_role(
            name,
            is_reply=bool(draft and draft.is_reply),
            expects_reply=bool(draft and draft.expects_reply),
            channels=[address],
            sent=bool(draft and draft.sent),
            received=bool(draft and draft.received),
        )
        return MqttMessage(self.m.message_words(name), message_kind(role, name, address))


def _anchor(node: Node, key: str) -> str:
    child = node.child(key)
    return child.anchor if child is not None else node.anchor


def read_mqtt(mapper: Mapper) -> MqttView | None:
    """The document's MQTT operations, channels and servers; None when it has no MQTT channel at all."""
    view = _Reader(mapper).run()
    return view if view.operations else None
