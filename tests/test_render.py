"""Renderers: Markdown document, structured report, Mermaid diagrams and DDL, from one hand-built design."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.model.design import (
    Column,
    Consumer,
    Design,
    Event,
    EventStore,
    Saga,
    SagaStep,
    Service,
    Style,
    Topic,
)
from archassist.agent.render.formats import (
    FORMATS,
    REPORT_KEYS,
    RETRY_COUNTING,
    SECTION_HEADINGS,
    event_store_ddl,
    format_days,
    md_cell,
    mermaid,
    mermaid_diagrams,
    mermaid_flowchart,
    mermaid_sequence,
    outbox_ddl,
    render,
    report,
)

FIXTURE = Path(__file__).parent / "fixtures" / "render_design.yaml"

FINDINGS = [
    {
        "code": "EDA210",
        "severity": "warning",
        "message": "Retries | no jitter",
        "pointer": "/consumers/1/retry",
    },
    {
        "code": "EDA001",
        "severity": "error",
        "message": "Event name is not past tense",
        "pointer": "/events/0",
        "fix": "Rename it",
    },
]
PRECEDENTS = [{"id": "P-7", "title": "Orchestrate money flows", "decision": "One orchestrator per checkout."}]

ID = re.compile(r"^[A-Za-z0-9_]+$")
# A Markdown table cell boundary: a pipe not escaped with a backslash.
CELL_SPLIT = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def design() -> Design:
    return Design.model_validate(yaml.safe_load(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def document(design: Design) -> str:
    return render(design, "markdown", findings=FINDINGS, precedents=PRECEDENTS)


def section(markdown: str, heading: str) -> str:
    """The body of one level-2 section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, flags=re.M | re.S)
    assert match, f"section {heading!r} missing"
    return match.group(1)


def tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table outside code fences, as rows of cells."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            current.append([cell.strip() for cell in CELL_SPLIT.split(line)[1:-1]])
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def fenced(markdown: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", markdown, flags=re.M | re.S)


def block_balance(diagram: str) -> tuple[int, int]:
    lines = [line.strip() for line in diagram.splitlines()]
    opened = sum(1 for line in lines if re.match(r"^(alt|opt|loop|par|rect|critical|break)\b", line))
    closed = sum(1 for line in lines if line == "end")
    return opened, closed


def sequence_ids(diagram: str) -> set[str]:
    ids = set(re.findall(r"^\s*participant (\S+) as ", diagram, flags=re.M))
    for source, target in re.findall(r"^\s*(\S+?)-?->>(\S+?):", diagram, flags=re.M):
        ids.update((source, target))
    return ids


# ----------------------------------------------------------------------------------------------------------
# Markdown document


def test_every_section_heading_is_present(document: str) -> None:
    headings = re.findall(r"^## (.+)$", document, flags=re.M)
    assert headings == list(SECTION_HEADINGS)
    assert document.startswith("# Customers place orders") and "`checkout` · event-driven architecture" in document


def test_optional_sections_only_when_they_have_content(design: Design) -> None:
    plain = render(design, "markdown")
    assert "## Findings" not in plain
    assert "## Precedents applied" not in plain
    bare = Design(name="x")
    text = render(bare, "markdown")
    for heading in ("Event store schema", "Transactional outbox", "Findings", "Precedents applied"):
        assert f"## {heading}" not in text
    sourced = render(Design(name="x", style=Style(event_sourcing=True)), "markdown")
    assert "UNIQUE (aggregate_id, version)" in section(sourced, "Event store schema")


def test_overview_states_style_and_requirements(document: str) -> None:
    overview = section(document, "Overview")
    assert "**Coordination:** hybrid — One orchestrator owns the checkout state" in overview
    assert "**Event sourcing:** yes" in overview
    assert "**CQRS:** yes" in overview
    assert "**Broker:** kafka" in overview
    assert "**Throughput:** 1,200 events/s sustained" in overview
    assert "**Peak:** 3,600 events/s (3x sustained)" in overview
    assert "**Latency (p99):** 500 ms" in overview
    assert "**Delivery guarantee:** effectively once" in overview
    assert "**Audit trail:** required" in overview
    assert "**Retention:** 2,555 days" in overview
    assert "3 payload fields marked PII" in overview


def test_event_catalog_lists_every_event_and_marks_pii(design: Design, document: str) -> None:
    catalog = section(document, "Event catalog")
    table = tables(catalog)[0]
    assert table[0] == [
        "Event",
        "Version",
        "Kind",
        "Producer",
        "Topic",
        "Partition key",
        "Consumers",
        "Fields",
    ]
    rows = {row[0].strip("`"): row for row in table[2:]}
    assert list(rows) == [event.name for event in design.events]
    placed = rows["OrderPlaced"]
    assert placed[3] == "`orders`" and placed[4] == "`orders.events`" and placed[5] == "`order_id`"
    assert placed[6] == "`payments`"
    assert "`customer_email`: string **PII** (crypto shredding)" in placed[7]
    assert "`card_last4`: string **PII** (unprotected)" in rows["PaymentAuthorized"][7]
    assert rows["PaymentAuthorized"][6] == "`orders`, `inventory`"


def test_event_examples_are_valid_json_with_the_envelope(design: Design, document: str) -> None:
    examples = [json.loads(block) for block in fenced(section(document, "Event catalog"), "json")]
    assert 1 <= len(examples) <= 3
    for example in examples:
        assert list(example)[:-1] == design.envelope.fields
        assert isinstance(example["data"], dict)
    first = examples[0]
    assert first["event_type"] == "OrderPlaced"
    # The aggregate id in the envelope is the order id in the payload.
    assert first["aggregate_id"] == first["data"]["order_id"]
    # Protected personal data never appears in clear in an example.
    assert first["data"]["customer_email"].startswith("enc:")


def test_tables_have_consistent_columns_and_escaped_pipes(document: str) -> None:
    found = tables(document)
    assert len(found) >= 10
    for table in found:
        width = len(table[0])
        assert all(len(row) == width for row in table), table[0]
    assert "No dual writes \\| no lost events." in section(document, "Trade-offs")
    assert "Retries \\| no jitter" in section(document, "Findings")


def test_md_cell_escapes_pipes_and_newlines() -> None:
    assert md_cell("a | b\nc") == "a \\| b<br>c"
    assert md_cell(None) == "—"
    assert md_cell("") == "—"


def test_topics_consumers_and_commands(document: str) -> None:
    topics = tables(section(document, "Topics"))[0]
    assert topics[0][:8] == [
        "Topic",
        "Purpose",
        "Partitions",
        "Replication",
        "Min ISR",
        "Retention",
        "Cleanup",
        "Key",
    ]
    by_name = {row[0]: row for row in topics[2:]}
    assert by_name["`orders.events`"][2:6] == ["12", "3", "2", "30d"]
    assert by_name["`orders.audit`"][5:7] == ["forever", "compact"]

    consumers = section(document, "Consumers and reliability")
    rows = {row[0]: row for row in tables(consumers)[0][2:]}
    authorizer = rows["`payment-authorizer`"]
    assert authorizer[4] == "idempotency key on `order_id` (store postgresql, kept 30 days)"
    assert authorizer[5] == "5 attempts, exponential backoff 200 ms → 30 s, factor 2, jitter"
    assert authorizer[6].startswith("`payments.events.dlq`, kept 14 days, manual redrive")
    assert rows["`shipment-scheduler`"][6] == "design default"
    assert "Design default for failed messages: 4 attempts" in consumers

    commands = tables(section(document, "Commands"))[0]
    assert [row[0] for row in commands[2:]][:2] == ["`PlaceOrder`", "`CancelOrder`"]


def test_read_models_event_store_and_outbox(document: str) -> None:
    read_models = tables(section(document, "Read models"))[0]
    assert [row[0] for row in read_models[2:]] == ["`order_summary`", "`customer_order_history`"]
    ddl = fenced(section(document, "Event store schema"), "sql")
    assert len(ddl) == 1 and "UNIQUE (aggregate_id, version)" in ddl[0]
    outbox = section(document, "Transactional outbox")
    assert "`payments`, `inventory`, `shipping`" in outbox
    assert "CREATE TABLE IF NOT EXISTS outbox" in fenced(outbox, "sql")[0]


def test_sagas_have_step_tables_and_sequence_diagrams(document: str) -> None:
    sagas = section(document, "Sagas")
    assert "### CheckoutSaga" in sagas and "### RestockFlow" in sagas
    steps = tables(sagas)[0]
    assert steps[0] == [
        "#",
        "Step",
        "Service",
        "Action",
        "On success",
        "On failure",
        "Compensation",
        "Timeout",
        "Notes",
    ]
    assert steps[2][6] == "refund the payment (`RefundPayment` → `PaymentRefunded`)"
    assert steps[2][7] == "30 s"
    assert steps[3][8] == "pivot"
    diagrams = fenced(sagas, "mermaid")
    assert len(diagrams) == 2
    assert all(diagram.startswith("sequenceDiagram\n") for diagram in diagrams)
    flow = fenced(section(document, "Flow diagram"), "mermaid")
    assert len(flow) == 1 and flow[0].startswith("flowchart LR\n")


def test_observability_decisions_findings_suppressions(document: str) -> None:
    observability = section(document, "Observability")
    alerts = {row[0]: row for row in tables(observability)[1][2:]}
    assert alerts["Checkout lag"][1] == "`consumer_lag` > 10,000 for 5m"
    assert alerts["Slow checkout"][1] == "`saga_duration_seconds` > 120 s for 5m"
    assert "**Correlation id:** propagated" in observability
    assert "**Tracing:** OpenTelemetry" in observability

    decisions = section(document, "Decisions")
    assert "### ADR-001: Orchestrate checkout coordination from the order service" in decisions
    for label in (
        "Status",
        "Context",
        "Decision",
        "Consequences",
        "Alternatives considered",
        "Follows precedents",
    ):
        assert f"- **{label}:**" in decisions
    assert "**P-7** Orchestrate money flows: One orchestrator per checkout. (applied in ADR-001)" in section(
        document, "Precedents applied"
    )

    findings = section(document, "Findings")
    rows = tables(findings)[0]
    assert rows[0] == ["Severity", "Code", "Message", "Pointer", "Fix"]
    assert [row[1] for row in rows[2:]] == ["`EDA001`", "`EDA210`"]  # errors first
    assert "1 error, 1 warning." in findings
    assert tables(section(document, "Suppressions"))[0][2][:2] == ["`EDA305`", "`/sagas/0/steps/2`"]


def test_findings_may_be_objects_with_fields() -> None:
    from archassist.agent.model.findings import Finding

    finding = Finding(code="EDA100", name="x", severity="info", message="Note this", pointer="/topics/0")
    text = render(Design(name="x"), "markdown", findings=[finding])  # type: ignore[list-item]
    assert "| info | `EDA100` | Note this | `/topics/0` |" in text


def test_empty_design_says_none_instead_of_empty_tables() -> None:
    text = render(Design(name="x"), "markdown")
    for heading in (
        "Assumptions",
        "Event catalog",
        "Aggregates",
        "Topics",
        "Commands",
        "Read models",
        "Sagas",
        "Decisions",
        "Trade-offs",
        "Suppressions",
    ):
        body = section(text, heading)
        assert "None." in body, heading
        assert "|---" not in body, heading


def test_markdown_is_deterministic(design: Design) -> None:
    assert render(design, "markdown") == render(design, "markdown")


# ----------------------------------------------------------------------------------------------------------
# Structured report


def test_report_has_exactly_the_seed_keys(design: Design) -> None:
    data = report(design)
    assert (
        tuple(data)
        == REPORT_KEYS
        == (
            "services",
            "events",
            "event_store",
            "topics",
            "aggregates",
            "projections",
            "sagas",
            "dead_letter_config",
            "decisions",
        )
    )
    assert all(
        list(s) == ["name", "bounded_context", "database", "publishing", "publishes", "consumes"]
        for s in data["services"]
    )
    assert all(
        list(e) == ["name", "version", "aggregate", "producer", "topic", "partition_key", "fields", "compatibility"]
        for e in data["events"]
    )
    assert all(list(d) == ["id", "title", "status", "decision"] for d in data["decisions"])
    assert list(data["event_store"]) == ["table", "partitioning", "indexes", "unique", "snapshot_table"]
    assert all(
        list(t) == ["name", "partitions", "retention", "replication", "key", "events", "consumers"]
        for t in data["topics"]
    )
    assert all(list(a) == ["name", "events", "snapshot_frequency"] for a in data["aggregates"])
    assert all(list(p) == ["name", "source_events", "update_strategy"] for p in data["projections"])
    assert all(list(s) == ["name", "coordination", "steps", "compensation"] for s in data["sagas"])
    assert list(data["dead_letter_config"]) == [
        "max_attempts",
        "max_retries",
        "retry_counting",
        "backoff",
        "dlq_retention",
    ]


def test_report_values(design: Design) -> None:
    data = report(design)
    assert data["event_store"] == {
        "table": "order_events",
        "partitioning": "by aggregate_id",
        "indexes": ["aggregate_id", "event_type", "timestamp"],
        "unique": [["aggregate_id", "version"]],
        "snapshot_table": "order_snapshots",
    }
    topics = {t["name"]: t for t in data["topics"]}
    assert topics["orders.events"] == {
        "name": "orders.events",
        "partitions": 12,
        "retention": "30d",
        "replication": 3,
        "key": "order_id",
        "events": ["OrderPlaced", "OrderConfirmed", "OrderCancelled"],
        "consumers": ["payments"],
    }
    assert topics["payments.events"]["consumers"] == ["orders", "inventory"]
    assert topics["inventory.events"]["consumers"] == ["orders", "shipping"]
    assert topics["payments.commands"]["consumers"] == ["payments"]
    assert topics["orders.audit"]["retention"] == "forever"
    assert topics["payments.events.dlq"]["key"] is None

    aggregates = {a["name"]: a for a in data["aggregates"]}
    assert aggregates["Order"] == {
        "name": "Order",
        "events": ["OrderPlaced", "OrderConfirmed", "OrderCancelled"],
        "snapshot_frequency": 50,
    }
    assert aggregates["Payment"]["snapshot_frequency"] is None  # not stored in the event store
    assert aggregates["StockItem"]["events"] == ["StockReserved", "StockUnavailable", "StockReleased"]

    assert data["projections"][0] == {
        "name": "order_summary",
        "source_events": ["OrderPlaced", "OrderConfirmed", "OrderCancelled", "ShipmentScheduled"],
        "update_strategy": "eventual",
    }
    assert data["sagas"] == [
        {
            "name": "CheckoutSaga",
            "coordination": "orchestration",
            "steps": ["authorize_payment", "reserve_stock", "schedule_shipment"],
            "compensation": False,
        },
        {
            "name": "RestockFlow",
            "coordination": "choreography",
            "steps": ["refund_payment", "release_stock"],
            "compensation": True,
        },
    ]
    # The policy allows 4 attempts: the first delivery and 3 retries.
    assert data["dead_letter_config"] == {
        "max_attempts": 4,
        "max_retries": 3,
        "retry_counting": RETRY_COUNTING,
        "backoff": "exponential",
        "dlq_retention": "14d",
    }
    assert [s["name"] for s in data["services"]] == [s.name for s in design.services]
    assert [e["name"] for e in data["events"]] == [e.name for e in design.events]
    assert all(e["topic"] for e in data["events"])
    assert [d["title"] for d in data["decisions"]] == [d.title for d in design.decisions]


def test_report_snapshot_falls_back_to_the_event_store_for_event_sourced_services(design: Design) -> None:
    changed = design.model_copy(deep=True)
    changed.aggregates[0].snapshot_every = None
    assert report(changed)["aggregates"][0]["snapshot_frequency"] == 100


def test_report_format_is_json_of_the_report(design: Design) -> None:
    text = render(design, "report")
    assert json.loads(text) == report(design)
    assert text == render(design, "report")


def test_report_of_empty_design() -> None:
    data = report(Design(name="x"))
    assert data["event_store"] is None
    assert data["topics"] == data["aggregates"] == data["projections"] == data["sagas"] == []
    assert data["services"] == data["events"] == data["decisions"] == []
    assert data["dead_letter_config"]["max_attempts"] == 5 and data["dead_letter_config"]["max_retries"] == 4


def test_report_and_markdown_state_the_same_attempts(design: Design) -> None:
    """The Markdown says '4 attempts' for the default policy; the report says the same figure, and its retries."""
    config = report(design)["dead_letter_config"]
    policy_line = next(line for line in render(design, "markdown").splitlines() if "then the message moves" in line)
    assert f"{config['max_attempts']} attempts" in policy_line
    assert config["max_retries"] == config["max_attempts"] - 1


@pytest.mark.parametrize(
    ("days", "text"),
    [(7, "7d"), (14.0, "14d"), (None, "forever"), (0.5, "12h"), (1.5, "36h"), (0.01, "0.01d")],
)
def test_format_days(days: float | None, text: str) -> None:
    assert format_days(days) == text


# ----------------------------------------------------------------------------------------------------------
# Mermaid


def test_flowchart_structure(design: Design) -> None:
    chart = mermaid_flowchart(design)
    lines = chart.splitlines()
    assert lines[0] == "flowchart LR"
    declared: set[str] = set()
    edges: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        node = re.match(r'^    (\S+?)(\["|\(\["|\[\(")', line)
        edge = re.match(r'^    (\S+) (-->|-\.->)\|"([^"]*)"\| (\S+)$', line)
        assert node or edge, line
        if node:
            declared.add(node.group(1))
        if edge:
            edges.append((edge.group(1), edge.group(3), edge.group(4)))
    assert all(ID.match(node) for node in declared)
    assert {s for s, _, _ in edges} | {t for _, _, t in edges} <= declared
    assert ("svc_orders", "OrderPlaced, OrderConfirmed, OrderCancelled", "topic_orders_events") in edges
    assert ("topic_payments_events", "PaymentAuthorized", "svc_inventory") in edges
    assert ("svc_orders", "AuthorizePayment, RefundPayment", "topic_payments_commands") in edges
    assert ("svc_payments", "failed messages", "topic_payments_events_dlq") in edges


def test_flowchart_sanitizes_ids_and_escapes_labels() -> None:
    design = Design(
        name="odd",
        services=[
            Service(name='billing "v2" <eu>; #1', publishes=["InvoiceIssued"]),
            Service(name="end", consumes=["InvoiceIssued"]),
            Service(name="a.b", consumes=["InvoiceIssued"]),
            Service(name="a_b"),
        ],
        events=[Event(name="InvoiceIssued", topic="billing.events")],
        topics=[Topic(name="billing.events")],
    )
    chart = mermaid_flowchart(design)
    ids = re.findall(r"^    ([A-Za-z0-9_]+)[\[(]", chart, flags=re.M)
    assert len(ids) == len(set(ids)) == 5
    assert "svc_a_b" in ids and "svc_a_b_2" in ids  # two names, two ids
    assert "svc_end" in ids  # never the bare keyword
    assert 'svc_billing_v2_eu_1["billing #quot;v2#quot; #lt;eu#gt;#59; #35;1"]' in chart
    # A label's quotes only open and close it.
    for line in chart.splitlines()[1:]:
        assert line.count('"') % 2 == 0, line


def test_flowchart_draws_events_without_topic_as_dashed_direct_edges() -> None:
    design = Design(
        name="d",
        services=[Service(name="a", publishes=["Thing"]), Service(name="b")],
        events=[Event(name="Thing")],
        consumers=[Consumer(name="c", service="b", subscriptions=["Thing"])],
    )
    assert '    svc_a -.->|"Thing"| svc_b' in mermaid_flowchart(design)


def test_orchestrated_sequence_has_happy_and_compensation_paths(design: Design) -> None:
    diagram = mermaid_sequence(design, "CheckoutSaga")
    lines = diagram.splitlines()
    assert lines[0] == "sequenceDiagram"
    opened, closed = block_balance(diagram)
    assert opened == closed > 0
    assert all(ID.match(i) for i in sequence_ids(diagram))
    # Happy path: the orchestrator sends each command and receives each success event, in order.
    happy = [line.strip() for line in lines if "orch_orders->>svc_" in line and "Refund" not in line]
    assert happy == [
        "orch_orders->>svc_payments: AuthorizePayment",
        "orch_orders->>svc_inventory: ReserveStock",
        "orch_orders->>svc_shipping: ScheduleShipment",
    ]
    assert "        svc_payments-->>orch_orders: PaymentAuthorized" in lines
    assert diagram.count("    alt ") == 3 and diagram.count("    else ") == 3
    assert "    alt PaymentAuthorized" in lines
    assert "    else PaymentDeclined or no reply within 30 s" in lines
    # Failure of reserve_stock refunds the payment; shipping, past the pivot, is retried instead.
    reserve_branch = diagram.split("else StockUnavailable")[1].split("\n    end")[0]
    assert "orch_orders->>svc_payments: RefundPayment" in reserve_branch
    assert "svc_payments-->>orch_orders: PaymentRefunded" in reserve_branch
    shipping_branch = diagram.split("else ShipmentFailed")[1].split("\n    end")[0]
    assert "retry ScheduleShipment until it succeeds" in shipping_branch
    assert "->>" not in shipping_branch.replace("svc_shipping-->>orch_orders: ShipmentFailed", "")
    assert "saga completes with OrderConfirmed" in diagram
    assert "saga fails with OrderCancelled" in diagram


def test_compensations_run_in_reverse_order() -> None:
    steps = [
        SagaStep(
            name=f"step_{n}",
            service=f"svc{n}",
            command=f"Do{n}",
            success_event=f"Done{n}",
            failure_event=f"Failed{n}",
            compensation=f"undo {n}",
            compensation_command=f"Undo{n}",
            compensation_event=f"Undone{n}",
        )
        for n in (1, 2, 3)
    ]
    saga = Saga(name="Three", orchestrator="hub", steps=steps, failure_event="ThreeFailed")
    diagram = mermaid_sequence(Design(name="d", sagas=[saga]), saga)
    last = diagram.split("else Failed3")[1].split("\n    end")[0]
    assert last.index("Undo2") < last.index("Undo1")
    assert "Undo3" not in last  # the failed step made no change to undo
    first = diagram.split("else Failed1")[1].split("\n    end")[0]
    assert "nothing to undo yet" in first
    opened, closed = block_balance(diagram)
    assert opened == closed == 6  # three alt blocks, three compensation rects


def test_choreographed_sequence_goes_through_the_bus(design: Design) -> None:
    saga = next(s for s in design.sagas if s.coordination == "choreography")
    diagram = mermaid_sequence(design, saga)
    lines = diagram.splitlines()
    assert lines[0] == "sequenceDiagram"
    assert "    participant bus_kafka as kafka (event bus)" in lines
    opened, closed = block_balance(diagram)
    assert opened == closed > 0
    messages = re.findall(r"^\s*(\S+?)-?->>(\S+?):", diagram, flags=re.M)
    assert messages and all("bus_kafka" in pair for pair in messages)  # services never call each other
    assert "    svc_orders->>bus_kafka: OrderCancelled" in lines
    assert "    bus_kafka->>svc_inventory: PaymentRefunded" in lines  # reacts to the previous step's event
    branch = diagram.split("else StockUnavailable")[1].split("\n    end")[0]
    assert "bus_kafka->>svc_payments: StockUnavailable" in branch
    assert "svc_payments->>bus_kafka: PaymentAuthorized" in branch


def test_sequence_of_unknown_saga_is_refused(design: Design) -> None:
    with pytest.raises(ValueError, match="no saga named 'Nope'"):
        mermaid_sequence(design, "Nope")


def test_sequence_of_saga_without_steps() -> None:
    for coordination in ("orchestration", "choreography"):
        saga = Saga(name="Empty", coordination=coordination)  # type: ignore[arg-type]
        diagram = mermaid_sequence(Design(name="d", sagas=[saga]), saga)
        assert diagram.startswith("sequenceDiagram\n") and "no steps defined yet" in diagram


def test_mermaid_format_is_one_fenced_block_per_diagram(design: Design) -> None:
    text = render(design, "mermaid")
    assert text == mermaid(design)
    bodies = re.findall(r"^```mermaid\n(.*?)\n```$", text, flags=re.S | re.M)
    assert len(bodies) == 1 + len(design.sagas) == len(mermaid_diagrams(design))
    assert bodies[0].startswith("flowchart LR\n")
    assert all(body.startswith("sequenceDiagram\n") for body in bodies[1:])
    # Nothing outside the fences but the blank lines between them: the text pastes into Markdown as it is.
    assert re.sub(r"```mermaid\n.*?\n```\n", "", text, flags=re.S).strip() == ""
    assert [body.rstrip() for body in bodies] == [d.rstrip() for d in mermaid_diagrams(design)]


def test_bare_diagrams_hold_one_diagram_each(design: Design) -> None:
    diagrams = mermaid_diagrams(design)
    assert diagrams[0] == mermaid_flowchart(design)
    for diagram in diagrams:
        assert "```" not in diagram
        heads = [line for line in diagram.splitlines() if line in ("flowchart LR", "sequenceDiagram")]
        assert len(heads) == 1


# ----------------------------------------------------------------------------------------------------------
# DDL


def test_event_store_ddl_from_the_design(design: Design) -> None:
    ddl = event_store_ddl(design)
    assert "CREATE TABLE IF NOT EXISTS order_events (" in ddl
    assert "UNIQUE (aggregate_id, version)" in ddl
    assert "event_id UUID NOT NULL PRIMARY KEY" in ddl
    assert "metadata JSONB," in ddl  # nullable as declared
    for column in ("aggregate_id", "event_type", "timestamp"):
        assert f"ON order_events ({column});" in ddl
    assert "CREATE TABLE IF NOT EXISTS order_snapshots (" in ddl
    assert "A snapshot is taken every 100 events." in ddl
    assert ddl.count("(") == ddl.count(")")


def test_default_event_store_ddl() -> None:
    ddl = event_store_ddl(Design(name="x"))
    assert "CREATE TABLE IF NOT EXISTS event_store (" in ddl
    assert "UNIQUE (aggregate_id, version)" in ddl
    for column in (
        "event_id UUID NOT NULL PRIMARY KEY",
        "data JSONB NOT NULL",
        "metadata JSONB",
        "correlation_id UUID",
        "causation_id UUID",
        "aggregate_type VARCHAR(100) NOT NULL",
    ):
        assert column in ddl
    assert "CREATE TABLE IF NOT EXISTS snapshots (" in ddl
    assert "declares no event store" in ddl


def test_event_store_ddl_flags_a_missing_version_guard_and_quotes_reserved_names() -> None:
    store = EventStore(
        table="events",
        columns=[
            Column(name="event_id", type="uuid"),
            Column(name="aggregate_id", type="uuid"),
            Column(name="version", type="bigint"),
            Column(name="order", type="integer"),
        ],
        indexes=["order"],
        snapshot_table=None,
    )
    ddl = event_store_ddl(Design(name="x", event_store=store))
    assert "UNIQUE (aggregate_id, version)" not in ddl
    assert "Nothing stops two writers from appending the same version" in ddl
    assert '"order" INTEGER NOT NULL' in ddl
    assert 'ON events ("order");' in ddl
    assert "snapshots" not in ddl


def test_outbox_ddl() -> None:
    ddl = outbox_ddl()
    assert "CREATE TABLE IF NOT EXISTS outbox (" in ddl
    assert "published_at TIMESTAMPTZ" in ddl
    assert "WHERE published_at IS NULL" in ddl
    assert "CREATE TABLE IF NOT EXISTS order_outbox (" in outbox_ddl("order_outbox")


# ----------------------------------------------------------------------------------------------------------
# Every format


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_design_renders_every_format(fmt: str) -> None:
    text = render(Design(name="x"), fmt)
    assert text.strip()
    assert text.endswith("\n")


def test_json_and_yaml_are_the_design_itself(design: Design) -> None:
    assert Design.model_validate(json.loads(render(design, "json"))) == design
    assert Design.model_validate(yaml.safe_load(render(design, "yaml"))) == design


def test_unknown_format_is_refused(design: Design) -> None:
    with pytest.raises(ValueError) as info:
        render(design, "pdf")
    message = str(info.value)
    assert "'pdf'" in message
    for fmt in FORMATS:
        assert fmt in message


def test_render_reads_findings_and_precedents_only_for_markdown(design: Design) -> None:
    extra: dict[str, Any] = {"findings": FINDINGS, "precedents": PRECEDENTS}
    assert render(design, "report", **extra) == render(design, "report")
    assert render(design, "mermaid", **extra) == render(design, "mermaid")
