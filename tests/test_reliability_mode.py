"""Reliability mode: targets (design file, brief, one-flow request), the plan's sections, the JSON figures, the
inline SVG chart, and the CLI's one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from archassist.agent.capacity.analysis import WhatIf
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.modes.reliability import parse_duration, parse_rate, run_reliability
from archassist.agent.modes.reliability_render import render_reliability
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

CLEAN = Path(__file__).parent / "fixtures" / "review" / "clean.yaml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("30s", 30), ("2h", 7200), ("1h30m", 5400), ("500ms", 0.5), ("1d", 86_400), ("2 min", 120)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "15x", "-5m", "1h 30", "fifteen minutes"])
def test_bad_durations_are_one_line(text: str) -> None:
    with pytest.raises(InputError, match=r"--outage .* is not a duration; write a number and a unit"):
        parse_duration(text)


@given(st.integers(0, 10_000), st.sampled_from(["s", "m", "h"]))
def test_any_whole_duration_parses(number: int, unit: str) -> None:
    assert parse_duration(f"{number}{unit}") == number * {"s": 1, "m": 60, "h": 3600}[unit]


def test_rates() -> None:
    assert parse_rate("0.01", "--error-rate") == 0.01
    assert parse_rate("1%", "--error-rate") == 0.01
    for bad in ("1", "-0.1", "x", "150%"):
        with pytest.raises(InputError, match="--error-rate"):
            parse_rate(bad, "--error-rate")


def test_design_file_plan_has_every_section() -> None:
    result = run_reliability(str(CLEAN))
    assert result.kind == "design" and result.design.name == "order-fulfillment"
    text = render_reliability(result, "markdown")
    for heading in ("## Assumptions", "## Findings", "## Per consumer", "## Per flow", "## Capacity", "## What if"):
        assert heading in text
    for label in (
        "**Delivery:**", "**Idempotency:**", "**Retry schedule:**", "**Retry topics or in place:**",
        "**Dead letters:**", "**Ordering:**", "**Poison messages:**", "**Replay:**",
        "**Outbox relay failure:**", "**Broker outage:**", "**Backpressure:**",
    ):
        assert label in text
    # the clean fixture states no handler time: 20 ms is assumed and said so
    assert "assumed 20 ms per message" in text and "20 (assumed)" in text
    assert "waits 1 s, 2 s, 4 s, 8 s" in text and "`orders.events.order-saga.dlq`: keeps 14 days" in text


def test_chart_is_well_formed_svg_with_outage_and_drain() -> None:
    design_text = CLEAN.read_text(encoding="utf-8").replace(
        "    concurrency: 3\n", "    concurrency: 6\n    processing_time_ms: 5\n"
    )
    from archassist.agent.model.io import loads
    from archassist.agent.modes.reliability import plan_for

    result = plan_for(loads(design_text).design, WhatIf(outage_s=600))
    text = render_reliability(result, "markdown")
    start, end = text.index("<svg"), text.index("</svg>") + len("</svg>")
    root = ET.fromstring(text[start:end])
    assert root.tag == f"{SVG}svg"
    (line,) = root.iter(f"{SVG}polyline")
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    ys = [y for _, y in points]
    # starts at the baseline, rises during the outage, comes back to the baseline after the drain
    assert ys[0] == max(ys) and min(ys) < ys[0] and ys[-1] == ys[0]
    # 6 instances × 200/s = 1,200/s against 600/s: a 10-min backlog of 360,000 drains in 600 s
    assert "| 10 min | 360,000 | 10 min | 20 min | yes |" in text


def test_json_figures() -> None:
    data = json.loads(render_reliability(run_reliability(str(CLEAN), WhatIf(outage_s=1800)), "json"))
    assert {"capacity", "retries", "dead_letters", "idempotency", "latency", "plan", "summary"} <= set(data)
    row = next(r for r in data["capacity"] if r["topic"] == "payments.commands")
    # 600/s for 30 min = 1,080,000; 3 × 50/s = 150/s never drains
    assert row["backlog_after_outage"] == 1_080_000 and row["drain_seconds"] is None and row["keeps_up"] is False
    assert data["summary"]["falling_behind"] == 3
    assert data["plan"]["consumers"][0]["consumer"] == "order-saga"


def test_brief_is_designed_first() -> None:
    result = run_reliability("order fulfillment across payments, inventory and shipping")
    assert result.kind == "brief" and result.design.consumers
    assert any("offline planner" in line for line in result.assumptions)


def test_flow_request_plans_that_flow_with_its_assumptions() -> None:
    result = run_reliability("retry strategy for webhook ingestion")
    assert result.kind == "flow" and result.focus == "retry strategy for webhook ingestion"
    assert result.title == "Reliability plan: retry strategy for webhook ingestion"
    assert "webhook" in result.design.name
    assert any("designed 'webhook ingestion' on its own" in line for line in result.assumptions)


def test_cli_writes_a_file_and_refuses_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "plan.json"
    ran = runner.invoke(app, ["reliability", str(CLEAN), "--outage", "1h", "--error-rate", "5%", "-f", "json", "-o", str(out)])
    assert ran.exit_code == 0, ran.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["what_if"]["outage_s"] == 3600 and data["what_if"]["error_rate"] == 0.05
    for args, message in (
        (["--outage", "15"], "--outage '15' is not a duration"),
        (["--poison-rate", "2"], "--poison-rate 2 is out of range"),
        (["-f", "pdf"], "unknown --format 'pdf'"),
    ):
        ran = runner.invoke(app, ["reliability", str(CLEAN), *args, "-o", str(tmp_path / "x.md")])
        assert ran.exit_code == 2 and message in ran.output and "Traceback" not in ran.output
        assert not (tmp_path / "x.md").exists()
    ran = runner.invoke(app, ["reliability", str(tmp_path / "missing.yaml")])
    assert ran.exit_code == 2 and "missing.yaml: no such file" in ran.output


def test_reliability_on_a_design_imports_neither_sdk() -> None:
    code = (
        "import sys\n"
        "from archassist.agent.cli.root import app\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(app, ['reliability', {str(CLEAN)!r}, '-f', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'anthropic' not in sys.modules and 'mcp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_folder_or_a_broken_file_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "bad.yaml").write_text("name: [\n", encoding="utf-8")
    for target, message in ((tmp_path, "is a directory"), (tmp_path / "bad.yaml", "invalid YAML/JSON")):
        ran = runner.invoke(app, ["reliability", str(target)])
        assert ran.exit_code == 2 and message in ran.output and "Traceback" not in ran.output


def test_a_design_without_consumers_still_plans() -> None:
    from archassist.agent.model.design import Design
    from archassist.agent.modes.reliability import plan_for

    text = render_reliability(plan_for(Design(name="empty")), "markdown")
    assert "0 consumer(s)" in text and "<svg" not in text
