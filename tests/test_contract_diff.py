"""Who breaks: the contract diff of the flagship design and a changed copy, EDA209 and `review --baseline`,
and the `contract check` command's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from archassist.agent.model.design import Design
from archassist.agent.model.io import save_design
from archassist.agent.modes.contract import diff_designs
from archassist.agent.modes.review import ReviewOptions, review_paths
from archassist.agent.planner.compose import plan
from typer.testing import CliRunner

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"


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


@pytest.fixture(scope="module")
def flagship() -> Design:
    return plan(FLAGSHIP).design


def _changed(design: Design) -> Design:
    """The flagship with PaymentCaptured's required amount removed and ShipmentBooked renamed by its producer."""
    changed = design.model_copy(deep=True)
    captured = changed.event("PaymentCaptured")
    assert captured is not None and any(f.name == "amount" and f.required for f in captured.fields)
    captured.fields = [f for f in captured.fields if f.name != "amount"]
    booked = changed.event("ShipmentBooked")
    assert booked is not None
    booked.name = "ShipmentScheduled"
    for service in changed.services:
        service.publishes = ["ShipmentScheduled" if n == "ShipmentBooked" else n for n in service.publishes]
    for topic in changed.topics:
        topic.events = ["ShipmentScheduled" if n == "ShipmentBooked" else n for n in topic.events]
    return changed


def test_diff_of_the_flagship_and_a_changed_copy(flagship: Design) -> None:
    result = diff_designs(flagship, _changed(flagship))
    by_event = {c.event: c for c in result.events}
    assert set(by_event) == {"PaymentCaptured", "ShipmentBooked"}
    removed = by_event["PaymentCaptured"]
    assert removed.kind == "changed" and removed.breaking and not removed.version_bumped and removed.unannounced
    assert "field 'amount' removed (it was required)" in removed.changes
    assert any(b["path"].endswith("/amount") for b in removed.breaks)
    services = {r.service for r in removed.readers}
    assert "order-workflow-service" in services and any(r.kind == "saga" for r in removed.readers)
    renamed = by_event["ShipmentBooked"]
    assert renamed.kind == "renamed" and renamed.new_name == "ShipmentScheduled" and renamed.breaking
    assert {"order-workflow-service", "shipping-service"} <= {r.service for r in renamed.readers}
    assert len(result.unannounced_breaks) == 2
    assert "coordinate with" in result.render_text()


def test_a_compatible_change_or_a_bumped_version_is_not_unannounced(flagship: Design) -> None:
    optional = flagship.model_copy(deep=True)
    captured = optional.event("PaymentCaptured")
    assert captured is not None
    captured.fields = [*captured.fields, captured.fields[0].model_copy(update={"name": "note", "required": False})]
    # The flagship's JSON Schemas are closed content models: a new optional property passes BACKWARD.
    (change,) = diff_designs(flagship, optional).events
    assert change.changes == ["field 'note' added as optional"] and not change.breaking
    bumped = _changed(flagship)
    for name in ("PaymentCaptured", "ShipmentScheduled"):
        event = bumped.event(name)
        assert event is not None
        event.version = 2
    result = diff_designs(flagship, bumped)
    assert all(c.breaking for c in result.events) and result.unannounced_breaks == []
    assert diff_designs(flagship, flagship).events == []


def test_review_with_baseline_reports_eda209(flagship: Design, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    save_design(flagship, old)
    save_design(_changed(flagship), new)
    report = review_paths([new], ReviewOptions(select=["EDA209"], baseline=old))
    found = [f for f in report.findings if f.code == "EDA209"]
    assert len(found) == 2 and all(f.severity == "error" for f in found)
    assert {f.pointer.split("/")[1] for f in found} == {"events"} and all(f.line for f in found)
    assert not review_paths([new], ReviewOptions(select=["EDA209"])).findings
    assert not review_paths([old], ReviewOptions(select=["EDA209"], baseline=old)).findings

    done = _cli("review", str(new), "--baseline", str(old), "--select", "EDA209")
    assert done.returncode == 1 and "EDA209" in done.stdout
    done = _cli("contract", "diff", str(old), str(new), "--format", "json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["unannounced"] == 2
    assert _cli("contract", "diff", str(old), str(old)).returncode == 0
    missing = _cli("review", str(new), "--baseline", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


# ---- contract check on the command line ------------------------------------------------------------------------

V1 = {"type": "record", "name": "InvoicePaid", "fields": [{"name": "invoice_id", "type": "string"}]}
V2 = {
    "type": "record",
    "name": "InvoicePaid",
    "fields": [{"name": "invoice_id", "type": "string"}, {"name": "amount", "type": "double"}],
}


@pytest.fixture
def schemas(tmp_path: Path) -> dict[str, Path]:
    files = {
        "v1": (tmp_path / "v1.avsc", json.dumps(V1)),
        "v2": (tmp_path / "v2.avsc", json.dumps(V2)),
        "json": (tmp_path / "event.json", json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})),
        "broken": (tmp_path / "broken.avsc", '{"type": "record", "name": '),
        "unknown": (tmp_path / "unknown.avsc", json.dumps({"type": "record", "name": "A", "fields": [{"name": "m", "type": "Money"}]})),
        "cycle": (tmp_path / "cycle.json", json.dumps({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}})),
        "remote": (tmp_path / "remote.json", json.dumps({"$ref": "https://schemas.example.com/a.json"})),
    }
    for path, text in files.values():
        path.write_text(text, encoding="utf-8")
    return {key: path for key, (path, _) in files.items()}


def test_check_exit_codes_and_explanations(schemas: dict[str, Path]) -> None:
    ok = _cli("contract", "check", str(schemas["v2"]), str(schemas["v1"]), "--mode", "BACKWARD")
    assert ok.returncode == 0 and ok.stdout.startswith("compatible:")
    bad = _cli("contract", "check", str(schemas["v1"]), str(schemas["v2"]), "--mode", "BACKWARD")
    assert bad.returncode == 1
    assert "/fields/1" in bad.stdout and "breaks new readers" in bad.stdout and "fix:" in bad.stdout
    as_json = _cli("contract", "check", str(schemas["v1"]), str(schemas["v2"]), "-m", "full", "-f", "json")
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and data["mode"] == "FULL" and data["breaks"][0]["breaks"] == "new readers"
    transitive = _cli("contract", "check", str(schemas["v1"]), str(schemas["v2"]), str(schemas["v2"]), "-m", "BACKWARD_TRANSITIVE")
    assert transitive.returncode == 1 and "v1.avsc" in transitive.stdout


@pytest.mark.parametrize(
    ("names", "extra", "message"),
    [
        (["broken", "v1"], [], "invalid JSON"),
        (["unknown", "v1"], [], "Money"),
        (["cycle", "json"], [], "$ref cycle"),
        (["remote", "json"], [], "never fetched"),
        (["v1", "json"], [], "mixed schema types"),
        (["v1"], ["--mode", "FULL_TRANSITIVE"], "only one schema given"),
        (["v1", "v2"], ["--mode", "SIDEWAYS"], "unknown compatibility mode"),
        (["v1", "v2"], ["--schema-type", "protobuf"], "unknown schema type"),
    ],
)
def test_check_bad_input_is_one_line_exit_2(
    schemas: dict[str, Path], names: list[str], extra: list[str], message: str
) -> None:
    done = _cli("contract", "check", *[str(schemas[n]) for n in names], *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr


def test_the_verdict_follows_the_designs_schema_format(flagship: Design) -> None:
    # Avro readers ignore fields they do not know: removing a field passes BACKWARD, fails FORWARD.
    old = flagship.model_copy(deep=True)
    old.style.schema_format = "avro"
    new = _changed(old)
    by_event = {c.event: c for c in diff_designs(old, new).events}
    assert by_event["PaymentCaptured"].breaking is False
    forward = new.model_copy(deep=True)
    captured = forward.event("PaymentCaptured")
    assert captured is not None
    captured.compatibility = "FORWARD"
    change = {c.event: c for c in diff_designs(old, forward).events}["PaymentCaptured"]
    assert change.breaking and change.breaks[0]["breaks"] == "old readers"
