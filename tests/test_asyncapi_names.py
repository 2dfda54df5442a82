"""The importer never makes up a name a finding shows: consumers, operations and messages are named as the
document names them (operation ids, channel and message keys), and parts the document leaves unnamed are
referred to as the document places them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.asyncapi import import_asyncapi_file
from archassist.agent.modes.review import ReviewOptions, review_file

from tests.conftest import CORPUS

DOCS = CORPUS / "asyncapi" / "docs"
_V3_DOCUMENTS = [
    *sorted(p.name for p in DOCS.glob("spec-3.0-*.yaml")), "fk-rimfrost-process.yaml", "microcks-self-api-v1.10.yaml"
]


def _corpus(name: str) -> Path:
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"corpus document missing: {path}")
    return path


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _document_names(data: dict[str, Any]) -> set[str]:
    """Every name the document itself gives an operation, a channel or a message."""
    names: set[str] = set(data.get("operations") or {})
    for key, channel in (data.get("channels") or {}).items():
        names.add(key)
        if isinstance(channel, dict):
            names.update(channel.get("messages") or {})
            for verb in ("publish", "subscribe"):
                op = channel.get(verb)
                if isinstance(op, dict) and op.get("operationId"):
                    names.add(op["operationId"])
    for key, message in ((data.get("components") or {}).get("messages") or {}).items():
        names.add(key)
        if isinstance(message, dict):
            names.update(str(message[k]) for k in ("name", "messageId") if message.get(k))
    return names


_NAMED = re.compile(r"\b(?:operation|message) '?([A-Za-z0-9_.{}/-]+?)'?(?=[\s,;:)]|$)")


def _named_in_findings(path: Path) -> set[str]:
    out: set[str] = set()
    for finding in review_file(path, ReviewOptions(fail_on="never")).findings:
        out.update(m for m in _NAMED.findall(finding.message) if m not in ("of", "the"))
    return out


@pytest.mark.parametrize("name", _V3_DOCUMENTS)
def test_v3_consumers_are_the_documents_own_operations(name: str) -> None:
    path = _corpus(name)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    imp = import_asyncapi_file(path)
    assert {c.name for c in imp.design.consumers} <= set(data.get("operations") or {})
    assert imp.made_up_names == {}


@pytest.mark.parametrize(
    "name", ["spec-3.0-rpc-client.yaml", "spec-3.0-rpc-server.yaml", "spec-3.0-adeo-kafka-request-reply.yaml",
             "spec-3.0-kraken-ws-request-reply-multiple-channels.yaml", "fk-rimfrost-process.yaml",
             "microcks-user-signedup-avro-2.0.yaml", "spec-2.6-rpc-server.yaml", "bell-avr-mqtt.yaml"],
)
def test_findings_name_only_what_the_document_names(name: str) -> None:
    path = _corpus(name)
    known = _document_names(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert _named_in_findings(path) <= known


def _rpc_client_with_reply() -> dict[str, Any]:
    """An AsyncAPI 3 request/reply client: one send operation that names its reply channel and message."""
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "sum client", "version": "1"},
        "servers": {"prod": {"host": "rabbit:5672", "protocol": "amqp"}},
        "channels": {
            "rpcQueue": {"address": "rpc_queue", "messages": {"requestSum": {
                "payload": {"type": "object", "properties": {"numbers": {"type": "array"}}}}}},
            "replies": {"address": "sum.replies", "messages": {"sumResult": {
                "payload": {"type": "object", "properties": {"result": {"type": "number"}}}}}},
        },
        "operations": {
            "requestSum": {
                "action": "send",
                "channel": {"$ref": "#/channels/rpcQueue"},
                "messages": [{"$ref": "#/channels/rpcQueue/messages/requestSum"}],
                "reply": {
                    "channel": {"$ref": "#/channels/replies"},
                    "messages": [{"$ref": "#/channels/replies/messages/sumResult"}],
                },
            }
        },
    }


def test_a_request_with_a_reply_is_received_by_the_sending_operation_under_its_own_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _rpc_client_with_reply())
    imp = import_asyncapi_file(path)
    [consumer] = imp.design.consumers
    assert consumer.name == "requestSum" and consumer.subscriptions == ["sumResult"]
    reply = next(e for e in imp.design.events if e.name == "sumResult")
    assert reply.role == "reply" and reply.topic == "sum.replies"
    names = _named_in_findings(path)
    assert names <= {"requestSum", "sumResult", "rpcQueue", "replies"} and "requestSum-reply" not in names


def test_a_reply_to_an_address_known_only_at_run_time_is_not_put_on_the_request_channel(tmp_path: Path) -> None:
    doc = _rpc_client_with_reply()
    reply = doc["operations"]["requestSum"]["reply"]
    del reply["channel"]
    reply["address"] = {"location": "$message.header#/replyTo"}
    doc["channels"]["rpcQueue"]["messages"]["requestSum"]["headers"] = {
        "type": "object", "properties": {"replyTo": {"type": "string"}}}
    imp = import_asyncapi_file(_write(tmp_path, doc))
    [consumer] = imp.design.consumers
    assert consumer.name == "requestSum"
    request_topic = next(t for t in imp.design.topics if t.name == "rpc_queue")
    assert request_topic.events == ["requestSum"]  # the reply is not on the request channel


def test_unnamed_v2_parts_are_referred_to_as_the_document_places_them(tmp_path: Path) -> None:
    doc = {
        "asyncapi": "2.6.0",
        "info": {"title": "devices", "version": "1"},
        "servers": {"prod": {"url": "broker:5672", "protocol": "amqp"}},
        "channels": {
            "devices/{deviceId}/reboot": {
                "publish": {"message": {"payload": {"type": "object", "properties": {"delay": {"type": "integer"}}}}},
            },
            "devices/{deviceId}/rebooted": {
                "subscribe": {"operationId": "deviceRebooted",
                              "message": {"payload": {"type": "object",
                                                      "properties": {"at": {"type": "string"}}}}},
            },
        },
    }
    path = _write(tmp_path, doc)
    imp = import_asyncapi_file(path)
    assert set(imp.made_up_names.values()) == {
        (imp.design.consumers[0].name, "the publish operation of channel devices/{deviceId}/reboot"),
        (imp.design.events[0].name, "the message of the publish operation of channel devices/{deviceId}/reboot"),
        (imp.design.events[1].name, "the message of operation deviceRebooted"),
    }
    messages = [f.message for f in review_file(path, ReviewOptions(fail_on="never")).findings]
    made_up = {name for name, _ in imp.made_up_names.values()}
    assert messages and not [m for m in messages if any(name in m for name in made_up)]
    assert any("the message of operation deviceRebooted" in m for m in messages)
    # naming rules have nothing to judge in a name the document does not give
    assert not [f for f in review_file(path, ReviewOptions(fail_on="never")).findings if f.code.startswith("EDA1")]


def test_two_messages_with_one_name_are_told_apart_by_their_place(tmp_path: Path) -> None:
    message = {"name": "reading", "payload": {"type": "object", "properties": {"v": {"type": "number"}}}}
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "sensors", "version": "1"},
        "servers": {"prod": {"host": "broker:9092", "protocol": "kafka"}},
        "channels": {
            "a": {"address": "sensors.a", "messages": {"first": message}},
            "b": {"address": "sensors.b", "messages": {"second": dict(message)}},
        },
        "operations": {"sendA": {"action": "send", "channel": {"$ref": "#/channels/a"}},
                       "sendB": {"action": "send", "channel": {"$ref": "#/channels/b"}}},
    }
    imp = import_asyncapi_file(_write(tmp_path, doc))
    [(name, words)] = imp.made_up_names.values()
    assert name == "reading2" and words == "the other message named reading (at /channels/b/messages/second)"
