"""Review mode: the `review`, `rules` and `explain` commands, their output formats, configuration and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from archassist.agent.cli.review import register
from archassist.agent.modes.review import (
    ReviewOptions,
    load_config,
    merge_options,
    render_github,
    report_data,
    review_paths,
    unsaid_summary,
)
from archassist.agent.render.sarif import sarif_log
from archassist.agent.rules import registry
from typer.testing import CliRunner

from tests.conftest import CORPUS as SHARED_CORPUS
from tests.conftest import require_external

FIXTURES = Path(__file__).parent / "fixtures" / "review"
CLEAN = FIXTURES / "clean.yaml"
FLAWED = FIXTURES / "flawed.yaml"
ROOT = Path(__file__).parents[1]
CORPUS = SHARED_CORPUS / "asyncapi" / "docs"


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.callback()
    def root() -> None:
        """archassist (test harness)."""

    register(app)
    return app


APP = make_app()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _no_outside_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test from an empty folder so the repository's own pyproject.toml is not picked up."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def warnings_only(tmp_path: Path) -> Path:
    path = tmp_path / "warnings.yaml"
    path.write_text(
        CLEAN.read_text(encoding="utf-8").replace("jitter: true", "jitter: false"), encoding="utf-8"
    )
    return path


# ---- exit codes ----------------------------------------------------------------------------------------------


def test_clean_design_exits_zero() -> None:
    code, out, err = invoke("review", str(CLEAN))
    assert code == 0, err
    assert out.strip().endswith("0 errors, 0 warnings, 0 info in 1 file")


def test_findings_at_fail_on_exit_one(tmp_path: Path) -> None:
    assert invoke("review", str(FLAWED))[0] == 1
    assert invoke("review", str(FLAWED), "--fail-on", "never")[0] == 0
    warned = warnings_only(tmp_path)
    assert invoke("review", str(warned))[0] == 0
    assert invoke("review", str(warned), "--fail-on", "warning")[0] == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["review", "."], ".: no design or AsyncAPI files (.yaml, .yml, .json) in this folder"),
        (["review", "-", "-"], "- (stdin) is given twice"),
        (["review", str(CLEAN), "--select", "EDA4O3"], "unknown rule code 'EDA4O3' in --select; did you mean EDA403?"),
        (["review", str(CLEAN), "--ignore", "AAPI11"], "unknown rule code 'AAPI11' in --ignore; did you mean AAPI1"),
        (["review", str(CLEAN), "--format", "xml"], "unknown --format 'xml'"),
        (["review", str(CLEAN), "--fail-on", "sometimes"], "fail-on is 'sometimes'"),
        (["explain", "EDA4O4"], "did you mean EDA404?"),
        (["rules", "--group", "sagaz"], "did you mean sagas?"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(args: list[str], expected: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    ("text", "expected", "line"),
    [
        ("name: x\nevents: [\n", "invalid YAML/JSON", 3),
        ("name: x\nbogus_field: 1\n", "unknown field 'bogus_field'", 2),
        ("- just\n- a list\n", "expected a mapping", 1),
        ("", "the document is empty", None),
    ],
)
def test_a_malformed_file_is_an_eda000_finding_of_that_file(
    tmp_path: Path, text: str, expected: str, line: int | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    alone = invoke("review", str(path))
    assert alone[0] == 2 and expected in alone[2]  # nothing reviewable: a usage error, one line
    code, out, err = invoke("review", str(path), str(CLEAN), "--format", "json")
    assert code == 1 and err == ""
    data = json.loads(out)
    (finding,) = data["findings"]
    assert finding["code"] == "EDA000" and finding["severity"] == "error" and finding["file"] == str(path)
    assert expected in finding["message"] and finding["line"] == line
    assert data["files"][0] == {
        "path": str(path), "kind": "unreadable", "design": "", "counts": {"error": 1, "warning": 0, "info": 0},
        "suppressed": {}, "unused_suppressions": [],
    }


# ---- text output ---------------------------------------------------------------------------------------------


def test_text_groups_by_severity_with_place_code_message_and_fix(tmp_path: Path) -> None:
    code, out, _ = invoke("review", str(FLAWED), str(warnings_only(tmp_path)))
    assert code == 1
    assert out.index("errors (") < out.index("warnings (")
    assert re.search(r"flawed\.yaml:\d+:\d+  EDA410  service 'checkout-service' writes 'shop-db'", out)
    assert "fix: set publishing: outbox" in out
    assert "\x1b[" not in out  # plain when piped
    assert re.search(r"^\d+ errors, \d+ warnings, 0 info in 2 files$", out.strip().splitlines()[-1])


def test_suppressed_findings_are_counted_in_the_summary(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8").replace("jitter: true", "jitter: false")
    text += "suppressions:\n  - {code: EDA406, reason: the broker client adds jitter itself}\n"
    path = tmp_path / "suppressed.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = invoke("review", str(path), "--fail-on", "warning")
    assert code == 0
    assert "(2 suppressed by the design)" in out


# ---- JSON, GitHub and SARIF ----------------------------------------------------------------------------------


def test_json_output_structure() -> None:
    code, out, _ = invoke("review", str(FLAWED), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {
        "version",
        "tool",
        "fail_on",
        "exit_code",
        "summary",
        "files",
        "findings",
        "warnings",
    }
    assert data["version"] == 1 and data["exit_code"] == 1 and data["tool"]["name"] == "archassist"
    assert data["summary"]["files"] == 1 and data["summary"]["error"] > 0
    assert data["files"][0]["kind"] == "design" and data["files"][0]["design"] == "checkout"
    first = data["findings"][0]
    assert set(first) == {
        "code",
        "name",
        "group",
        "severity",
        "message",
        "pointer",
        "fix",
        "file",
        "line",
        "column",
        "places",
    }
    assert first["pointer"].startswith("/") and first["line"] >= 1


def test_github_annotations() -> None:
    code, out, _ = invoke("review", str(FLAWED), "--format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines and all(
        re.match(r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=EDA\d{3} ", x) for x in lines
    )
    assert any(line.startswith("::error ") and "title=EDA410 dual-write::" in line for line in lines)


def test_github_escapes_special_characters() -> None:
    report = review_paths([FLAWED])
    report.files[0].findings[0].message = "50% done,\nreally: yes"
    report.files[0].findings[0].file = "a,b:c.yaml"
    (line,) = [x for x in render_github(report).splitlines() if "50%25" in x]
    assert "file=a%2Cb%3Ac.yaml" in line and "50%25 done,%0Areally: yes" in line


def _require(condition: bool, what: str) -> None:
    assert condition, f"SARIF: {what}"


def check_sarif_structure(log: dict[str, object]) -> None:
    """The parts of the SARIF 2.1.0 schema and of GitHub's ingestion rules that a result file must satisfy."""
    _require(log.get("version") == "2.1.0", "version 2.1.0")
    _require(str(log.get("$schema", "")).endswith("sarif-2.1.0.json"), "$schema")
    runs = log["runs"]
    assert isinstance(runs, list) and len(runs) == 1
    run = runs[0]
    driver = run["tool"]["driver"]
    _require(driver["name"] == "archassist", "tool.driver.name")
    ids = [r["id"] for r in driver["rules"]]
    _require(len(ids) == len(set(ids)), "unique rule ids")
    for rule in driver["rules"]:
        for key in ("id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration"):
            _require(key in rule, f"rule {rule.get('id')} has {key}")
        _require(bool(rule["shortDescription"]["text"]) and bool(rule["help"]["text"]), "rule texts")
        _require(rule["defaultConfiguration"]["level"] in ("error", "warning", "note"), "rule level")
    for result in run["results"]:
        _require(result["ruleId"] == ids[result["ruleIndex"]], "ruleIndex points at ruleId")
        _require(result["level"] in ("error", "warning", "note"), "result level")
        _require(bool(result["message"]["text"]), "message text")
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        _require(not uri.startswith(("/", "file:")), "relative uri")
        region = physical["region"]
        _require(region["startLine"] >= 1 and region["startColumn"] >= 1, "region starts at 1 or later")
        _require(location["logicalLocations"][0]["fullyQualifiedName"].startswith("/"), "pointer")
        _require(
            (result["properties"]["pointer"] or "/") == location["logicalLocations"][0]["fullyQualifiedName"],
            "pointer",
        )
        related = result.get("relatedLocations", [])
        _require(len({r["id"] for r in related}) == len(related), "related location ids are unique")
        for place in related:
            _require(place["physicalLocation"]["artifactLocation"]["uri"] == uri, "related location in the same file")
            _require(place["logicalLocations"][0]["fullyQualifiedName"].startswith("/"), "related pointer")
            _require(bool(place["message"]["text"]), "related location message")
            region = place["physicalLocation"].get("region")
            _require(region is None or region["startLine"] >= 1, "related region starts at 1 or later")


def test_sarif_output_is_structurally_valid(_no_outside_config: Path) -> None:
    local = _no_outside_config / "designs" / "flawed.yaml"
    local.parent.mkdir()
    shutil.copy(FLAWED, local)
    code, out, _ = invoke("review", "designs/flawed.yaml", "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    check_sarif_structure(log)
    results = log["runs"][0]["results"]
    assert (
        results
        and results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "designs/flawed.yaml"
    )
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(registry())


def test_sarif_uri_is_relative_for_absolute_input(_no_outside_config: Path) -> None:
    local = _no_outside_config / "flawed.yaml"
    shutil.copy(FLAWED, local)
    log = sarif_log(review_paths([str(local.resolve())]))
    check_sarif_structure(log)
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "flawed.yaml"
    )


def resolve_pointer(data: object, pointer: str) -> object:
    value = data
    for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/") if t]:
        value = value[int(token)] if isinstance(value, list) else value[token]  # type: ignore[index]
    return value


def _multitool() -> str | None:
    configured = os.environ.get("ARCHASSIST_SARIF_MULTITOOL")
    if configured and Path(configured).exists():
        return configured
    local = ROOT / "node_modules" / ".bin" / "sarif-multitool"
    return str(local) if local.exists() else None


def multitool_errors(sarif_text: str, folder: Path) -> list[dict[str, object]]:
    """The error-level results of the official SARIF multitool's validation of a log (skips when it is missing)."""
    tool = _multitool()
    if tool is None:
        require_external(
            "sarif-multitool",
            "sarif-multitool not installed (set ARCHASSIST_SARIF_MULTITOOL or npm install @microsoft/sarif-multitool)",
        )
        raise AssertionError("unreachable")
    sarif = folder / "findings.sarif"
    sarif.write_text(sarif_text, encoding="utf-8")
    output = folder / "validation.sarif"
    completed = subprocess.run(
        [tool, "validate", str(sarif), "--output", str(output), "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert output.exists(), completed.stdout + completed.stderr
    validation = json.loads(output.read_text(encoding="utf-8-sig"))
    return [r for run in validation["runs"] for r in run.get("results", []) if r.get("level") == "error"]


@pytest.mark.external
def test_sarif_validates_with_the_official_multitool(tmp_path: Path) -> None:
    _, out, _ = invoke("review", str(FLAWED), "--format", "sarif")
    errors = multitool_errors(out, tmp_path)
    assert errors == [], json.dumps(errors, indent=2)[:4000]


def _folded_design(tmp_path: Path) -> Path:
    """A design whose five events all lack a partition key: EDA302 five times, folded into one finding."""
    events = "\n".join(
        f"  - {{name: Order{verb}, aggregate: Order, topic: orders.events, fields: [{{name: order_id}}]}}"
        for verb in ("Placed", "Paid", "Packed", "Shipped", "Delivered")
    )
    path = tmp_path / "folded.yaml"
    path.write_text(
        f"name: folded\naggregates:\n  - {{name: Order, service: orders, id_field: order_id}}\nevents:\n{events}\n"
        "topics:\n  - {name: orders.events, partitions: 3}\n",
        encoding="utf-8",
    )
    return path


def test_sarif_lists_every_place_of_a_folded_finding(tmp_path: Path) -> None:
    path = _folded_design(tmp_path)
    report = review_paths([str(path)], ReviewOptions(fail_on="never"))
    [folded] = [f for f in report.findings if f.code == "EDA302"]
    assert "5 places in all" in folded.message
    log = sarif_log(report, tmp_path)
    check_sarif_structure(log)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "EDA302"]
    related = result["relatedLocations"]
    assert [r["logicalLocations"][0]["fullyQualifiedName"] for r in related] == [
        f"/events/{i}/partition_key" for i in range(5)
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    for place, verb in zip(related, ("Placed", "Paid", "Packed", "Shipped", "Delivered"), strict=True):
        assert f"Order{verb}" in place["message"]["text"] and "places in all" not in place["message"]["text"]
        assert f"Order{verb}" in lines[place["physicalLocation"]["region"]["startLine"] - 1]
    # a finding about one place has no related locations
    for other in log["runs"][0]["results"]:
        assert ("relatedLocations" in other) == ("places in all" in other["message"]["text"]), other["ruleId"]


def test_sarif_places_of_an_asyncapi_fold_point_into_the_document(tmp_path: Path) -> None:
    document = CORPUS / "bell-avr-mqtt.yaml"
    if not document.exists():
        pytest.skip(f"corpus document missing: {document}")
    data = yaml.safe_load(document.read_text(encoding="utf-8"))
    report = review_paths([str(document)], ReviewOptions(fail_on="never"))
    log = sarif_log(report)
    check_sarif_structure(log)
    folded = [r for r in log["runs"][0]["results"] if "relatedLocations" in r]
    assert folded, "bell-avr-mqtt.yaml has folded findings"
    for result in folded:
        for place in result["relatedLocations"]:
            pointer = place["logicalLocations"][0]["fullyQualifiedName"]
            assert resolve_pointer(data, pointer) is not None, pointer
            assert place["message"]["text"]


@pytest.mark.external
def test_sarif_with_related_locations_validates_with_the_official_multitool(tmp_path: Path) -> None:
    inputs = [str(_folded_design(tmp_path))]
    document = CORPUS / "bell-avr-mqtt.yaml"  # folded notes and rule findings on an AsyncAPI document
    if document.exists():
        inputs.append(str(document))
    report = review_paths(inputs, ReviewOptions(fail_on="never"))
    out = json.dumps(sarif_log(report, tmp_path), indent=2)
    assert "relatedLocations" in out
    errors = multitool_errors(out, tmp_path)
    assert errors == [], json.dumps(errors, indent=2)[:4000]


# ---- configuration -------------------------------------------------------------------------------------------


def test_configuration_from_pyproject_walking_up(_no_outside_config: Path, tmp_path: Path) -> None:
    (_no_outside_config / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.archassist]\nignore = ["EDA406"]\nfail-on = "warning"\n'
        'severity = { EDA205 = "info" }\n',
        encoding="utf-8",
    )
    nested = _no_outside_config / "a" / "b"
    nested.mkdir(parents=True)
    config = load_config(nested)
    assert (
        config.ignore == ["EDA406"] and config.fail_on == "warning" and config.severity == {"EDA205": "info"}
    )
    warned = warnings_only(tmp_path)
    assert invoke("review", str(warned))[0] == 0  # EDA406 ignored by the configuration
    assert (
        invoke("review", str(warned), "--select", "EDA406")[0] == 1
    )  # --select replaces the configured list


def test_archassist_toml_wins_in_its_folder(_no_outside_config: Path) -> None:
    (_no_outside_config / "pyproject.toml").write_text(
        '[tool.archassist]\nfail-on = "never"\n', encoding="utf-8"
    )
    (_no_outside_config / ".archassist.toml").write_text(
        'fail-on = "warning"\nselect = "EDA4,EDA5"\n', encoding="utf-8"
    )
    config = load_config()
    assert config.fail_on == "warning" and config.select == ["EDA4", "EDA5"]
    assert config.path is not None and config.path.name == ".archassist.toml"


def test_pyproject_without_the_table_is_skipped(_no_outside_config: Path) -> None:
    (_no_outside_config / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_config().path is None or load_config().path != _no_outside_config / "pyproject.toml"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('ignore = ["EDA4O6"]', "unknown rule code 'EDA4O6' in 'ignore' of {path}; did you mean EDA406?"),
        ('select = ["EDA4", "sagaz"]', "unknown rule code 'sagaz' in 'select' of {path}; did you mean sagas?"),
        (
            'severity = { "retry-unbounde" = "warning" }',
            "unknown rule code 'retry-unbounde' in 'severity' of {path}; did you mean retry-unbounded?",
        ),
        ('ignore = ["AAPI999"]', "unknown rule code 'AAPI999' in 'ignore' of {path}; did you mean AAPI909?"),
    ],
)
def test_unknown_codes_in_the_configuration_are_an_error_naming_the_file(
    _no_outside_config: Path, table: str, expected: str
) -> None:
    config = _no_outside_config / ".archassist.toml"
    config.write_text(table + "\n", encoding="utf-8")
    code, out, err = invoke("review", str(CLEAN))
    assert code == 2 and out == ""
    assert err.strip() == "archassist: " + expected.format(path=config.resolve())


def test_unknown_codes_on_the_command_line_are_an_error_listing_each(_no_outside_config: Path) -> None:
    code, out, err = invoke("review", str(CLEAN), "--select", "nonsense", "--select", "reliabilty,EDA4")
    assert code == 2 and out == ""
    assert err.strip() == (
        "archassist: unknown rule codes in --select: 'nonsense', 'reliabilty' (did you mean reliability?); "
        "see `archassist rules` for the codes"
    )


def test_known_outside_codes_are_accepted_and_applied(_no_outside_config: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [\n", encoding="utf-8")
    assert invoke("review", str(broken))[0] == 2
    assert invoke("review", str(broken), "--ignore", "EDA000,AAPI101")[0] == 0
    (_no_outside_config / ".archassist.toml").write_text('severity = { EDA000 = "warning" }\n', encoding="utf-8")
    code, out, _ = invoke("review", str(broken))
    assert code == 0 and "EDA000" in out and "1 warning" in out


def test_an_unknown_configuration_key_still_only_warns(_no_outside_config: Path) -> None:
    (_no_outside_config / ".archassist.toml").write_text('colour = "red"\n', encoding="utf-8")
    code, _, err = invoke("review", str(CLEAN))
    assert code == 0 and "unknown key 'colour'" in err


def test_invalid_toml_is_an_input_error(_no_outside_config: Path) -> None:
    (_no_outside_config / ".archassist.toml").write_text("select = [\n", encoding="utf-8")
    code, _, err = invoke("review", str(CLEAN))
    assert code == 2 and "invalid TOML" in err and len(err.strip().splitlines()) == 1


def test_merge_options_cli_over_config() -> None:
    config = load_config()
    config.select, config.ignore, config.fail_on = ["EDA4"], ["EDA401"], "warning"
    merged = merge_options(config, select=None, ignore=["EDA402"], fail_on="never")
    assert merged.select == ["EDA4"] and merged.ignore == ["EDA401", "EDA402"] and merged.fail_on == "never"


# ---- rules and explain ---------------------------------------------------------------------------------------


def test_rules_lists_every_rule() -> None:
    code, out, _ = invoke("rules")
    assert code == 0
    assert all(r.code in out for r in registry())
    code, out, _ = invoke("rules", "--group", "sagas", "--format", "json")
    data = json.loads(out)
    assert code == 0 and {d["group"] for d in data} == {"sagas"} and all(d["why"] and d["fix"] for d in data)


def test_explain_prints_the_rule_docs() -> None:
    code, out, _ = invoke("explain", "EDA403")
    assert code == 0
    assert out.startswith("EDA403 retry-unbounded (error, reliability)")
    for heading in ("Why:", "Anti-pattern:", "Fix:"):
        assert heading in out
    assert invoke("explain", "retry-unbounded")[1] == out


# ---- AsyncAPI input ------------------------------------------------------------------------------------------


def _asyncapi_importer() -> object:
    module = pytest.importorskip("archassist.agent.asyncapi")
    if not (hasattr(module, "is_asyncapi") and hasattr(module, "import_asyncapi_file")):
        pytest.skip("the AsyncAPI importer does not expose is_asyncapi / import_asyncapi_file yet")
    return module


def test_asyncapi_documents_are_imported_and_reviewed() -> None:
    _asyncapi_importer()
    documents = sorted(CORPUS.glob("*.yaml")) + sorted(CORPUS.glob("*.yml"))
    if not documents:
        pytest.skip(f"no AsyncAPI corpus at {CORPUS}")
    code, out, err = invoke("review", str(documents[0]), "--format", "json")
    assert code in (0, 1), err
    data = json.loads(out)
    assert data["files"][0]["kind"] == "asyncapi"
    code, text, _ = invoke("review", str(documents[0]))
    if any(f["severity"] == "info" and not f["code"].startswith("EDA") for f in data["findings"]):
        assert "leaves unsaid:" in text


def test_unsaid_summary_groups_notes() -> None:
    from archassist.agent.model.findings import Finding

    notes = [
        Finding(code="AAPI101", name="partition-key", severity="info", message="m", pointer="/a"),
        Finding(code="AAPI101", name="partition-key", severity="info", message="m", pointer="/b"),
        Finding(code="AAPI104", name="consumer-idempotency", severity="info", message="m", pointer="/c"),
    ]
    lines = unsaid_summary(notes)
    assert len(lines) == 2 and lines[0].endswith("×2")


# ---- the library API and start-up cost -----------------------------------------------------------------------


def test_review_paths_and_report_data() -> None:
    report = review_paths([CLEAN, FLAWED], ReviewOptions(fail_on="error"))
    data = report_data(report)
    assert [f["design"] for f in data["files"]] == ["order-fulfillment", "checkout"]
    assert report.exit_code == 1 and data["summary"]["files"] == 2


def test_registering_the_commands_imports_nothing_heavy() -> None:
    code = (
        "import sys, archassist.agent.cli.review as m, typer; m.register(typer.Typer()); "
        "heavy = [n for n in ('archassist.agent.model.design', 'pydantic', 'rich.console', 'jsonschema', 'anthropic', 'mcp', "
        "'yaml') if n in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_color_text_renders_through_rich() -> None:
    from io import StringIO

    from archassist.agent.modes.review import render_text
    from rich.console import Console

    report = review_paths([FLAWED])
    report.files[0].findings[0].message = "brackets [like/this] survive"
    console = Console(file=StringIO(), force_terminal=True, record=True, soft_wrap=True)
    console.print(render_text(report, color=True), end="")
    text = console.export_text()
    assert text == render_text(report, color=False)
    assert "[like/this]" in text


def test_the_archassist_cli_carries_the_commands() -> None:
    cli = pytest.importorskip("archassist.agent.cli.root")
    result = CliRunner().invoke(cli.app, ["review", str(CLEAN)])
    assert result.exit_code == 0, result.stderr
    assert CliRunner().invoke(cli.app, ["explain", "EDA101"]).exit_code == 0


# ---- inputs: folders, stdin and files that cannot be reviewed ----------------------------------------------


def _tree(root: Path) -> dict[str, Path]:
    """A folder with designs at two depths, an AsyncAPI document, and things review must leave alone."""
    paths = {
        "clean": root / "clean.yaml",
        "nested": root / "team" / "billing" / "flawed.yml",
        "asyncapi": root / "team" / "events.yaml",
        "broken": root / "team" / "broken.json",
        "workflow": root / "ci.yml",
        "hidden": root / ".github" / "design.yaml",
        "modules": root / "node_modules" / "pkg" / "design.yaml",
        "package": root / "package.json",
        "notes": root / "notes.md",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    for key in ("clean", "hidden", "modules"):
        shutil.copy(CLEAN, paths[key])
    shutil.copy(FLAWED, paths["nested"])
    paths["asyncapi"].write_text(
        "asyncapi: 3.0.0\ninfo: {title: Events, version: 1.0.0}\nchannels: {}\n", encoding="utf-8"
    )
    paths["broken"].write_text('{"name": "x", "services": [', encoding="utf-8")
    paths["workflow"].write_text("on: push\njobs: {build: {runs-on: ubuntu-latest}}\n", encoding="utf-8")
    paths["package"].write_text('{"name": "x", "services": []}', encoding="utf-8")
    paths["notes"].write_text("# notes\n", encoding="utf-8")
    return paths


def test_a_folder_is_reviewed_recursively(tmp_path: Path) -> None:
    paths = _tree(tmp_path / "designs")
    report = review_paths([tmp_path / "designs"])
    reviewed = {Path(item.path): item.kind for item in report.files}
    assert reviewed == {
        paths["clean"]: "design",
        paths["nested"]: "design",
        paths["asyncapi"]: "asyncapi",
        paths["broken"]: "unreadable",
    }
    broken = [f for f in report.findings if f.file == str(paths["broken"])]
    assert [f.code for f in broken] == ["EDA000"] and "invalid JSON" in broken[0].message
    assert report.exit_code == 1


def test_a_folder_with_no_design_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("on: push\n", encoding="utf-8")
    code, out, err = invoke("review", str(tmp_path))
    assert code == 2 and out == ""
    assert "no design or AsyncAPI document in" in err and "1 YAML/JSON file(s) found, none a design" in err


def test_an_unreadable_file_does_not_stop_the_others(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    code, out, err = invoke("review", str(missing), str(CLEAN), str(FLAWED))
    assert code == 1 and err == ""
    assert f"{missing}  EDA000  not reviewed: no such file; check the path" in out
    assert "EDA410" in out and out.strip().endswith("in 3 files")


def test_an_explicitly_named_non_design_is_still_reviewed(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text("jobs: {}\n", encoding="utf-8")
    code, out, _ = invoke("review", str(workflow), str(CLEAN))
    assert code == 1 and "ci.yml:1:1  EDA000  not reviewed: name: required field is missing" in out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_the_unreadable_finding_is_in_every_format(tmp_path: Path, fmt: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nevents: [\n", encoding="utf-8")
    code, out, _ = invoke("review", str(broken), str(CLEAN), "--format", fmt)
    assert code == 1
    if fmt == "json":
        data = json.loads(out)
        assert [f["code"] for f in data["findings"]] == ["EDA000"]
        assert data["findings"][0]["group"] is None and data["summary"]["files"] == 2
    elif fmt == "sarif":
        log = json.loads(out)
        check_sarif_structure(log)
        (result,) = log["runs"][0]["results"]
        rule = log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
        assert result["ruleId"] == rule["id"] == "EDA000" and result["level"] == "error"
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    elif fmt == "github":
        assert re.match(rf"^::error file={re.escape(str(broken))},line=3,col=\d+,title=EDA000 unreadable-file::", out)
    else:
        assert re.search(rf"{re.escape(str(broken))}:3:\d+  EDA000  not reviewed: ", out)


def test_stdin_is_reviewed_with_a_dash() -> None:
    result = CliRunner().invoke(APP, ["review", "-", "--format", "json"], input=FLAWED.read_text(encoding="utf-8"))
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["files"][0]["path"] == "<stdin>" and data["files"][0]["design"] == "checkout"
    assert {f["file"] for f in data["findings"]} == {"<stdin>"}
    assert any(f["code"] == "EDA410" and f["line"] for f in data["findings"])


def test_bad_stdin_is_a_finding_of_stdin() -> None:
    result = CliRunner().invoke(APP, ["review", "-", str(CLEAN)], input="name: [\n")
    assert result.exit_code == 1
    assert "<stdin>:2:1  EDA000  not reviewed: invalid YAML/JSON" in result.stdout
    assert "in 2 files" in result.stdout


def test_the_same_file_twice_is_reviewed_once(tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(CLEAN)
    report = review_paths([CLEAN, link, CLEAN.parent])
    assert [Path(item.path).resolve() for item in report.files].count(CLEAN.resolve()) == 1


def test_reviewing_a_design_with_selectors_does_not_load_the_asyncapi_package() -> None:
    code = (
        "import sys\nfrom archassist.agent.modes.review import ReviewConfig, merge_options, review_paths\n"
        f"review_paths([{str(CLEAN)!r}], merge_options(ReviewConfig(), select=['EDA4', 'sagas'], ignore=['EDA401']))\n"
        "print('archassist.agent.asyncapi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
