"""MQTT conventions on AsyncAPI documents (AAPI201–AAPI205): a document that follows them gets no finding, and
each flaw planted in it gets its own, pointing at the binding or address that says it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.asyncapi import import_asyncapi_file
from archassist.agent.asyncapi.mqtt import message_kind
from archassist.agent.modes.review import ReviewOptions, review_file, review_paths
from archassist.agent.modes.review_codes import describe_code
from archassist.agent.render.sarif import sarif_log
from archassist.agent.rules.mqtt import MQTT_RULES

from tests.conftest import CORPUS

DOCS = CORPUS / "asyncapi" / "docs"
Doc = dict[str, Any]
Mutation = Callable[[Doc], None]


def _message(field: str) -> Doc:
    return {"payload": {"type": "object", "properties": {field: {"type": "string"}}}}


def _operation(action: str, channel: str, qos: int, retain: bool | None = None) -> Doc:
    mqtt: Doc = {"qos": qos}
    if retain is not None:
        mqtt["retain"] = retain
    return {"action": action, "channel": {"$ref": f"#/channels/{channel}"}, "bindings": {"mqtt": mqtt}}


BASE: Doc = {
    "asyncapi": "3.0.0",
    "info": {"title": "Street lights controller", "version": "1.0.0"},
    "servers": {"production": {"host": "broker.example.org:8883", "protocol": "mqtts",
                               "bindings": {"mqtt": {"clientId": "lights-controller", "cleanSession": False}}}},
    "channels": {
        "lightMeasured": {"address": "lights/{lightId}/lighting/measured",
                          "messages": {"lightMeasured": _message("lumens")}},
        "allMeasurements": {"address": "lights/+/lighting/measured",
                            "messages": {"anyLightMeasured": _message("lumens")}},
        "lightStatus": {"address": "lights/{lightId}/status", "messages": {"lightStatus": _message("state")}},
        "turnOn": {"address": "lights/{lightId}/action/turn-on", "messages": {"turnOn": _message("requested_by")}},
        "lightTurnedOn": {"address": "lights/{lightId}/turned-on", "messages": {"lightTurnedOn": _message("at")}},
    },
    "operations": {
        # telemetry at QoS 0 loses nothing that matters; a status is retained on purpose
        "receiveMeasurement": _operation("receive", "lightMeasured", 0),
        "receiveAllMeasurements": _operation("receive", "allMeasurements", 1),
        "publishStatus": _operation("send", "lightStatus", 0, retain=True),
        "sendTurnOn": _operation("send", "turnOn", 1, retain=False),
        "receiveTurnedOn": _operation("receive", "lightTurnedOn", 1),
    },
}


def _review(tmp_path: Path, doc: Doc) -> list[Any]:
    path = tmp_path / "lights.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return [f for f in review_file(path, ReviewOptions(fail_on="never")).findings if f.code.startswith("AAPI2")]


def _mutated(mutation: Mutation) -> Doc:
    doc = copy.deepcopy(BASE)
    mutation(doc)
    return doc


def _op_binding(op: str, **values: Any) -> Mutation:
    def apply(doc: Doc) -> None:
        doc["operations"][op]["bindings"]["mqtt"].update(values)
    return apply


def _no_qos(op: str) -> Mutation:
    def apply(doc: Doc) -> None:
        del doc["operations"][op]["bindings"]["mqtt"]["qos"]
    return apply


def _address(channel: str, address: str) -> Mutation:
    def apply(doc: Doc) -> None:
        doc["channels"][channel]["address"] = address
    return apply


def _server(**values: Any) -> Mutation:
    def apply(doc: Doc) -> None:
        binding = doc["servers"]["production"]["bindings"]["mqtt"]
        for key, value in values.items():
            if value is None:
                binding.pop(key, None)
            else:
                binding[key] = value
    return apply


def test_a_document_that_follows_the_conventions_has_no_mqtt_finding(tmp_path: Path) -> None:
    assert _review(tmp_path, BASE) == []


FAILING: list[tuple[str, Mutation, str, str]] = [
    ("AAPI201", _op_binding("sendTurnOn", qos=0), "/operations/sendTurnOn/bindings/mqtt/qos", "warning"),
    ("AAPI201", _op_binding("receiveTurnedOn", qos=0), "/operations/receiveTurnedOn/bindings/mqtt/qos", "warning"),
    ("AAPI201", _no_qos("sendTurnOn"), "/operations/sendTurnOn", "info"),
    ("AAPI202", _op_binding("sendTurnOn", retain=True), "/operations/sendTurnOn/bindings/mqtt/retain", "warning"),
    ("AAPI202", lambda d: (_op_binding("receiveTurnedOn", retain=True)(d)),
     "/operations/receiveTurnedOn/bindings/mqtt/retain", "warning"),
    ("AAPI203", _address("turnOn", "lights/+/action/turn-on"), "/channels/turnOn/address", "error"),
    ("AAPI203", _address("allMeasurements", "lights/#/lighting/measured"), "/channels/allMeasurements/address",
     "error"),
    ("AAPI203", _address("allMeasurements", "lights/light+/lighting/measured"), "/channels/allMeasurements/address",
     "error"),
    ("AAPI204", _address("lightStatus", "/lights/{lightId}/status"), "/channels/lightStatus/address", "warning"),
    ("AAPI204", _address("lightStatus", "lights//status"), "/channels/lightStatus/address", "warning"),
    ("AAPI204", _address("lightStatus", "lights/{lightId}/status/"), "/channels/lightStatus/address", "warning"),
    ("AAPI204", _address("lightStatus", "street lights/{lightId}/status"), "/channels/lightStatus/address",
     "warning"),
    ("AAPI205", _server(cleanSession=True), "/operations/receiveTurnedOn/bindings/mqtt/qos", "warning"),
    ("AAPI205", _server(sessionExpiryInterval=0), "/operations/receiveTurnedOn/bindings/mqtt/qos", "warning"),
    ("AAPI205", _server(cleanSession=None), "/operations/receiveTurnedOn/bindings/mqtt/qos", "info"),
]


@pytest.mark.parametrize("case", FAILING, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in FAILING])
def test_each_flaw_is_found_where_the_document_says_it(tmp_path: Path, case: tuple[str, Mutation, str, str]) -> None:
    code, mutation, pointer, severity = case
    found = [(f.code, f.pointer, f.severity) for f in _review(tmp_path, _mutated(mutation))]
    assert (code, pointer, severity) in found, found
    assert {c for c, _, _ in found} == {code}, f"only {code} speaks: {found}"


def test_every_mqtt_rule_has_a_failing_case_and_docs() -> None:
    assert {r.code for r in MQTT_RULES} == {c[0] for c in FAILING}
    for rule in MQTT_RULES:
        doc = describe_code(rule.code)
        assert doc is not None and doc.why and doc.anti_pattern and doc.fix
        assert rule.summary.endswith((".", ")")) and len(rule.summary) < 140


PASSING: list[tuple[str, Mutation]] = [
    # telemetry may be lost: the next reading replaces it
    ("telemetry at QoS 0, subscribed and published", lambda d: (
        _op_binding("receiveAllMeasurements", qos=0)(d),
        d["operations"].__setitem__("publishMeasurement", _operation("send", "lightMeasured", 0)),
    )),
    # a state change whose QoS the document leaves open is not guessed at: only commands and requests are
    ("an event with no QoS declared", _no_qos("receiveTurnedOn")),
    # the newest status is the state: retaining it is what a late subscriber needs
    ("a retained status", _op_binding("publishStatus", qos=1, retain=True)),
    # channel parameters are filled in before publishing
    ("a parameter in a published topic", _address("turnOn", "lights/{lightId}/{action}")),
    # whole-level wildcards in a subscription
    ("a trailing multi-level wildcard in a subscription", _address("allMeasurements", "lights/#")),
    # a clean session is fine for telemetry
    ("telemetry on a clean session", lambda d: (_server(cleanSession=True)(d),
                                                d["operations"].pop("receiveTurnedOn"))),
    # an MQTT 5 session that outlives the client's absence
    ("an MQTT 5 session expiry", _server(sessionExpiryInterval=3600)),
]


@pytest.mark.parametrize("case", PASSING, ids=[c[0] for c in PASSING])
def test_legitimate_variants_are_not_findings(tmp_path: Path, case: tuple[str, Mutation]) -> None:
    assert _review(tmp_path, _mutated(case[1])) == []


def test_only_mqtt_channels_are_judged(tmp_path: Path) -> None:
    doc = _mutated(_op_binding("sendTurnOn", qos=0, retain=True))
    doc["servers"] = {"production": {"host": "broker:9092", "protocol": "kafka"}}
    for operation in doc["operations"].values():
        del operation["bindings"]
    assert _review(tmp_path, doc) == []
    # an mqtt binding on the operation makes its channel MQTT whatever the servers say
    doc["operations"]["sendTurnOn"]["bindings"] = {"mqtt": {"qos": 0}}
    assert [f.code for f in _review(tmp_path, doc)] == ["AAPI201"]


def test_a_precise_topic_finding_replaces_the_naming_one(tmp_path: Path) -> None:
    path = tmp_path / "lights.yaml"
    path.write_text(yaml.safe_dump(_mutated(_address("lightStatus", "/lights/{lightId}/status"))), encoding="utf-8")
    findings = review_file(path, ReviewOptions(fail_on="never")).findings
    assert [f.code for f in findings if f.pointer.startswith("/channels/lightStatus")] == ["AAPI204"]


def test_ignore_and_severity_options_apply_by_code(tmp_path: Path) -> None:
    path = tmp_path / "lights.yaml"
    path.write_text(yaml.safe_dump(_mutated(_op_binding("sendTurnOn", qos=0))), encoding="utf-8")
    ignored = review_file(path, ReviewOptions(fail_on="never", ignore=["AAPI201"])).findings
    assert not [f for f in ignored if f.code == "AAPI201"]
    raised = review_file(path, ReviewOptions(fail_on="never", severity={"AAPI201": "error"})).findings
    assert [f.severity for f in raised if f.code == "AAPI201"] == ["error"]


def test_sarif_describes_the_mqtt_rule(tmp_path: Path) -> None:
    path = tmp_path / "lights.yaml"
    path.write_text(yaml.safe_dump(_mutated(_op_binding("sendTurnOn", qos=0))), encoding="utf-8")
    log = sarif_log(review_paths([str(path)], ReviewOptions(fail_on="never")), tmp_path)
    [descriptor] = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "AAPI201"]
    assert "fire and forget" in descriptor["help"]["text"]


@pytest.mark.parametrize(
    ("role", "name", "address", "kind"),
    [
        ("event", "lightMeasured", "smartylighting/streetlights/1/0/event/{id}/lighting/measured", "telemetry"),
        ("event", "AVRFCMBattery", "avr/fcm/battery", "telemetry"),
        ("event", "DeviceStatus", "devices/{id}/status", "state"),
        ("event", "commentLiked", "comment/liked", "event"),
        ("command", "turnOnOff", "lights/{id}/turn/on", "command"),
        ("reply", "sumResult", "rpc/replies", "reply"),
    ],
)
def test_messages_are_told_apart_by_what_losing_them_costs(role: str, name: str, address: str, kind: str) -> None:
    assert message_kind(role, name, address) == kind


def _corpus(name: str) -> Path:
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"corpus document missing: {path}")
    return path


def test_the_official_mqtt_example_follows_the_conventions() -> None:
    # commands at QoS 1 through an operation trait, telemetry received at QoS 1
    for name in ("spec-3.0-streetlights-mqtt.yaml", "spec-2.6-streetlights-mqtt.yaml"):
        path = _corpus(name)
        assert not [f for f in review_file(path, ReviewOptions(fail_on="never")).findings if f.code.startswith("AAPI2")]
        view = import_asyncapi_file(path).mqtt
        assert view is not None and {o.qos for o in view.operations} == {1}


def test_a_2x_document_is_read_from_the_applications_side(tmp_path: Path) -> None:
    doc = yaml.safe_load(_corpus("spec-2.6-streetlights-mqtt.yaml").read_text(encoding="utf-8"))
    doc["components"]["operationTraits"]["mqtt"]["bindings"]["mqtt"]["qos"] = 0
    found = _review(tmp_path, doc)
    # the application publishes the commands (2.x `subscribe`) and receives the measurements (telemetry: fine)
    assert sorted(f.message.split(" ", 2)[1] for f in found) == ["dimLight", "turnOff", "turnOn"]
    assert all(f.code == "AAPI201" and " publishes the command " in f.message for f in found)


def test_commands_with_no_qos_in_the_corpus_are_noted() -> None:
    findings = review_file(_corpus("spec-3.0-correlation-id.yaml"), ReviewOptions(fail_on="never")).findings
    [note] = [f for f in findings if f.code.startswith("AAPI2")]
    assert (note.code, note.severity, note.pointer) == ("AAPI201", "info", "/operations/dimLight")
    assert "declares no QoS" in note.message
    assert import_asyncapi_file(_corpus("spec-3.0-streetlights-kafka.yaml")).mqtt is None


def test_the_servers_a_channel_names_decide_whether_it_is_mqtt(tmp_path: Path) -> None:
    doc = _mutated(_op_binding("sendTurnOn", qos=0))
    for operation in doc["operations"].values():
        operation["bindings"] = {}
    doc["operations"]["sendTurnOn"]["bindings"] = {"mqtt": {"qos": 0}}
    # MQTT over WebSockets: the server's mqtt binding says what the wss connection carries
    doc["servers"]["production"]["protocol"] = "wss"
    assert [f.code for f in _review(tmp_path, doc)] == ["AAPI201"]
    # a Kafka server beside it: channels on the Kafka server only are not MQTT's business
    doc["servers"]["events"] = {"host": "kafka:9092", "protocol": "kafka"}
    doc["operations"]["sendTurnOn"]["bindings"] = {}
    doc["channels"]["turnOn"]["servers"] = [{"$ref": "#/servers/events"}]
    assert _review(tmp_path, doc) == []
    doc["channels"]["turnOn"]["servers"] = [{"$ref": "#/servers/production"}]
    assert [(f.code, f.severity) for f in _review(tmp_path, doc)] == [("AAPI201", "info")]


def test_without_a_qos_only_the_orders_an_operation_carries_are_named(tmp_path: Path) -> None:
    doc = _mutated(_no_qos("receiveTurnedOn"))
    doc["channels"]["lightTurnedOn"]["messages"]["statusRequest"] = _message("reply_to")  # a request beside it
    [finding] = _review(tmp_path, doc)
    assert "the request statusRequest" in finding.message and "lightTurnedOn" not in finding.message


def test_the_rules_command_lists_the_mqtt_rules_with_the_design_rules() -> None:
    from archassist.agent.cli.root import app
    from typer.testing import CliRunner

    listed = CliRunner().invoke(app, ["rules", "--group", "mqtt"])
    assert listed.exit_code == 0, listed.output
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [r.code for r in MQTT_RULES]
    everything = CliRunner().invoke(app, ["rules"])
    assert "EDA401" in everything.stdout and "AAPI205" in everything.stdout
