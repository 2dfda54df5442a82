"""The judge scorer's cassettes: what is judged, how a cassette is run, and how it is written without a key.

    python -m tests.cassettes.judge            # write judge_graded.yaml and judge_overloaded.yaml

The generator answers with a scripted grade (the structural scorers' own scores, rounded, as the model's
criteria) through an ``httpx2.MockTransport``; vcr records the exchange, so the request in a cassette is exactly
what the judge sends. Regenerate when the rubric (prompts/judge.md.j2), the request or the Design model changes.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx2
from archassist.agent.backends.anthropic_backend import make_client
from archassist.evals.base import Score
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.scenario import find_scenario
from archassist.evals.scorers.judge import JudgeScorer, judge_request
from archassist.evals.scoring import score_design, total

from tests.cassettes.recording import (
    CASSETTES,
    FAKE_KEY,
    MAX_RETRIES,
    SETTINGS,
    Capture,
    fast_retries,
    make_vcr,
)

SCENARIO = "home-claims"
MODEL = "claude-sonnet-5-5"
NAMES = ("judge_graded", "judge_overloaded")


def judged() -> tuple[Any, Any]:
    scenario = find_scenario(SCENARIO)
    return OfflineContestant().design(scenario), scenario


def expected_request() -> dict[str, Any]:
    design, scenario = judged()
    return judge_request(design, scenario, model=MODEL, max_tokens=JudgeScorer(MODEL, env={}).max_tokens)


def scripted_grade() -> dict[str, Any]:
    design, scenario = judged()
    scores = score_design(design, scenario)
    return {
        "score": round(total(scores)),
        "criteria": [
            {"criterion": name, "score": round(s.value), "reason": s.reasons[0] if s.reasons else ""}
            for name, s in scores.items()
        ],
        "summary": "A complete claims workflow with idempotent consumers and dead letters; the policy check "
        "is not a service of its own.",
    }


@dataclass
class JudgeRun:
    score: Score | None = None
    error: BaseException | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


def run_judge(transport: httpx2.BaseTransport) -> JudgeRun:
    """Judge the design of the scenario through the real scorer code, with ``transport`` under the SDK."""
    capture = Capture(transport)
    client = make_client(FAKE_KEY, SETTINGS, http_client=httpx2.Client(transport=capture))
    design, scenario = judged()
    run = JudgeRun()
    with fast_retries():
        try:
            run.score = JudgeScorer(MODEL, client=client).score(design, scenario)
        except Exception as exc:  # the tests assert on what was raised
            run.error = exc
    run.requests = capture.requests
    return run


def use_cassette(name: str, record_mode: str) -> Any:
    return make_vcr(record_mode).use_cassette(f"{name}.yaml", allow_playback_repeats=False)


def _responders(name: str) -> list[Any]:
    from tests.cassettes.make_cassettes import answer, error

    if name == "judge_graded":
        return [answer(json.dumps(scripted_grade()), seed=name, call=0)]
    overloaded = error(529, "overloaded_error", "Overloaded", seed=name, headers={"x-should-retry": "true"})
    return [overloaded] * (MAX_RETRIES + 1)


def generate(name: str) -> int:
    responders = _responders(name)
    seen: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        index = len(seen)
        seen.append(index)
        return responders[index](json.loads(request.content), index)

    (CASSETTES / f"{name}.yaml").unlink(missing_ok=True)
    with use_cassette(name, "all"):
        run_judge(httpx2.MockTransport(handler))
    return len(seen)


def main(argv: list[str]) -> int:
    for name in argv or NAMES:
        if name not in NAMES:
            print(f"unknown cassette {name!r}; known: {', '.join(NAMES)}", file=sys.stderr)
            return 2
        count = generate(name)
        print(f"wrote {name}.yaml ({count} interaction{'s' if count != 1 else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
