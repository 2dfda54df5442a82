"""Shared by the eval cassette generator (make_eval_cassettes.py) and the eval tests: the scenarios, and the two
functions that run the Claude contestant, streamed and through the Message Batches API, with a chosen transport
under the SDK. The vcr configuration and its key scrubbers are the backend cassettes' own (recording.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from archassist.agent.backends.anthropic_backend import make_client
from archassist.agent.backends.request import ClaudeSettings
from archassist.evals.base import Scenario
from archassist.evals.contestants.claude import ClaudeContestant
from archassist.evals.contestants.common import Generation, generate
from archassist.evals.runs.batches import Key, PollSettings, generate_in_batches

from tests.cassettes.recording import CASSETTES, MAX_RETRIES, make_vcr

MODEL = "claude-sonnet-4-5"
SETTINGS = ClaudeSettings(model=MODEL, max_retries=MAX_RETRIES)
CONTESTANT_CASSETTE = CASSETTES / "eval_claude_contestant.yaml"
BATCH_CASSETTE = CASSETTES / "eval_batch.yaml"

SCENARIOS = (
    Scenario(
        id="newsletter-signup",
        brief="Newsletter signup: visitors subscribe with their email, confirm by a link, and get a welcome email.",
        difficulty="small",
    ),
    Scenario(
        id="coffee-loyalty",
        brief="Coffee shop loyalty: customers collect a stamp per drink and redeem ten stamps for a free coffee.",
        difficulty="small",
    ),
    Scenario(
        id="parking-bays",
        brief="Parking garage: drivers reserve a bay, pay on exit, and get a receipt by email.",
        difficulty="medium",
    ),
)
# The streamed cassette: the first two scenarios, one after the other.
STREAMED = SCENARIOS[:2]
# The batch cassette: the first draft is clean, the second comes back with two errors that one repair round
# fixes, the third errors in the batch (overloaded).
CLEAN, REPAIRED, ERRORED = (s.id for s in SCENARIOS)


class Capture(httpx2.BaseTransport):
    """Keeps method, URL and JSON body (if any) of every request the SDK sends."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, str(request.url), body))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def contestant(transport: httpx2.BaseTransport, key: str) -> tuple[ClaudeContestant, Capture]:
    capture = Capture(transport)
    client = make_client(key, SETTINGS, http_client=httpx2.Client(transport=capture))
    return ClaudeContestant(MODEL, repair_rounds=2, env={"ANTHROPIC_API_KEY": key}, client=client), capture


@dataclass
class BatchRun:
    generations: dict[Key, Generation] = field(default_factory=dict)
    sleeps: list[float] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


class _Statuses:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def start(self, total: int) -> None:
        pass

    def advance(self, what: str) -> None:
        pass

    def status(self, text: str) -> None:
        self.out.append(text)

    def close(self) -> None:
        pass


def run_streamed(transport: httpx2.BaseTransport, key: str) -> tuple[list[Generation], Capture]:
    player, capture = contestant(transport, key)
    return [generate(player, s) for s in STREAMED], capture


def run_batch(transport: httpx2.BaseTransport, key: str) -> BatchRun:
    player, capture = contestant(transport, key)
    run = BatchRun()
    poll = PollSettings(initial_s=10.0, factor=1.5, max_s=60.0, sleep=run.sleeps.append)
    run.generations = generate_in_batches(
        [(player, s, 1) for s in SCENARIOS], poll=poll, reporter=_Statuses(run.statuses)
    )
    run.requests = capture.requests
    return run


def use_cassette(path: Path, record_mode: str) -> Any:
    return make_vcr(record_mode).use_cassette(path.name, allow_playback_repeats=False)
