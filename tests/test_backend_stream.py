"""Properties of the streamed request path over many inputs: the dry run's body and address are what the SDK
sends for any brief and any ANTHROPIC_BASE_URL, and a streamed answer adds up to its text however it is split."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx2
import pytest
from archassist.agent.backends.anthropic_backend import AnthropicBackend, ClaudeDesigner, make_client
from archassist.agent.backends.base import BackendInputError
from archassist.agent.backends.request import ClaudeSettings, design_request
from archassist.agent.modes.design import BackendOptions, design_brief
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .cassettes.recording import FAKE_KEY, streamed_response

NO_RETRIES = ClaudeSettings(max_retries=0)
REJECTED = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
# Briefs with what JSON encoders disagree on: quotes, backslashes, control and line-separator characters,
# accents, CJK and emoji.
BRIEF_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\/\n\t\u2028\u00e9\u00fc\u00df\u2014\u652f\u4ed8\U0001f680'),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")


@cache
def a_body() -> dict[str, Any]:
    return design_request("orders and payments")


def first_request(**client_options: Any) -> tuple[list[httpx2.Request], Any]:
    """A client whose server keeps each request and rejects the key, so a design stops after one call."""
    sent: list[httpx2.Request] = []

    def server(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(401, json=REJECTED)

    http = httpx2.Client(transport=httpx2.MockTransport(server))
    return sent, make_client(FAKE_KEY, NO_RETRIES, http_client=http, **client_options)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(brief=BRIEF_TEXT)
def test_the_dry_run_body_is_the_bytes_the_sdk_sends_for_any_brief(brief: str) -> None:
    """The SDK encodes the body itself; the dry run must encode it the same way (key order, escapes, UTF-8).
    test_backend_select checks that the designer builds the same body as the dry run."""
    outcome = design_brief(brief, options=BackendOptions(backend="anthropic", dry_run=True, env={}))
    assert outcome.request is not None
    sent, client = first_request()
    with pytest.raises(BackendInputError):
        ClaudeDesigner(client, NO_RETRIES)._send(outcome.request.body)
    assert sent[0].content == outcome.request.body_json().encode("utf-8")


HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z][a-z0-9-]{0,8}){0,2}", fullmatch=True)
PATHS = st.lists(st.from_regex(r"[A-Za-z0-9_.~-]{1,10}", fullmatch=True), max_size=3)


@settings(max_examples=40, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=HOSTS,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=PATHS,
    slash=st.booleans(),
)
def test_the_dry_run_address_is_where_the_sdk_posts(
    scheme: str, host: str, port: int | None, path: list[str], slash: bool
) -> None:
    base = f"{scheme}://{host}" + (f":{port}" if port else "") + "".join(f"/{p}" for p in path)
    base += "/" if slash else ""
    env = {"ANTHROPIC_BASE_URL": base}
    outcome = design_brief("orders and payments", options=BackendOptions(backend="anthropic", dry_run=True, env=env))
    assert outcome.request is not None
    sent, client = first_request(base_url=base)
    with pytest.raises(BackendInputError):
        AnthropicBackend(settings=NO_RETRIES, client=client).design("orders and payments")
    assert str(sent[0].url) == outcome.request.url


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=3000), delta=st.integers(min_value=1, max_value=4096))
def test_a_streamed_answer_adds_up_to_its_text_however_it_is_split(text: str, delta: int) -> None:
    message = {
        "id": "msg_01Stream",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 11, "cache_read_input_tokens": 3},
    }
    transport = httpx2.MockTransport(lambda request: streamed_response(message, delta_chars=delta))
    designer = ClaudeDesigner(make_client(FAKE_KEY, NO_RETRIES, http_client=httpx2.Client(transport=transport)), NO_RETRIES)
    answer = designer._send(a_body())
    assert "".join(block.text for block in answer.content) == text
    assert answer.stop_reason == "end_turn"
    assert (designer.usage.input_tokens, designer.usage.output_tokens, designer.usage.cache_read_input_tokens) == (
        7,
        11,
        3,
    )
