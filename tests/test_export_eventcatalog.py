"""`export --to eventcatalog`: the EventCatalog folder of a design.

Checked three ways. Without Node: the frontmatter of every file parses, every id a file names is a file of the
export, and the links are the ones the design declares. With the real tools (`@eventcatalog/linter`,
`@eventcatalog/sdk`, `@mdx-js/mdx`; marked `external`): the linter accepts every export with warnings as errors
and rejects broken copies, the SDK reads back the domains, services, messages, schemas and channels of the design,
and MDX parses every page body into the text we wrote, with no expression or import a description could smuggle in.
Designs: the flagship, three briefs of ../shared/briefs/dev.json of different shapes, a request/reply design, a
design whose names and texts are hostile to YAML and MDX, and an AsyncAPI request/reply document of the corpus.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import fastavro
import jsonschema
import pytest
import yaml
from archassist.agent.contracts.artifacts import avro_schema, example_message, json_schema
from archassist.agent.contracts.define import from_design
from archassist.agent.export.base import Artifact, ExportOptions, export
from archassist.agent.export.eventcatalog import export_eventcatalog, message_schema
from archassist.agent.export.eventcatalog_index import CatalogIndex
from archassist.agent.export.eventcatalog_text import document, text
from archassist.agent.model.design import (
    Consumer,
    Design,
    Event,
    PayloadField,
    Service,
    Topic,
)
from archassist.agent.model.io import dumps
from archassist.agent.planner.compose import plan
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS, SHARED, require_external

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"
# Three briefs of dev.json with different shapes, found by how they start so a reordered file still works.
DEV_SHAPES = {
    "loan": "Consumer loan origination",  # event-sourced, a regulator's ten-year audit trail
    "meters": "Smart electricity meters",  # high-rate telemetry, choreography
    "tickets": "Concert ticketing",  # a booking saga with expiring holds
}
REQUEST_REPLY_DOC = CORPUS / "asyncapi" / "docs" / "spec-3.0-adeo-kafka-request-reply.yaml"
TRICKY_TEXT = "Handles {tenant}.orders in <50 ms & *never* twice | `fast` [link](x) #1 \\ $x$"
COMPONENTS = {"NodeGraph", "SchemaViewer", "ChannelInformation"}


@cache
def _dev_briefs() -> dict[str, str]:
    path = SHARED / "briefs" / "dev.json"
    if not path.is_file():
        pytest.skip(f"the dev briefs are missing: {path}")
    briefs = [entry["brief"] for entry in json.loads(path.read_text(encoding="utf-8"))]
    found = {}
    for key, start in DEV_SHAPES.items():
        found[key] = next(b for b in briefs if b.startswith(start))
    return found


def request_reply_design() -> Design:
    """A checkout asking pricing for a quote and waiting for the answer, plus a command sent as a message."""
    amount = PayloadField(name="amount", type="decimal", description="The quoted price.")
    basket = PayloadField(name="basket_id", type="uuid")
    return Design(
        name="pricing",
        services=[
            Service(
                name="checkout-service",
                bounded_context="Checkout",
                owner="checkout team",
                publishes=["QuotePriceRequest", "RecalculatePrices"],
                consumes=["PriceQuoted"],
            ),
            Service(
                name="pricing-service",
                bounded_context="Pricing",
                owner="pricing team",
                publishes=["PriceQuoted"],
                consumes=["QuotePriceRequest", "RecalculatePrices"],
            ),
        ],
        events=[
            Event(
                name="QuotePriceRequest",
                role="request",
                expects_reply=True,
                producer="checkout-service",
                topic="pricing.requests",
                fields=[basket],
            ),
            Event(name="PriceQuoted", role="reply", producer="pricing-service", topic="pricing.replies",
                  fields=[basket, amount]),
            Event(name="RecalculatePrices", role="command", producer="checkout-service", topic="pricing.commands",
                  fields=[basket]),
        ],
        topics=[
            Topic(name="pricing.requests", partitions=6, events=["QuotePriceRequest"]),
            Topic(name="pricing.replies", partitions=6, events=["PriceQuoted"]),
            Topic(name="pricing.commands", partitions=3, purpose="command", events=["RecalculatePrices"]),
        ],
        consumers=[
            Consumer(
                name="pricing-service.quote",
                service="pricing-service",
                group="pricing-service.quote",
                subscriptions=["QuotePriceRequest"],
                emits=["PriceQuoted"],
                action="price the basket and reply",
            )
        ],
    )


def tricky_design() -> Design:
    """Names that are not ids, texts that are YAML numbers or MDX syntax, an owner with a colon, no owner."""
    return Design(
        name="tricky: names & text",
        services=[
            Service(
                name="Order Service",
                bounded_context="Order Management",
                description=TRICKY_TEXT,
                owner="Team: Orders #1",
                publishes=["Order Placed"],
                consumes=["1e3"],
                database="orders db",
            ),
            Service(name="billing", description="import the rest; export it later", publishes=["1e3"],
                    consumes=["Order Placed"]),
        ],
        events=[
            Event(
                name="Order Placed",
                producer="Order Service",
                topic="orders.{env}.events",
                description="- starts like a list: {x} <y> `z`",
                fields=[PayloadField(name="total", type="decimal", description="a {b} <c/> d")],
            ),
            Event(name="1e3", producer="billing", topic="billing.events", description="0o17"),
        ],
        topics=[
            Topic(name="orders.{env}.events", partitions=6, events=["Order Placed"]),
            Topic(name="billing.events", partitions=1, retention_days=None, cleanup_policy="compact", events=["1e3"]),
        ],
    )


@cache
def _design(name: str) -> Design:
    if name == "flagship":
        return plan(FLAGSHIP).design
    if name in DEV_SHAPES:
        return plan(_dev_briefs()[name]).design
    if name == "request-reply":
        return request_reply_design()
    if name == "tricky":
        return tricky_design()
    if name == "corpus-request-reply":
        if not REQUEST_REPLY_DOC.is_file():
            pytest.skip(f"the corpus document is missing: {REQUEST_REPLY_DOC}")
        from archassist.agent.asyncapi import import_asyncapi_file

        return import_asyncapi_file(REQUEST_REPLY_DOC).design
    raise AssertionError(name)


DESIGNS = ["flagship", *DEV_SHAPES, "request-reply", "tricky", "corpus-request-reply"]


def split(content: str) -> tuple[dict[str, Any], str]:
    """An EventCatalog file's frontmatter (parsed) and body."""
    assert content.startswith("---\n"), content[:40]
    head, _, body = content[4:].partition("\n---\n")
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


def _files(design: Design) -> dict[str, Artifact]:
    return {a.path: a for a in export(design, "eventcatalog")}


def _kind_of(path: str) -> str:
    """The resource type of a page, from the folder EventCatalog reads it from."""
    parts = path.split("/")
    if parts[0] == "teams":
        return "team"
    folder = parts[-3]
    return {
        "domains": "domain",
        "services": "service",
        "events": "event",
        "commands": "command",
        "queries": "query",
        "channels": "channel",
        "entities": "entity",
        "containers": "container",
        "flows": "flow",
    }[folder]


def _resources(files: dict[str, Artifact]) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    found: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for path, artifact in files.items():
        if path.endswith(".mdx"):
            front, _ = split(artifact.content)
            key = (_kind_of(path), str(front["id"]))
            assert key not in found, f"{key} twice"
            found[key] = (path, front)
    return found


# -- the catalog holds together ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DESIGNS)
def test_every_id_a_page_names_is_a_page_of_the_export(name: str) -> None:
    files = _files(_design(name))
    resources = _resources(files)
    versions = {key: str(front.get("version")) for key, (_, front) in resources.items()}

    def exists(kinds: tuple[str, ...], pointer: dict[str, Any], where: str) -> None:
        hits = [k for k in kinds if (k, pointer["id"]) in versions]
        assert hits, f"{where}: {pointer['id']} is not a {'/'.join(kinds)} of the export"
        assert pointer.get("version") in (None, "latest", versions[(hits[0], pointer["id"])]), where

    messages = ("event", "command", "query")
    for (kind, _rid), (path, front) in resources.items():
        assert isinstance(front["name"], str) and front["name"]
        assert isinstance(front["summary"], str) and front["summary"].strip(), path
        if kind != "team":
            assert str(front["version"]).count(".") == 2
            assert front["owners"], path
            for owner in front["owners"]:
                assert ("team", owner) in resources, f"{path}: owner {owner}"
        for pointer in front.get("services", []):
            exists(("service",), pointer, path)
        for pointer in front.get("entities", []):
            exists(("entity",), pointer, path)
        for pointer in front.get("writesTo", []):
            exists(("container",), pointer, path)
        for pointer in front.get("channels", []):
            exists(("channel",), pointer, path)
        for direction, channels in (("sends", "to"), ("receives", "from")):
            for pointer in front.get(direction, []):
                exists(messages, pointer, path)
                for channel in pointer.get(channels, []):
                    exists(("channel",), channel, path)
                for triggered in pointer.get("triggers", []):
                    exists(messages, triggered, path)
        if kind in messages:
            folder = path.rsplit("/", 1)[0]
            assert f"{folder}/{front['schemaPath']}" in files
            for schema in front.get("schemas", []):
                assert f"{folder}/{schema['path']}" in files
        if kind == "flow":
            ids = {step["id"] for step in front["steps"]}
            for step in front["steps"]:
                pointers = [k for k in ("message", "service") if k in step]
                assert len(pointers) <= 1
                for k in pointers:
                    exists(messages if k == "message" else ("service",), step[k], path)
                targets = step.get("next_steps", [step["next_step"]] if "next_step" in step else [])
                for target in targets:
                    assert (target["id"] if isinstance(target, dict) else target) in ids, f"{path}: {target}"


def test_the_layout_is_the_one_the_sdk_writes() -> None:
    design = _design("flagship")
    files = _files(design)
    paths = set(files)
    for service in design.services:
        assert f"domains/{service.bounded_context}/services/{service.name}/index.mdx" in paths
    contexts = {s.name: s.bounded_context for s in design.services}
    for event in design.events:
        producer = event.producer or ""
        assert f"domains/{contexts[producer]}/services/{producer}/events/{event.name}/index.mdx" in paths
    for command in design.commands:
        aggregate = design.aggregate(command.aggregate)
        assert aggregate is not None
        handler = design.service(aggregate.service)
        assert handler is not None
        folder = f"domains/{handler.bounded_context}/services/{handler.name}/commands/{command.name}"
        assert {f"{folder}/index.mdx", f"{folder}/schema.json"} <= paths
    for topic in design.topics:
        assert f"channels/{topic.name}/index.mdx" in paths
    for saga in design.sagas:
        assert any(p.endswith(f"/flows/{saga.name}/index.mdx") for p in paths)
    owners = {s.owner for s in design.services}
    assert {p for p in paths if p.startswith("teams/")} == {f"teams/{o.replace(' ', '-')}.mdx" for o in owners}
    # A service without a bounded context sits at the root, and so do the messages it owns.
    tricky = _files(_design("tricky"))
    assert "services/billing/index.mdx" in tricky and "services/billing/events/1e3/index.mdx" in tricky
    assert "domains/order-management/services/order-service/events/order-placed/index.mdx" in tricky


def _front(files: dict[str, Artifact], path: str) -> dict[str, Any]:
    return split(files[path].content)[0]


def test_services_send_and_receive_what_the_design_declares() -> None:
    design = _design("flagship")
    files = _files(design)
    index = CatalogIndex(design)
    for service in design.services:
        front = _front(files, f"{index.service_dir(service.name)}/index.mdx")
        sends = {p["id"]: p for p in front.get("sends", [])}
        receives = {p["id"]: p for p in front.get("receives", [])}
        assert set(service.publishes) <= set(sends)
        assert set(service.consumes) <= set(receives)
        for name in service.publishes:
            event = design.event(name)
            assert event is not None
            assert sends[name]["version"] == f"{event.version}.0.0"
            assert [c["id"] for c in sends[name]["to"]] == [event.topic]
        for consumer in design.consumers:
            if consumer.service == service.name:
                assert set(consumer.emits) <= set(sends)
                for name in consumer.subscriptions:
                    assert set(consumer.emits) <= {t["id"] for t in receives[name].get("triggers", [])}
    # The orchestrator sends every step's command and compensation, each to its command topic.
    saga = design.sagas[0]
    runner = _front(files, f"{index.service_dir(saga.orchestrator or '')}/index.mdx")
    sent = {p["id"] for p in runner["sends"]}
    assert {s.command for s in saga.steps} | {s.compensation_command for s in saga.steps if s.compensation_command} <= sent


def test_a_command_triggers_the_events_it_emits_with_the_saga_outcome_as_condition() -> None:
    design = _design("flagship")
    files = _files(design)
    index = CatalogIndex(design)
    payments = _front(files, f"{index.service_dir('payment-service')}/index.mdx")
    authorize = next(p for p in payments["receives"] if p["id"] == "AuthorizePayment")
    assert {t["id"]: t.get("condition") for t in authorize["triggers"]} == {
        "PaymentAuthorized": "when authorize_payment succeeds",
        "PaymentFailed": "when authorize_payment fails",
    }


def test_message_schemas_are_the_contract_modes_and_accept_its_example() -> None:
    design = _design("flagship")
    files = _files(design)
    index = CatalogIndex(design)
    for event in design.events:
        message = index.messages[event.name]
        contract = from_design(design, event, source=f"the design {design.name}")
        written = json.loads(files[f"{index.message_dir(message)}/schema.json"].content)
        assert written == json_schema(contract)
        jsonschema.Draft202012Validator(written, format_checker=jsonschema.FormatChecker()).validate(
            example_message(contract)
        )
    # A design command declares no payload: the schema holds its target and idempotency key and stays open.
    place = index.messages["PlaceOrder"]
    schema = json.loads(files[f"{index.message_dir(place)}/schema.json"].content)
    payload = schema["properties"]["payload"]
    assert payload["additionalProperties"] is True and "order_id" in payload["required"]
    assert schema == message_schema(index, place)


def test_an_avro_design_registers_avro_beside_the_json_schema() -> None:
    design = _design("flagship").model_copy(deep=True)
    design.style.schema_format = "avro"
    files = _files(design)
    index = CatalogIndex(design)
    placed = index.messages["OrderPlaced"]
    folder = index.message_dir(placed)
    front = _front(files, f"{folder}/index.mdx")
    assert front["schemaPath"] == "schema.avsc"
    assert [s["path"] for s in front["schemas"]] == ["schema.avsc", "schema.json"]
    avsc = json.loads(files[f"{folder}/schema.avsc"].content)
    event = design.event("OrderPlaced")
    assert event is not None
    assert avsc == avro_schema(from_design(design, event, source=f"the design {design.name}"))
    fastavro.parse_schema(avsc)
    # Commands keep only the JSON Schema: an open payload has no Avro form.
    assert f"{index.message_dir(index.messages['PlaceOrder'])}/schema.avsc" not in files


def test_channels_carry_address_protocol_and_the_kafka_settings() -> None:
    design = _design("flagship")
    files = _files(design)
    for topic in design.topics:
        front = _front(files, f"channels/{topic.name}/index.mdx")
        assert front["address"] == topic.name and front["protocols"] == ["kafka"]
        assert front["deliveryGuarantee"] == "at-least-once"
        kafka = front["x-kafka"]
        assert kafka["partitions"] == topic.partitions and kafka["replicas"] == topic.replication_factor
        assert kafka["config"]["retention.ms"] == round((topic.retention_days or 0) * 86_400_000)
        assert kafka["config"]["cleanup.policy"] == topic.cleanup_policy
        assert kafka["config"]["min.insync.replicas"] == topic.min_insync_replicas
    tricky = _files(_design("tricky"))
    templated = _front(tricky, "channels/orders.{env}.events/index.mdx")
    assert set(templated["parameters"]) == {"env"}
    forever = _front(tricky, "channels/billing.events/index.mdx")
    assert forever["x-kafka"]["config"]["retention.ms"] == -1
    assert {b["content"] for b in forever["badges"]} == {"1 partition", "Compacted"}


def test_request_reply_is_a_query_answered_by_a_reply() -> None:
    design = _design("request-reply")
    files = _files(design)
    query = "domains/Pricing/services/pricing-service/queries/QuotePriceRequest/index.mdx"
    reply = "domains/Pricing/services/pricing-service/events/PriceQuoted/index.mdx"
    command = "domains/Pricing/services/pricing-service/commands/RecalculatePrices/index.mdx"
    assert {query, reply, command} <= set(files)
    assert "Reply" in {b["content"] for b in _front(files, reply)["badges"]}
    pricing = _front(files, "domains/Pricing/services/pricing-service/index.mdx")
    asked = next(p for p in pricing["receives"] if p["id"] == "QuotePriceRequest")
    assert asked["triggers"] == [{"id": "PriceQuoted", "version": "1.0.0", "condition": "price the basket and reply"}]
    checkout = _front(files, "domains/Checkout/services/checkout-service/index.mdx")
    assert {p["id"] for p in checkout["sends"]} == {"QuotePriceRequest", "RecalculatePrices"}


def test_a_saga_is_a_flow_whose_failures_compensate_the_completed_steps() -> None:
    design = _design("flagship")
    files = _files(design)
    saga = design.sagas[0]
    path = next(p for p in files if p.endswith(f"/flows/{saga.name}/index.mdx"))
    steps = {s["id"]: s for s in _front(files, path)["steps"]}

    def after(step_id: str) -> list[str]:
        step = steps[step_id]
        found = step.get("next_steps", [step["next_step"]] if "next_step" in step else [])
        return [t["id"] if isinstance(t, dict) else t for t in found]

    assert steps["trigger"]["message"]["id"] == saga.trigger_event
    assert after("trigger") == ["1-reserve_stock-command"]
    assert after("2-authorize_payment-failed") == ["1-reserve_stock-undo-command"]
    assert after("1-reserve_stock-undo-done") == ["failed"] and after("1-reserve_stock-failed") == ["failed"]
    last = f"{len(saga.steps)}-{saga.steps[-1].name}-succeeded"
    assert after(last) == ["completed"] and steps["completed"]["message"]["id"] == saga.completion_event
    # With the pivot moved to the second step, later steps are retried forward: no failure branch, nothing undone.
    moved = design.model_copy(deep=True)
    for n, step in enumerate(moved.sagas[0].steps):
        step.pivot = n == 1
    moved_files = _files(moved)
    moved_steps = {s["id"] for s in _front(moved_files, path)["steps"]}
    assert "3-book_shipment-failed" not in moved_steps and "3-book_shipment-undo" not in moved_steps
    assert {"2-authorize_payment-failed", "1-reserve_stock-undo", "2-authorize_payment-undo"} <= moved_steps


def test_parts_without_an_owner_get_one_stand_in_team() -> None:
    files = _files(_design("tricky"))
    billing = _front(files, "services/billing/index.mdx")
    assert billing["owners"] == ["unassigned-owners"]
    team, body = split(files["teams/unassigned-owners.mdx"].content)
    assert "replace" in team["summary"] and "service billing" in body
    assert _front(files, "teams/team-orders-1.mdx")["name"] == "Team: Orders #1"


def test_a_name_that_is_not_an_id_keeps_its_name_and_ids_stay_unique() -> None:
    files = _files(_design("tricky"))
    domain = _front(files, "domains/order-management/index.mdx")
    assert domain["name"] == "Order Management" and domain["services"] == [{"id": "order-service", "version": "1.0.0"}]
    clash = Design(
        name="clash",
        services=[Service(name="order service", owner="a"), Service(name="Order-Service", owner="a"),
                  Service(name="order-service", owner="a")],
    )
    ids = sorted(_front(_files(clash), p)["id"] for p in _files(clash) if p.endswith("/index.mdx"))
    assert ids == ["Order-Service-2", "order-service", "order-service-3"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12, unique=True))
def test_ids_are_file_safe_and_unique_for_any_names(names: list[str]) -> None:
    from archassist.agent.export.eventcatalog_index import _Ids

    ids = _Ids()
    made = [ids(n) for n in names]
    assert len({m.lower() for m in made}) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._{}-]*", m) for m in made)
    assert [ids(n) for n in names] == made  # stable


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "name", "summary", "owner"]), st.text(max_size=60), min_size=1))
def test_frontmatter_reads_back_as_the_strings_written(values: dict[str, str]) -> None:
    front, body = split(document(dict(values), "body"))
    assert front == values and body.strip() == "body"


@pytest.mark.parametrize("value", ["1e3", "1.5e3", "0o17", "0x1F", "+12", ".5", "1_000", "12:30", "yes", "~", "null"])
def test_strings_js_yaml_reads_as_numbers_are_quoted(value: str) -> None:
    head = document({"summary": value}, "x").split("\n")[1]
    assert head in (f"summary: '{value}'", f'summary: "{value}"'), head


def test_design_text_cannot_open_mdx_syntax() -> None:
    for raw in [TRICKY_TEXT, "import x from 'y'", "export const a = 1", "{1+1}", "<script>", "- item", "12. x"]:
        escaped = text(raw)
        assert not escaped.startswith(("import", "export", "-", "12.")), escaped
        for char in "{}<>`|*_[]":
            assert char not in escaped.replace(f"\\{char}", ""), (raw, escaped)


def test_the_exporter_is_pure_and_sorted_through_the_base() -> None:
    design = _design("flagship")
    direct = export_eventcatalog(design, ExportOptions())
    through = export(design, "eventcatalog")
    assert [a.path for a in through] == sorted(a.path for a in direct)
    assert [a.content for a in export(design, "eventcatalog")] == [a.content for a in through]


# -- the CLI and the MCP tool ------------------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from archassist.agent.cli.exits import run
    from archassist.agent.cli.root import app

    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def design_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("design") / "flagship.yaml"
    path.write_text(dumps(_design("flagship"), "yaml"), encoding="utf-8")
    return path


def test_cli_writes_the_catalog_folder(design_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "catalog"
    code, stdout, stderr = _cli(capsys, "export", str(design_file), "--to", "eventcatalog", "-o", str(out))
    assert code == 0, stderr
    expected = _files(_design("flagship"))
    assert f"wrote {len(expected)} files" in stderr and stdout == ""
    for path, artifact in expected.items():
        assert (out / path).read_text(encoding="utf-8") == artifact.content


def test_cli_bad_input_is_one_line(design_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "export", str(design_file), "--to", "eventcatalog")
    assert code != 0 and "give a folder with -o DIR" in err
    code, _, err = _cli(capsys, "export", str(design_file), "--to", "eventcatlog", "-o", str(tmp_path / "x"))
    assert code == 2 and "did you mean 'eventcatalog'" in err
    not_a_design = tmp_path / "notes.yaml"
    not_a_design.write_text("title: shopping list\nitems: [milk]\n", encoding="utf-8")
    code, _, err = _cli(capsys, "export", str(not_a_design), "--to", "eventcatalog", "-o", str(tmp_path / "y"))
    assert code == 2 and "notes.yaml" in err and len(err.strip().splitlines()) == 1
    a_file = tmp_path / "taken"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = _cli(capsys, "export", str(design_file), "--to", "eventcatalog", "-o", str(a_file))
    assert code == 2 and "is not a folder" in err and a_file.read_text(encoding="utf-8") == "x"


def test_cli_refuses_a_symlink_that_leads_outside(design_file: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, outside = tmp_path / "catalog", tmp_path / "elsewhere"
    out.mkdir()
    outside.mkdir()
    (out / "channels").symlink_to(outside, target_is_directory=True)
    code, _, err = _cli(capsys, "export", str(design_file), "--to", "eventcatalog", "-o", str(out))
    assert code == 2 and "through a symlink" in err
    assert list(outside.iterdir()) == [] and not (out / "domains").exists()  # nothing written at all


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_export_tool_returns_or_writes_the_catalog(tmp_path: Path) -> None:
    from archassist.tools.results import MAX_STRUCTURED_CHARS, structured_size
    from archassist.tools.server import build_server
    from mcp import Client

    design = _design("request-reply")
    (tmp_path / "pricing.yaml").write_text(dumps(design, "yaml"), encoding="utf-8")
    expected = _files(design)
    async with Client(build_server(tmp_path, None)) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "export")
        inline = await client.call_tool("export", {"kind": "eventcatalog", "text": dumps(design, "json")})
        assert not inline.is_error, inline.content[0].text
        data = inline.structured_content
        jsonschema.validate(data, tool.output_schema)
        assert structured_size(data) <= MAX_STRUCTURED_CHARS
        assert data["written_to"] is None and data["file_count"] == len(expected)
        shown = {f["path"]: f["content"] for f in data["files"] if f["content"] is not None}
        assert shown and all(expected[p].content == c for p, c in shown.items())
        written = await client.call_tool("export", {"kind": "eventcatalog", "path": "pricing.yaml",
                                                    "output_dir": "catalog"})
        assert not written.is_error, written.content[0].text
        assert written.structured_content["written_to"] == "catalog"
        for path, artifact in expected.items():
            assert (tmp_path / "catalog" / path).read_text(encoding="utf-8") == artifact.content
        outside = await client.call_tool("export", {"kind": "eventcatalog", "path": "pricing.yaml",
                                                    "output_dir": "../escape"})
        assert outside.is_error and not (tmp_path.parent / "escape").exists()
        # The flagship's catalog is far more text than the structured result holds: contents go inline only while
        # they fit, and whatever of the file list is cut is counted under `omitted`; the text lists every file.
        flagship = _files(_design("flagship"))
        big = await client.call_tool("export", {"kind": "eventcatalog", "text": dumps(_design("flagship"), "json")})
        data = big.structured_content
        jsonschema.validate(data, tool.output_schema)
        assert structured_size(data) <= MAX_STRUCTURED_CHARS and data["file_count"] == len(flagship)
        assert len(data["files"]) + data.get("omitted", {}).get("files", 0) == len(flagship)
        assert sum(len(a.content) for a in flagship.values()) > MAX_STRUCTURED_CHARS
        assert any(f["content"] is None for f in data["files"])
        assert all(f"`{path}`" in big.content[0].text for path in flagship)


# -- the real tools ------------------------------------------------------------------------------------------------


def _node_modules() -> Path:
    """The node_modules folder holding the EventCatalog tools: $ARCHASSIST_NODE_TOOLS, or the linter on PATH."""
    tools = os.environ.get("ARCHASSIST_NODE_TOOLS")
    search = os.pathsep.join([*([str(Path(tools) / "node_modules" / ".bin")] if tools else []), os.environ["PATH"]])
    linter = shutil.which("eventcatalog-linter", path=search)
    if linter is None or shutil.which("node") is None:
        require_external("eventcatalog-linter", "the EventCatalog linter is not installed (npm install "
                         "@eventcatalog/linter@1 @eventcatalog/sdk@2 @mdx-js/mdx@3)")
    assert linter is not None
    modules = Path(linter).parent.parent
    for package in ("@eventcatalog/sdk", "@mdx-js/mdx"):
        if not (modules / package).is_dir():
            require_external(package, f"{package} is not installed beside the linter in {modules}")
    return modules


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    linter = _node_modules() / ".bin" / "eventcatalog-linter"
    return subprocess.run([str(linter), "--fail-on-warning", str(folder)], capture_output=True, text=True,
                          timeout=180, check=False, env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"})


def _write(design: Design, folder: Path) -> Path:
    from archassist.agent.export.write import write_artifacts

    write_artifacts(export(design, "eventcatalog"), folder)
    return folder


@pytest.mark.external
@pytest.mark.parametrize("name", DESIGNS)
def test_the_eventcatalog_linter_accepts_the_export(name: str, tmp_path: Path) -> None:
    folder = _write(_design(name), tmp_path / name)
    done = _lint(folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found" in done.stdout


def _break(folder: Path, path: str, old: str, new: str) -> None:
    target = folder / path
    content = target.read_text(encoding="utf-8")
    assert old in content, (path, old)
    target.write_text(content.replace(old, new, 1), encoding="utf-8")


@pytest.mark.external
@pytest.mark.parametrize(
    ("breakage", "rule"),
    [
        ("missing-channel", "refs/channel-exists"),
        ("wrong-version", "refs/valid-version-range"),
        ("bad-semver", "schema/valid-semver"),
        ("unknown-owner", "refs/owner-exists"),
        ("template-colon", "parse-error"),
        ("no-summary", "best-practices/summary-required"),
    ],
)
def test_the_linter_rejects_a_broken_copy(breakage: str, rule: str, tmp_path: Path) -> None:
    """Each breakage is one a hand-written template or a stale reference makes; the linter must name it."""
    design = _design("flagship")
    folder = _write(design, tmp_path / "catalog")
    index = CatalogIndex(design)
    service = f"{index.service_dir('payment-service')}/index.mdx"
    if breakage == "missing-channel":
        shutil.rmtree(folder / "channels" / "payments.events")
    elif breakage == "wrong-version":
        _break(folder, service, "- id: PaymentAuthorized\n  version: 1.0.0", "- id: PaymentAuthorized\n  version: 9.0.0")
    elif breakage == "bad-semver":
        _break(folder, service, "version: 1.0.0\nsummary:", "version: v1\nsummary:")
    elif breakage == "unknown-owner":
        _break(folder, service, "owners:\n- payments-team", "owners:\n- nobody")
    elif breakage == "template-colon":  # what `name: {name}` in a string template writes for a name with a colon
        _break(folder, service, "name: payment-service", "name: Payments: the service")
    elif breakage == "no-summary":
        content = (folder / service).read_text(encoding="utf-8")
        (folder / service).write_text(re.sub(r"summary:.*?\nowners:", "owners:", content, count=1, flags=re.S),
                                      encoding="utf-8")
    done = _lint(folder)
    assert done.returncode != 0, done.stdout
    assert rule in done.stdout, done.stdout


@pytest.fixture(scope="module")
def read_back(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every design's export as @eventcatalog/sdk reads it, and every page body as MDX parses it (one Node run)."""
    modules = _node_modules()
    root = tmp_path_factory.mktemp("read-back")
    folders = {}
    for name in DESIGNS:
        try:
            folders[name] = _write(_design(name), root / name)
        except pytest.skip.Exception:
            continue
    script = root / "read_catalog.cjs"
    script.write_text(READ_CATALOG_JS, encoding="utf-8")
    done = subprocess.run(["node", str(script), str(modules), *map(str, folders.values())], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return {name: data[str(folder)] for name, folder in folders.items()}


@pytest.mark.external
@pytest.mark.parametrize("name", DESIGNS)
def test_the_sdk_reads_back_the_design(name: str, read_back: dict[str, dict[str, Any]]) -> None:
    design = _design(name)
    if name not in read_back:
        pytest.skip(f"{name} was not exported")
    got = read_back[name]
    contexts = {s.bounded_context for s in design.services if s.bounded_context}
    assert {d["name"] for d in got["domains"]} == contexts
    for domain in got["domains"]:
        expected = {s.name for s in design.services if s.bounded_context == domain["name"]}
        names = {s["id"]: s["name"] for s in got["services"]}
        assert {names[p["id"]] for p in domain["services"]} == expected
    services = {s["name"]: s for s in got["services"]}
    assert set(services) == {s.name for s in design.services}
    messages = {m["name"]: m for kind in ("events", "commands", "queries") for m in got[kind]}
    ids = {m["name"]: m["id"] for m in messages.values()}
    for service in design.services:
        sends = {p["id"] for p in services[service.name].get("sends", [])}
        receives = {p["id"] for p in services[service.name].get("receives", [])}
        assert {ids[n] for n in service.publishes if n in ids} <= sends
        assert {ids[n] for n in service.consumes if n in ids} <= receives
    collection = {"event": "events", "reply": "events", "command": "commands", "request": "queries"}
    for event in design.events:
        found = next(m for m in got[collection[event.role]] if m["name"] == event.name)
        assert found["version"] == f"{event.version or 1}.0.0"
        contract = from_design(design, event, source=f"the design {design.name}")
        avro = design.style.schema_format == "avro"
        assert found["schema"] == (avro_schema(contract) if avro else json_schema(contract))
        if event.topic:
            channel_ids = {c["id"]: c for c in got["channels"]}
            assert any(channel_ids[c["id"]]["address"] == event.topic for c in found["channels"])
    for command in design.commands:
        if design.event(command.name) is None:
            assert any(m["name"] == command.name for m in got["commands"])
    channels = {c["address"]: c for c in got["channels"]}
    for topic in design.topics:
        channel = channels[topic.name]
        if design.style.broker == "kafka":
            assert channel["x-kafka"].get("partitions") == topic.partitions
    owners = {s.owner.strip() for s in design.services if s.owner.strip()}
    assert owners <= set(got["teams"])


@pytest.mark.external
@pytest.mark.parametrize("name", DESIGNS)
def test_every_page_body_is_mdx_that_says_what_we_wrote(name: str, read_back: dict[str, dict[str, Any]]) -> None:
    if name not in read_back:
        pytest.skip(f"{name} was not exported")
    pages = read_back[name]["pages"]
    for path, parsed in pages.items():
        assert parsed["error"] is None, (path, parsed["error"])
        assert parsed["expressions"] == [] and parsed["esm"] == [], path
        assert set(parsed["jsx"]) <= COMPONENTS, path
    if name == "tricky":
        said = " ".join(pages["domains/order-management/services/order-service/index.mdx"]["text"])
        assert TRICKY_TEXT in said
        event_page = pages["domains/order-management/services/order-service/events/order-placed/index.mdx"]
        assert "- starts like a list: {x} <y> `z`" in " ".join(event_page["text"])
        assert "import the rest; export it later" in " ".join(pages["services/billing/index.mdx"]["text"])


READ_CATALOG_JS = r"""
// Reads exported catalogs through @eventcatalog/sdk and parses every page body with @mdx-js/mdx.
// argv: NODE_MODULES CATALOG...; prints one JSON object keyed by catalog folder.
const path = require('node:path');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');
const [modules, ...catalogs] = process.argv.slice(2);
const sdkModule = require(path.join(modules, '@eventcatalog', 'sdk'));
const sdk = sdkModule.default || sdkModule;
// gray-matter is the SDK's own frontmatter reader: take the copy the SDK resolves, wherever npm put it.
const sdkDir = path.join(modules, '@eventcatalog', 'sdk');
const matter = require(require.resolve('gray-matter', { paths: [sdkDir] }));

const pick = (resource, keys) =>
  Object.fromEntries(keys.filter((k) => resource[k] !== undefined).map((k) => [k, resource[k]]));
const MESSAGE = ['id', 'name', 'version', 'summary', 'owners', 'channels', 'schemaPath', 'schema', 'badges'];

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.name.endsWith('.mdx') ? [full] : [];
  });
}

function collect(node, out) {
  if (node.type === 'text' || node.type === 'inlineCode') out.text.push(node.value);
  if (node.type === 'mdxJsxFlowElement' || node.type === 'mdxJsxTextElement') out.jsx.push(node.name);
  if (node.type === 'mdxFlowExpression' || node.type === 'mdxTextExpression') out.expressions.push(node.value);
  if (node.type === 'mdxjsEsm') out.esm.push(node.value);
  for (const child of node.children || []) collect(child, out);
  return out;
}

(async () => {
  const mdx = await import(pathToFileURL(path.join(modules, '@mdx-js', 'mdx', 'index.js')).href);
  const result = {};
  for (const dir of catalogs) {
    const c = sdk(dir);
    const pages = {};
    for (const file of walk(dir)) {
      const { content } = matter(fs.readFileSync(file, 'utf8'));
      const entry = { text: [], jsx: [], expressions: [], esm: [], error: null };
      try {
        await mdx.compile(content);
        collect(mdx.createProcessor().parse(content), entry);
      } catch (error) {
        entry.error = String(error.message || error);
      }
      pages[path.relative(dir, file).split(path.sep).join('/')] = entry;
    }
    const list = async (promise) => (await promise) || [];
    result[dir] = {
      domains: (await list(c.getDomains({ latestOnly: true }))).map((d) =>
        pick(d, ['id', 'name', 'version', 'owners', 'services', 'entities'])),
      services: (await list(c.getServices({ latestOnly: true }))).map((s) =>
        pick(s, ['id', 'name', 'version', 'summary', 'owners', 'sends', 'receives', 'entities', 'writesTo'])),
      events: (await list(c.getEvents({ latestOnly: true, attachSchema: true }))).map((m) => pick(m, MESSAGE)),
      commands: (await list(c.getCommands({ latestOnly: true, attachSchema: true }))).map((m) => pick(m, MESSAGE)),
      queries: (await list(c.getQueries({ latestOnly: true, attachSchema: true }))).map((m) => pick(m, MESSAGE)),
      channels: (await list(c.getChannels({ latestOnly: true }))).map((ch) =>
        pick(ch, ['id', 'name', 'version', 'owners', 'address', 'protocols', 'parameters', 'deliveryGuarantee',
                  'x-kafka'])),
      teams: (await list(c.getTeams())).map((t) => t.name),
      pages,
    };
  }
  process.stdout.write(JSON.stringify(result));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
"""


@pytest.mark.parametrize("value", ["0\n", "a\n\nb  \n", "line\r\nbreak", "\n"])
def test_frontmatter_keeps_line_breaks_exactly(value: str) -> None:
    front, _ = split(document({"summary": value}, "body"))
    assert front == {"summary": value}
