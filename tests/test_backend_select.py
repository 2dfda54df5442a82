"""Choosing a backend, its settings, the offline backend, the dry run and the lazy import of the SDK."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from archassist.agent.backends import Backend, BackendInputError, DesignResult, Knowledge
from archassist.agent.backends.anthropic_backend import (
    CHARS_PER_TOKEN,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    OUTPUT_NOTE,
    AnthropicBackend,
    ClaudeSettings,
    design_request,
    make_client,
)
from archassist.agent.backends.llm_schema import llm_schema_json, to_llm
from archassist.agent.backends.offline import OfflineBackend
from archassist.agent.backends.prompting import render_prompt
from archassist.agent.backends.select import (
    FallbackBackend,
    resolve_backend_name,
    resolve_model,
    resolve_settings,
    select_backend,
)
from archassist.agent.cli.backend import run_design, usage_line
from archassist.agent.errors import InputError
from archassist.agent.model.precedents import Precedent
from archassist.agent.planner.compose import plan
from archassist.agent.rules.engine import check

from .cassettes.recording import FAKE_KEY

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


def test_run_design_offline_prints_nothing_extra() -> None:
    err = io.StringIO()
    outcome = run_design(
        BRIEF,
        backend="auto",
        model=None,
        repair_rounds=2,
        no_fallback=False,
        dry_run=False,
        precedents=(),
        env={},
        err=err,
    )
    assert outcome.design == plan(BRIEF).design and not outcome.dry_run
    assert err.getvalue() == ""


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
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=answer))
    settings = ClaudeSettings(max_retries=0)
    backend = AnthropicBackend(
        settings=settings,
        client=make_client(FAKE_KEY, settings, http_client=httpx2.Client(transport=transport)),
    )
    result = backend.design(BRIEF, precedents=precedents)
    assert result.precedents_applied == ["D12"]
    assert result.usage.cache_read_input_tokens == 0 and result.usage.calls == 1


# ---- the dry run ---------------------------------------------------------------------------------------------


def test_dry_run_prints_the_exact_request_without_a_key() -> None:
    out = io.StringIO()
    outcome = run_design(
        BRIEF,
        backend="anthropic",
        model="claude-opus-5-5",
        repair_rounds=2,
        no_fallback=False,
        dry_run=True,
        precedents=(),
        env={},
        out=out,
    )
    assert outcome.dry_run and outcome.result is None
    text = out.getvalue()
    rendered = render_prompt("design", BRIEF)
    body = design_request(BRIEF, settings=ClaudeSettings(model="claude-opus-5-5"))
    system = rendered.system + "\n\n" + OUTPUT_NOTE
    user = rendered.context + "\n\n" + rendered.task
    schema_bytes = len(llm_schema_json().encode("utf-8"))
    assert text.startswith("# dry run: POST https://api.anthropic.com/v1/messages (not sent)\n")
    assert "model: claude-opus-5-5\n" in text
    assert f"output schema: {schema_bytes} bytes" in text
    assert (
        f"request body: {len(json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode())} bytes"
        in text
    )
    estimate = -(-(len(system) + len(user) + schema_bytes) // CHARS_PER_TOKEN)
    assert f"estimated input tokens: ~{estimate} " in text
    assert "cache_control ephemeral on 1" in text
    assert f"----- system -----\n{system}" in text
    assert f"----- user -----\n{user}" in text


def test_dry_run_on_the_offline_backend_says_there_is_no_request() -> None:
    out = io.StringIO()
    outcome = run_design(
        BRIEF,
        backend="auto",
        model=None,
        repair_rounds=2,
        no_fallback=False,
        dry_run=True,
        precedents=(),
        env={},
        out=out,
    )
    assert outcome.result is None and "offline backend makes no API request" in out.getvalue()


def test_usage_line() -> None:
    result = DesignResult(
        design=plan(BRIEF).design, findings=[], backend="anthropic", model="m", rounds_used=1
    )
    result.usage.calls, result.usage.input_tokens, result.usage.output_tokens = 2, 1234, 56789
    result.usage.cache_creation_input_tokens, result.usage.cache_read_input_tokens = 10, 20
    assert usage_line(result) == (
        "anthropic:m: 2 calls, 1 repair round; tokens in 1,234 (cache write 10, cache read 20), out 56,789; "
        "no errors"
    )


# ---- the SDK is imported lazily ------------------------------------------------------------------------------


def test_help_and_dry_run_never_import_the_sdk() -> None:
    script = """
import io, sys
import archassist.agent.cli.root as cli
import archassist.agent.cli.backend, archassist.agent.backends, archassist.agent.backends.select
sys.argv = ["archassist", "--help"]
try:
    cli.main()
except SystemExit:
    pass
from archassist.agent.cli.backend import run_design
run_design("ride hailing with payments", backend="anthropic", model=None, repair_rounds=2, no_fallback=False,
           dry_run=True, precedents=(), env={}, out=io.StringIO())
assert "anthropic" not in sys.modules, "anthropic was imported"
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
