"""`archassist eval score` in text and JSON, its one-line errors, and the `score_design` MCP tool through the real
stdio client."""

from __future__ import annotations

import io
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from archassist.agent.cli.exits import run
from archassist.agent.cli.root import app
from archassist.agent.model.io import dumps
from archassist.evals.base import CRITERIA
from archassist.evals.contestants.baseline import BaselineContestant
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.scenario import find_scenario
from archassist.evals.scoring import score_design, total
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.test_mcp_server import child_env, serve_argv


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def designs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("designs")
    chosen = find_scenario("home-claims")
    (folder / "planned.yaml").write_text(dumps(OfflineContestant().design(chosen)), encoding="utf-8")
    (folder / "naive.json").write_text(dumps(BaselineContestant().design(chosen), "json"), encoding="utf-8")
    return folder


def test_eval_lists_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "eval", "--help")
    assert code == 0 and "score" in out and "higher is better" in out


def test_score_as_json_has_every_criterion_the_total_and_the_reasons(
    capsys: pytest.CaptureFixture[str], designs: Path
) -> None:
    code, out, err = cli(capsys, "eval", "score", str(designs / "naive.json"), "--scenario", "home-claims", "-f", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert list(data["scores"]) == list(CRITERIA) and list(data["reasons"]) == list(CRITERIA)
    assert data["scenario"] == "home-claims" and data["design"] == "baseline-home-claims"
    expected = score_design(BaselineContestant().design(find_scenario("home-claims")), find_scenario("home-claims"))
    assert data["scores"] == {name: s.value for name, s in expected.items()}
    assert data["total"] == total(expected)
    assert data["scores"]["idempotency"] == 0.0 and data["reasons"]["idempotency"]


def test_without_a_scenario_domain_coverage_is_null(capsys: pytest.CaptureFixture[str], designs: Path) -> None:
    code, out, _ = cli(capsys, "eval", "score", str(designs / "planned.yaml"), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["scenario"] is None and data["scores"]["domain_coverage"] is None
    applying = [v for v in data["scores"].values() if v is not None]
    assert data["total"] == round(sum(applying) / len(applying), 2)


def test_score_as_text_shows_each_criterion_with_reasons_and_the_total(
    capsys: pytest.CaptureFixture[str], designs: Path
) -> None:
    code, out, _ = cli(capsys, "eval", "score", str(designs / "naive.json"), "-s", "home-claims")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "design baseline-home-claims, scenario home-claims"
    for name in CRITERIA:
        assert any(line.startswith(name + " ") for line in lines), name
    assert lines[-1].startswith("total") and "mean of the criteria that apply" in lines[-1]
    assert "has no idempotency strategy" in out and max(len(line) for line in lines) <= 140


def test_a_design_can_come_from_stdin(
    capsys: pytest.CaptureFixture[str], designs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO((designs / "planned.yaml").read_text(encoding="utf-8")))
    code, out, _ = cli(capsys, "eval", "score", "-", "--format", "json")
    assert code == 0 and json.loads(out)["scores"]["rules"] is not None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing.yaml"], "missing.yaml: no such file"),
        (["{designs}/planned.yaml", "--scenario", "home-claim"], "unknown scenario 'home-claim'; did you mean 'home-claims'?"),
        (["{designs}/planned.yaml", "--format", "csv"], "unknown --format 'csv'; use text or json"),
        (["{designs}/planned.yaml", "--scenario", "{designs}/nope.yaml"], "nope.yaml: no such file"),
    ],
)
def test_score_errors_are_one_line_and_exit_two(
    capsys: pytest.CaptureFixture[str], designs: Path, args: list[str], expected: str
) -> None:
    code, out, err = cli(capsys, "eval", "score", *(a.format(designs=designs) for a in args))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("archassist: ") and expected in err, err


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_score_design_through_the_stdio_client(designs: Path, tmp_path: Path, anyio_backend: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    shutil.copy(designs / "planned.yaml", workspace / "planned.yaml")
    argv = serve_argv(workspace, tmp_path / "memory.db")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_env())
    naive = (designs / "naive.json").read_text(encoding="utf-8")
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errlog:
        with anyio.fail_after(60):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}
                tool = tools["score_design"]
                assert tool.annotations is not None and tool.annotations.read_only_hint
                planned = await client.call_tool("score_design", {"path": "planned.yaml", "scenario": "home-claims"})
                weak = await client.call_tool("score_design", {"text": naive, "scenario": "home-claims"})
                bare = await client.call_tool("score_design", {"path": "planned.yaml"})
                refused = await client.call_tool("score_design", {"path": "planned.yaml", "scenario": "../x.yaml"})
                outside = await client.call_tool("score_design", {"path": "../planned.yaml"})
    results: list[dict[str, Any]] = []
    for result in (planned, weak, bare):
        assert not result.is_error, result.content[0].text
        jsonschema.validate(result.structured_content, tool.output_schema)
        assert "| criterion | score |" in result.content[0].text
        results.append(result.structured_content)
    assert results[0]["total"] > results[1]["total"] + 40
    assert list(results[0]["scores"]) == list(CRITERIA)
    assert results[2]["scores"]["domain_coverage"] is None and results[2]["scenario"] is None
    assert all(len(reasons) <= 4 for reasons in results[1]["reasons"].values())
    for result, expected in ((refused, "must be a scenario id"), (outside, "outside the workspace")):
        assert result.is_error and expected in result.content[0].text
        assert "\n" not in result.content[0].text.strip()
