"""Write the eval harness's Claude cassettes without a key or a network.

    python -m tests.cassettes.make_eval_cassettes            # both
    python -m tests.cassettes.make_eval_cassettes batch      # one: streamed | batch

Like make_cassettes.py, the real code runs (the Claude contestant, the batch runner) with an
``httpx2.MockTransport`` under the SDK that answers as the API does, and vcr records the exchange, so every
request in a cassette is exactly what the code sends. The answers are the offline planner's designs in the LLM
schema's shape.

- eval_claude_contestant.yaml: two scenarios designed one after the other, streamed.
- eval_batch.yaml: one batch of three drafts (polled twice while in progress, then ended): a clean design, a
  design with two errors, an item that errored; then one repair batch for the flawed design.

Run it again when the prompts, the Design model or the request shape change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import httpx2
from archassist.agent.backends.llm_schema import to_llm_json
from archassist.agent.planner.compose import plan

from tests.cassettes.eval_recording import (
    BATCH_CASSETTE,
    CLEAN,
    CONTESTANT_CASSETTE,
    ERRORED,
    REPAIRED,
    SCENARIOS,
    STREAMED,
    run_batch,
    run_streamed,
    use_cassette,
)
from tests.cassettes.make_cassettes import _common_headers, _token, answer, assistant_message
from tests.cassettes.recording import FAKE_KEY, inject_flaw

CREATED = "2026-11-23T20:00:00Z"
EXPIRES = "2026-11-24T20:00:00Z"
ENDED = "2026-11-23T20:04:10Z"
BATCH_PATH = "/v1/messages/batches"


def _design(scenario_id: str) -> str:
    scenario = next(s for s in SCENARIOS if s.id == scenario_id)
    return to_llm_json(plan(scenario.brief).design)


def streamed_handler() -> Callable[[httpx2.Request], httpx2.Response]:
    answers = [answer(_design(s.id), seed=f"eval-{s.id}", call=i) for i, s in enumerate(STREAMED)]
    seen: list[int] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        index = len(seen)
        if index >= len(answers):
            raise AssertionError(f"more requests than scripted ({index + 1})")
        seen.append(index)
        return answers[index](json.loads(request.content), index)

    return handle


class BatchAPI:
    """The Message Batches endpoints: create, retrieve (in progress for ``polls`` looks, then ended), results."""

    def __init__(self) -> None:
        self.batches: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []

    def _batch(self, batch_id: str) -> dict[str, Any]:
        state = self.batches[batch_id]
        ended = state["looks"] >= state["polls"]
        results = state["results"]
        kinds = [r["result"]["type"] for r in results]
        counts = {
            "processing": 0 if ended else len(results),
            "succeeded": kinds.count("succeeded") if ended else 0,
            "errored": kinds.count("errored") if ended else 0,
            "canceled": 0,
            "expired": 0,
        }
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "ended_at": ENDED if ended else None,
            "created_at": CREATED,
            "expires_at": EXPIRES,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"https://api.anthropic.com{BATCH_PATH}/{batch_id}/results" if ended else None,
        }

    def _json(self, data: Any, seed: str) -> httpx2.Response:
        headers = {**_common_headers(seed), "content-type": "application/json"}
        return httpx2.Response(200, headers=headers, content=json.dumps(data).encode())

    def _answer(self, custom_id: str, params: dict[str, Any], text: str, call: int) -> dict[str, Any]:
        message = assistant_message("batch-msg" + custom_id + str(call), params, text, call)
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    def _script(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The drafts batch (three requests) or the repair batch (one, with the design sent back)."""
        round_number = len(self.order)
        results = []
        for number, request in enumerate(requests):
            custom_id, params = request["custom_id"], request["params"]
            scenario = SCENARIOS[int(custom_id.rsplit("-", 1)[1])].id
            if scenario == ERRORED:
                error = {
                    "type": "error",
                    "error": {"type": "overloaded_error", "message": "Overloaded"},
                    "request_id": "req_011C" + _token("batch-err" + custom_id, 20),
                }
                results.append({"custom_id": custom_id, "result": {"type": "errored", "error": error}})
                continue
            text = _design(scenario)
            if scenario == REPAIRED and round_number == 0:
                text = json.dumps(inject_flaw(json.loads(text)), separators=(",", ":"))
            results.append(self._answer(custom_id, params, text, call=round_number + number))
        return results

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method == "POST" and path == BATCH_PATH:
            requests = json.loads(request.content)["requests"]
            batch_id = "msgbatch_01" + _token(f"batch{len(self.order)}", 22)
            # The drafts batch is seen in progress twice before it ends; the repair batch once.
            self.batches[batch_id] = {
                "looks": 0,
                "polls": 2 if not self.order else 1,
                "results": self._script(requests),
            }
            self.order.append(batch_id)
            return self._json(self._batch(batch_id), batch_id + "create")
        parts = path.removeprefix(BATCH_PATH + "/").split("/")
        batch_id = parts[0]
        if request.method == "GET" and len(parts) == 1:
            state = self.batches[batch_id]
            state["looks"] += 1
            return self._json(self._batch(batch_id), batch_id + str(state["looks"]))
        if request.method == "GET" and parts[1:] == ["results"]:
            lines = "".join(
                json.dumps(r, separators=(",", ":")) + "\n" for r in self.batches[batch_id]["results"]
            )
            headers = {**_common_headers(batch_id + "results"), "content-type": "application/binary"}
            return httpx2.Response(200, headers=headers, content=lines.encode())
        raise AssertionError(f"unexpected request {request.method} {request.url}")


def generate_streamed() -> int:
    CONTESTANT_CASSETTE.unlink(missing_ok=True)
    with use_cassette(CONTESTANT_CASSETTE, "all") as cassette:
        generations, _ = run_streamed(httpx2.MockTransport(streamed_handler()), FAKE_KEY)
    failed = [g.failure for g in generations if g.design is None]
    if failed:
        raise AssertionError(f"streamed: {failed}")
    return len(cassette.data)


def generate_batch() -> int:
    BATCH_CASSETTE.unlink(missing_ok=True)
    api = BatchAPI()
    with use_cassette(BATCH_CASSETTE, "all") as cassette:
        run = run_batch(httpx2.MockTransport(api.handle), FAKE_KEY)
    if len(api.order) != 2:
        raise AssertionError(
            f"batch: expected a drafts batch and a repair batch, the code sent {len(api.order)}"
        )
    outcome = {key[1]: g.design is not None for key, g in run.generations.items()}
    if outcome != {CLEAN: True, REPAIRED: True, ERRORED: False}:
        raise AssertionError(f"batch: unexpected outcome {outcome}")
    return len(cassette.data)


GENERATORS = {"streamed": generate_streamed, "batch": generate_batch}


def main(argv: list[str]) -> int:
    names = argv or list(GENERATORS)
    for name in names:
        if name not in GENERATORS:
            print(f"unknown cassette {name!r}; known: {', '.join(GENERATORS)}", file=sys.stderr)
            return 2
        count = GENERATORS[name]()
        print(f"wrote the {name} cassette ({count} interactions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
