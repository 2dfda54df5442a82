"""Write the Claude backend's cassettes without a key or a network.

    python -m tests.cassettes.make_cassettes            # every scenario
    python -m tests.cassettes.make_cassettes auth_error  # one

Each scenario runs through the real backend code (the same ``run_scenario`` the tests use) with an
``httpx2.MockTransport`` under the SDK that answers like the Messages API: a streamed answer (server-sent
events) whose structured text is the offline planner's design in the LLM schema's shape, usage counts following
the request's size (the system prompt is written to the cache on the first call and read from it after), and
errors with the API's error bodies and headers. vcr records the exchange, so every request body is exactly what the code sends.

Run it again whenever the prompts, the Design model or the request shape change. To record from the real API
instead, see docs/backends.md ("Re-recording the cassettes").
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import httpx2
from archassist.agent.backends.llm_schema import to_llm_json
from archassist.agent.planner.compose import plan

from tests.cassettes.recording import (
    BRIEF,
    FAKE_KEY,
    MAX_RETRIES,
    SCENARIOS,
    Scenario,
    run_scenario,
    streamed_response,
    use_cassette,
)

DATE = "Mon, 23 Nov 2026 20:00:00 GMT"
RESET = "2026-11-23T20:00:02Z"
MODEL_ANSWERING = "claude-sonnet-5-5"

Responder = Callable[[dict[str, Any], int], httpx2.Response]


def _token(seed: str, length: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest)[:length]


def _request_id(seed: str) -> str:
    return "req_011C" + _token("req" + seed, 20)


def _common_headers(seed: str) -> dict[str, str]:
    return {
        "date": DATE,
        "content-type": "application/json",
        "request-id": _request_id(seed),
        "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
        "server": "cloudflare",
        "x-robots-tag": "none",
        "cf-ray": _token("ray" + seed, 16).lower() + "-SJC",
    }


def _rate_headers(*, remaining_input: int, remaining_requests: int) -> dict[str, str]:
    return {
        "anthropic-ratelimit-requests-limit": "4000",
        "anthropic-ratelimit-requests-remaining": str(remaining_requests),
        "anthropic-ratelimit-requests-reset": RESET,
        "anthropic-ratelimit-input-tokens-limit": "2000000",
        "anthropic-ratelimit-input-tokens-remaining": str(remaining_input),
        "anthropic-ratelimit-input-tokens-reset": RESET,
        "anthropic-ratelimit-output-tokens-limit": "400000",
        "anthropic-ratelimit-output-tokens-remaining": "400000",
        "anthropic-ratelimit-output-tokens-reset": RESET,
    }


def _chars(blocks: list[dict[str, Any]]) -> int:
    return sum(len(b.get("text", "")) for b in blocks)


def _usage(body: dict[str, Any], answer: str, *, call: int) -> dict[str, Any]:
    """Token counts in proportion to the request: the system prompt (and schema) is the cached prefix."""
    schema = body.get("output_config", {}).get("format", {}).get("schema")
    prefix = (_chars(body["system"]) + (len(json.dumps(schema)) if schema else 0)) // 4
    rest = sum(_chars(m["content"]) for m in body["messages"]) // 4
    written, read = (prefix, 0) if call == 0 else (0, prefix)
    return {
        "input_tokens": rest,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0},
        "output_tokens": len(answer) // 3,
        "service_tier": "standard",
    }


def assistant_message(message_seed: str, body: dict[str, Any], text: str, call: int) -> dict[str, Any]:
    """A finished Messages API answer carrying ``text``, as the API returns it for ``body``."""
    return {
        "id": "msg_01" + _token(message_seed, 22),
        "type": "message",
        "role": "assistant",
        "model": MODEL_ANSWERING,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": _usage(body, text, call=call),
    }


def answer(text: str, *, seed: str, call: int) -> Responder:
    def respond(body: dict[str, Any], index: int) -> httpx2.Response:
        message = assistant_message("msg" + seed + str(index), body, text, call)
        headers = {
            **_common_headers(seed + str(index)),
            **_rate_headers(remaining_input=1_990_000, remaining_requests=3999),
        }
        return streamed_response(message, headers=headers)

    return respond


def error(
    status: int, kind: str, message: str, *, seed: str, headers: dict[str, str] | None = None
) -> Responder:
    def respond(body: dict[str, Any], index: int) -> httpx2.Response:
        request_id = _request_id(seed + str(index))
        payload = {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}
        all_headers = {**_common_headers(seed + str(index)), **(headers or {})}
        all_headers["request-id"] = request_id
        return httpx2.Response(status, headers=all_headers, content=json.dumps(payload).encode())

    return respond


def script(scenario: Scenario) -> list[Responder]:
    design = to_llm_json(plan(BRIEF).design)
    name = scenario.name
    if name == "design_clean":
        return [answer(design, seed=name, call=0)]
    if name == "design_repaired":
        # The first answer is clean here; the test's FlawInjector breaks it on the way in, as it does live.
        return [answer(design, seed=name, call=0), answer(design, seed=name + "-repair", call=1)]
    if name == "rate_limited_then_ok":
        limited = error(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 2,000,000 input tokens per "
            "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the "
            "response headers for current usage. Please reduce the prompt length or the maximum tokens "
            "requested, or try again later.",
            seed=name,
            headers={
                "retry-after": "2",
                "x-should-retry": "true",
                **_rate_headers(remaining_input=0, remaining_requests=3998),
            },
        )
        return [limited, answer(design, seed=name, call=0)]
    if name == "overloaded_fallback":
        overloaded = error(
            529, "overloaded_error", "Overloaded", seed=name, headers={"x-should-retry": "true"}
        )
        return [overloaded] * (MAX_RETRIES + 1)
    if name == "auth_error":
        return [
            error(
                401,
                "authentication_error",
                "invalid x-api-key",
                seed=name,
                headers={"x-should-retry": "false"},
            )
        ]
    raise ValueError(f"no script for scenario {name!r}")


def generate(scenario: Scenario) -> int:
    responders = script(scenario)
    seen: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        index = len(seen)
        if index >= len(responders):
            raise AssertionError(f"{scenario.name}: the code made more requests than scripted ({index + 1})")
        seen.append(index)
        return responders[index](json.loads(request.content), index)

    scenario.path.unlink(missing_ok=True)
    with use_cassette(scenario, "all"):
        run = run_scenario(scenario, transport=httpx2.MockTransport(handler), key=FAKE_KEY)
    if len(seen) != len(responders):
        raise AssertionError(
            f"{scenario.name}: scripted {len(responders)} responses, the code used {len(seen)}"
        )
    if run.error is not None and scenario.name != "auth_error":
        raise AssertionError(f"{scenario.name}: {run.error!r}") from run.error
    return len(seen)


def main(argv: list[str]) -> int:
    # The fallback scenario logs a warning by design; the generator's output is the list of files it wrote.
    logging.basicConfig(level=logging.ERROR)
    names = argv or list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            print(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
            return 2
        count = generate(SCENARIOS[name])
        print(f"wrote {SCENARIOS[name].path.name} ({count} interaction{'s' if count != 1 else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
