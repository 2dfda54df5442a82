"""The optional judge scorer against recorded Messages API exchanges (tests/cassettes/judge_*.yaml).

Regenerate the cassettes with ``python -m tests.cassettes.judge`` when the rubric or the request changes; the
staleness test below names the command.
"""

from __future__ import annotations

import json

import httpx2
import pytest
import yaml
from archassist.agent.backends.base import BackendInputError, BackendUnavailableError
from archassist.agent.model.design import Design
from archassist.evals.base import CRITERIA
from archassist.evals.scorers.judge import JudgeScorer, parse_grade, rubric_prompt
from archassist.evals.scoring import default_scorers, scorer_by_name

from tests.cassettes.judge import MODEL, JudgeRun, expected_request, run_judge, scripted_grade, use_cassette
from tests.cassettes.recording import CASSETTES, FAKE_KEY, request_body

pytestmark = pytest.mark.usefixtures("no_sdk_environment")

STALE = "cassette {name} is stale: the judge now sends a different request. Run `python -m tests.cassettes.judge`."




def play(name: str) -> JudgeRun:
    with use_cassette(name, "none") as cassette:
        run = run_judge(httpx2.HTTPTransport())
    assert cassette.all_played, STALE.format(name=name)
    return run


def test_the_judge_grades_with_the_rubric_and_keeps_its_reasons() -> None:
    run = play("judge_graded")
    assert run.error is None and run.score is not None
    grade = scripted_grade()
    assert run.score.criterion == "judge" and run.score.value == grade["score"]
    assert run.score.details["criteria"] == {c["criterion"]: c["score"] for c in grade["criteria"]}
    assert run.score.reasons[0] == grade["summary"]
    assert len(run.score.reasons) == 1 + len(CRITERIA)
    [body] = run.requests
    assert body["model"] == MODEL and body["stream"] is True
    assert body["system"][0]["text"] == rubric_prompt()
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    prompt = body["messages"][0]["content"][0]["text"]
    assert prompt.startswith("Brief (home-claims): Home insurance claims:")
    assert "Stated requirements:" in prompt and "expected_concepts" not in prompt and "```yaml" in prompt
    assert body["output_config"]["format"]["type"] == "json_schema"


def test_an_overloaded_api_is_reported_not_scored() -> None:
    run = play("judge_overloaded")
    assert isinstance(run.error, BackendUnavailableError) and "529" in str(run.error)
    assert len(run.requests) == 3  # the first attempt and the SDK's two retries


@pytest.mark.parametrize("name", ["judge_graded", "judge_overloaded"])
def test_cassettes_record_what_the_judge_sends_now_and_no_key(name: str) -> None:
    wanted = {**expected_request(), "stream": True}
    recorded = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))["interactions"]
    for item in recorded:
        assert request_body(item) == wanted, STALE.format(name=name)
        assert not {"x-api-key", "authorization"} & {h.lower() for h in item["request"]["headers"]}
    assert FAKE_KEY not in (CASSETTES / f"{name}.yaml").read_text(encoding="utf-8")


def test_the_judge_is_off_by_default_and_needs_a_key() -> None:
    assert "judge" not in [s.name for s in default_scorers()]
    judge = scorer_by_name("judge", env={})
    assert isinstance(judge, JudgeScorer)
    assert set(judge.params) == {"model", "max_tokens", "rubric_sha256"}
    with pytest.raises(BackendInputError, match="needs ANTHROPIC_API_KEY"):
        judge.score(Design(name="x"), None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        (json.dumps({"criteria": []}), "no integer 'score'"),
        (json.dumps({"score": 120, "criteria": [], "summary": ""}), "outside 0-100"),
        (json.dumps({"score": 70, "criteria": [{"criterion": "x", "score": -1}], "summary": ""}), "outside 0-100"),
        (json.dumps({"score": True, "criteria": [], "summary": ""}), "no integer 'score'"),
    ],
)
def test_an_answer_that_is_not_a_grade_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_grade(text)
