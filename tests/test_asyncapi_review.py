"""Reviewing real AsyncAPI documents: message kinds, protocol-aware rules, folded repeats, document pointers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.asyncapi import import_asyncapi_file
from archassist.agent.asyncapi.kinds import channel_role, message_role
from archassist.agent.model.findings import Finding
from archassist.agent.modes.review import ReviewOptions, review_file
from archassist.agent.rules.folding import fold_repeats
from hypothesis import given
from hypothesis import strategies as st

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "asyncapi" / "docs"


def roles(name: str) -> dict[str, str]:
    return {e.name: e.role for e in import_asyncapi_file(DOCS / name).design.events}


def codes(name: str) -> list[str]:
    return [f.code for f in review_file(DOCS / name, ReviewOptions(fail_on="never")).findings]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("spec-3.0-streetlights-kafka.yaml", {"lightMeasured": "event", "turnOnOff": "command", "dimLight": "command"}),
        ("spec-3.0-rpc-client.yaml", {"requestSum": "request", "receiveSumResult": "reply"}),
        ("spec-3.0-rpc-server.yaml", {"sum": "request", "sendSumResult": "reply"}),
        ("spec-3.0-adeo-kafka-request-reply.yaml", {"CostingRequestV1": "request", "CostingResponse": "reply"}),
    ],
)
def test_messages_are_classified_from_operations_and_channels(document: str, expected: dict[str, str]) -> None:
    assert {name: role for name, role in roles(document).items() if name in expected} == expected


def test_channel_and_name_evidence() -> None:
    assert channel_role("smartylighting.streetlights.1.0.action.{streetlightId}.dim") == "command"
    assert channel_role("avr/pcm/laser/fire") == "command"
    assert channel_role("avr/fcm/armed") is None  # a past participle: a fact
    assert channel_role("orders.events") is None
    assert message_role("OrderPlaced", is_reply=False, expects_reply=False, channels=["orders.events"],
                        sent=True, received=False) == "event"
    assert message_role("PlaceOrder", is_reply=False, expects_reply=True, channels=["orders"],
                        sent=True, received=False) == "request"


@pytest.mark.parametrize(
    "document",
    ["spec-3.0-rpc-client.yaml", "spec-3.0-rpc-server.yaml", "spec-3.0-streetlights-kafka.yaml",
     "spec-3.0-adeo-kafka-request-reply.yaml", "deepgram-speech-api.yaml"],
)
def test_event_naming_rules_stay_off_commands_requests_and_replies(document: str) -> None:
    found = codes(document)
    assert "EDA101" not in found and "EDA102" not in found


def test_a_misnamed_kafka_event_is_still_reported_with_its_own_past_tense() -> None:
    findings = review_file(DOCS / "microcks-self-api-v1.10.yaml", ReviewOptions(fail_on="never")).findings
    [eda102] = [f for f in findings if f.code == "EDA102"]
    assert "serviceChangeEvent" in eda102.message and "ServiceChanged" in eda102.fix


def test_streams_get_no_broker_advice() -> None:
    for document in ("deepgram-speech-api.yaml", "spec-3.0-websocket-gemini.yaml", "spec-3.0-gitter-streaming.yaml"):
        found = set(codes(document))
        broker_advice = {"AAPI104", "AAPI105", "AAPI106", "AAPI107", "AAPI111", "EDA207", "EDA802", "EDA305"}
        assert not found & broker_advice, (document, found & broker_advice)


def test_amqp_queues_are_not_judged_by_topic_naming() -> None:
    found = codes("spec-3.0-rpc-client.yaml")
    assert "EDA305" not in found and "EDA306" not in found
    assert "EDA411" in found  # the missing acknowledgement is still reported


def test_mqtt_gets_no_retry_or_dead_letter_notes_but_keeps_duplicates() -> None:
    found = codes("spec-3.0-streetlights-mqtt.yaml")
    assert "AAPI104" in found and "AAPI105" not in found and "AAPI106" not in found


def test_the_protocol_named_only_in_the_title_is_used_and_said() -> None:
    imp = import_asyncapi_file(DOCS / "bell-avr-mqtt.yaml")
    assert imp.design.style.broker == "mqtt"
    [note] = [n for n in imp.notes if n.code == "AAPI114"]
    assert "the title names MQTT" in note.message


def test_repeats_fold_into_one_finding_listing_the_places() -> None:
    findings = review_file(DOCS / "bell-avr-mqtt.yaml", ReviewOptions(fail_on="never")).findings
    shared = [f for f in findings if f.code == "AAPI117"]
    assert len(shared) == 1
    assert "places in all: line" in shared[0].message


def test_consistent_camel_case_names_are_not_a_finding_but_mixed_ones_are(tmp_path: Path) -> None:
    assert "EDA104" not in codes("spec-3.0-slack-rtm.yaml")
    doc = yaml.safe_load((DOCS / "spec-3.0-streetlights-kafka.yaml").read_text(encoding="utf-8"))
    doc["components"]["messages"]["dimLight"]["name"] = "dim_light"
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert "EDA104" in [f.code for f in review_file(path, ReviewOptions(fail_on="never")).findings]


def _resolve(data: Any, pointer: str) -> Any:
    value = data
    for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/") if t]:
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


@pytest.mark.parametrize(
    "document",
    ["spec-3.0-streetlights-kafka.yaml", "spec-2.6-streetlights-kafka.yaml", "spec-3.0-adeo-kafka-request-reply.yaml",
     "microcks-self-api-v1.10.yaml", "spec-3.0-rpc-client.yaml"],
)
def test_every_finding_points_into_the_document_in_its_words(document: str) -> None:
    data = yaml.safe_load((DOCS / document).read_text(encoding="utf-8"))
    for finding in review_file(DOCS / document, ReviewOptions(fail_on="never")).findings:
        _resolve(data, finding.pointer)  # raises when the pointer is not the document's
        assert not finding.message.startswith(("event '", "topic '", "consumer '")), finding.message
        assert "archassist's defaults" not in finding.message


def test_unread_refs_silence_nothing_uses_this_findings() -> None:
    found = codes("spec-3.0-social-media/backend/asyncapi.yaml")
    assert "AAPI903" in found
    assert "EDA924" not in found and "EDA926" not in found


def _finding(code: str, line: int, file: str = "a.yaml") -> Finding:
    return Finding(code, "x", "info", f"{code} at {line}", f"/p/{line}", "fix", file, line, 1)


@given(st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]), st.integers(1, 500), st.sampled_from(["a", "b"]))))
def test_folding_keeps_every_code_and_counts_every_place(items: list[tuple[str, int, str]]) -> None:
    findings = [_finding(code, line, file) for code, line, file in items]
    folded = fold_repeats(findings)
    assert {(f.file, f.code) for f in folded} == {(f.file, f.code) for f in findings}
    total = 0
    for f in folded:
        if "places in all" in f.message:
            total += int(f.message.split(" places in all")[0].rsplit(" ", 1)[-1])
            members = [g for g in findings if (g.file, g.code) == (f.file, f.code)]
            # every place is kept, with its own pointer, line and message, for SARIF's related locations
            assert sorted((p.pointer, p.line, p.message) for p in f.places) == sorted(
                (g.pointer, g.line, g.message) for g in members
            )
        else:
            total += 1
            assert f.places == []
    assert total == len(findings)
    groups: dict[tuple[str | None, str], int] = {}
    for f in findings:
        groups[(f.file, f.code)] = groups.get((f.file, f.code), 0) + 1
    assert all(n <= 3 for (file, code), n in groups.items() if any(
        f.file == file and f.code == code and "places in all" not in f.message for f in folded))


def test_asyncapi_3_1_is_validated_against_its_own_schema(tmp_path: Path) -> None:
    doc = yaml.safe_load((DOCS / "spec-3.0-streetlights-kafka.yaml").read_text(encoding="utf-8"))
    doc["asyncapi"] = "3.1.0"
    path = tmp_path / "v31.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = import_asyncapi_file(path)
    assert imp.schema_findings == [] and not [n for n in imp.notes if n.code in ("AAPI904", "AAPI905")]
    doc["channels"]["lightingMeasured"]["address"] = 5
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    [violation] = import_asyncapi_file(path).schema_findings
    assert "AsyncAPI 3.1.0 JSON Schema" in violation.message and violation.pointer.endswith("/address")


def test_a_ref_that_resolves_only_by_guessing_is_a_finding_with_the_escaped_fix(tmp_path: Path) -> None:
    doc = {
        "asyncapi": "3.0.0", "info": {"title": "users", "version": "1"},
        "channels": {"users": {"address": "users.events", "messages": {
            "signedUp": {"$ref": "#/components/messages/user/signedup"}}}},
        "operations": {"publish": {"action": "send", "channel": {"$ref": "#/channels/users"}}},
        "components": {"messages": {"user/signedup": {"payload": {"type": "object"}}}},
    }
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = import_asyncapi_file(path)
    [guess] = [n for n in imp.notes if n.code == "AAPI907"]
    assert "#/components/messages/user~1signedup" in guess.message and guess.severity == "warning"
    assert [e.name for e in imp.design.events] == ["user/signedup"]  # still imported
    assert "AAPI909" not in [n.code for n in imp.notes]  # the guessed reference still counts as a use
    doc["channels"]["users"]["messages"]["signedUp"]["$ref"] = "#/components/messages/user~1signedup"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert "AAPI907" not in [n.code for n in import_asyncapi_file(path).notes]


def test_unused_components_and_missing_operation_ids() -> None:
    imp = import_asyncapi_file(DOCS / "spec-3.0-slack-rtm.yaml")
    unused = [n for n in imp.notes if n.code == "AAPI909"]
    assert [n.pointer for n in unused] == ["/components/messages/memberLeftChannel"]
    imp = import_asyncapi_file(DOCS / "microcks-account-service-amqp-2.1.yaml")
    [missing] = [n for n in imp.notes if n.code == "AAPI908"]
    assert missing.pointer == "/channels/user~1signedup/subscribe" and missing.line
    clean = import_asyncapi_file(DOCS / "spec-2.6-streetlights-kafka.yaml")
    assert not [n for n in clean.notes if n.code in ("AAPI908", "AAPI909")]


def _kafka_doc(key: dict[str, Any], **channel_extra: Any) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0", "info": {"title": "fleet", "version": "1"},
        "servers": {"prod": {"host": "broker:9092", "protocol": "kafka"}},
        "channels": {"positions": {"address": "fleet.positions", **channel_extra, "messages": {
            "PositionRecorded": {"$ref": "#/components/messages/PositionRecorded"}}}},
        "operations": {"publish": {"action": "send", "channel": {"$ref": "#/channels/positions"}}},
        "components": {"messages": {"PositionRecorded": {
            "payload": {"type": "object", "properties": {"vehicle_id": {"type": "string"},
                                                         "recorded_at": {"type": "string", "format": "date-time"}}},
            "bindings": {"kafka": {"key": key}},
        }}},
    }


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ({"type": "string", "title": "vehicle_id"}, "vehicle_id"),
        ({"type": "object", "properties": {"vehicle_id": {"type": "string"}}}, "vehicle_id"),
        ({"type": "string", "description": "the vehicle_id of the reading"}, "vehicle_id"),
        ({"type": "string", "format": "date-time"}, "timestamp"),
        ({"type": "string", "const": "fleet"}, "'fleet'"),
    ],
)
def test_kafka_keys_are_read_with_or_without_a_title(tmp_path: Path, key: dict[str, Any], expected: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(_kafka_doc(key)), encoding="utf-8")
    imp = import_asyncapi_file(path)
    assert imp.design.events[0].partition_key == expected
    found = [f.code for f in review_file(path, ReviewOptions(fail_on="never")).findings]
    assert ("EDA318" in found) == (expected in ("timestamp", "'fleet'"))


def test_vendor_extensions_are_declarations(tmp_path: Path) -> None:
    doc = _kafka_doc({"type": "string", "title": "vehicle_id"},
                     **{"x-configs": {"retention.ms": 86_400_000, "cleanup.policy": "delete", "partitions": 6,
                                      "replication.factor": 3, "min.insync.replicas": 2}})
    doc["components"]["messages"]["PositionRecorded"]["x-messageCompatibility"] = "FULL"
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = import_asyncapi_file(path)
    topic = imp.design.topics[0]
    assert (topic.partitions, topic.replication_factor, topic.min_insync_replicas) == (6, 3, 2)
    assert topic.retention_days == 1 and topic.cleanup_policy == "delete"
    assert imp.design.events[0].compatibility == "FULL"
    assert not [n for n in imp.notes if n.code in ("AAPI102", "AAPI103", "AAPI111")]


def test_a_declared_replication_factor_of_one_is_still_reported(tmp_path: Path) -> None:
    doc = _kafka_doc({"type": "string", "title": "vehicle_id"}, bindings={"kafka": {"replicas": 1}})
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    findings = review_file(path, ReviewOptions(fail_on="never")).findings
    assert "EDA310" in [f.code for f in findings]
    assert "AAPI102" in [f.code for f in findings]  # partitions and min.insync are still undeclared


def test_cloudevents_headers_given_through_a_trait_count_as_declared(tmp_path: Path) -> None:
    doc = _kafka_doc({"type": "string", "title": "vehicle_id"})
    headers = {"type": "object", "properties": {h: {"type": "string"} for h in (
        "ce_id", "ce_type", "ce_subject", "ce_time", "ce_specversion", "ce_dataschema", "correlationId",
        "causationId")}}
    doc["components"]["messageTraits"] = {"cloudEvents": {"headers": headers}}
    doc["components"]["messages"]["PositionRecorded"]["traits"] = [{"$ref": "#/components/messageTraits/cloudEvents"}]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = import_asyncapi_file(path)
    assert imp.design.envelope.cloudevents
    assert "AAPI109" not in [n.code for n in imp.notes]
