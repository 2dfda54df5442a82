"""The repair loop with a scripted fake model, and the Claude designer's answer handling against a scripted server
(the real SDK over an httpx2.MockTransport answering with streamed Messages API events: no network)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx2
import pytest
from archassist.agent.backends.anthropic_backend import AnthropicBackend, make_client
from archassist.agent.backends.base import BackendInputError, BackendUnavailableError, Knowledge, Usage
from archassist.agent.backends.llm_schema import llm_schema_json, to_llm, to_llm_json
from archassist.agent.backends.offline import OfflineBackend
from archassist.agent.backends.repair import (
    MAX_FINDINGS_IN_PROMPT,
    MAX_REPAIR_ROUNDS,
    error_count,
    render_repair_prompt,
    run_repair_loop,
)
from archassist.agent.backends.request import ClaudeSettings
from archassist.agent.backends.select import FallbackBackend
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent
from archassist.agent.modes.design import BackendOptions, design_brief
from archassist.agent.planner.compose import plan
from archassist.agent.rules.engine import check

from .cassettes.recording import FAKE_KEY, fast_retries, sse_bytes, sse_events, streamed_response

BRIEF = "order fulfillment across payments, inventory and shipping"


@pytest.fixture(scope="module")
def good() -> Design:
    return plan(BRIEF).design


def broken(design: Design, *, flaws: int = 1, tag: str = "") -> Design:
    """The design with one error (no dead-letter topic on the first consumer) or two (plus a topic replicated
    once); ``tag`` makes otherwise identical broken designs differ."""
    data = design.model_dump(mode="json")
    data["consumers"][0]["dead_letter"] = None
    if flaws >= 2:
        data["topics"][0]["replication_factor"] = 1
    if tag:
        data["summary"] = f"{data['summary']} ({tag})"
    return Design.model_validate(data)


class ScriptedModel:
    """A DesignModel that answers from a script; a repair script may be an endless iterator."""

    def __init__(
        self, draft: Design, repairs: Iterator[Design | Exception] | Sequence[Design | Exception]
    ) -> None:
        self._draft = draft
        self._repairs = iter(repairs)
        self.usage = Usage()
        self.calls: list[tuple[str, list[str]]] = []

    def draft(self, brief: str, *, precedents: Sequence[Precedent], knowledge: Knowledge | None) -> Design:
        self.calls.append(("draft", []))
        self.usage.add(Usage(input_tokens=100, output_tokens=1000, calls=1))
        return self._draft

    def repair(self, design: Design, findings: Sequence[Finding], *, round: int, rounds: int) -> Design:
        self.calls.append(("repair", sorted({f.code for f in findings if f.severity == "error"})))
        self.usage.add(Usage(input_tokens=1200, output_tokens=1000, cache_read_input_tokens=500, calls=1))
        answer = next(self._repairs)
        if isinstance(answer, Exception):
            raise answer
        return answer


# ---- the loop ------------------------------------------------------------------------------------------------


def test_converges_when_the_first_repair_fixes_the_errors(good: Design) -> None:
    model = ScriptedModel(broken(good, flaws=2), [good])
    outcome = run_repair_loop(model, BRIEF, rounds=2)
    assert outcome.design == good
    assert error_count(outcome.findings) == 0
    assert outcome.rounds_used == 1
    assert model.calls == [("draft", []), ("repair", ["EDA310", "EDA407"])]
    assert outcome.notices == []


def test_gives_up_after_the_rounds_and_reports_what_remains(good: Design) -> None:
    model = ScriptedModel(broken(good), (broken(good, tag=f"try {i}") for i in range(100)))
    outcome = run_repair_loop(model, BRIEF, rounds=3)
    assert outcome.rounds_used == 3
    assert [c[0] for c in model.calls] == ["draft", "repair", "repair", "repair"]
    assert [f.code for f in outcome.findings if f.severity == "error"] == ["EDA407"]
    assert outcome.findings == check(outcome.design)
    assert outcome.notices == ["1 error remains after 3 repair rounds"]


def test_never_loops_forever_on_the_same_broken_design(good: Design) -> None:
    stuck = broken(good)

    def forever() -> Iterator[Design]:
        while True:
            yield stuck

    model = ScriptedModel(stuck, forever())
    outcome = run_repair_loop(model, BRIEF, rounds=MAX_REPAIR_ROUNDS)
    assert outcome.rounds_used == 1
    assert len(model.calls) == 2
    assert outcome.notices[0] == "repair round 1 returned the design unchanged; stopped repairing"
    assert error_count(outcome.findings) == 1


def test_rounds_are_capped_even_for_a_model_that_always_changes_something(good: Design) -> None:
    model = ScriptedModel(broken(good), (broken(good, tag=str(i)) for i in range(10_000)))
    outcome = run_repair_loop(model, BRIEF, rounds=1_000)
    assert outcome.rounds_used == MAX_REPAIR_ROUNDS
    assert len(model.calls) == 1 + MAX_REPAIR_ROUNDS


def test_zero_rounds_means_no_repair(good: Design) -> None:
    model = ScriptedModel(broken(good), [good])
    outcome = run_repair_loop(model, BRIEF, rounds=0)
    assert outcome.rounds_used == 0
    assert model.calls == [("draft", [])]
    assert error_count(outcome.findings) == 1
    assert outcome.notices == ["1 error remains after 0 repair rounds (repair is off: --repair-rounds 0)"]


def test_a_clean_draft_is_not_repaired(good: Design) -> None:
    model = ScriptedModel(good, [])
    outcome = run_repair_loop(model, BRIEF, rounds=2)
    assert outcome.rounds_used == 0 and model.calls == [("draft", [])] and outcome.notices == []


def test_keeps_the_best_design_when_a_repair_makes_it_worse(good: Design) -> None:
    first = broken(good)
    model = ScriptedModel(first, [broken(good, flaws=2)])
    outcome = run_repair_loop(model, BRIEF, rounds=1)
    assert outcome.design == first and error_count(outcome.findings) == 1
    assert "made the design worse" in outcome.notices[0]


def test_a_failed_repair_call_keeps_the_design_so_far(good: Design) -> None:
    first = broken(good)
    model = ScriptedModel(first, [BackendUnavailableError("overloaded (529 overloaded_error)")])
    outcome = run_repair_loop(model, BRIEF, rounds=2)
    assert outcome.design == first and outcome.rounds_used == 1
    assert outcome.notices[0].startswith("repair round 1 failed (overloaded (529 overloaded_error))")


def test_negative_rounds_are_refused(good: Design) -> None:
    with pytest.raises(ValueError, match="negative"):
        run_repair_loop(ScriptedModel(good, []), BRIEF, rounds=-1)


def test_repair_prompt_lists_code_pointer_message_and_fix(good: Design) -> None:
    findings = check(broken(good, flaws=2))
    text = render_repair_prompt(findings, round=2, rounds=3)
    assert "repair round 2 of 3" in text
    for f in findings:
        if f.severity in ("error", "warning"):
            assert f"{f.code} ({f.severity}) at `{f.pointer}`: {' '.join(f.message.split())}" in text
            assert f"Fix: {' '.join(f.fix.split())}" in text
        else:
            assert f"{f.code} ({f.severity})" not in text
    assert text.index("(error)") < text.index("(warning)")
    assert "complete corrected design" in text


def test_repair_prompt_caps_a_long_list() -> None:
    many = [
        Finding("EDA301", "x", "error", f"event E{i} has no topic", f"/events/{i}", "add one")
        for i in range(60)
    ]
    text = render_repair_prompt(many)
    assert f"{MAX_FINDINGS_IN_PROMPT}. EDA301" in text and f"{MAX_FINDINGS_IN_PROMPT + 1}. EDA301" not in text
    assert f"and {60 - MAX_FINDINGS_IN_PROMPT} more" in text


# ---- the Claude designer against a scripted server -----------------------------------------------------------

Reply = httpx2.Response | Exception | Callable[[dict[str, Any]], httpx2.Response]


def answer(
    text: str, *, stop: str = "end_turn", thinking: bool = False, usage: dict[str, int] | None = None
) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if thinking:
        content.insert(0, {"type": "thinking", "thinking": "", "signature": "c2lnbmF0dXJl"})
    body = {
        "id": "msg_01TestTestTestTestTestTe",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage
        or {
            "input_tokens": 10,
            "output_tokens": 20,
            "cache_creation_input_tokens": 30,
            "cache_read_input_tokens": 0,
        },
    }
    return body


def message(text: str, **kwargs: Any) -> httpx2.Response:
    """A streamed answer, in deltas of 200 characters so that a design arrives in many pieces."""
    return streamed_response(answer(text, **kwargs), headers={"request-id": "req_011CTest"}, delta_chars=200)


def broken_off(text: str, *, error: str | None = "overloaded_error") -> httpx2.Response:
    """A stream that starts well and stops halfway: with an error event, or (``error`` None) a dropped
    connection."""
    events = sse_events(answer(text), delta_chars=200)
    head = sse_bytes(events[: len(events) // 2])
    headers = {"content-type": "text/event-stream", "request-id": "req_011CTestBroken"}
    if error is not None:
        event = {"type": "error", "error": {"type": error, "message": "Overloaded"}}
        return httpx2.Response(200, headers=headers, content=head + sse_bytes([event]))

    class Dropped(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield head
            raise httpx2.RemoteProtocolError("peer closed connection without sending complete message body")

    return httpx2.Response(200, headers=headers, stream=Dropped())


def api_error(status: int, kind: str, text: str) -> httpx2.Response:
    body = {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_011CTestError"}
    return httpx2.Response(status, json=body, headers={"request-id": "req_011CTestError"})


class Server:
    """Answers each request with the next scripted reply and keeps the request bodies."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx2.Response):
            return reply(self.requests[-1])
        return reply


def claude(server: Server, **settings: Any) -> AnthropicBackend:
    config = ClaudeSettings(**{"max_retries": 1, **settings})
    client = make_client(FAKE_KEY, config, http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    return AnthropicBackend(settings=config, client=client)


@pytest.fixture(autouse=True)
def _fast() -> Iterator[list[float]]:
    with fast_retries() as delays:
        yield delays


def test_an_invalid_answer_is_asked_for_again_once(good: Design) -> None:
    server = Server([message('{"name": "half a design"'), message(to_llm_json(good))])
    result = claude(server).design(BRIEF)
    assert result.design == good
    assert len(server.requests) == 2 and server.requests[0] == server.requests[1]
    assert result.usage.calls == 2 and result.usage.output_tokens == 40


def test_two_invalid_answers_fall_back_to_the_planner(good: Design) -> None:
    server = Server([message("not json"), message('{"name": 3}')])
    backend = FallbackBackend(claude(server), OfflineBackend())
    result = backend.design(BRIEF)
    assert result.backend == "offline" and result.design == good
    assert "was not a valid design after 2 attempts" in result.notices[0]
    assert result.usage.calls == 2  # the tokens spent on the invalid answers are still reported


def test_a_cut_off_answer_counts_as_invalid(good: Design) -> None:
    server = Server([message(to_llm_json(good)[:500], stop="max_tokens"), message(to_llm_json(good))])
    assert claude(server).design(BRIEF).design == good
    assert len(server.requests) == 2


def test_thinking_blocks_are_skipped(good: Design) -> None:
    server = Server([message(to_llm_json(good), thinking=True)])
    assert claude(server).design(BRIEF).design == good


def test_a_refused_schema_moves_it_into_the_prompt(good: Design) -> None:
    flawed = to_llm(good)
    flawed["consumers"][0]["dead_letter"] = []
    server = Server(
        [
            api_error(
                400, "invalid_request_error", "The compiled grammar is too large, which would cause issues."
            ),
            message(json.dumps(flawed)),
            message(to_llm_json(good)),
        ]
    )
    result = claude(server).design(BRIEF)
    assert result.design == good and result.rounds_used == 1
    first, second, repair = server.requests
    assert "output_config" in first and "output_config" not in second and "output_config" not in repair
    assert second["messages"][0]["content"][-1]["text"].endswith(llm_schema_json())
    assert repair["messages"][0] == second["messages"][0]
    assert "refused the output schema" in result.notices[0]


def test_repair_turn_carries_the_design_and_the_findings(good: Design) -> None:
    flawed = broken(good, flaws=2)
    server = Server([message(to_llm_json(flawed)), message(to_llm_json(good))])
    result = claude(server, repair_rounds=2).design(BRIEF)
    assert result.rounds_used == 1 and result.errors == []
    _, repair = server.requests
    assert repair["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": to_llm_json(flawed)}],
    }
    text = repair["messages"][2]["content"][0]["text"]
    assert "EDA407" in text and "`/consumers/0/dead_letter`" in text and "EDA310" in text
    assert result.usage.calls == 2


def test_an_overloaded_repair_keeps_claudes_design(good: Design, _fast: list[float]) -> None:
    flawed = broken(good)
    overloaded = api_error(529, "overloaded_error", "Overloaded")
    server = Server([message(to_llm_json(flawed)), overloaded, overloaded])
    result = claude(server).design(BRIEF)
    assert result.backend == "anthropic" and result.design == flawed
    assert "repair round 1 failed (overloaded (529 overloaded_error, after 1 retries" in result.notices[0]
    assert len(_fast) == 1


def test_unknown_model_is_an_input_error() -> None:
    server = Server([api_error(404, "not_found_error", "model: claude-nonexistent")])
    with pytest.raises(BackendInputError, match=r"does not know model 'claude-nonexistent'.*--model"):
        claude(server, model="claude-nonexistent").design(BRIEF)


def test_permission_denied_is_an_input_error() -> None:
    server = Server([api_error(403, "permission_error", "not allowed")])
    with pytest.raises(BackendInputError, match="403 permission_error"):
        claude(server).design(BRIEF)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx2.ConnectError("name resolution failed"), "cannot reach the Anthropic API (connection error"),
        (httpx2.ReadTimeout("timed out"), "no answer within 600 s, 1 retries (timeout)"),
    ],
)
def test_an_unreachable_api_falls_back_with_a_notice(good: Design, failure: Exception, expected: str) -> None:
    server = Server([failure, failure])
    result = FallbackBackend(claude(server), OfflineBackend()).design(BRIEF)
    assert result.backend == "offline" and result.design == good
    assert result.notices[0].startswith(f"Claude is unavailable: {expected}")


def test_every_call_streams(good: Design) -> None:
    server = Server([message(to_llm_json(broken(good))), message(to_llm_json(good))])
    seen: list[httpx2.Request] = []

    def spy(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return server(request)

    config = ClaudeSettings(max_retries=0)
    client = make_client(FAKE_KEY, config, http_client=httpx2.Client(transport=httpx2.MockTransport(spy)))
    result = AnthropicBackend(settings=config, client=client).design(BRIEF)
    assert result.design == good and result.rounds_used == 1
    assert [r["stream"] for r in server.requests] == [True, True]
    assert [r.headers["x-stainless-helper-method"] for r in seen] == ["stream", "stream"]
    assert all(r["max_tokens"] == 64_000 for r in server.requests)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("overloaded_error", "the answer broke off while streaming (overloaded_error, request-id req_011CTestBroken)"),
        (None, "the answer broke off while streaming (RemoteProtocolError)"),
    ],
)
def test_a_stream_that_breaks_off_falls_back(good: Design, error: str | None, expected: str) -> None:
    server = Server([broken_off(to_llm_json(good), error=error)])
    result = FallbackBackend(claude(server, max_retries=1), OfflineBackend()).design(BRIEF)
    assert result.backend == "offline" and result.design == good
    assert result.notices[0] == f"Claude is unavailable: {expected}; used the offline planner instead"
    assert len(server.requests) == 1  # the SDK does not retry a stream that has started


def test_no_fallback_raises_a_typed_error_from_the_mode() -> None:
    failure = httpx2.ConnectError("unreachable")
    server = Server([failure, failure])
    config = ClaudeSettings(max_retries=1)
    client = make_client(FAKE_KEY, config, http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    options = BackendOptions(
        backend="anthropic", no_fallback=True, max_retries=1, env={"ANTHROPIC_API_KEY": FAKE_KEY}, client=client
    )
    with pytest.raises(BackendUnavailableError) as raised:
        design_brief(BRIEF, options=options)
    message = str(raised.value)
    assert message.startswith("cannot reach the Anthropic API (connection error, 1 retries)")
    assert "\n" not in message and FAKE_KEY not in message
    assert len(server.requests) == 2


def test_review_commentary_is_plain_text_on_top_of_the_findings(good: Design) -> None:
    flawed = broken(good)
    findings = check(flawed)
    server = Server([message("The saga lacks a timeout owner; consider an orchestrator.")])
    text = claude(server).review_commentary(flawed, findings)
    assert text == "The saga lacks a timeout owner; consider an orchestrator."
    (request,) = server.requests
    assert "output_config" not in request
    assert request["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "EDA407" in request["messages"][0]["content"][-1]["text"]
    assert OfflineBackend().review_commentary(flawed, findings) is None


def test_commentary_is_none_when_claude_is_unavailable(good: Design) -> None:
    failure = httpx2.ConnectError("unreachable")
    backend = FallbackBackend(claude(Server([failure, failure])), OfflineBackend())
    assert backend.review_commentary(good, []) is None
