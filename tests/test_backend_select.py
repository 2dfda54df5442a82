"""Choosing a backend, its settings, the offline backend, the dry run and the lazy import of the SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from archassist.agent.backends import Backend, BackendInputError, DesignResult, Knowledge
from archassist.agent.backends.anthropic_backend import AnthropicBackend, make_client
from archassist.agent.backends.llm_schema import llm_schema_json, to_llm
from archassist.agent.backends.offline import OfflineBackend
from archassist.agent.backends.prompting import render_prompt
from archassist.agent.backends.request import (
    CHARS_PER_TOKEN,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    ClaudeSettings,
    design_request,
    encode_body,
    messages_url,
)
from archassist.agent.backends.select import (
    FallbackBackend,
    resolve_backend_name,
    resolve_model,
    resolve_settings,
    select_backend,
)
from archassist.agent.errors import InputError
from archassist.agent.model.precedents import Precedent
from archassist.agent.modes.design import BackendOptions, backend_line, design_brief
from archassist.agent.planner.compose import plan
from archassist.agent.rules.engine import check

from .cassettes.recording import FAKE_KEY, streamed_response

ROOT = Path(__file__).resolve().parents[1]
BRIEF = "order fulfillment across payments, inventory and shipping"
KEYED = {"ANTHROPIC_API_KEY": FAKE_KEY}


# ---- choosing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "env", "expected"),
    [
        ("auto", {}, "offline"),
        ("auto", {"ANTHROPIC_API_KEY": "  "}, "offline"),
        ("auto", KEYED, "anthropic"),
        ("AUTO", KEYED, "anthropic"),
        ("offline", KEYED, "offline"),
        ("anthropic", {}, "anthropic"),
    ],
)
def test_backend_name(backend: str, env: dict[str, str], expected: str) -> None:
    assert resolve_backend_name(backend, env) == expected


def test_unknown_backend_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown backend 'claude'; use one of auto, offline, anthropic"):
        resolve_backend_name("claude", {})


def test_model_comes_from_the_option_then_the_environment_then_the_default() -> None:
    assert resolve_model("claude-opus-5-5", {"ARCHASSIST_MODEL": "claude-haiku-5-5"}) == "claude-opus-5-5"
    assert resolve_model(None, {"ARCHASSIST_MODEL": " claude-haiku-5-5 "}) == "claude-haiku-5-5"
    assert resolve_model("", {"ARCHASSIST_MODEL": ""}) == DEFAULT_MODEL == "claude-sonnet-5-5"


def test_settings_from_environment_and_arguments() -> None:
    env = {"ARCHASSIST_MAX_RETRIES": "5", "ARCHASSIST_TIMEOUT": "90.5", "ARCHASSIST_MAX_TOKENS": "32000"}
    settings = resolve_settings(repair_rounds=3, env=env)
    assert settings == ClaudeSettings(
        model=DEFAULT_MODEL, max_tokens=32000, max_retries=5, timeout_s=90.5, repair_rounds=3
    )
    assert resolve_settings(max_retries=0, timeout=5, env=env).max_retries == 0
    assert resolve_settings(env={}) == ClaudeSettings(
        max_tokens=DEFAULT_MAX_TOKENS, max_retries=DEFAULT_MAX_RETRIES, timeout_s=DEFAULT_TIMEOUT_S
    )


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({"repair_rounds": -1}, {}, "--repair-rounds is -1"),
        ({"repair_rounds": 11}, {}, "--repair-rounds is 11"),
        ({"max_retries": -2}, {}, "--max-retries is -2"),
        ({"timeout": 0}, {}, "--timeout is 0"),
        ({}, {"ARCHASSIST_MAX_RETRIES": "many"}, "ARCHASSIST_MAX_RETRIES is 'many'"),
        ({}, {"ARCHASSIST_TIMEOUT": "0"}, "ARCHASSIST_TIMEOUT is 0; it must be at least 1"),
        ({}, {"ARCHASSIST_MAX_TOKENS": "10"}, "ARCHASSIST_MAX_TOKENS is 10"),
    ],
)
def test_bad_settings_are_input_errors(kwargs: dict[str, int], env: dict[str, str], message: str) -> None:
    with pytest.raises(BackendInputError, match=message.replace("'", ".")):
        resolve_settings(env=env, **kwargs)  # type: ignore[arg-type]


def test_select_offline_and_claude() -> None:
    assert isinstance(select_backend("auto", env={}), OfflineBackend)
    chosen = select_backend("auto", env=KEYED, repair_rounds=1, max_retries=4, timeout=30)
    assert isinstance(chosen, FallbackBackend) and chosen.name == "anthropic"
    claude = chosen.primary
    assert isinstance(claude, AnthropicBackend)
    assert claude.settings.repair_rounds == 1
    assert claude.client.max_retries == 4 and claude.client.timeout == 30
    assert claude.api_key is None and FAKE_KEY not in repr(claude) and FAKE_KEY not in repr(claude.settings)
    strict = select_backend("anthropic", env=KEYED, no_fallback=True, model="claude-opus-5-5")
    assert isinstance(strict, AnthropicBackend) and strict.settings.model == "claude-opus-5-5"
    for backend in (OfflineBackend(), claude, chosen):
        assert isinstance(backend, Backend)


def test_claude_without_a_key_is_an_input_error() -> None:
    with pytest.raises(
        InputError, match="--backend anthropic needs ANTHROPIC_API_KEY; set it, or use --backend"
    ):
        select_backend("anthropic", env={})


# ---- the offline backend -------------------------------------------------------------------------------------


def test_offline_backend_wraps_the_planner() -> None:
    precedents = [Precedent(id="D7", title="Use orchestration for order workflows", decision="orchestrate")]
    result = OfflineBackend().design(BRIEF, precedents=precedents)
    planned = plan(BRIEF, precedents=precedents)
    assert result.design == planned.design
    assert result.findings == check(planned.design) and result.errors == []
    assert result.precedents_applied == planned.precedents_applied == ["D7"]
    assert (result.backend, result.model, result.rounds_used, result.usage.calls) == ("offline", None, 0, 0)
    assert result.produced_by == "offline"


def test_the_mode_designs_offline_without_a_key_and_says_so() -> None:
    outcome = design_brief(BRIEF, options=BackendOptions(backend="auto", env={}))
    assert outcome.design == plan(BRIEF).design and not outcome.dry_run
    assert (outcome.backend, outcome.designed_by) == ("offline", "the offline planner")
    assert outcome.usage_line == "designed by the offline planner"
    assert outcome.backend_notices == [] and outcome.request is None


# ---- precedents and knowledge reach Claude --------------------------------------------------------------------


def test_precedents_and_knowledge_go_into_the_context_and_citations_are_reported() -> None:
    precedents = [
        Precedent(id="D12", title="Orchestrate order workflows", decision="An orchestrator owns the saga."),
        Precedent(id="D99", title="Keep payments events for 7 years"),
    ]
    body = design_request(BRIEF, precedents=precedents, knowledge=Knowledge(domains=("orders",), patterns=()))
    rendered = render_prompt("design", BRIEF, precedents=precedents, domains=[], patterns=[])
    context = body["messages"][0]["content"][0]["text"]
    assert "**D12**" in context and "**D99**" in context and "Orders (`orders`)" in context
    assert "Payments (`payments`)" not in context
    assert body["messages"][0]["content"][1]["text"] == rendered.task
    with pytest.raises(InputError, match="unknown domain 'spaceflight'"):
        design_request(BRIEF, knowledge=Knowledge(domains=("spaceflight",)))

    design = plan(BRIEF).design.model_copy(deep=True)
    design.decisions[0].cites = ["D12"]
    answer = {
        "id": "msg_01X",
        "type": "message",
        "role": "assistant",
        "model": DEFAULT_MODEL,
        "content": [{"type": "text", "text": json.dumps(to_llm(design))}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 2},
    }
    transport = httpx2.MockTransport(lambda request: streamed_response(answer))
    settings = ClaudeSettings(max_retries=0)
    backend = AnthropicBackend(
        settings=settings,
        client=make_client(FAKE_KEY, settings, http_client=httpx2.Client(transport=transport)),
    )
    result = backend.design(BRIEF, precedents=precedents)
    assert result.precedents_applied == ["D12"]
    assert result.usage.cache_read_input_tokens == 0 and result.usage.calls == 1


# ---- the dry run ---------------------------------------------------------------------------------------------


def claude_answer(design_json: str) -> dict[str, object]:
    return {
        "id": "msg_01X",
        "type": "message",
        "role": "assistant",
        "model": DEFAULT_MODEL,
        "content": [{"type": "text", "text": design_json}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 2},
    }


def test_dry_run_body_is_byte_for_byte_what_the_sdk_sends() -> None:
    outcome = design_brief(
        BRIEF, options=BackendOptions(backend="anthropic", model="claude-opus-5-5", dry_run=True, env={})
    )
    assert outcome.dry_run and outcome.design is None and outcome.request is not None
    sent: list[httpx2.Request] = []

    def server(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return streamed_response(claude_answer(json.dumps(to_llm(plan(BRIEF).design))))

    settings = ClaudeSettings(model="claude-opus-5-5", max_retries=0)
    client = make_client(FAKE_KEY, settings, http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    AnthropicBackend(settings=settings, client=client).design(BRIEF)
    assert sent[0].content == outcome.request.body_json().encode("utf-8")
    assert str(sent[0].url) == outcome.request.url == "https://api.anthropic.com/v1/messages"
    body = json.loads(outcome.request.body_json())
    assert body["output_config"]["format"]["schema"] == json.loads(llm_schema_json())  # the schema is in it
    assert body["stream"] is True and body["model"] == "claude-opus-5-5"


def test_dry_run_summary_describes_the_request() -> None:
    outcome = design_brief(BRIEF, options=BackendOptions(backend="anthropic", dry_run=True, env={}))
    assert outcome.request is not None
    body = design_request(BRIEF)
    rendered = render_prompt("design", BRIEF)
    schema_bytes = len(llm_schema_json().encode("utf-8"))
    where, what, weight = outcome.dry_run_lines
    assert where == "dry run: POST https://api.anthropic.com/v1/messages (not sent)"
    assert what.startswith(f"model {DEFAULT_MODEL}, max_tokens 64,000, streamed; system 2 blocks (")
    assert "cache_control on 1" in what
    body_bytes = len(encode_body(body).encode())
    assert weight.startswith(f"body {body_bytes:,} bytes, output schema {schema_bytes:,} bytes as json_schema")
    system = len(rendered.system) + len(rendered.task) + len(rendered.context)
    estimate = -(-(system + len(body["system"][1]["text"]) + schema_bytes) // CHARS_PER_TOKEN)
    assert f"about {estimate:,} input tokens" in weight


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://llm-gateway.example/anthropic", "https://llm-gateway.example/anthropic/v1/messages"),
        ("https://llm-gateway.example/anthropic/", "https://llm-gateway.example/anthropic/v1/messages"),
        ("http://localhost:8080", "http://localhost:8080/v1/messages"),
        ("  ", "https://api.anthropic.com/v1/messages"),
    ],
)
def test_the_dry_run_url_is_where_the_sdk_sends(
    base: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"ANTHROPIC_BASE_URL": base}
    outcome = design_brief(BRIEF, options=BackendOptions(backend="anthropic", dry_run=True, env=env))
    assert outcome.request is not None and outcome.request.url == expected == messages_url(env)
    assert outcome.dry_run_lines[0] == f"dry run: POST {expected} (not sent)"
    sent: list[str] = []

    def server(request: httpx2.Request) -> httpx2.Response:
        sent.append(str(request.url))
        return httpx2.Response(401, json={"type": "error", "error": {"type": "authentication_error", "message": "x"}})

    # The backend passes the same variable to the SDK (select_backend reads it from the same environment)...
    chosen = select_backend("anthropic", env={**env, "ANTHROPIC_API_KEY": FAKE_KEY}, no_fallback=True)
    assert isinstance(chosen, AnthropicBackend)
    assert chosen.base_url == (base.strip() or None)
    # ...and the SDK, given it, posts where the dry run said.
    settings = ClaudeSettings(max_retries=0)
    http = httpx2.Client(transport=httpx2.MockTransport(server))
    client = make_client(FAKE_KEY, settings, http_client=http, base_url=chosen.base_url)
    with pytest.raises(BackendInputError):
        AnthropicBackend(settings=settings, client=client).design(BRIEF)
    # Left to itself, the SDK reads the variable from the process environment: the same address again.
    monkeypatch.setenv("ANTHROPIC_BASE_URL", base)
    client = make_client(FAKE_KEY, settings, http_client=http)
    with pytest.raises(BackendInputError):
        AnthropicBackend(settings=settings, client=client).design(BRIEF)
    if base.strip():
        assert sent == [expected, expected]
    else:
        assert sent[0] == expected


def test_dry_run_on_the_offline_backend_says_there_is_no_request() -> None:
    outcome = design_brief(BRIEF, options=BackendOptions(backend="auto", dry_run=True, env={}))
    assert outcome.dry_run and outcome.request is None and outcome.design is None
    assert outcome.designed_by is None and outcome.usage_line is None
    [line] = outcome.dry_run_lines
    assert "offline planner" in line and "sends no request" in line and "--backend anthropic" in line


def test_usage_line() -> None:
    result = DesignResult(
        design=plan(BRIEF).design, findings=[], backend="anthropic", model="m", rounds_used=1
    )
    result.usage.calls, result.usage.input_tokens, result.usage.output_tokens = 2, 1234, 56789
    result.usage.cache_creation_input_tokens, result.usage.cache_read_input_tokens = 10, 20
    assert backend_line(result) == (
        "designed by Claude (model m): 2 calls, 1 repair round; tokens in 1,234 (cache write 10, cache read 20), "
        "out 56,789; no errors"
    )
    fallback = DesignResult(design=result.design, findings=[], backend="offline", usage=result.usage)
    assert backend_line(fallback) == (
        "designed by the offline planner, after 2 calls to Claude; tokens in 1,234 (cache write 10, "
        "cache read 20), out 56,789; no errors"
    )
    assert backend_line(DesignResult(design=result.design, findings=[], backend="offline")) == (
        "designed by the offline planner; no errors"
    )


# ---- the SDK is imported lazily ------------------------------------------------------------------------------


def test_help_and_dry_run_never_import_the_sdk() -> None:
    script = """
import io, sys
import archassist.agent.cli.root as cli
import archassist.agent.backends, archassist.agent.backends.select, archassist.agent.modes.design
sys.argv = ["archassist", "--help"]
try:
    cli.main()
except SystemExit:
    pass
from archassist.agent.modes.design import BackendOptions, design_brief
out = design_brief("ride hailing with payments", options=BackendOptions(backend="anthropic", dry_run=True, env={}))
assert out.request is not None and out.request.body_json()
assert "anthropic" not in sys.modules, "anthropic was imported"
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
