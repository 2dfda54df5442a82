"""`archassist export --to asyncapi`: AsyncAPI 3.0 documents that the official schema, the AsyncAPI CLI and our own
review accept, and that `import asyncapi` turns back into the same design as far as AsyncAPI can hold it."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fastavro
import jsonschema
import pytest
import yaml
from archassist.agent.asyncapi import import_asyncapi, validate
from archassist.agent.contracts.artifacts import json_schema
from archassist.agent.contracts.define import from_design
from archassist.agent.export.asyncapi import MS_PER_DAY, export_asyncapi
from archassist.agent.export.base import Artifact, ExportOptions, export
from archassist.agent.model.design import STANDARD_ENVELOPE, Design, FieldType, PayloadField, Topic
from archassist.agent.model.io import dumps, load_design, parse_document
from archassist.agent.modes.review import review_document
from archassist.agent.planner.compose import plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.asyncapi_held import held
from tests.conftest import ROOT, require_external
from tests.test_planner_properties import briefs

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"
# Three briefs of ../shared/briefs/dev.json of different shapes: an event-sourced origination ledger with a ten-year
# audit trail, high-rate meter telemetry, and a saga-driven booking with holds that expire.
DEV_BRIEFS = {
    "ledger": "Consumer loan origination: applicants apply online, a credit bureau check and automated underwriting "
    "decide, contracts are e-signed and the money is disbursed. Regulators require a 10 year audit trail.",
    "telemetry": "Smart electricity meters: 2 million meters report readings every 15 minutes; bills are computed "
    "monthly and outages trigger alerts to field crews.",
    "booking": "Concert ticketing: fans hold seats for 10 minutes, pay, and receive e-tickets; unpaid holds expire; "
    "50k purchases per minute when a big show goes on sale.",
}
REQUEST_REPLY = ROOT / "tests" / "fixtures" / "export" / "pricing-request-reply.yaml"
LABELS = ["flagship", *DEV_BRIEFS, "request-reply"]
OPERATION_ID = re.compile(r"^[\w.\-]+$")


@functools.cache
def design(label: str) -> Design:
    if label == "flagship":
        return plan(FLAGSHIP).design
    if label == "request-reply":
        return load_design(REQUEST_REPLY)
    return plan(DEV_BRIEFS[label]).design


@functools.cache
def artifacts(label: str, system: bool) -> tuple[Artifact, ...]:
    return tuple(export(design(label), "asyncapi", ExportOptions(system=system)))


def documents(label: str, system: bool) -> list[dict[str, Any]]:
    return [yaml.load(a.content, Loader=yaml.CSafeLoader) for a in artifacts(label, system)]


def every_document() -> list[tuple[str, bool]]:
    return [(label, system) for label in LABELS for system in (True, False)]


def import_text(text: str, name: str = "asyncapi.yaml") -> Any:
    doc = parse_document(text, name)
    return import_asyncapi(doc.data, doc.source, Path("."))


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = doc
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and token in node, f"{ref} does not resolve (no {token!r})"
        node = node[token]
    return node


def refs_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in refs_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in refs_in(v)]
    return []


def inlined(doc: dict[str, Any], value: Any) -> Any:
    """A schema with its local `$ref`s replaced by what they point at (exported documents have no cycles)."""
    if isinstance(value, dict):
        if "$ref" in value:
            return inlined(doc, resolve(doc, value["$ref"]))
        return {k: inlined(doc, v) for k, v in value.items()}
    if isinstance(value, list):
        return [inlined(doc, v) for v in value]
    return value


def messages_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(doc.get("components", {}).get("messages", {}))


def with_changes(base: Design, **style: Any) -> Design:
    changed = base.model_copy(deep=True)
    for key, value in style.items():
        if key == "cloudevents":
            changed.envelope.cloudevents = value
        else:
            setattr(changed.style, key, value)
    return changed


# ---- shape of the export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_one_document_per_service_and_one_for_the_system(label: str) -> None:
    d = design(label)
    per_service = artifacts(label, False)
    talking = [s.name for s in d.services if s.publishes or any(c.service == s.name for c in d.consumers)]
    assert [a.path for a in per_service] == sorted(f"asyncapi/{s}.yaml" for s in talking)
    for artifact, doc in zip(per_service, documents(label, False), strict=True):
        assert doc["asyncapi"] == "3.0.0"
        assert artifact.path == f"asyncapi/{doc['info']['title']}.yaml"
        assert {op["x-archassist-service"] for op in doc["operations"].values()} == {doc["info"]["title"]}
    [system] = artifacts(label, True)
    assert system.path == "asyncapi.yaml"
    [doc] = documents(label, True)
    assert doc["info"]["title"] == d.name
    assert {op["x-archassist-service"] for op in doc["operations"].values()} == set(talking)


@pytest.mark.parametrize(("label", "system"), every_document())
def test_every_document_passes_the_official_json_schema(label: str, system: bool) -> None:
    choice = validate.choose_schema("3.0.0", validate.default_schema_dirs())
    assert choice is not None and choice.exact
    for artifact, doc in zip(artifacts(label, system), documents(label, system), strict=True):
        found = validate.violations(choice.path, validate.to_json_like(doc))
        assert found == [], f"{artifact.path}: {found[:3]}"
        imported = import_text(artifact.content, artifact.path)
        assert imported.schema_findings == []
        # Nothing the importer reports about the document itself: no unread refs, no unusable extension values.
        assert [n.code for n in imported.notes if n.code >= "AAPI900"] == []


@pytest.mark.parametrize(("label", "system"), every_document())
def test_refs_resolve_and_operations_name_their_channel_messages(label: str, system: bool) -> None:
    for doc in documents(label, system):
        for ref in refs_in(doc):
            resolve(doc, ref)
        assert doc["operations"], "a document without operations describes no application"
        for key, op in doc["operations"].items():
            assert OPERATION_ID.match(key), key
            assert op["action"] in ("send", "receive") and op["messages"]
            channel = op["channel"]["$ref"]
            # The messages of an operation must be messages of its channel (AsyncAPI 3.0).
            assert all(m["$ref"].startswith(f"{channel}/messages/") for m in op["messages"]), key
            if "reply" in op:
                reply = op["reply"]["channel"]["$ref"]
                assert all(m["$ref"].startswith(f"{reply}/messages/") for m in op["reply"]["messages"])


def topic_binding_expected(topic: Topic) -> dict[str, Any]:
    retention = -1 if topic.retention_days is None else round(topic.retention_days * MS_PER_DAY)
    return {
        "partitions": topic.partitions,
        "replicas": topic.replication_factor,
        "retention.ms": retention,
        "cleanup.policy": sorted(topic.cleanup_policy.split(",")),
        "min.insync.replicas": topic.min_insync_replicas,
        "compression.type": topic.compression,
    }


@pytest.mark.parametrize("label", LABELS)
def test_channels_carry_the_kafka_topic_configuration(label: str) -> None:
    d = design(label)
    [doc] = documents(label, True)
    by_address = {c["address"]: c for c in doc["channels"].values()}
    assert set(by_address) == {t.name for t in d.topics}
    for topic in d.topics:
        binding = by_address[topic.name]["bindings"]["kafka"]
        config = binding["topicConfiguration"]
        found = {
            "partitions": binding.get("partitions"),
            "replicas": binding.get("replicas"),
            "retention.ms": config["retention.ms"],
            "cleanup.policy": sorted(config["cleanup.policy"]),
            "min.insync.replicas": config.get("min.insync.replicas"),
            "compression.type": config.get("compression.type"),
        }
        assert found == topic_binding_expected(topic), topic.name
        assert binding["bindingVersion"] == "0.5.0"
    if label == "request-reply":
        kept = by_address["pricing.price-lists"]["bindings"]["kafka"]["topicConfiguration"]
        assert kept["retention.ms"] == -1 and kept["cleanup.policy"] == ["compact"]


def _binding_schema(version: str) -> Any:
    """The official Kafka channel binding schema of a version, from the bundled AsyncAPI 3.0.0 schema."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    choice = validate.choose_schema("3.0.0", validate.default_schema_dirs())
    assert choice is not None
    bundle = json.loads(choice.path.read_text(encoding="utf-8"))
    registry: Any = Registry().with_resources(
        (uri, DRAFT7.create_resource(node)) for uri, node in bundle["definitions"].items()
    )
    schema = {"$ref": f"http://asyncapi.com/bindings/kafka/{version}/channel.json"}
    return jsonschema.Draft7Validator(schema, registry=registry)


def test_kafka_binding_version_is_the_first_that_takes_min_insync_replicas() -> None:
    # The bundled official schemas: topicConfiguration is closed in 0.4.0 (no min.insync.replicas, no
    # compression.type) and open in 0.5.0; 0.3.0 has no topicConfiguration at all.
    [doc] = documents("flagship", True)
    binding = next(iter(doc["channels"].values()))["bindings"]["kafka"]
    assert {"min.insync.replicas", "compression.type"} <= set(binding["topicConfiguration"])
    body = {k: v for k, v in binding.items() if k != "bindingVersion"}
    assert list(_binding_schema("0.5.0").iter_errors(body)) == []
    assert list(_binding_schema("0.4.0").iter_errors(body))
    assert list(_binding_schema("0.3.0").iter_errors(body))


def test_messages_carry_the_envelope_as_headers_the_contract_payload_key_and_correlation() -> None:
    d = design("flagship")
    [doc] = documents("flagship", True)
    placed = messages_of(doc)["OrderPlaced"]
    headers = inlined(doc, placed["headers"])
    [envelope] = headers["allOf"]
    assert list(envelope["properties"]) == list(STANDARD_ENVELOPE)
    assert headers["properties"]["event_type"]["const"] == "OrderPlaced"
    assert placed["correlationId"] == {"$ref": "#/components/correlationIds/correlation_id"}
    assert resolve(doc, placed["correlationId"]["$ref"])["location"] == "$message.header#/correlation_id"
    event = d.event("OrderPlaced")
    assert event is not None
    contract = from_design(d, event, source="test")
    expected = json_schema(contract)["properties"]["payload"]
    payload = inlined(doc, placed["payload"])
    assert list(payload["properties"]) == list(expected["properties"]) == [f.name for f in event.fields]
    assert payload["required"] == expected["required"]
    assert payload["additionalProperties"] is False
    assert payload["properties"]["total_amount"]["format"] == "decimal"
    assert payload["properties"]["customer_email"]["x-pii"] is True
    key = placed["bindings"]["kafka"]["key"]
    assert (key["title"], key["type"], key["format"]) == ("order_id", "string", "uuid")
    assert (placed["x-version"], placed["x-compatibility"], placed["x-producer"]) == (1, "BACKWARD", "order-service")


@pytest.mark.parametrize(("label", "system"), every_document())
def test_every_example_matches_its_headers_and_payload_schemas(label: str, system: bool) -> None:
    checker = jsonschema.Draft7Validator
    for doc in documents(label, system):
        for name, message in messages_of(doc).items():
            [example] = message["examples"]
            for part in ("headers", "payload"):
                schema = inlined(doc, message[part])
                checker.check_schema(schema)
                errors = list(checker(schema, format_checker=checker.FORMAT_CHECKER).iter_errors(example[part]))
                assert errors == [], f"{name} {part}: {errors[0].message}"


def test_avro_designs_carry_avro_payloads_that_fastavro_parses() -> None:
    d = with_changes(design("request-reply"), schema_format="avro")
    [artifact] = export(d, "asyncapi", ExportOptions(system=True))
    doc = yaml.safe_load(artifact.content)
    for name, message in messages_of(doc).items():
        assert message["contentType"] == "avro/binary"
        payload = resolve(doc, message["payload"]["$ref"])
        assert payload["schemaFormat"] == "application/vnd.apache.avro;version=1.9.0"
        parsed = fastavro.parse_schema(payload["schema"])
        assert parsed["name"].endswith(f"{name}Payload")


def test_receive_operations_carry_the_consumer_group_one_per_channel() -> None:
    d = design("flagship")
    [doc] = documents("flagship", True)
    topic_of = {**{e.name: e.topic for e in d.events}, **{c.name: c.topic for c in d.commands}}
    spread = 0
    for consumer in d.consumers:
        ops = [op for op in doc["operations"].values() if op.get("x-archassist-consumer") == consumer.name]
        topics = {topic_of[s] for s in consumer.subscriptions}
        assert sorted(resolve(doc, op["channel"]["$ref"])["address"] for op in ops) == sorted(topics), consumer.name
        spread += len(topics) > 1
        for op in ops:
            assert op["action"] == "receive" and op["x-archassist-service"] == consumer.service
            assert op["bindings"]["kafka"]["groupId"] == {"type": "string", "enum": [consumer.group]}
    assert spread, "the flagship has consumers that read several topics"


def test_request_reply_is_the_reply_of_both_operations() -> None:
    [doc] = documents("request-reply", True)
    operations = doc["operations"]
    sender = operations["checkout-service.send.pricing.quote-requests"]
    replier = operations["pricing-service.quote"]
    for op in (sender, replier):
        assert op["reply"]["channel"] == {"$ref": "#/channels/pricing.quote-replies"}
        assert op["reply"]["messages"] == [{"$ref": "#/channels/pricing.quote-replies/messages/PriceQuoted"}]
    assert messages_of(doc)["PriceQuoteRequested"]["x-archassist-role"] == "request"
    assert messages_of(doc)["PriceQuoted"]["x-archassist-role"] == "reply"
    # The checkout's own document holds the reply channel its send operation points at.
    checkout = next(x for x in documents("request-reply", False) if x["info"]["title"] == "checkout-service")
    assert {c["address"] for c in checkout["channels"].values()} >= {"pricing.quote-requests", "pricing.quote-replies"}
    assert checkout["info"]["contact"] == {"name": "checkout team"}


@pytest.mark.parametrize(
    ("broker", "protocol"), [("kafka", "kafka"), ("redpanda", "kafka"), ("rabbitmq", "amqp"), ("nats", "nats"),
                             ("kinesis", "kinesis"), ("unspecified", None)],
)
def test_servers_come_from_the_broker(broker: str, protocol: str | None) -> None:
    d = with_changes(design("request-reply"), broker=broker)
    [artifact] = export(d, "asyncapi", ExportOptions(system=True))
    doc = yaml.safe_load(artifact.content)
    if protocol is None:
        assert "servers" not in doc
    else:
        [server] = doc["servers"].values()
        assert server["protocol"] == protocol and server["host"] == "{bootstrap}"
        assert server["variables"]["bootstrap"]["default"]
    kafka = protocol == "kafka"
    assert all(("bindings" in c) == kafka for c in doc["channels"].values())
    assert all(("x-consumer-group" in op) == (not kafka) for op in doc["operations"].values()
               if op["action"] == "receive")


# ---- the round trip ---------------------------------------------------------------------------------------------


def _round_trip(original: Design) -> None:
    [artifact] = export(original, "asyncapi", ExportOptions(system=True))
    imported = import_text(artifact.content)
    assert imported.schema_findings == []
    again = held(imported.design, frozenset(c.name for c in original.commands))
    assert again == held(original)


@pytest.mark.parametrize("label", LABELS)
def test_import_of_the_system_export_gives_back_what_asyncapi_holds(label: str) -> None:
    _round_trip(design(label))


@pytest.mark.parametrize(
    "changes",
    [{"schema_format": "avro"}, {"schema_format": "protobuf"}, {"cloudevents": True}, {"broker": "rabbitmq"},
     {"broker": "unspecified"}],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_round_trip_across_brokers_schema_formats_and_cloudevents(changes: dict[str, Any]) -> None:
    _round_trip(with_changes(design("request-reply"), **changes))
    _round_trip(with_changes(design("flagship"), **changes))


def test_the_round_trip_compares_something() -> None:
    # held() must see a change of every kind it claims to compare, or the round-trip test proves nothing.
    base = held(design("request-reply"))
    changed = design("request-reply").model_copy(deep=True)
    changed.topics[2].retention_days = 30
    changed.events[1].fields[3].type = "string"
    changed.consumers[0].group = "other"
    changed.services[0].publishes.remove("CartCheckedOut")
    changed.events[3].producer = "pricing-service"
    after = held(changed)
    for part in ("topics", "messages", "consumers", "services"):
        assert after[part] != base[part], part


@pytest.mark.parametrize("label", LABELS)
def test_each_service_document_imports_as_that_service(label: str) -> None:
    d = design(label)
    whole = held(d)
    for artifact in artifacts(label, False):
        imported = import_text(artifact.content, artifact.path).design
        name = yaml.safe_load(artifact.content)["info"]["title"]
        own = next(s for s in imported.services if s.name == name)
        assert sorted(own.publishes) == whole["services"][name]["publishes"]
        assert sorted(own.consumes) == whole["services"][name]["consumes"]
        mine = {k: v for k, v in whole["consumers"].items() if v["service"] == name}
        assert held(imported, frozenset(c.name for c in d.commands))["consumers"] == mine


# ---- the review of exported documents ----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "system"), every_document())
def test_review_of_the_exported_documents_has_no_errors(label: str, system: bool) -> None:
    for artifact in artifacts(label, system):
        review = review_document(parse_document(artifact.content, artifact.path), artifact.path)
        errors = [f"{f.code} {f.message}" for f in review.findings if f.severity == "error"]
        assert errors == [], artifact.path


# ---- property: planner designs, and designs changed in every way the export maps -------------------------------

FIELD_TYPES: list[FieldType] = ["string", "integer", "number", "decimal", "boolean", "uuid", "timestamp", "date",
                                "duration", "enum", "object", "array", "map", "bytes", "uri"]
WORDS = st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.]{0,24}[A-Za-z0-9.]", fullmatch=True)


@st.composite
def changed_designs(draw: st.DrawFn) -> Design:
    d = design("request-reply").model_copy(deep=True)
    d.style.broker = draw(st.sampled_from(["kafka", "kafka", "rabbitmq", "nats", "unspecified"]))
    d.style.schema_format = draw(st.sampled_from(["json_schema", "avro"]))
    d.envelope.cloudevents = draw(st.booleans())
    for topic in draw(st.lists(st.sampled_from(d.topics), max_size=4, unique_by=lambda t: t.name)):
        topic.partitions = draw(st.none() | st.integers(1, 5000))
        topic.replication_factor = draw(st.none() | st.integers(1, 5))
        topic.min_insync_replicas = draw(st.none() | st.integers(1, 3))
        topic.retention_days = draw(st.none() | st.floats(0.001, 3650, allow_nan=False))
        topic.cleanup_policy = draw(st.sampled_from(["delete", "compact", "compact,delete"]))
        topic.compression = draw(st.sampled_from(["zstd", "lz4", "snappy", "gzip", "producer", "uncompressed"]))
    for event in draw(st.lists(st.sampled_from(d.events), max_size=3, unique_by=lambda e: e.name)):
        event.version = draw(st.integers(1, 40))
        event.compatibility = draw(st.sampled_from(["BACKWARD", "FORWARD", "FULL_TRANSITIVE", "NONE"]))
        event.deprecated = draw(st.booleans())
        event.description = draw(WORDS)
        names = draw(st.lists(st.from_regex(r"[a-z][a-z_]{0,12}[a-z]", fullmatch=True), min_size=1, max_size=5,
                              unique=True))
        event.fields = []
        for name in names:
            type_ = draw(st.sampled_from(FIELD_TYPES))
            pii = draw(st.booleans())
            event.fields.append(PayloadField(
                name=name, type=type_, required=draw(st.booleans()), description=draw(st.just("") | WORDS),
                pii=pii, protection=draw(st.sampled_from(["encrypted", "tokenized"])) if pii else "none",
                items=draw(st.sampled_from([t for t in FIELD_TYPES if t != "array"])) if type_ == "array" else None,
            ))
        event.partition_key = names[0]
    for consumer in draw(st.lists(st.sampled_from(d.consumers), max_size=3, unique_by=lambda c: c.name)):
        consumer.group = draw(st.none() | st.from_regex(r"[a-z][a-z.\-]{0,20}[a-z]", fullmatch=True))
        consumer.action = draw(st.just("") | WORDS)
    return d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changed_designs())
def test_changed_designs_round_trip(changed: Design) -> None:
    _round_trip(changed)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(briefs())
def test_planner_designs_export_valid_documents_that_round_trip(brief: str) -> None:
    d = plan(brief).design
    choice = validate.choose_schema("3.0.0", validate.default_schema_dirs())
    assert choice is not None
    for artifact in export(d, "asyncapi", ExportOptions()):
        assert validate.violations(choice.path, validate.to_json_like(yaml.safe_load(artifact.content))) == []
    _round_trip(d)


# ---- the importer reads what the export writes -------------------------------------------------------------------


def test_operations_of_one_consumer_over_several_channels_become_one_consumer() -> None:
    d = design("flagship")
    [artifact] = artifacts("flagship", True)
    imported = import_text(artifact.content).design
    track = next(c for c in imported.consumers if c.name == "order-workflow-service.track-compensations")
    assert sorted(track.subscriptions) == ["PaymentVoided", "ShipmentCancelled", "StockReleased"]
    assert len(imported.consumers) == len(d.consumers)


def test_replies_a_send_operation_expects_are_not_a_second_consumer() -> None:
    [artifact] = artifacts("request-reply", True)
    names = [c.name for c in import_text(artifact.content).design.consumers]
    assert "checkout-service.send.pricing.quote-requests" not in names
    # Without the receive operation of its own, the expected replies still have their consumer.
    doc = yaml.safe_load(artifact.content)
    del doc["operations"]["checkout-service.await-quote"]
    names = [c.name for c in import_text(yaml.safe_dump(doc, sort_keys=False)).design.consumers]
    assert "checkout-service.send.pricing.quote-requests" in names


def test_explicit_extensions_win_over_what_the_importer_would_infer() -> None:
    imported = import_text(artifacts("request-reply", True)[0].content).design
    checked_out = imported.event("CartCheckedOut")
    quoted = imported.event("PriceQuoted")
    assert checked_out is not None and quoted is not None
    fields = {f.name: f for f in checked_out.fields}
    assert fields["email_opt_in"].pii is False  # the name reads as personal data; x-pii: false says it is not
    assert (fields["customer_email"].pii, fields["customer_email"].protection) == (True, "tokenized")
    assert checked_out.deprecated is True
    assert [(f.name, f.type, f.items) for f in quoted.fields][3:] == [("tier", "enum", None), ("breakdown", "array", "enum")]
    lists = imported.topic("pricing.price-lists")
    assert lists is not None and lists.compression == "lz4"


def test_unusable_exporter_extensions_are_reported_and_ignored() -> None:
    doc = yaml.safe_load(artifacts("request-reply", True)[0].content)
    doc["operations"]["pricing-service.quote"]["x-archassist-service"] = 7
    doc["operations"]["pricing-service.quote"]["x-archassist-consumer"] = ["pricing"]
    doc["components"]["messages"]["PriceQuoted"]["x-archassist-role"] = "answer"
    imported = import_text(yaml.safe_dump(doc, sort_keys=False))
    unusable = [n.message for n in imported.notes if n.code == "AAPI906"]
    assert len(unusable) == 3, unusable
    assert imported.design.event("PriceQuoted").role == "reply"  # type: ignore[union-attr]  # the reply says so


def test_mapper_of_a_document_without_service_names_is_unchanged() -> None:
    # A document of one application (no x-archassist-service) still becomes that application's service.
    doc = yaml.safe_load(artifacts("request-reply", False)[1].content)
    for op in doc["operations"].values():
        op.pop("x-archassist-service")
    imported = import_text(yaml.safe_dump(doc, sort_keys=False)).design
    assert imported.services[0].name == doc["info"]["title"]
    assert all(c.service == doc["info"]["title"] for c in imported.consumers)


def extension_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        own = {k for k in value if isinstance(k, str) and k.startswith("x-")}
        return own | {k for v in value.values() for k in extension_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in extension_keys(v)}
    return set()


def test_docs_list_every_extension_the_export_writes() -> None:
    text = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    avro = with_changes(design("request-reply"), schema_format="avro", broker="rabbitmq")
    written = {k for label, system in every_document() for doc in documents(label, system) for k in extension_keys(doc)}
    written |= {k for a in export(avro, "asyncapi", ExportOptions(system=True)) for k in extension_keys(yaml.safe_load(a.content))}
    assert written >= {"x-archassist-service", "x-archassist-consumer", "x-consumer-group", "x-archassist-items"}
    assert [k for k in sorted(written) if f"`{k}`" not in text] == []


# ---- the CLI and the MCP tool ------------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from archassist.agent.cli.root import app

    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def design_file(tmp_path: Path) -> Path:
    path = tmp_path / "pricing.yaml"
    shutil.copy(REQUEST_REPLY, path)
    return path


def test_cli_writes_one_document_per_service_into_the_folder(design_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "contracts"
    result = _cli("export", str(design_file), "--to", "asyncapi", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "wrote 2 files" in result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert written == ["asyncapi/checkout-service.yaml", "asyncapi/pricing-service.yaml"]
    expected = export_asyncapi(load_design(design_file), ExportOptions())
    assert [(out / a.path).read_text(encoding="utf-8") for a in expected] == [a.content for a in expected]


def test_cli_system_document_goes_to_stdout(design_file: Path) -> None:
    result = _cli("export", str(design_file), "--to", "asyncapi", "--system")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["info"]["title"] == "checkout-pricing"
    many = _cli("export", str(design_file), "--to", "asyncapi")
    assert many.exit_code == 2 and "2 files" in many.stderr and "-o DIR" in many.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--to", "asyncapy"], "unknown export kind 'asyncapy' (did you mean 'asyncapi'?)"),
        (["--to", "asyncapi", "-o", "FILE"], "exists and is not a folder"),
    ],
)
def test_cli_bad_kind_and_output_are_one_line_errors(
    design_file: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("keep me\n", encoding="utf-8")
    args = [str(blocker) if a == "FILE" else a for a in args]
    result = _cli("export", str(design_file), *args)
    assert result.exit_code == 2
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert blocker.read_text(encoding="utf-8") == "keep me\n"


def test_cli_refuses_a_file_that_is_not_a_design(tmp_path: Path) -> None:
    [asyncapi] = artifacts("request-reply", True)
    path = tmp_path / "asyncapi.yaml"
    path.write_text(asyncapi.content, encoding="utf-8")
    result = _cli("export", str(path), "--to", "asyncapi", "--system")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr


def test_cli_refuses_a_symlink_that_leads_outside_the_folder(design_file: Path, tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    outside.mkdir()
    (out / "asyncapi").symlink_to(outside, target_is_directory=True)
    result = _cli("export", str(design_file), "--to", "asyncapi", "-o", str(out))
    assert result.exit_code == 2 and "through a symlink" in result.stderr
    assert list(outside.iterdir()) == []


def test_mcp_export_tool_returns_and_writes_asyncapi(tmp_path: Path) -> None:
    from archassist.tools.server import build_server
    from mcp import Client

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(REQUEST_REPLY, root / "pricing.yaml")

    async def run() -> tuple[Any, Any, Any, dict[str, Any]]:
        async with Client(build_server(root, None)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            inline = await client.call_tool(
                "export", {"kind": "asyncapi", "text": dumps(design("request-reply")), "system": True}
            )
            written = await client.call_tool("export", {"kind": "asyncapi", "path": "pricing.yaml", "output_dir": "out"})
            bad = await client.call_tool("export", {"kind": "asyncapi", "path": "nope.yaml"})
            return inline, written, bad, tools

    inline, written, bad, tools = asyncio.run(run())
    schema = tools["export"].output_schema
    assert not inline.is_error and not written.is_error
    data = inline.structured_content
    jsonschema.validate(data, schema)
    assert len(json.dumps(data)) < 20_000
    [file] = data["files"]
    assert file["path"] == "asyncapi.yaml" and data["written_to"] is None
    assert file["content"] is None or yaml.safe_load(file["content"])["asyncapi"] == "3.0.0"
    assert "asyncapi.yaml" in inline.content[0].text
    jsonschema.validate(written.structured_content, schema)
    assert written.structured_content["written_to"] == "out"
    assert sorted(p.name for p in (root / "out" / "asyncapi").iterdir()) == ["checkout-service.yaml", "pricing-service.yaml"]
    assert bad.is_error and "\n" not in bad.content[0].text.strip()


# ---- the official AsyncAPI CLI ------------------------------------------------------------------------------------


def asyncapi_cli() -> str:
    found = shutil.which("asyncapi")
    if found is None:
        require_external("asyncapi", "the AsyncAPI CLI (npm @asyncapi/cli) is not on PATH")
    return str(found)


def cli_env(home: Path) -> dict[str, str]:
    """Non-interactive and offline: no analytics prompt or upload, no update check."""
    metrics = home / "asyncapi-analytics.json"
    metrics.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "archassist-tests"}))
    return {
        **os.environ,
        "ASYNCAPI_METRICS_CONFIG_PATH": str(metrics),
        "ASYNCAPI_SKIP_NEW_VERSION_CHECK": "true",
        "CI": "true",
        "SUPPRESS_NO_CONFIG_WARNING": "true",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }


def run_validate(tool: str, path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # --fail-severity warn: a warning of the AsyncAPI ruleset fails the check too, not only a schema error.
    return subprocess.run(
        [tool, "validate", str(path), "--fail-severity", "warn"], capture_output=True, text=True, env=env,
        timeout=180, cwd=path.parent,
    )


@pytest.mark.external
def test_the_asyncapi_cli_accepts_every_exported_document(tmp_path: Path) -> None:
    tool = asyncapi_cli()
    env = cli_env(tmp_path)
    files: list[Path] = []
    variants = {f"{label}-{'system' if system else 'services'}": artifacts(label, system) for label, system in every_document()}
    # Avro payloads are multi-format schemas, a shape of their own; the other variants change values only.
    avro = with_changes(design("request-reply"), schema_format="avro")
    variants["request-reply-avro"] = tuple(export(avro, "asyncapi", ExportOptions(system=True)))
    for name, found in variants.items():
        for artifact in found:
            path = tmp_path / name / artifact.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(artifact.content, encoding="utf-8")
            files.append(path)
    # One Node process per document (the CLI validates one file a call); a few seconds each, so run them side by side.
    # The first call runs alone: on its first run the CLI creates a folder inside its own package, and two first
    # runs at once race on that mkdir (EEXIST).
    results = [run_validate(tool, files[0], env)]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results += list(pool.map(lambda p: run_validate(tool, p, env), files[1:]))
    failed = [(p, r.stdout + r.stderr) for p, r in zip(files, results, strict=True) if r.returncode != 0]
    assert failed == [], failed[:1]
    assert all("is valid" in r.stdout for r in results)


@pytest.mark.external
def test_the_asyncapi_cli_refuses_a_broken_document(tmp_path: Path) -> None:
    tool = asyncapi_cli()
    env = cli_env(tmp_path)
    doc = yaml.safe_load(artifacts("request-reply", True)[0].content)
    broken_ref = json.loads(json.dumps(doc))
    broken_ref["operations"]["pricing-service.quote"]["messages"] = [{"$ref": "#/channels/nowhere/messages/Nope"}]
    zero = json.loads(json.dumps(doc))
    zero["channels"]["pricing.price-lists"]["bindings"]["kafka"]["partitions"] = 0
    for name, bad in (("ref", broken_ref), ("partitions", zero)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(bad, sort_keys=False), encoding="utf-8")
        result = run_validate(tool, path, env)
        assert result.returncode != 0, result.stdout
        assert "error" in result.stdout
