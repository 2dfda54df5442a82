"""Claude contestants through the Message Batches API, replayed from tests/cassettes/eval_batch.yaml (written by
``python -m tests.cassettes.make_eval_cassettes batch``), and the failure paths against a scripted API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from archassist.agent.backends.anthropic_backend import make_client
from archassist.agent.backends.base import BackendInputError
from archassist.agent.backends.request import ClaudeSettings, design_request, sdk_arguments
from archassist.agent.memory.store import open_store
from archassist.agent.planner.compose import plan
from archassist.evals.contestants.claude import ClaudeContestant
from archassist.evals.runs import batches
from archassist.evals.runs.batches import PollSettings, generate_in_batches
from archassist.evals.runs.orchestrate import RunOptions, execute
from archassist.evals.runs.store import RunStore
from archassist.evals.scoring import scorer_by_name

from .cassettes.eval_recording import (
    BATCH_CASSETTE,
    CLEAN,
    ERRORED,
    MODEL,
    REPAIRED,
    SCENARIOS,
    SETTINGS,
    BatchRun,
    contestant,
    run_batch,
    use_cassette,
)
from .cassettes.recording import FAKE_KEY, SECRET_HEADERS

pytestmark = pytest.mark.usefixtures("no_sdk_environment")

REFRESH = "regenerate it with `python -m tests.cassettes.make_eval_cassettes batch`"
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")




def play() -> BatchRun:
    with use_cassette(BATCH_CASSETTE, "none") as cassette:
        run = run_batch(httpx2.HTTPTransport(), FAKE_KEY)
    assert cassette.all_played, f"{BATCH_CASSETTE.name} was not fully played; {REFRESH}"
    return run


def posts(run: BatchRun) -> list[dict[str, Any]]:
    return [
        body
        for method, url, body in run.requests
        if method == "POST" and url.endswith("/v1/messages/batches")
    ]


def by_scenario(run: BatchRun) -> dict[str, Any]:
    return {key[1]: generation for key, generation in run.generations.items()}


def test_results_are_mapped_back_by_custom_id_and_a_failed_item_is_recorded() -> None:
    run = play()
    generations = by_scenario(run)
    assert set(generations) == {s.id for s in SCENARIOS}
    briefs = {s.id: s.brief for s in SCENARIOS}
    assert generations[CLEAN].design == plan(briefs[CLEAN]).design
    assert generations[CLEAN].details["rounds_used"] == 0
    # The flawed draft went through one repair batch and came back as the planner's clean design.
    assert generations[REPAIRED].design == plan(briefs[REPAIRED]).design
    assert generations[REPAIRED].details["rounds_used"] == 1
    assert generations[REPAIRED].details["errors"] == 0
    assert len(generations[REPAIRED].details["batches"]) == 2
    failed = generations[ERRORED]
    assert failed.design is None
    assert failed.failure == "the batch item errored (overloaded_error: Overloaded)"
    assert all(g.details["batch"] is True and g.details["model"] == MODEL for g in generations.values())


def test_the_drafts_batch_sends_the_backends_own_requests() -> None:
    run = play()
    drafts = posts(run)[0]["requests"]
    assert [r["params"] for r in drafts] == [
        sdk_arguments(design_request(s.brief, settings=SETTINGS)) for s in SCENARIOS
    ], f"the batch requests differ from the backend's; {REFRESH}"
    ids = [r["custom_id"] for r in drafts]
    assert len(set(ids)) == len(ids) and all(CUSTOM_ID.match(i) for i in ids)
    # A batch item is a plain Messages call: no stream flag, the model the contestant names.
    assert all("stream" not in r["params"] and r["params"]["model"] == MODEL for r in drafts)


def test_the_repair_batch_holds_only_the_flawed_design_with_its_findings() -> None:
    run = play()
    drafts, repairs = (body["requests"] for body in posts(run))
    repaired_id = drafts[[s.id for s in SCENARIOS].index(REPAIRED)]["custom_id"]
    assert [r["custom_id"] for r in repairs] == [repaired_id]
    messages = repairs[0]["params"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    prompt = messages[2]["content"][0]["text"]
    # inject_flaw drops the first consumer's dead-letter topic and replicates the first topic once.
    assert "EDA407" in prompt and "EDA310" in prompt


def test_polling_backs_off_and_reports_the_batch_state() -> None:
    run = play()
    # Drafts: seen in progress at creation and at the first look (10 s, then 15 s); repair: once (10 s).
    assert run.sleeps == [10.0, 15.0, 10.0]
    assert run.statuses and all("in_progress" in s for s in run.statuses)
    assert run.statuses[0].startswith("drafts: batch msgbatch_")
    assert run.statuses[-1].startswith("repair round 1: batch msgbatch_")


def test_token_usage_is_summed_per_item_over_its_batches() -> None:
    import yaml

    data = yaml.safe_load(BATCH_CASSETTE.read_text(encoding="utf-8"))
    output_tokens: dict[str, int] = {}
    for item in data["interactions"]:
        if item["request"]["uri"].endswith("/results"):
            for line in item["response"]["body"]["string"].splitlines():
                answer = json.loads(line)
                if answer["result"]["type"] == "succeeded":
                    tokens = answer["result"]["message"]["usage"]["output_tokens"]
                    output_tokens[answer["custom_id"]] = output_tokens.get(answer["custom_id"], 0) + tokens
    run = play()
    drafts = posts(run)[0]["requests"]
    ids = {s.id: drafts[n]["custom_id"] for n, s in enumerate(SCENARIOS)}
    for scenario, generation in by_scenario(run).items():
        usage = generation.details["usage"]
        assert usage["output_tokens"] == output_tokens.get(ids[scenario], 0)
        assert usage["calls"] == (2 if scenario == REPAIRED else 0 if scenario == ERRORED else 1)


def test_the_cassette_holds_no_key() -> None:
    text = BATCH_CASSETTE.read_text(encoding="utf-8")
    assert FAKE_KEY not in text and "sk-ant-" not in text
    import yaml

    for item in yaml.safe_load(text)["interactions"]:
        assert not {h.lower() for h in item["request"]["headers"]} & set(SECRET_HEADERS)


def test_a_batched_run_stores_designs_scores_and_the_failure(tmp_path: Path) -> None:
    scorers = [scorer_by_name("idempotency"), scorer_by_name("resilience")]
    sleeps: list[float] = []
    with use_cassette(BATCH_CASSETTE, "none") as cassette, open_store(tmp_path / "runs.db") as memory:
        player, _ = contestant(httpx2.HTTPTransport(), FAKE_KEY)
        options = RunOptions(batch=True, poll=PollSettings(initial_s=10.0, factor=1.5, sleep=sleeps.append))
        run_id = execute(memory, list(SCENARIOS), [player], scorers, options)
        runs = RunStore(memory)
        cells = {c.scenario_id: c for c in runs.cells(run_id, with_designs=True)}
        info = runs.resolve(run_id)
    assert cassette.all_played
    assert info.status == "complete" and info.parameters["batch"] is True
    assert (
        cells[CLEAN].ok and cells[REPAIRED].ok and set(cells[CLEAN].scores) == {"idempotency", "resilience"}
    )
    assert not cells[ERRORED].ok and "overloaded_error" in (cells[ERRORED].failure or "")
    assert cells[ERRORED].scores == {}


# ---- failure paths against a scripted API ------------------------------------------------------------------


def scripted(handler: Any, *, settings: ClaudeSettings | None = None) -> ClaudeContestant:
    chosen = settings or ClaudeSettings(model=MODEL, max_retries=0)
    client = make_client(FAKE_KEY, chosen, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    return ClaudeContestant(MODEL, repair_rounds=1, env={"ANTHROPIC_API_KEY": FAKE_KEY}, client=client)


def _error(status: int, kind: str, message: str) -> httpx2.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return httpx2.Response(status, json=body, headers={"x-should-retry": "false"})


def _batch(state: str, *, results_url: str | None = None) -> dict[str, Any]:
    counts = {
        "processing": 1 if state != "ended" else 0,
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    return {
        "id": "msgbatch_test",
        "type": "message_batch",
        "processing_status": state,
        "request_counts": counts,
        "created_at": "2026-11-23T20:00:00Z",
        "expires_at": "2026-11-24T20:00:00Z",
        "ended_at": None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": results_url,
    }


def test_a_batch_that_cannot_be_created_fails_each_item_with_the_reason() -> None:
    player = scripted(lambda request: _error(500, "api_error", "Internal server error"))
    generations = generate_in_batches(
        [(player, s, 1) for s in SCENARIOS], poll=PollSettings(sleep=lambda s: None)
    )
    assert len(generations) == len(SCENARIOS)
    assert {g.failure for g in generations.values()} == {
        "creating the batch failed (500 api_error: Internal server error)"
    }


def test_a_rejected_key_ends_the_run() -> None:
    player = scripted(lambda request: _error(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(BackendInputError, match="rejected the key"):
        generate_in_batches([(player, SCENARIOS[0], 1)], poll=PollSettings(sleep=lambda s: None))


def test_a_batch_that_never_ends_fails_at_the_deadline() -> None:
    def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=_batch("in_progress"))

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    poll = PollSettings(
        initial_s=60.0, factor=2.0, max_s=600.0, deadline_s=3600.0, sleep=sleep, clock=lambda: now[0]
    )
    generations = generate_in_batches([(scripted(handle), SCENARIOS[0], 1)], poll=poll)
    (generation,) = generations.values()
    assert generation.failure == "batch msgbatch_test had not ended after 3600 s; its results stay with it"
    assert 3600.0 < now[0] <= 3600.0 + 600.0


@pytest.mark.parametrize("kind", ["canceled", "expired"])
def test_canceled_and_expired_items_are_recorded_failures(kind: str) -> None:
    url = "https://api.anthropic.com/v1/messages/batches/msgbatch_test/results"

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/results"):
            line = json.dumps({"custom_id": "item-0", "result": {"type": kind}})
            return httpx2.Response(200, content=(line + "\n").encode())
        return httpx2.Response(200, json=_batch("ended", results_url=url))

    generations = generate_in_batches(
        [(scripted(handle), SCENARIOS[0], 1)], poll=PollSettings(sleep=lambda s: None)
    )
    (generation,) = generations.values()
    assert generation.failure == f"the batch item was {kind} before it was processed (batch msgbatch_test)"


def test_requests_beyond_a_batchs_limits_go_into_more_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    requests = [{"custom_id": f"item-{n}", "params": {"text": "x" * 100}} for n in range(7)]
    monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 3)
    assert [len(c) for c in batches._chunks(requests)] == [3, 3, 1]
    monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 100)
    monkeypatch.setattr(batches, "MAX_BATCH_BYTES", 300)
    chunks = batches._chunks(requests)
    assert [len(c) for c in chunks] == [2, 2, 2, 1]
    assert [r for c in chunks for r in c] == requests


def test_only_claude_contestants_can_be_batched() -> None:
    from archassist.evals.contestants.folder import FolderContestant

    with pytest.raises(TypeError, match="Message Batches"):
        generate_in_batches([(FolderContestant(Path(__file__).parent), SCENARIOS[0], 1)])
