"""The Claude backend against recorded Messages API exchanges (vcrpy cassettes in tests/cassettes/).

Replay matches requests on method, URL and turn (model, limits, conversation shape) and plays every recorded
response exactly once, in order; the assertions look at the requests the code actually sent. One test compares
those full JSON bodies with the recorded ones: when a prompt template or the Design model changes, it names the
stale cassette; regenerate it with ``python -m tests.cassettes.make_cassettes`` or re-record it
(docs/backends.md).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx2
import pytest
from archassist.agent.backends.base import BackendInputError, Usage
from archassist.agent.backends.llm_schema import from_llm, llm_pointer, llm_schema, to_llm_json
from archassist.agent.backends.prompting import render_prompt
from archassist.agent.backends.repair import render_repair_prompt
from archassist.agent.backends.request import DEFAULT_MODEL, OUTPUT_NOTE
from archassist.agent.errors import InputError
from archassist.agent.planner.compose import plan
from archassist.agent.rules.engine import check

from .cassettes.recording import (
    BRIEF,
    CASSETTES,
    FAKE_KEY,
    INVALID_KEY,
    MAX_RETRIES,
    REAL_KEY,
    RECORDING,
    SCENARIOS,
    Scenario,
    ScenarioRun,
    cassette_interactions,
    inject_flaw,
    request_body,
    response_body,
    run_scenario,
    use_cassette,
)

pytestmark = pytest.mark.usefixtures("no_sdk_environment")

REFRESH = (
    "Regenerate it with `python -m tests.cassettes.make_cassettes {name}` (or re-record, docs/backends.md)."
)
UNPLAYED = "cassette {name} was not fully played: the code's requests no longer match its turns. " + REFRESH
STALE = "cassette {name} is stale: the code now sends a different request body. " + REFRESH




def play(scenario: Scenario) -> ScenarioRun:
    """Run a scenario against its cassette: replay in CI, record with ARCHASSIST_RECORD=1 and a real key."""
    mode = "none"
    key = FAKE_KEY
    if RECORDING and not scenario.path.exists():
        if not scenario.live:
            pytest.skip(
                f"{scenario.name} cannot be provoked live; run python -m tests.cassettes.make_cassettes"
            )
        if not REAL_KEY:
            pytest.fail("ARCHASSIST_RECORD=1 needs ANTHROPIC_API_KEY to record from the real API")
        mode, key = "once", REAL_KEY
    with use_cassette(scenario, mode) as cassette:
        run = run_scenario(scenario, transport=httpx2.HTTPTransport(), key=key)
    if mode == "none":
        assert cassette.all_played, UNPLAYED.format(name=scenario.name)
    return run


def answer_usage(interactions: list[dict[str, Any]]) -> Usage:
    total = Usage()
    for item in interactions:
        if item["response"]["status"]["code"] == 200:
            u = response_body(item)["usage"]
            total.add(
                Usage(
                    input_tokens=u["input_tokens"],
                    output_tokens=u["output_tokens"],
                    cache_creation_input_tokens=u.get("cache_creation_input_tokens") or 0,
                    cache_read_input_tokens=u.get("cache_read_input_tokens") or 0,
                    calls=1,
                )
            )
    return total


def answer_text(interaction: dict[str, Any]) -> str:
    return "".join(b["text"] for b in response_body(interaction)["content"] if b["type"] == "text")


# ---- the request ---------------------------------------------------------------------------------------------


def test_request_caches_the_stable_prefix_and_renders_prompts_from_the_templates() -> None:
    run = play(SCENARIOS["design_clean"])
    assert len(run.requests) == 1
    body = run.requests[0]
    rendered = render_prompt("design", BRIEF)
    assert body["model"] == DEFAULT_MODEL
    # Streamed: a 64,000-token answer can outlast the ten minutes the SDK allows a request that does not stream.
    assert body["stream"] is True and body["max_tokens"] == 64_000
    assert list(body) == ["max_tokens", "messages", "model", "output_config", "system", "stream"]
    system = body["system"]
    assert system[0]["text"] == rendered.system
    assert system[-1]["text"] == OUTPUT_NOTE
    assert system[-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in block for block in system[:-1])
    assert [b["text"] for b in body["messages"][0]["content"]] == [rendered.context, rendered.task]
    assert body["messages"][0]["role"] == "user"
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": llm_schema()}}
    # The role prompt really comes from prompts/architect.md.j2 and the mode's from prompts/design.md.j2.
    prompts = Path(__file__).resolve().parents[1] / "prompts"
    assert "# Mode: design" in (prompts / "design.md.j2").read_text(encoding="utf-8")
    assert "# Mode: design" in system[0]["text"]
    assert "# Role" in system[0]["text"] and "# Role" in (prompts / "architect.md.j2").read_text(
        encoding="utf-8"
    )


def test_cassettes_are_in_the_messages_api_wire_format() -> None:
    for scenario in SCENARIOS.values():
        for item in cassette_interactions(scenario):
            request, response = item["request"], item["response"]
            assert request["method"] == "POST"
            assert request["uri"] == "https://api.anthropic.com/v1/messages"
            assert request["headers"]["anthropic-version"]
            assert request["headers"]["x-stainless-helper-method"] == ["stream"]
            assert request_body(item)["stream"] is True
            assert response["headers"]["request-id"][0].startswith("req_")
            body = response_body(item)
            if response["status"]["code"] == 200:
                assert response["headers"]["content-type"][0].startswith("text/event-stream")
                raw = response["body"]["string"]
                events = [
                    line.removeprefix("event: ")
                    for line in (raw.decode() if isinstance(raw, bytes) else raw).splitlines()
                    if line.startswith("event: ")
                ]
                assert events[0] == "message_start" and events[-2:] == ["message_delta", "message_stop"]
                assert events.count("content_block_start") == events.count("content_block_stop") >= 1
                assert "content_block_delta" in events
                assert body["type"] == "message" and body["role"] == "assistant"
                assert body["id"].startswith("msg_")
                assert set(body) >= {
                    "id",
                    "type",
                    "role",
                    "model",
                    "content",
                    "stop_reason",
                    "stop_sequence",
                    "usage",
                }
                assert set(body["usage"]) >= {
                    "input_tokens",
                    "output_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                }
            else:
                assert body["type"] == "error"
                assert set(body["error"]) == {"type", "message"}


def test_cassettes_record_what_the_code_sends_now() -> None:
    """Replay matches on the turn only; this is where a cassette made stale by a prompt or model edit shows."""
    for scenario in SCENARIOS.values():
        run = play(scenario)
        recorded = [request_body(i) for i in cassette_interactions(scenario)]
        assert len(run.requests) == len(recorded), STALE.format(name=scenario.name)
        for sent, kept in zip(run.requests, recorded, strict=True):
            differing = sorted(k for k in set(sent) | set(kept) if sent.get(k) != kept.get(k))
            assert not differing, (
                STALE.format(name=scenario.name) + f" Differing fields: {', '.join(differing)}."
            )


# ---- the scenarios -------------------------------------------------------------------------------------------


def test_clean_design() -> None:
    scenario = SCENARIOS["design_clean"]
    run = play(scenario)
    assert run.error is None, run.error
    assert run.outcome is not None and run.outcome.result is not None
    result = run.outcome.result
    interactions = cassette_interactions(scenario)
    assert len(interactions) == 1
    assert result.backend == "anthropic" and result.model == DEFAULT_MODEL
    assert run.outcome.design == result.design and run.outcome.backend == f"anthropic:{DEFAULT_MODEL}"
    assert run.outcome.designed_by == f"Claude (model {DEFAULT_MODEL})"
    assert result.design == from_llm(json.loads(answer_text(interactions[0])))
    assert result.rounds_used == 0
    assert result.errors == []
    assert result.findings == check(result.design)
    assert result.usage == answer_usage(interactions)
    # The stable prefix is written to the cache (or, live within five minutes of another call, read from it).
    assert result.usage.cache_creation_input_tokens + result.usage.cache_read_input_tokens > 0
    assert result.notices == [] and run.outcome.backend_notices == []
    assert run.outcome.usage_line is not None
    assert run.outcome.usage_line.startswith(f"designed by Claude (model {DEFAULT_MODEL}): 1 call, 0 repair rounds;")
    assert run.outcome.usage_line.endswith("; no errors")


def test_design_repaired_in_one_round() -> None:
    scenario = SCENARIOS["design_repaired"]
    run = play(scenario)
    assert run.error is None, run.error
    assert run.outcome is not None and run.outcome.result is not None
    result = run.outcome.result
    interactions = cassette_interactions(scenario)
    assert len(interactions) == 2
    assert len(run.requests) == 2
    first, second = run.requests
    # The repair call repeats the cached system prompt and the brief, then carries the flawed design back.
    assert second["system"] == first["system"]
    assert second["output_config"] == first["output_config"]
    assert second["messages"][0] == first["messages"][0]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    flawed = from_llm(inject_flaw(json.loads(answer_text(interactions[0]))))
    assert second["messages"][1]["content"][0]["text"] == to_llm_json(flawed)
    findings = check(flawed)
    codes = {f.code for f in findings if f.severity == "error"}
    assert {"EDA407", "EDA310"} <= codes
    repair_text = second["messages"][2]["content"][0]["text"]
    assert repair_text == render_repair_prompt(
        [type(f)(**{**f.to_dict(), "pointer": llm_pointer(f.pointer)}) for f in findings], round=1, rounds=2
    )
    for finding in findings:
        if finding.severity == "error":
            assert finding.code in repair_text
            assert llm_pointer(finding.pointer) in repair_text
            assert finding.message in repair_text
            assert finding.fix in repair_text
    assert result.rounds_used == 1
    assert result.errors == []
    assert result.design == from_llm(json.loads(answer_text(interactions[1])))
    assert result.usage == answer_usage(interactions)
    assert result.usage.calls == 2 and result.usage.cache_read_input_tokens > 0
    assert run.outcome.usage_line is not None and "2 calls, 1 repair round;" in run.outcome.usage_line


def test_rate_limit_is_retried_after_the_servers_delay() -> None:
    scenario = SCENARIOS["rate_limited_then_ok"]
    run = play(scenario)
    assert run.error is None, run.error
    assert run.outcome is not None and run.outcome.result is not None
    interactions = cassette_interactions(scenario)
    assert [i["response"]["status"]["code"] for i in interactions] == [429, 200]
    assert response_body(interactions[0])["error"]["type"] == "rate_limit_error"
    assert interactions[0]["response"]["headers"]["retry-after"] == ["2"]
    assert run.delays == [2.0]  # the SDK honoured retry-after (the test does not actually wait)
    assert interactions[1]["request"]["headers"]["x-stainless-retry-count"] == ["1"]
    result = run.outcome.result
    assert result.backend == "anthropic" and result.errors == []
    assert result.usage == answer_usage(interactions) and result.usage.calls == 1


def test_overload_exhausts_retries_then_falls_back_to_the_planner() -> None:
    scenario = SCENARIOS["overloaded_fallback"]
    run = play(scenario)
    assert run.error is None, run.error
    interactions = cassette_interactions(scenario)
    assert [i["response"]["status"]["code"] for i in interactions] == [529] * (MAX_RETRIES + 1)
    assert len(run.delays) == MAX_RETRIES
    assert 0 < run.delays[0] < run.delays[1] <= 8.0  # exponential backoff with jitter
    assert run.outcome is not None and run.outcome.result is not None
    result = run.outcome.result
    assert result.backend == "offline"
    assert result.design == plan(BRIEF).design
    assert result.notices[0].startswith(
        "Claude is unavailable: overloaded (529 overloaded_error, after 2 retries"
    )
    assert "request-id req_" in result.notices[0]
    assert result.notices[0].endswith("; used the offline planner instead")
    assert run.outcome.backend_notices == result.notices
    assert run.outcome.designed_by == "the offline planner" and run.outcome.backend == "offline"
    assert run.outcome.usage_line == "designed by the offline planner; no errors"


def test_rejected_key_ends_in_one_clear_line() -> None:
    scenario = SCENARIOS["auth_error"]
    run = play(scenario)
    assert isinstance(run.error, BackendInputError) and isinstance(run.error, InputError)
    message = str(run.error)
    assert "\n" not in message
    assert "ANTHROPIC_API_KEY" in message and "401" in message
    assert INVALID_KEY not in message and FAKE_KEY not in message
    assert len(cassette_interactions(scenario)) == 1  # a 401 is not retried
    assert run.delays == []


# ---- the key never leaks -------------------------------------------------------------------------------------


def test_the_key_never_appears_in_cassettes_logs_output_or_memory(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from archassist.agent.memory import open_store, record_design
    from archassist.agent.model.io import dumps

    secrets = [FAKE_KEY, INVALID_KEY, FAKE_KEY[-24:], INVALID_KEY[-24:]] + ([REAL_KEY] if REAL_KEY else [])
    for cassette in CASSETTES.glob("*.yaml"):
        text = cassette.read_text(encoding="utf-8")
        assert not any(s in text for s in secrets), cassette.name
        assert "x-api-key:" not in text.replace("invalid x-api-key", "")
        assert "authorization:" not in text.lower()
    caplog.set_level(logging.DEBUG)
    store = open_store(tmp_path / "memory.db")
    outputs: list[str] = []
    for scenario in SCENARIOS.values():
        run = play(scenario)
        outputs.append(str(run.error or ""))
        if run.outcome is not None and run.outcome.result is not None:
            result = run.outcome.result
            outputs += [run.outcome.usage_line or "", *run.outcome.backend_notices]
            outputs += [dumps(result.design, "json"), json.dumps(result.summary())]
            record_design(store, result.design, backend=result.produced_by)
    store.close()
    outputs.append(caplog.text)
    assert any(
        "HTTP Request" in r.getMessage() or "Request options" in r.getMessage() for r in caplog.records
    )
    for text in outputs:
        assert not any(s in text for s in secrets)
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("memory.db*"))
    assert db_bytes and not any(s.encode() in db_bytes for s in secrets)
