"""Shared by the cassette generator (make_cassettes.py) and the cassette tests: the vcr configuration with its
key scrubbers, the scenarios, and the one function that runs a scenario through the real backend code.

Whoever runs a scenario chooses the transport under the SDK: the tests use the normal HTTP transport (vcr
replays it from the cassette, or records it from the real API when re-recording), the generator uses an
``httpx2.MockTransport`` that answers with scripted Messages API responses (vcr records that exchange). Either
way the request bodies in a cassette are exactly what the code sends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import vcr
from archassist.agent.backends.anthropic_backend import make_client
from archassist.agent.backends.request import ClaudeSettings
from archassist.agent.modes.design import BackendOptions, DesignModeOutcome, design_brief

CASSETTES = Path(__file__).resolve().parent
BRIEF = "order fulfillment across payments, inventory and shipping"
MAX_RETRIES = 2
SETTINGS = ClaudeSettings(max_retries=MAX_RETRIES)

# Looks like a real key so a leak would be visible; it is not one. Tests replay with it.
FAKE_KEY = "sk-ant-api03-ArchassistTestKeyNotReal0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH-0123456AA"
# Sent (and rejected with 401) when the authentication cassette is re-recorded against the real API.
INVALID_KEY = "sk-ant-api03-archassist-deliberately-invalid-key-for-the-401-cassette-000000000000000AA"
# Read before any fixture clears the environment: the real key, only when re-recording.
RECORDING = os.environ.get("ARCHASSIST_RECORD") == "1"
REAL_KEY = os.environ.get("ANTHROPIC_API_KEY", "") if RECORDING else ""

REDACTED = "REDACTED"
SECRET_HEADERS = ("x-api-key", "authorization", "cookie", "anthropic-api-key")
RESPONSE_HEADERS_DROPPED = ("set-cookie",)
ORGANIZATION_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
# Requests match on the URL and the turn (model, limits, conversation shape), not on the prompt text: editing a
# template or the Design model must not break replay. test_cassettes_record_what_the_code_sends_now compares
# the full bodies and names the command that refreshes a stale cassette.
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "turn")


# The live API streams text in deltas of a few tokens; the generator uses larger ones to keep cassettes small.
# The SDK joins deltas of any size the same way.
TEXT_DELTA_CHARS = 1024
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse_events(message: Mapping[str, Any], *, delta_chars: int = TEXT_DELTA_CHARS) -> list[dict[str, Any]]:
    """A Messages API answer as the events of its stream: message_start (empty content, the input usage), each
    block's start, deltas and stop, message_delta (stop reason, output tokens) and message_stop."""
    usage = dict(message["usage"])
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": t} for t in _chunks(block["thinking"], delta_chars)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": t} for t in _chunks(block["text"], delta_chars)]
        events.append({"type": "content_block_start", "index": index, "content_block": opening})
        if index == 0:
            events.append({"type": "ping"})
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events


def sse_bytes(events: list[dict[str, Any]]) -> bytes:
    return "".join(
        f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'), ensure_ascii=False)}\n\n" for e in events
    ).encode("utf-8")


def streamed_response(
    message: Mapping[str, Any], *, headers: Mapping[str, str] | None = None, delta_chars: int = TEXT_DELTA_CHARS
) -> httpx2.Response:
    """A 200 answer streamed the way the Messages API streams it."""
    return httpx2.Response(
        200,
        headers={**(headers or {}), **SSE_HEADERS},
        content=sse_bytes(sse_events(message, delta_chars=delta_chars)),
    )


def read_sse(text: str) -> dict[str, Any]:
    """The message a stream adds up to, accumulated as the SDK does; an error event is returned as it is."""
    message: dict[str, Any] = {}
    for chunk in text.split("\n\n"):
        data = next((line[len("data: ") :] for line in chunk.splitlines() if line.startswith("data: ")), None)
        if data is None:
            continue
        event = json.loads(data)
        kind = event["type"]
        if kind == "error":
            return dict(event)
        if kind == "message_start":
            message = dict(event["message"])
            message["content"] = []
        elif kind == "content_block_start":
            message["content"].append(dict(event["content_block"]))
        elif kind == "content_block_delta":
            block, delta = message["content"][event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
        elif kind == "message_delta":
            message.update(event["delta"])
            message["usage"] = {
                **message["usage"],
                **{k: v for k, v in event["usage"].items() if v is not None},
            }
    return message


def _secrets() -> list[str]:
    return [s for s in (FAKE_KEY, INVALID_KEY, REAL_KEY, os.environ.get("ANTHROPIC_API_KEY", "")) if s]


def _scrub_text(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, REDACTED)
    return text


def scrub_request(request: Any) -> Any:
    """vcr before_record_request: no credential header, no key anywhere in the body."""
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            del request.headers[name]
    if request.body:
        raw = request.body.decode("utf-8") if isinstance(request.body, bytes) else str(request.body)
        cleaned = _scrub_text(raw)
        if cleaned != raw:
            request.body = cleaned.encode("utf-8")
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcr before_record_response: no cookies, no organization id, no key in headers or body."""
    headers = response.get("headers", {})
    for name in list(headers):
        low = name.lower()
        if low in RESPONSE_HEADERS_DROPPED:
            del headers[name]
        elif low == "anthropic-organization-id":
            headers[name] = [ORGANIZATION_PLACEHOLDER]
        else:
            headers[name] = [_scrub_text(v) for v in headers[name]]
    body = response.get("body", {})
    raw = body.get("string")
    if isinstance(raw, bytes):
        body["string"] = _scrub_text(raw.decode("utf-8")).encode("utf-8")
    elif isinstance(raw, str):
        body["string"] = _scrub_text(raw)
    return response


def _turn(request: Any) -> tuple[Any, ...]:
    raw = request.body or b"{}"
    data = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    return (
        data.get("model"),
        data.get("max_tokens"),
        "output_config" in data,
        data.get("stream") is True,
        tuple(m.get("role") for m in data.get("messages", [])),
        tuple("cache_control" in b for b in data.get("system", [])),
    )


def turn_matcher(r1: Any, r2: Any) -> None:
    assert _turn(r1) == _turn(r2), f"different turn: {_turn(r1)} != {_turn(r2)}"


def make_vcr(record_mode: str) -> vcr.VCR:
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=list(SECRET_HEADERS),
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("turn", turn_matcher)
    return recorder


def use_cassette(scenario: Scenario, record_mode: str) -> Any:
    """The scenario's cassette; every recorded response plays at most once, in order."""
    return make_vcr(record_mode).use_cassette(scenario.path.name, allow_playback_repeats=False)


# ---- scenarios -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    inject_flaw: bool = False
    no_fallback: bool = True
    invalid_key: bool = False
    # False: the API cannot be made to answer this way on demand, so only the generator writes the cassette.
    live: bool = True

    @property
    def path(self) -> Path:
        return CASSETTES / f"{self.name}.yaml"


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("design_clean", "Claude answers with a design that has no errors"),
        Scenario(
            "design_repaired",
            "Claude's first design gets two errors injected on the way in; one repair round fixes them",
            inject_flaw=True,
        ),
        Scenario("rate_limited_then_ok", "429 with retry-after, then the design", live=False),
        Scenario(
            "overloaded_fallback",
            "529 overloaded on every attempt; the offline planner takes over",
            no_fallback=False,
            live=False,
        ),
        Scenario("auth_error", "401: the key is rejected", invalid_key=True),
    )
}


def inject_flaw(llm_design: dict[str, Any]) -> dict[str, Any]:
    """Two errors a repair must fix: the first consumer loses its dead-letter topic (EDA407) and the first topic
    is replicated once (EDA310)."""
    llm_design["consumers"][0]["dead_letter"] = []
    llm_design["topics"][0]["replication_factor"] = [1]
    return llm_design


class Capture(httpx2.BaseTransport):
    """Keeps the JSON body of every request the SDK sends (retries included), below the flaw injector."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[dict[str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(json.loads(request.content))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class FlawInjector(httpx2.BaseTransport):
    """Rewrites the first successful Messages answer on its way to the SDK (the cassette keeps the original)."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.injected = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        if self.injected or response.status_code != 200:
            return response
        response.read()
        message = read_sse(response.text)
        for block in message["content"]:
            if block["type"] == "text":
                block["text"] = json.dumps(inject_flaw(json.loads(block["text"])), separators=(",", ":"))
        self.injected = True
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")
        }
        flawed = streamed_response(message, headers=headers)
        return httpx2.Response(200, headers=flawed.headers, content=flawed.content, request=request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class ScenarioRun:
    outcome: DesignModeOutcome | None = None
    error: BaseException | None = None
    delays: list[float] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def fast_retries() -> Iterator[list[float]]:
    """The SDK's retry backoff without the waiting: each computed delay is recorded instead of slept."""
    from anthropic._base_client import SyncAPIClient

    delays: list[float] = []
    original = SyncAPIClient._sleep_for_retry

    def record(self: Any, *, retries_taken: int, max_retries: int, options: Any, response: Any) -> None:
        headers = response.headers if response is not None else None
        delays.append(self._calculate_retry_timeout(max_retries - retries_taken, options, headers))

    SyncAPIClient._sleep_for_retry = record  # type: ignore[method-assign]
    try:
        yield delays
    finally:
        SyncAPIClient._sleep_for_retry = original  # type: ignore[method-assign]


def scenario_key(scenario: Scenario, key: str) -> str:
    return INVALID_KEY if scenario.invalid_key else key


def run_scenario(scenario: Scenario, *, transport: httpx2.BaseTransport, key: str) -> ScenarioRun:
    """Run the design mode for the brief through the real backend code, with ``transport`` under the SDK."""
    capture = Capture(transport)
    transport = FlawInjector(capture) if scenario.inject_flaw else capture
    api_key = scenario_key(scenario, key)
    client = make_client(api_key, SETTINGS, http_client=httpx2.Client(transport=transport))
    run = ScenarioRun()
    options = BackendOptions(
        backend="anthropic",
        repair_rounds=2,
        no_fallback=scenario.no_fallback,
        max_retries=MAX_RETRIES,
        env={"ANTHROPIC_API_KEY": api_key},
        client=client,
    )
    with fast_retries() as delays:
        try:
            run.outcome = design_brief(BRIEF, options=options)
        except Exception as exc:  # the tests assert on what was raised
            run.error = exc
    run.delays = delays
    run.requests = capture.requests
    return run


def cassette_interactions(scenario: Scenario) -> list[dict[str, Any]]:
    """The recorded request/response pairs, as plain data."""
    import yaml

    data = yaml.safe_load(scenario.path.read_text(encoding="utf-8"))
    return list(data["interactions"])


def request_body(interaction: dict[str, Any]) -> dict[str, Any]:
    body = interaction["request"]["body"]
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return dict(json.loads(text))


def response_body(interaction: dict[str, Any]) -> dict[str, Any]:
    """The answer a recorded response adds up to: the streamed message, or the error body."""
    body = interaction["response"]["body"]["string"]
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if interaction["response"]["status"]["code"] == 200:
        return read_sse(text)
    return dict(json.loads(text))
