from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from archassist.agent.model import io
from archassist.agent.model.design import Design, design_json_schema
from archassist.agent.planner.compose import plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# -- round trip -------------------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
finite = st.floats(min_value=0.001, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def designs(draw: st.DrawFn) -> Design:
    """Designs built by hypothesis from the model itself, then decorated with awkward text."""
    base = draw(
        st.builds(
            Design,
            name=names,
            brief=st.text(max_size=80),
            assumptions=st.lists(st.text(max_size=40), max_size=3),
        )
    )
    return base


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(designs(), st.sampled_from(["json", "yaml"]))
def test_dump_then_load_round_trips_exactly(design: Design, fmt: str) -> None:
    text = io.dumps(design, fmt)  # type: ignore[arg-type]
    assert io.loads(text).design == design


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(
        [
            "order fulfillment across payments, inventory and shipping",
            "IoT telemetry at 100k events/sec with audit and GDPR",
            "hotel reservations with payments",
            "widgets",
        ]
    ),
    st.sampled_from(["json", "yaml"]),
    st.text(max_size=30),
    finite,
)
def test_planned_designs_round_trip_with_arbitrary_text(brief: str, fmt: str, note: str, eps: float) -> None:
    design = plan(brief).design
    design = design.model_copy(
        update={
            "summary": note,
            "assumptions": [*design.assumptions, note],
            "requirements": design.requirements.model_copy(update={"throughput_eps": eps}),
        }
    )
    assert io.loads(io.dumps(design, fmt)).design == design  # type: ignore[arg-type]


def test_save_and_load_file(tmp_path: Path) -> None:
    design = plan("orders and payments").design
    for name in ("d.yaml", "d.yml", "d.json"):
        path = tmp_path / name
        io.save_design(design, path)
        assert io.load_design(path) == design
    assert json.loads((tmp_path / "d.json").read_text())["name"] == design.name


def test_schema_is_valid_json_schema() -> None:
    import jsonschema

    schema = design_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(io.to_data(plan("orders").design), schema)


# -- bad input: one clear line, naming file, line and field ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nevents:\n  - name: A\n    version: one\n", ["d.yaml:4:5", "events[0].version", "integer"]),
        (
            "name: x\nevents:\n  - name: A\n    partiton_key: a\n",
            ["d.yaml:4:5", "unknown field 'partiton_key'", "did you mean 'partition_key'"],
        ),
        (
            "name: x\ntopics:\n  - name: t\n    partitions: 0\n",
            ["d.yaml:4:5", "topics[0].partitions", "greater"],
        ),
        ("name: x\nconsumers:\n  - name: c\n", ["d.yaml:3:5", "consumers[0].service", "missing"]),
        ("name: x\nstyle:\n  coordination: chaos\n", ["d.yaml:3:3", "style.coordination", "choreography"]),
        ("- just\n- a list\n", ["d.yaml:1:1", "expected a mapping", "list"]),
        ("name: [unclosed\n", ["d.yaml:2:1", "invalid YAML"]),
        ("name: x\n  bad: indent\n", ["d.yaml:2:6", "invalid YAML"]),
        ("", ["d.yaml", "empty"]),
        ("   \n# only a comment\n", ["d.yaml", "empty"]),
        ('{"name": "x", "events": [{"name": 3}]}', ["d.yaml:1:27", "events[0].name", "string"]),
        (
            "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
            ["aliases"],
        ),
        ("name: x\nsuppressions:\n  - code: EDA101\n    reason: ''\n", ["suppressions[0].reason"]),
    ],
)
def test_bad_designs_give_one_line(text: str, expected: list[str]) -> None:
    with pytest.raises(io.DesignLoadError) as caught:
        io.loads(text, "d.yaml")
    message = str(caught.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases: dict[str, str] = {}
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02name")
    cases["binary.yaml"] = "binary"
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9".encode("latin-1"))
    cases["latin1.yaml"] = "UTF-8"
    (tmp_path / "folder.yaml").mkdir()
    cases["folder.yaml"] = "is a directory"
    cases["missing.yaml"] = "no such file"
    (tmp_path / "big.yaml").write_text("name: x\n" + "# padding\n" * 2000)
    monkeypatch.setattr(io, "MAX_INPUT_BYTES", 1000)
    cases["big.yaml"] = "limit"
    for name, expected in cases.items():
        with pytest.raises(io.DesignLoadError) as caught:
            io.load_design(tmp_path / name)
        assert expected in str(caught.value) and name in str(caught.value)


def test_save_refuses_missing_folder_and_leaves_no_partial_file(tmp_path: Path) -> None:
    design = Design(name="x")
    with pytest.raises(io.InputError, match="does not exist"):
        io.save_design(design, tmp_path / "nope" / "d.yaml")
    target = tmp_path / "d.yaml"
    target.write_text("original")
    with pytest.raises(io.InputError, match="is a directory"):
        io.save_design(design, tmp_path)
    assert target.read_text() == "original"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_source_positions_point_at_keys() -> None:
    loaded = io.loads("name: x\nevents:\n  - name: A\n    topic: t\n", "d.yaml")
    assert loaded.source.locate("/events/0/topic") == (4, 5)
    assert loaded.source.locate("/events/0/producer") == (3, 5)  # nearest written ancestor


# -- the CLI surface ----------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archassist.agent.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_cli_design_writes_a_complete_markdown_document() -> None:
    result = run_cli("design", "order fulfillment across payments, inventory, and shipping")
    assert result.returncode == 0, result.stderr
    for heading in ("## Event catalog", "```mermaid", "## Sagas", "## Observability", "## Decisions"):
        assert heading in result.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml", "report", "mermaid"])
def test_cli_design_formats(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{fmt}"
    result = run_cli("design", "orders and payments", "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    if fmt in ("json", "report"):
        assert isinstance(json.loads(text), dict)
    if fmt == "yaml":
        assert io.loads(text).design.name


def test_cli_schema_prints_json_schema() -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "archassist Design"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["design", ""], "brief is empty"),
        (["design", "orders", "--format", "pdf"], "pdf"),
        (["design", "orders", "-o", "/nonexistent-dir/x.md"], "does not exist"),
        (["frobnicate"], "No such command"),
    ],
)
def test_cli_usage_errors_exit_2_without_traceback(args: list[str], expected: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("archassist ")


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; sys.argv=['archassist','--help']\nfrom archassist.agent import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('anthropic','mcp','pydantic','jinja2','sqlite_utils','jsonschema') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stderr, result.stderr


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_devices_and_pipes_are_refused_without_blocking(kind: str, tmp_path: Path) -> None:
    """Reading /dev/zero never ends and reading a pipe blocks; both must be refused up front."""
    import os

    if kind == "device":
        target = Path("/dev/zero")
        if not target.exists():
            pytest.skip("no /dev/zero on this system")
    else:
        target = tmp_path / "design.yaml"
        os.mkfifo(target)
    with pytest.raises(io.DesignLoadError, match="not a regular file"):
        io.load_design(target)
    result = run_cli("review", str(target))  # nothing could be reviewed: one line, exit 2
    assert result.returncode == 2 and "not a regular file" in result.stderr and result.stderr.count("\n") == 1


def test_symlink_loop_is_one_line(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    result = run_cli("review", str(a))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
