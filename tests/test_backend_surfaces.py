"""The backend as the surfaces show it: `archassist design` says which backend designed, prints the dry run's
exact body, turns an unreachable API into its one line, and the MCP design tool carries the same field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from archassist.agent.backends import anthropic_backend
from archassist.agent.backends.request import ClaudeSettings
from archassist.agent.cli.root import app
from archassist.agent.modes.design import BackendOptions, design_brief
from archassist.agent.planner.compose import plan
from click.testing import Result
from typer.testing import CliRunner

from .cassettes.recording import FAKE_KEY

BRIEF = "order fulfillment across payments, inventory and shipping"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def stderr_lines(result: Result) -> list[str]:
    return result.stderr.strip().splitlines()


def unreachable(monkeypatch: pytest.MonkeyPatch) -> list[httpx2.Request]:
    """Make every SDK client the backend builds fail to connect, without a socket; returns the attempts."""
    attempts: list[httpx2.Request] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        attempts.append(request)
        raise httpx2.ConnectError("connection refused")

    real = anthropic_backend.make_client

    def make_client(api_key: str, settings: ClaudeSettings, **kwargs: Any) -> Any:
        kwargs["http_client"] = httpx2.Client(transport=httpx2.MockTransport(refuse))
        return real(api_key, settings, **kwargs)

    monkeypatch.setattr(anthropic_backend, "make_client", make_client)
    return attempts


def test_design_says_the_offline_planner_designed() -> None:
    result = run("design", BRIEF, "--no-memory")
    assert result.exit_code == 0, result.output
    assert stderr_lines(result) == ["archassist: designed by the offline planner"]
    assert result.stdout.startswith("# Order fulfillment across payments, inventory and shipping")


def test_an_exported_key_sends_the_brief_to_claude_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = unreachable(monkeypatch)
    result = run("design", BRIEF, "--no-memory", "--max-retries", "0", env={"ANTHROPIC_API_KEY": FAKE_KEY})
    assert result.exit_code == 0, result.output
    assert len(attempts) == 1 and str(attempts[0].url) == "https://api.anthropic.com/v1/messages"
    assert BRIEF in attempts[0].content.decode()  # auto with a key: the brief went to the API
    assert stderr_lines(result) == [
        "archassist: notice: Claude is unavailable: cannot reach the Anthropic API (connection error, 0 retries); "
        "used the offline planner instead",
        "archassist: designed by the offline planner; no errors",
    ]
    assert FAKE_KEY not in result.output


def test_no_fallback_ends_in_one_line_and_exit_code_1(monkeypatch: pytest.MonkeyPatch) -> None:
    unreachable(monkeypatch)
    result = run(
        "design", BRIEF, "--no-memory", "--no-fallback", "--max-retries", "0", env={"ANTHROPIC_API_KEY": FAKE_KEY}
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert stderr_lines(result) == [
        "archassist: Claude is unavailable: cannot reach the Anthropic API (connection error, 0 retries); "
        "retry later, or drop --no-fallback to use the offline planner"
    ]


def test_dry_run_prints_the_exact_body_on_stdout_and_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = unreachable(monkeypatch)
    env = {"ANTHROPIC_BASE_URL": "https://llm-gateway.example/anthropic"}
    result = run("design", BRIEF, "--no-memory", "--backend", "anthropic", "--dry-run", env=env)
    assert result.exit_code == 0, result.output
    assert attempts == []
    expected = design_brief(BRIEF, options=BackendOptions(backend="anthropic", dry_run=True, env=env))
    assert expected.request is not None
    assert result.stdout == expected.request.body_json() + "\n"
    body = json.loads(result.stdout)
    assert body["output_config"]["format"]["type"] == "json_schema" and body["stream"] is True
    lines = stderr_lines(result)
    assert lines[0] == "archassist: dry run: POST https://llm-gateway.example/anthropic/v1/messages (not sent)"
    assert lines[1:] == [f"archassist: {line}" for line in expected.dry_run_lines[1:]]


def test_dry_run_writes_the_body_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "request.json"
    result = run("design", BRIEF, "--no-memory", "--backend", "anthropic", "--dry-run", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["model"] == "claude-sonnet-5-5"


def test_dry_run_without_a_key_says_no_request_would_be_made() -> None:
    result = run("design", BRIEF, "--no-memory", "--dry-run")
    assert result.exit_code == 0 and result.stdout == ""
    [line] = stderr_lines(result)
    assert line.startswith("archassist: dry run: the offline planner would design this brief and sends no request")


def test_help_says_what_auto_does_with_a_key() -> None:
    result = run("design", "--help")
    text = " ".join(result.stdout.split())
    assert "auto: Claude when ANTHROPIC_API_KEY is set, which sends the brief and recalled decisions to the " \
        "Anthropic API" in text
    assert "exact JSON body" in text


# ---- the MCP design tool -------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_mcp_design_tool_says_which_backend_designed(tmp_path: Path) -> None:
    from archassist.tools.server import build_server
    from mcp import Client

    async with Client(build_server(tmp_path, None)) as client:
        result = await client.call_tool("design", {"brief": BRIEF, "remember": False})
    assert not result.is_error
    data = result.structured_content
    assert data["designed_by"] == "the offline planner"
    assert data["name"] == plan(BRIEF).design.name
