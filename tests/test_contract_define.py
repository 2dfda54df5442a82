"""Defining a contract: from a design, from a name the knowledge base knows, and from an unknown name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import fastavro
import jsonschema
import pytest
from archassist.agent.contracts.artifacts import (
    avro_datum,
    avro_schema,
    example_message,
    json_schema,
    validate_artifacts,
)
from archassist.agent.errors import InputError
from archassist.agent.model.io import load_design
from archassist.agent.modes.contract import define_contract
from typer.testing import CliRunner

from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "render_design.yaml"


def _cli(*args: str) -> SimpleNamespace:
    """Run the CLI in this process (a subprocess per call is slow on a shared machine)."""
    from archassist.agent.cli.root import app

    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def _process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archassist.agent.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("target", ["invoice.paid", "InvoicePaid", "invoice_paid", "payment.captured", "order.placed"])
def test_known_names_give_valid_artifacts(target: str) -> None:
    outcome = define_contract(target)
    contract = outcome.contract
    assert contract.source.startswith("knowledge base")
    assert contract.assumptions and "knowledge base" in contract.assumptions[0]
    assert validate_artifacts(contract) == []
    schema = json_schema(contract)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(example_message(contract))
    parsed = fastavro.parse_schema(avro_schema(contract))
    assert fastavro.validation.validate(avro_datum(contract, example_message(contract)), parsed, raise_errors=True)


def test_invoice_paid_contract_states_everything_the_issue_asks() -> None:
    c = define_contract("invoice.paid").contract
    assert (c.event, c.producer, c.topic, c.partition_key) == ("InvoicePaid", "invoicing-service", "invoicing.events", "invoice_id")
    assert "invoice_id" in c.ordering_guarantee and "order" in c.ordering_guarantee
    assert [e.name for e in c.envelope] == [
        "event_id", "event_type", "aggregate_id", "timestamp", "version", "correlation_id", "causation_id",
    ]
    classes = {f.name: f.classification for f in c.fields}
    assert classes["invoice_id"] == "identifier" and classes["amount"] == "business_fact"
    assert c.compatibility == "BACKWARD" and "consumers upgrade first" in c.compatibility_reason
    assert c.deprecation_window_days >= 30
    steps = " ".join(c.breaking_change_procedure)
    assert "v2" in steps and "Dual-publish" in steps and "upcaster" in steps
    assert any(r.kind == "projection" for r in c.consumers)
    text = define_contract("invoice.paid").render("markdown")
    for heading in ("## Envelope", "## Payload", "## Evolution rules", "## Breaking changes", "## Example message", "## Assumptions"):
        assert heading in text


def test_pii_is_classified_with_its_protection() -> None:
    c = define_contract("InvoiceIssued").contract
    address = next(f for f in c.fields if f.name == "billing_address")
    assert address.classification == "pii" and address.protection != "none"


def test_unknown_name_is_a_stated_placeholder() -> None:
    c = define_contract("widget.polished").contract
    assert c.event == "WidgetPolished" and c.producer == "widget-service" and c.partition_key == "widget_id"
    assert "not an event of the knowledge base" in c.assumptions[0]
    assert validate_artifacts(c) == []


def test_near_miss_name_suggests_the_known_event() -> None:
    with pytest.raises(InputError, match="did you mean InvoicePaid"):
        define_contract("invoice.payd")


def test_event_of_a_design_has_no_assumptions_and_lists_its_readers() -> None:
    design = load_design(FIXTURE)
    outcome = define_contract("OrderPlaced", design, design_label=str(FIXTURE))
    assert outcome.contract.assumptions == [] and outcome.contract.source == str(FIXTURE)
    assert outcome.contract.consumers
    assert validate_artifacts(outcome.contract) == []
    with pytest.raises(InputError, match="no event 'OrderPlacd' in the design; did you mean OrderPlaced"):
        define_contract("OrderPlacd", design, design_label="d.yaml")


def test_cli_define_formats_and_output_file(tmp_path: Path) -> None:
    runner = CliRunner()
    from archassist.agent.cli.root import app

    avsc = tmp_path / "invoice-paid.avsc"
    result = runner.invoke(app, ["contract", "invoice.paid", "--format", "avro", "-o", str(avsc)])
    assert result.exit_code == 0, result.output
    fastavro.parse_schema(json.loads(avsc.read_text(encoding="utf-8")))
    result = runner.invoke(app, ["contract", "define", "OrderPlaced", "--design", str(FIXTURE), "-f", "jsonschema"])
    assert result.exit_code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))
    result = runner.invoke(app, ["contract", "invoice.paid", "-f", "json"])
    data = json.loads(result.stdout)
    assert set(data) == {"contract", "subject", "json_schema", "avro_schema", "example"}


def test_cli_define_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    for args in (
        ["contract", "X", "--design", str(bad)],
        ["contract", "X", "--design", str(tmp_path / "missing.yaml")],
        ["contract", "invoice.paid", "--format", "protobuf"],
        ["contract", "invoice.paid", "-o", str(tmp_path / "no" / "such" / "dir.md")],
    ):
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
    # and once as a real process, where main() turns every user error into one line
    for args in (["contract", "X", "--design", str(bad)], ["contract", "invoice.paid", "-o", str(tmp_path / "no" / "f.md")]):
        done = _process(*args)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "no").exists()


def test_help_does_not_import_the_contract_machinery() -> None:
    code = (
        "import sys; from archassist.agent.cli.root import app; "
        "heavy = [n for n in ('avro', 'fastavro', 'jsonschema', 'anthropic', 'mcp') if n in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
