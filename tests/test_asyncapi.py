"""The AsyncAPI importer against the real-world corpus, hostile fixtures and random documents."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.asyncapi import (
    CODES,
    AsyncApiImport,
    import_asyncapi,
    import_asyncapi_file,
    is_asyncapi,
)
from archassist.agent.asyncapi.codes import code_table_markdown
from archassist.agent.asyncapi.refs import unescape_pointer
from archassist.agent.errors import InputError
from archassist.agent.model import io
from archassist.agent.model.io import SourceMap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import CORPUS as SHARED_CORPUS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = SHARED_CORPUS / "asyncapi"
DOCS = CORPUS / "docs"
SCHEMAS = CORPUS / "schemas"
FIXTURES = Path(__file__).parent / "fixtures" / "asyncapi"

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason=f"the shared corpus is not at {DOCS}")


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


@functools.cache
def corpus_documents() -> list[Path]:
    if not DOCS.is_dir():
        return []
    return [
        path
        for path in sorted(DOCS.rglob("*.yaml")) + sorted(DOCS.rglob("*.json"))
        if is_asyncapi(read_yaml(path))
    ]


def schema_invalid_documents() -> set[str]:
    """The documents sources.md lists as failing the official JSON Schema."""
    invalid: set[str] = set()
    columns: list[str] = []
    for line in (DOCS / "sources.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "file" in cells and "schema" in cells:
            columns = cells
            continue
        row = columns and len(cells) == len(columns) and cells[0].startswith("`")
        if row and cells[columns.index("schema")].startswith("INVALID"):
            invalid.add(cells[0].strip("`"))
    return invalid


def load(path: Path, **kwargs: Any) -> AsyncApiImport:
    kwargs.setdefault("schema_dir", SCHEMAS)
    return import_asyncapi_file(path, **kwargs)


def codes_of(imp: AsyncApiImport) -> list[str]:
    return [f.code for f in imp.findings]


def event(imp: AsyncApiImport, name: str) -> Any:
    found = imp.design.event(name)
    assert found is not None, f"no event {name}; have {[e.name for e in imp.design.events]}"
    return found


# --- the corpus ------------------------------------------------------------------------------------------------


def test_corpus_is_what_sources_md_describes() -> None:
    docs = corpus_documents()
    assert len(docs) == 34  # 29 single documents + the 5 social-media services
    assert schema_invalid_documents() == {
        "spec-3.0-adeo-kafka-request-reply.yaml",
        "microcks-user-signedup-avro-2.0.yaml",
    }


@pytest.mark.parametrize("path", corpus_documents(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_corpus_document_imports_and_round_trips(path: Path) -> None:
    imp = load(path, ref_root=DOCS)
    design = imp.design
    assert io.loads(io.dumps(design)).design == design
    assert io.loads(io.dumps(design, "json")).design == design
    assert design.services and design.services[0].name
    assert imp.design_source.file == str(path)
    for finding in imp.findings:
        assert finding.code in CODES
        assert finding.severity == CODES[finding.code].severity
        assert finding.file == str(path)
        assert finding.message and "\n" not in finding.message
        assert finding.pointer == "" or finding.pointer.startswith("/")
    # AAPI001 exactly for the documents sources.md lists as failing the official schema.
    invalid = path.name in schema_invalid_documents()
    assert bool(imp.schema_findings) == invalid
    assert all(f.code == "AAPI001" and f.severity == "error" for f in imp.schema_findings)
    assert not [n for n in imp.notes if n.code == "AAPI001"]
    assert str(imp.summary())


@pytest.mark.parametrize("name", ["spec-2.6-streetlights-kafka.yaml", "spec-3.0-streetlights-kafka.yaml"])
def test_not_declared_notes_point_into_the_document(name: str) -> None:
    imp = load(DOCS / name)
    data = yaml.safe_load((DOCS / name).read_text(encoding="utf-8"))
    notes = [n for n in imp.notes if CODES[n.code].group == "not-declared"]
    assert notes
    for note in notes:
        value: Any = data
        for token in [t.replace("~1", "/").replace("~0", "~") for t in note.pointer.split("/") if t]:
            value = value[int(token)] if isinstance(value, list) else value[token]
        assert note.line is not None and note.column is not None, note


def test_adeo_fails_the_official_schema_with_a_clear_finding() -> None:
    path = DOCS / "spec-3.0-adeo-kafka-request-reply.yaml"
    imp = load(path)
    [finding] = imp.schema_findings
    assert finding.pointer == "/components/messages/costingResponse/bindings/kafka/key"
    assert "AsyncAPI 3.0.0 JSON Schema" in finding.message
    assert "bare $ref" in finding.message and "CostingResponseKey.avsc" in finding.message
    lines = path.read_text(encoding="utf-8").splitlines()
    assert finding.line is not None and lines[finding.line - 1].strip().startswith("key:")


def test_microcks_avro_fails_the_official_schema_with_clear_findings() -> None:
    path = DOCS / "microcks-user-signedup-avro-2.0.yaml"
    imp = load(path)
    by_pointer = {f.pointer: f for f in imp.schema_findings}
    assert set(by_pointer) == {
        "/channels/user~1signedup/subscribe/message/examples/0",
        "/channels/user~1signedup/subscribe/message/examples/1",
        "/components/messageTraits/commonHeaders/examples",
    }
    assert "wrapped in a mapping keyed by 'laurent'" in by_pointer[
        "/channels/user~1signedup/subscribe/message/examples/0"
    ].message
    traits = by_pointer["/components/messageTraits/commonHeaders/examples"]
    assert "must be a list, but it is a mapping" in traits.message
    assert "AsyncAPI 2.0.0 JSON Schema" in traits.message
    assert traits.line == 76


# --- mapping --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["spec-2.6-streetlights-kafka.yaml", "spec-3.0-streetlights-kafka.yaml"])
def test_streetlights_kafka_maps_channels_operations_and_kafka(name: str) -> None:
    imp = load(DOCS / name)
    design = imp.design
    assert design.style.broker == "kafka"
    assert design.name == "streetlights-kafka-api"
    measured = "smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured"
    assert {t.name for t in design.topics} >= {measured, "smartylighting.streetlights.1.0.action.{streetlightId}.dim"}
    light = event(imp, "lightMeasured")
    assert light.topic == measured
    assert light.producer is None  # received from outside: the document does not say who sends it
    assert [(f.name, f.type) for f in light.fields] == [("lumens", "integer"), ("sentAt", "timestamp")]
    assert light.envelope == ["my-app-header"]
    assert event(imp, "dimLight").producer == "streetlights-kafka-api"
    [consumer] = design.consumers
    assert consumer.subscriptions == ["lightMeasured"]
    assert consumer.service == "streetlights-kafka-api"
    # Nothing in these documents sizes the topics or keys the messages: reported, not invented.
    assert all(t.partitions is None and t.replication_factor is None for t in design.topics)
    codes = codes_of(imp)
    for code in ("AAPI101", "AAPI102", "AAPI103", "AAPI104", "AAPI106", "AAPI107", "AAPI110"):
        assert code in codes


def test_kafka_bindings_map_to_partitions_replicas_retention_and_key() -> None:
    imp = load(DOCS / "spec-3.0-adeo-kafka-request-reply.yaml")
    request = imp.design.topic("adeo-{env}-case-study-COSTING-REQUEST-{version}")
    assert request is not None
    assert (request.partitions, request.replication_factor) == (3, 3)
    assert request.retention_days == 7 and request.cleanup_policy == "delete"
    assert event(imp, "CostingResponse").partition_key == "CostingResponseKey"
    line = imp.design_source.locate("/topics/0/partitions")
    assert line is not None and line[0] == 67

    self_api = load(DOCS / "microcks-self-api-v1.10.yaml")
    assert [t.name for t in self_api.design.topics] == ["microcks-services-updates"]


def test_inline_avro_payload_becomes_fields() -> None:
    imp = load(DOCS / "microcks-user-signedup-avro-2.0.yaml")
    assert imp.design.style.schema_format == "avro"
    [ev] = imp.design.events
    assert [(f.name, f.type, f.pii) for f in ev.fields] == [
        ("fullName", "string", True),
        ("email", "string", True),
        ("age", "integer", False),
    ]
    assert "timestamp" in (ev.envelope or [])  # the sentAt header


@pytest.mark.parametrize(
    ("name", "request_event"),
    [
        ("spec-3.0-adeo-kafka-request-reply.yaml", "CostingRequestV1"),
        ("fk-rimfrost-process.yaml", "HandlaggningRequestMessage"),
        ("spec-3.0-kraken-ws-request-reply-multiple-channels.yaml", "ping"),
        ("spec-2.6-rpc-server.yaml", "sumMessage"),
    ],
)
def test_request_reply_marks_the_request(name: str, request_event: str) -> None:
    imp = load(DOCS / name)
    assert event(imp, request_event).expects_reply is True


def test_reply_of_a_receive_operation_is_produced_by_the_application() -> None:
    imp = load(DOCS / "spec-3.0-adeo-kafka-request-reply.yaml")
    [consumer] = imp.design.consumers
    assert consumer.subscriptions == ["CostingRequestV1"] and consumer.emits == ["CostingResponse"]
    response = event(imp, "CostingResponse")
    assert response.producer == imp.design.services[0].name and not response.expects_reply
    assert "correlation_id" in (event(imp, "CostingRequestV1").envelope or [])


def test_2x_operation_inversion() -> None:
    imp = load(DOCS / "spec-2.6-rpc-server.yaml")
    service = imp.design.services[0]
    assert service.publishes == ["sendSumResultMessage"]  # `subscribe`: others subscribe to what it sends
    assert service.consumes == ["sumMessage"]  # `publish`: others publish to it
    assert imp.design.style.broker == "amqp"


def test_relative_file_refs_resolve_in_the_social_media_example() -> None:
    base = DOCS / "spec-3.0-social-media"
    imp = load(base / "backend" / "asyncapi.yaml", ref_root=base)
    assert not [f for f in imp.findings if f.code in ("AAPI901", "AAPI902", "AAPI903")]
    liked = event(imp, "commentLiked")
    assert [(f.name, f.type, f.description) for f in liked.fields] == [
        ("commentId", "string", "Id of the comment that was liked")
    ]
    assert {e.name for e in imp.design.events} == {
        "commentLiked", "likeComment", "commentChanged", "updateCommentLikes",
    }
    assert imp.design.style.broker in ("ws", "mqtt")
    # The server that comes from ../common/servers.yaml is found too.
    frontend = load(base / "frontend" / "asyncapi.yaml", ref_root=base)
    assert frontend.design.style.broker == "ws"


def test_refs_leaving_the_document_folder_are_refused_by_default() -> None:
    imp = load(DOCS / "spec-3.0-social-media" / "backend" / "asyncapi.yaml")
    outside = [f for f in imp.notes if f.code == "AAPI903"]
    assert outside and all("--ref-root" in f.message for f in outside)
    assert outside[0].line is not None
    assert imp.design.events == []


def test_multi_file_fixture_with_nested_relative_refs() -> None:
    imp = load(FIXTURES / "multi" / "asyncapi.yaml")
    placed = event(imp, "OrderPlaced")
    assert [(f.name, f.type, f.required, f.pii) for f in placed.fields] == [
        ("order_id", "uuid", True, False),
        ("customer_email", "string", False, True),
    ]
    assert placed.fields[0].description == "The order's id."
    # A design pointer of something that came from another file is placed at the $ref that brought it in.
    pos = imp.design_source.locate("/events/0/fields/0")
    assert pos is not None and pos[0] == 9


def test_ref_root_widens_the_allowed_tree() -> None:
    inner = FIXTURES / "nested" / "inner" / "asyncapi.yaml"
    refused = load(inner)
    assert "AAPI903" in codes_of(refused)
    allowed = load(inner, ref_root=FIXTURES / "nested")
    assert [e.name for e in allowed.design.events] == ["Shared"]


def test_fully_declared_document_has_nothing_left_unsaid() -> None:
    imp = load(FIXTURES / "declared.yaml")
    # Monitoring is the one thing AsyncAPI cannot say at all: remembered (it stands in for the monitoring rules),
    # never printed, since nothing in the document could change it.
    assert imp.findings == []
    assert imp.summary().counts == {}
    assert "/observability" in imp.unsaid_items["observability"]
    design = imp.design
    orders = design.topic("orders.events")
    assert orders is not None
    assert (orders.partitions, orders.replication_factor, orders.min_insync_replicas) == (12, 3, 2)
    assert orders.retention_days == 14 and orders.cleanup_policy == "compact,delete"
    assert orders.partition_key == "order_id"
    invoices = design.topic("billing.invoices")
    assert invoices is not None and invoices.retention_days is None and invoices.cleanup_policy == "compact"
    placed = event(imp, "OrderPlaced")
    assert (placed.version, placed.compatibility, placed.producer) == (2, "BACKWARD", "order-service")
    assert placed.envelope == [
        "event_id", "event_type", "aggregate_id", "timestamp", "version", "correlation_id", "causation_id",
    ]
    assert design.envelope.fields == placed.envelope
    types = {f.name: (f.type, f.items) for f in placed.fields}
    assert types == {
        "order_id": ("uuid", None),
        "total": ("decimal", None),
        "shipping_address": ("object", None),
        "placed_at": ("timestamp", None),
        "lines": ("array", "object"),
        "tags": ("map", None),
        "receipt": ("bytes", None),
    }
    assert {(f.name, f.protection) for f in placed.fields if f.pii} == {("shipping_address", "encrypted")}
    assert design.envelope.cloudevents is True
    [consumer] = design.consumers
    assert consumer.group == "billing"
    assert consumer.idempotency.strategy == "dedup_event_id" and consumer.idempotency.key == "eventId"
    assert consumer.retry.max_attempts == 5 and consumer.retry.backoff == "exponential"
    assert consumer.dead_letter is not None and consumer.dead_letter.topic == "orders.events.dlq"
    issued = event(imp, "InvoiceIssued")
    assert (issued.version, issued.compatibility, issued.partition_key) == (1, "FULL", "order_id")
    assert [s.name for s in design.services] == ["billing-service", "order-service"]


def test_unusable_extension_values_are_reported_and_ignored(tmp_path: Path) -> None:
    doc = yaml.safe_load((FIXTURES / "declared.yaml").read_text(encoding="utf-8"))
    doc["operations"]["onOrderPlaced"]["x-retry"] = {"max_attempts": 0}
    doc["components"]["messages"]["OrderPlaced"]["x-version"] = "latest"
    doc["channels"]["orders"]["bindings"]["kafka"]["partitions"] = "many"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = load(path)
    bad = [f for f in imp.notes if f.code == "AAPI906"]
    assert len(bad) == 3 and all(f.severity == "warning" and f.line for f in bad)
    assert imp.design.consumers[0].retry.max_attempts is None
    assert "AAPI110" in codes_of(imp)
    assert "/consumers/0" in imp.unsaid_items["consumer-retry"]  # remembered quietly


def test_design_source_maps_design_pointers_to_document_lines() -> None:
    path = DOCS / "spec-2.6-streetlights-kafka.yaml"
    imp = load(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    index = [e.name for e in imp.design.events].index("lightMeasured")
    line, _ = imp.design_source.locate(f"/events/{index}/fields/0/pii") or (0, 0)
    assert lines[line - 1].strip() == "lumens:"
    line, _ = imp.design_source.locate("/topics/0") or (0, 0)
    assert lines[line - 1].strip().startswith("smartylighting.streetlights.1.0.event.")
    assert imp.design_pointers["/topics/0"] == "/channels/smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured"


def test_large_collections_fold_into_one_note_and_the_summary_counts_them() -> None:
    imp = load(DOCS / "diamond-blueapi-worker-events.yaml")
    versions = [n for n in imp.notes if n.code == "AAPI110"]
    assert len(versions) == 1 and versions[0].pointer == "/components/messages"
    assert f"of any of the {len(imp.design.events)} messages" in versions[0].message
    summary = imp.summary()
    assert summary.counts["event-version"] == len(imp.design.events)
    assert summary.to_dict()["not_declared_total"] == summary.total
    assert "event version" in str(summary)


def test_a_fold_over_some_parts_never_says_any_of(tmp_path: Path) -> None:
    messages = {name: {"payload": {"type": "object", "properties": {"id": {"type": "string"}}}}
                for name in ("OrderPlaced", "OrderPaid", "OrderShipped", "OrderCancelled")}
    messages["OrderPlaced"]["x-version"] = 2
    doc = {
        "asyncapi": "3.0.0", "info": {"title": "orders", "version": "1"},
        "servers": {"prod": {"host": "broker:9092", "protocol": "kafka"}},
        "channels": {"orders": {"address": "orders.events", "messages": {
            n: {"$ref": f"#/components/messages/{n}"} for n in messages}}},
        "operations": {"publish": {"action": "send", "channel": {"$ref": "#/channels/orders"}}},
        "components": {"messages": messages},
    }
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = load(path)
    [versions] = [n for n in imp.notes if n.code == "AAPI110"]
    assert "any of" not in versions.message
    assert "of 3 of the 4 messages (OrderCancelled, OrderPaid, OrderShipped)" in versions.message
    # the fold keeps each place, pointing into the document, with its own line
    assert sorted(p.pointer for p in versions.places) == [
        f"/components/messages/{n}" for n in ("OrderCancelled", "OrderPaid", "OrderShipped")
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(lines[(p.line or 0) - 1].strip().rstrip(":") in p.pointer for p in versions.places)


def test_summary_groups_by_kind() -> None:
    imp = load(DOCS / "spec-3.0-rpc-server.yaml")
    summary = imp.summary()
    assert summary.counts["consumer-idempotency"] == 1
    # sum and sendSumResult are a request and its reply on AMQP: no event version is asked of them
    assert "event-version" not in summary.counts
    assert any(line.startswith("consumer idempotency: 1") for line in summary.lines())


# --- reconciling rule findings with what the document cannot say ------------------------------------------------


def test_rule_overlap_names_existing_rules() -> None:
    from archassist.agent.asyncapi import RULE_OVERLAP
    from archassist.agent.rules import engine

    known = {rule.code for rule in engine.resolve_rules()[0]}
    assert set(RULE_OVERLAP) <= known


def test_reconcile_drops_rule_findings_that_restate_not_declared_facts() -> None:
    from archassist.agent.rules import engine

    imp = load(DOCS / "spec-3.0-adeo-kafka-request-reply.yaml")
    raw = engine.check(imp.design, source=imp.design_source)
    kept = imp.reconcile(raw)
    raw_codes = {f.code for f in raw}
    kept_codes = {f.code for f in kept}
    assert {"EDA401", "EDA403", "EDA407", "EDA202", "EDA201"} <= raw_codes
    assert not kept_codes & {"EDA401", "EDA403", "EDA407", "EDA202", "EDA201", "EDA302", "EDA310"}
    assert "EDA802" in kept_codes  # request/reply over the bus: the coupling rule still speaks
    assert all(f.severity != "error" for f in kept if f.code != "EDA101")


@pytest.mark.parametrize("name", ["spec-3.0-streetlights-kafka.yaml", "spec-2.6-streetlights-kafka.yaml"])
def test_a_message_on_several_channels_is_a_mapping_note_not_a_topology_warning(name: str) -> None:
    from archassist.agent.modes.review import ReviewOptions, review_file, unsaid_summary

    imp = load(DOCS / name)
    turn_on_off = imp.design.event("turnOnOff")
    assert turn_on_off is not None and turn_on_off.topic is not None
    shared = [t for t in imp.design.topics if "turnOnOff" in t.events and t.name != turn_on_off.topic]
    assert len(shared) == 1
    pointer = imp.design_pointers[f"/topics/{imp.design.topics.index(shared[0])}"]
    assert pointer.startswith("/channels/")
    notes = [n for n in imp.notes if n.code == "AAPI117"]
    assert [n.pointer for n in notes] == [pointer]
    assert notes[0].line is not None and "turnOnOff" in notes[0].message and turn_on_off.topic in notes[0].message

    result = review_file(DOCS / name, ReviewOptions(fail_on="never"))
    on_shared = [f.code for f in result.findings if f.pointer == pointer or f.pointer.startswith(pointer + "/")]
    assert "EDA314" not in on_shared and "EDA926" not in on_shared
    assert "shared message" not in unsaid_summary(result.notes)


def test_reconcile_keeps_findings_about_what_the_document_does_say(tmp_path: Path) -> None:
    from archassist.agent.rules import engine

    doc = yaml.safe_load((FIXTURES / "declared.yaml").read_text(encoding="utf-8"))
    doc["channels"]["orders"]["bindings"]["kafka"]["replicas"] = 1
    del doc["operations"]["onOrderPlaced"]["x-dead-letter"]
    path = tmp_path / "weak.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    imp = load(path)
    kept = imp.reconcile(engine.check(imp.design, source=imp.design_source))
    assert "EDA310" in {f.code for f in kept}  # a declared replication factor of 1 is a real problem
    assert "EDA407" not in {f.code for f in kept}  # no dead letter: "not declared", reported as info
    assert "AAPI106" in codes_of(imp)


# --- hostile and broken input ----------------------------------------------------------------------------------


def test_ref_cycle_is_a_note() -> None:
    imp = load(FIXTURES / "cycle.yaml")
    cycles = [f for f in imp.notes if f.code == "AAPI902"]
    assert cycles and "leads back to itself" in cycles[0].message
    selfish = event(imp, "Selfish")
    assert [f.name for f in selfish.fields] == ["id", "child"]


def test_ref_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    imp = load(FIXTURES / "escape.yaml")
    outside = [f for f in imp.notes if f.code == "AAPI903"]
    assert len(outside) == 3
    assert "root:" not in io.dumps(imp.design)  # nothing of /etc/passwd made it into the design


def test_remote_refs_are_never_fetched() -> None:
    imp = load(FIXTURES / "remote.yaml")
    remote = [f for f in imp.notes if f.code == "AAPI900"]
    assert len(remote) == 2 and all("never fetches" in f.message for f in remote)
    assert event(imp, "PaymentTaken").fields == []
    # The remote note says why the fields are unknown; a second note would only repeat it.
    assert "AAPI112" not in codes_of(imp) and "/events/0" in imp.unsaid_items["payload-schema"]


def test_missing_ref_targets_are_notes() -> None:
    imp = load(FIXTURES / "missing.yaml")
    missing = [f.message for f in imp.notes if f.code == "AAPI901"]
    assert any("no-such-file.yaml" in m for m in missing)
    assert any("nothing at '#/components/messages/nowhere'" in m for m in missing)
    assert any("not a JSON pointer" in m for m in missing)
    assert imp.design.events == []


def test_missing_file_in_a_real_document() -> None:
    imp = load(DOCS / "fk-rimfrost-process.yaml")
    assert any("kogito-cloudevent.yaml" in f.message for f in imp.notes if f.code == "AAPI901")
    request = event(imp, "HandlaggningRequestMessage")
    assert [f.name for f in request.fields] == ["data"]


def test_malformed_document_gives_schema_findings_not_a_crash() -> None:
    imp = load(FIXTURES / "malformed.yaml")
    assert imp.schema_findings
    assert {f.pointer for f in imp.schema_findings} >= {"/info", "/channels", "/operations"}
    assert imp.design.events == [] and imp.design.topics == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("asyncapi: 1.2.0\ninfo: {title: x, version: '1'}\n", "AsyncAPI 1.2.0 is not supported"),
        ("asyncapi: 9.0.0\n", "AsyncAPI 9.0.0 is not supported"),
        ("asyncapi: banana\n", "is not an AsyncAPI version"),
        ("openapi: 3.0.0\n", "not an AsyncAPI document"),
        ("- just\n- a list\n", "not an AsyncAPI document"),
    ],
)
def test_documents_that_are_not_asyncapi_2_or_3_are_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert expected in message and "\n" not in message and str(path) in message


def test_version_1_fixture_is_refused() -> None:
    with pytest.raises(InputError, match=r"convert it to 2\.6 or 3\.0"):
        load(FIXTURES / "version-1.yaml")


def test_unquoted_version_is_imported_with_a_schema_finding(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("asyncapi: 2.6\ninfo: {title: T, version: '1'}\nchannels: {}\n", encoding="utf-8")
    imp = load(path)
    assert [f.pointer for f in imp.schema_findings] == ["/asyncapi"]


def test_minor_versions_without_their_own_schema_use_the_nearest_newer_one() -> None:
    imp = load(FIXTURES / "version-2.3.yaml")
    [approx] = [f for f in imp.notes if f.code == "AAPI904"]
    assert "2.6.0" in approx.message and "2.3.0" in approx.message
    assert imp.schema_findings == []


def test_missing_schemas_are_said_not_skipped(tmp_path: Path) -> None:
    imp = load(DOCS / "spec-3.0-simple.yaml", schema_dir=tmp_path)
    [note] = [f for f in imp.notes if f.code == "AAPI905"]
    assert "not validated" in note.message and "ARCHASSIST_ASYNCAPI_SCHEMAS" in note.message


def test_schema_dir_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHASSIST_ASYNCAPI_SCHEMAS", str(SCHEMAS))
    imp = import_asyncapi_file(DOCS / "spec-3.0-adeo-kafka-request-reply.yaml")
    assert [f.code for f in imp.schema_findings] == ["AAPI001"]


def test_json_pointer_unescaping() -> None:
    assert unescape_pointer("/a~1b/c~0d/e%20f/~01") == ["a/b", "c~d", "e f", "~1"]
    assert unescape_pointer("") == []
    imp = load(FIXTURES / "escaped-pointers.yaml")
    assert sorted(f.name for e in imp.design.events for f in e.fields) == ["s", "sp", "t"]
    assert [t.name for t in imp.design.topics] == ["a.b"]
    assert imp.design.events[0].producer == "escaped-pointers"


def test_is_asyncapi() -> None:
    assert is_asyncapi({"asyncapi": "3.0.0"})
    assert is_asyncapi({"asyncapi": 2.6})
    assert not is_asyncapi({"asyncapi": True})
    assert not is_asyncapi({"name": "a design"})
    assert not is_asyncapi(["asyncapi"])


def test_import_from_parsed_data_with_an_in_memory_source(tmp_path: Path) -> None:
    doc = io.parse_document("asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\n", "<stdin>")
    imp = import_asyncapi(doc.data, doc.source, tmp_path, schema_dir=SCHEMAS)
    assert imp.design.name == "t" and imp.version == "3.0.0" and imp.schema_findings == []


# --- random documents ------------------------------------------------------------------------------------------

_KEYS = [
    "asyncapi", "info", "title", "version", "channels", "operations", "components", "messages", "schemas",
    "payload", "headers", "properties", "required", "type", "items", "allOf", "oneOf", "anyOf", "$ref",
    "bindings", "kafka", "partitions", "replicas", "topicConfiguration", "retention.ms", "cleanup.policy", "key",
    "groupId", "action", "channel", "reply", "address", "publish", "subscribe", "message", "traits", "name",
    "messageId", "correlationId", "location", "servers", "protocol", "x-retry", "x-idempotency", "x-version",
    "x-dead-letter", "x-partition-key", "schemaFormat", "schema", "format", "enum", "const", "fields",
]
_REFS = [
    "#/components/messages/a", "#/components/schemas/a", "#/channels/a", "#", "#/", "#/components",
    "./other.yaml#/x", "../../etc/passwd", "http://example.com/x.json", "#/channels/a/messages/a", "a%20b",
    "#/components/messages/a~1b", "file:///etc/passwd", "urn:x", "",
]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10), st.floats(allow_nan=True), st.sampled_from(_KEYS),
    st.sampled_from(["send", "receive", "kafka", "mqtt", "string", "object", "array", "uuid", "date-time"]),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars | st.builds(lambda r: {"$ref": r}, st.sampled_from(_REFS)),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=5), children, max_size=5),
    max_leaves=30,
)
_documents = st.fixed_dictionaries(
    {"asyncapi": st.sampled_from(["2.0.0", "2.3.0", "2.6.0", "3.0.0", "3.1.0", "1.0.0", "x", 2.6, True])},
    optional={
        "info": _values,
        "channels": st.dictionaries(st.sampled_from(["a", "b", "a/b"]), _values, max_size=3),
        "operations": st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=3),
        "components": st.fixed_dictionaries(
            {}, optional={"messages": st.dictionaries(st.sampled_from(["a", "a/b"]), _values, max_size=3),
                          "schemas": st.dictionaries(st.sampled_from(["a"]), _values, max_size=2)}
        ),
        "servers": _values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents)
def test_random_documents_never_crash_the_importer(doc: dict[str, Any]) -> None:
    source = SourceMap(file="<random>")
    try:
        imp = import_asyncapi(doc, source, FIXTURES, schema_dir=SCHEMAS)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert io.loads(io.dumps(imp.design)).design == imp.design
    for finding in imp.findings:
        assert finding.code in CODES


# --- the fast validator agrees with jsonschema -----------------------------------------------------------------


_SMALL = st.one_of(st.none(), st.integers(-2, 5), st.text(max_size=4), st.just([]), st.just({}), st.booleans())


def _mutations(doc: Any, replacements: st.SearchStrategy[Any] = _SMALL) -> st.SearchStrategy[Any]:
    """Small edits of a real document: drop a key, change a value's type, add an unknown key."""
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if len(paths) > 400:
            return
        paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(doc, ())

    def apply(args: tuple[tuple[Any, ...], int, Any]) -> Any:
        path, kind, new = args
        copy = json.loads(json.dumps(doc, default=str))
        parent = copy
        for token in path[:-1]:
            parent = parent[token]
        if not path:
            return copy
        last = path[-1]
        if kind == 0 and isinstance(parent, dict):
            del parent[last]
        elif kind == 1:
            parent[last] = new
        elif isinstance(parent[last], dict):
            parent[last]["unexpectedKey"] = new
        return copy

    return st.tuples(st.sampled_from(paths), st.integers(0, 2), replacements).map(apply)


@pytest.mark.parametrize(
    "name",
    ["spec-3.0-rpc-client.yaml", "spec-2.6-streetlights-kafka.yaml", "microcks-account-service-amqp-2.1.yaml",
     "microcks-user-signedup-avro-2.0.yaml", "spec-3.0-adeo-kafka-request-reply.yaml"],
)
def test_fast_validator_agrees_with_jsonschema(name: str) -> None:
    from archassist.agent.asyncapi import validate

    doc = validate.to_json_like(read_yaml(DOCS / name))
    choice = validate.choose_schema(doc["asyncapi"], [SCHEMAS])
    assert choice is not None
    fast = validate.fast_validator(choice.path)
    slow = validate.slow_validator(choice.path)

    @settings(max_examples=60, deadline=None)
    @given(mutated=_mutations(doc))
    def check(mutated: Any) -> None:
        assert fast.is_valid(mutated) == slow.is_valid(mutated)

    assert fast.is_valid(doc) == slow.is_valid(doc)
    check()


@pytest.mark.parametrize(
    "name",
    ["spec-3.0-adeo-kafka-request-reply.yaml", "spec-2.6-streetlights-kafka.yaml", "diamond-blueapi-worker-events.yaml"],
)
def test_mutated_corpus_documents_never_crash_the_importer(name: str) -> None:
    from archassist.agent.asyncapi import validate

    doc = validate.to_json_like(read_yaml(DOCS / name))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated=_mutations(doc, _values))
    def check(mutated: Any) -> None:
        try:
            imp = import_asyncapi(mutated, SourceMap(file="<mutated>"), DOCS, schema_dir=SCHEMAS)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        assert io.loads(io.dumps(imp.design)).design == imp.design

    check()


def test_fast_validator_agrees_with_jsonschema_on_the_whole_corpus() -> None:
    from archassist.agent.asyncapi import validate

    for path in corpus_documents():
        doc = validate.to_json_like(read_yaml(path))
        choice = validate.choose_schema(str(doc["asyncapi"]), [SCHEMAS])
        assert choice is not None
        assert validate.fast_validator(choice.path).is_valid(doc) == validate.slow_validator(choice.path).is_valid(
            doc
        ), path


# --- docs and the CLI -----------------------------------------------------------------------------------------


def test_docs_carry_the_code_table() -> None:
    text = (ROOT / "docs" / "asyncapi.md").read_text(encoding="utf-8")
    assert code_table_markdown() in text


def _app() -> Any:
    import typer
    from archassist.agent.cli.asyncapi import register

    app = typer.Typer()

    @app.command()
    def other() -> None:  # a second command keeps `import` a subcommand group, as in the real CLI
        """Unrelated."""

    register(app)
    return app


def test_cli_writes_the_design_and_summarises_to_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHASSIST_ASYNCAPI_SCHEMAS", str(SCHEMAS))
    out = tmp_path / "design.yaml"
    result = CliRunner().invoke(
        _app(), ["import", "asyncapi", str(DOCS / "spec-3.0-adeo-kafka-request-reply.yaml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "imported AsyncAPI 3.0.0" in result.stderr and "AAPI001" in result.stderr
    assert "not declared by the document" in result.stderr
    assert io.load_design(out).topics[0].partitions == 3


def test_cli_prints_to_stdout_without_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(),
        ["import", "asyncapi", str(DOCS / "spec-3.0-simple.yaml"), "--format", "json", "--schemas", str(SCHEMAS)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "account-service"


@pytest.mark.parametrize(
    "args",
    [
        ["import", "asyncapi", "/no/such/file.yaml"],
        ["import", "asyncapi", str(FIXTURES / "version-1.yaml")],
        ["import", "asyncapi", str(DOCS / "spec-3.0-simple.yaml"), "--format", "toml"],
        ["import", "asyncapi", str(DOCS / "spec-3.0-simple.yaml"), "-o", "/no/such/dir/design.yaml"],
    ],
)
def test_cli_errors_are_one_line_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert result.stderr.startswith("archassist: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_cli_module_and_importer_keep_imports_light() -> None:
    code = (
        "import sys\n"
        "import archassist.agent.cli.asyncapi\n"
        "assert 'pydantic' not in sys.modules and 'archassist.agent.asyncapi' not in sys.modules, 'cli'\n"
        "from pathlib import Path\n"
        "from archassist.agent.asyncapi import import_asyncapi_file\n"
        f"import_asyncapi_file({str(DOCS / 'deepgram-speech-api.yaml')!r}, schema_dir=Path({str(SCHEMAS)!r}))\n"
        "assert 'jsonschema' not in sys.modules, 'a valid document needs no jsonschema'\n"
        "assert 'anthropic' not in sys.modules and 'mcp' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
