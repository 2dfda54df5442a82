"""Contestants: parsing ``--contestants``, designs from a folder (``dir:``), from a command (``cmd:``), and from
Claude (replayed from tests/cassettes/eval_claude_contestant.yaml), with every failure recorded per cell."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from archassist.agent.backends.anthropic_backend import make_client
from archassist.agent.backends.base import BackendInputError
from archassist.agent.backends.llm_schema import to_llm_json
from archassist.agent.backends.request import ClaudeSettings, design_request, sdk_arguments
from archassist.agent.errors import InputError
from archassist.agent.model.io import dumps
from archassist.agent.planner.compose import plan
from archassist.evals.base import Contestant, Scenario
from archassist.evals.contestants.claude import ClaudeContestant
from archassist.evals.contestants.command import CommandContestant
from archassist.evals.contestants.common import ContestantError, generate, runs_in_threads
from archassist.evals.contestants.folder import FolderContestant
from archassist.evals.contestants.spec import contestant_from_spec, contestants_from_specs, split_specs

from .cassettes.eval_recording import (
    CONTESTANT_CASSETTE,
    MODEL,
    SETTINGS,
    STREAMED,
    run_streamed,
    use_cassette,
)
from .cassettes.recording import FAKE_KEY

pytestmark = pytest.mark.usefixtures("no_sdk_environment")

SCENARIO = Scenario(id="ticket-holds", brief="Concert ticketing: fans hold seats for 10 minutes, then pay.")
PYTHON = sys.executable


@pytest.fixture(scope="module")
def design_yaml() -> str:
    return dumps(plan(SCENARIO.brief).design, "yaml")


# ---- specs ---------------------------------------------------------------------------------------------------


def test_lists_split_on_commas_outside_quotes() -> None:
    assert split_specs("offline,baseline") == ["offline", "baseline"]
    assert split_specs(['offline,cmd:"gen --modes a,b {brief}"', "dir:x"]) == [
        "offline",
        'cmd:"gen --modes a,b {brief}"',
        "dir:x",
    ]
    assert split_specs(" offline , ,baseline ") == ["offline", "baseline"]
    with pytest.raises(InputError, match="quote is never closed"):
        split_specs('cmd:"gen {brief}')


def test_each_spec_builds_its_contestant(tmp_path: Path) -> None:
    folder = contestant_from_spec(f"dir:{tmp_path}")
    assert isinstance(folder, FolderContestant) and folder.name == f"dir:{tmp_path}"
    command = contestant_from_spec(f'cmd:"{PYTHON} -c pass"', cmd_timeout_s=7)
    assert isinstance(command, CommandContestant)
    assert command.name == f"cmd:{PYTHON} -c pass" and command.timeout_s == 7
    claude = contestant_from_spec("claude:claude-opus-4-1", env={"ANTHROPIC_API_KEY": FAKE_KEY})
    assert isinstance(claude, ClaudeContestant) and claude.name == "claude:claude-opus-4-1"
    assert claude.params["model"] == "claude-opus-4-1" and "key" not in json.dumps(claude.params).lower()
    default = contestant_from_spec(
        "claude", env={"ANTHROPIC_API_KEY": FAKE_KEY, "ARCHASSIST_MODEL": "claude-x"}
    )
    assert default.name == "claude:claude-x"
    for contestant in (folder, command, claude):
        assert isinstance(contestant, Contestant)
    assert runs_in_threads(command) and runs_in_threads(claude) and not runs_in_threads(folder)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "planner",
            "unknown contestant 'planner'; use offline, baseline, claude[:MODEL], dir:PATH or cmd:COMMAND",
        ),
        ("dir:", "no folder after dir:"),
        ("claude:", "no model after claude:"),
        ("cmd:", "the command is empty"),
        ("cmd:no-such-designer-xyz {brief}", "'no-such-designer-xyz' is not an executable on PATH"),
        ("cmd:gen 'unclosed", "cannot split the command"),
        ("dir:/no/such/folder", "/no/such/folder does not exist"),
        ("claude:claude-sonnet-4-5", "contestant claude:claude-sonnet-4-5 needs ANTHROPIC_API_KEY"),
    ],
)
def test_bad_specs_are_one_line_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        contestant_from_spec(spec, env={})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_contestant_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"contestant dir:{tmp_path} is listed twice"):
        contestants_from_specs([f"dir:{tmp_path}", f"dir:{tmp_path}"])
    with pytest.raises(InputError, match="--contestants is empty"):
        contestants_from_specs(" , ")


# ---- dir: ----------------------------------------------------------------------------------------------------


def test_a_folder_gives_one_design_per_scenario_id(tmp_path: Path, design_yaml: str) -> None:
    (tmp_path / "ticket-holds.yaml").write_text(design_yaml, encoding="utf-8")
    other = Scenario(id="other", brief="x")
    (tmp_path / "other.json").write_text(dumps(plan(SCENARIO.brief).design, "json"), encoding="utf-8")
    contestant = FolderContestant(tmp_path)
    first = generate(contestant, SCENARIO)
    assert first.design == plan(SCENARIO.brief).design
    assert first.details["file"] == "ticket-holds.yaml" and len(first.details["sha256"]) == 64
    assert generate(contestant, other).details["file"] == "other.json"
    assert contestant.params["folder"] == str(tmp_path.resolve())


def test_a_missing_ambiguous_or_broken_file_is_a_recorded_failure(tmp_path: Path, design_yaml: str) -> None:
    contestant = FolderContestant(tmp_path)
    missing = generate(contestant, SCENARIO)
    assert missing.design is None
    assert (
        missing.failure
        == f"{tmp_path}: no design for scenario ticket-holds (ticket-holds.yaml, .yml or .json)"
    )
    (tmp_path / "ticket-holds.yaml").write_text(design_yaml, encoding="utf-8")
    (tmp_path / "ticket-holds.yml").write_text(design_yaml, encoding="utf-8")
    ambiguous = generate(contestant, SCENARIO)
    assert ambiguous.failure is not None and "more than one design" in ambiguous.failure
    (tmp_path / "ticket-holds.yml").unlink()
    (tmp_path / "ticket-holds.yaml").write_text("name: x\ntopics: 7\n", encoding="utf-8")
    broken = generate(contestant, SCENARIO)
    assert broken.design is None and broken.failure is not None
    assert "ticket-holds.yaml" in broken.failure and "topics" in broken.failure
    with pytest.raises(ContestantError):
        contestant.design(SCENARIO)


# ---- cmd: ----------------------------------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "designer.py"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_command_gets_the_brief_as_an_argument_or_on_stdin(tmp_path: Path, design_yaml: str) -> None:
    design_file = tmp_path / "design.yaml"
    design_file.write_text(design_yaml, encoding="utf-8")
    seen = tmp_path / "seen.json"
    designer = script(
        tmp_path,
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'stdin': sys.stdin.read() if not sys.stdin.isatty() else None, "
        f"'id': os.environ['ARCHASSIST_SCENARIO_ID']}}, open({str(seen)!r}, 'w'))\n"
        f"sys.stdout.write(open({str(design_file)!r}).read())\n",
    )
    brief = 'Fans hold seats; "quotes" and ; semicolons $(stay) literal'
    scenario = Scenario(id="s-1", brief=brief)
    by_argument = CommandContestant(f"{PYTHON} {designer} --brief {{brief}} --id {{id}}")
    result = generate(by_argument, scenario)
    assert result.design == plan(SCENARIO.brief).design
    recorded = json.loads(seen.read_text(encoding="utf-8"))
    assert recorded["argv"] == ["--brief", brief, "--id", "s-1"] and recorded["id"] == "s-1"
    assert by_argument.params["brief_on"] == "argument"
    by_stdin = CommandContestant(f"{PYTHON} {designer}")
    assert generate(by_stdin, scenario).design is not None
    assert json.loads(seen.read_text(encoding="utf-8"))["stdin"] == brief
    assert by_stdin.params["brief_on"] == "stdin"


def test_a_failing_command_is_a_recorded_failure_with_its_last_words(tmp_path: Path) -> None:
    designer = script(
        tmp_path,
        "import sys\nprint('thinking...', file=sys.stderr)\nprint('no model loaded', file=sys.stderr)\nsys.exit(3)\n",
    )
    result = generate(CommandContestant(f"{PYTHON} {designer}"), SCENARIO)
    assert result.design is None
    assert result.failure == f"{PYTHON} exited with 3: thinking... no model loaded"


def test_output_that_is_not_a_design_is_a_recorded_failure(tmp_path: Path) -> None:
    prose = script(tmp_path, "print('Here is my design: use Kafka.')\n")
    result = generate(CommandContestant(f"{PYTHON} {prose}"), SCENARIO)
    assert result.design is None and result.failure is not None
    assert result.failure.startswith(f"output of {PYTHON} for ticket-holds")
    empty = script(tmp_path, "pass\n")
    assert "empty" in (generate(CommandContestant(f"{PYTHON} {empty}"), SCENARIO).failure or "")


def test_a_command_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    started_marker, marker = tmp_path / "child-started", tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(
        f"import time\nopen({str(started_marker)!r}, 'w').close()\ntime.sleep(1.5)\nopen({str(marker)!r}, 'w').close()\n",
        encoding="utf-8",
    )
    designer = script(
        tmp_path,
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(child)!r}])\n"
        f"while not os.path.exists({str(started_marker)!r}): time.sleep(0.01)\n"
        "time.sleep(30)\n",
    )
    started = time.monotonic()
    result = generate(CommandContestant(f"{PYTHON} {designer}", timeout_s=1.0), SCENARIO)
    assert time.monotonic() - started < 10 and started_marker.exists()
    assert result.failure == f"{PYTHON} printed no design within 1 s (timeout)"
    time.sleep(2.0)
    assert not marker.exists(), "the command's child outlived the timeout"


def test_a_bad_timeout_is_refused() -> None:
    with pytest.raises(InputError, match="timeout is 0 s"):
        CommandContestant(f"{PYTHON} -c pass", timeout_s=0)


# ---- claude --------------------------------------------------------------------------------------------------




def test_the_claude_contestant_designs_through_the_backend_from_the_cassette() -> None:
    with use_cassette(CONTESTANT_CASSETTE, "none") as cassette:
        generations, capture = run_streamed(httpx2.HTTPTransport(), FAKE_KEY)
    assert cassette.all_played, "regenerate with `python -m tests.cassettes.make_eval_cassettes streamed`"
    assert [g.design for g in generations] == [plan(s.brief).design for s in STREAMED]
    bodies = [body for _, _, body in capture.requests]
    # The same streamed request the design mode sends for this model (the SDK adds "stream" itself).
    assert [{k: v for k, v in b.items() if k != "stream"} for b in bodies] == [
        sdk_arguments(design_request(s.brief, settings=SETTINGS)) for s in STREAMED
    ]
    assert all(b["stream"] is True and b["model"] == MODEL for b in bodies)
    for generation in generations:
        assert generation.details["model"] == MODEL and generation.details["rounds_used"] == 0
        assert generation.details["usage"]["calls"] == 1 and generation.details["usage"]["output_tokens"] > 0


def _fake_api(answers: dict[str, str], *, delay: float = 0.0) -> tuple[Any, dict[str, int]]:
    """A thread-safe scripted Messages API answering each brief with its design, counting calls in flight."""
    from tests.cassettes.make_cassettes import answer

    lock = threading.Lock()
    stats = {"in_flight": 0, "peak": 0, "calls": 0}

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        task = body["messages"][0]["content"][-1]["text"]
        brief = next(b for b in answers if b in task)
        with lock:
            stats["in_flight"] += 1
            stats["peak"] = max(stats["peak"], stats["in_flight"])
            stats["calls"] += 1
        time.sleep(delay)
        with lock:
            stats["in_flight"] -= 1
        if answers[brief] == "overloaded":
            return httpx2.Response(
                529, json={"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
            )
        return answer(answers[brief], seed=brief, call=0)(body, 0)

    return handle, stats


def test_an_api_that_gives_up_is_a_recorded_failure_not_the_planner() -> None:
    handle, stats = _fake_api({SCENARIO.brief: "overloaded"})
    client = make_client(
        FAKE_KEY,
        ClaudeSettings(max_retries=0),
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )
    contestant = ClaudeContestant(MODEL, env={"ANTHROPIC_API_KEY": FAKE_KEY}, client=client)
    result = generate(contestant, SCENARIO)
    assert result.design is None and stats["calls"] == 1
    assert result.failure is not None and result.failure.startswith("Claude gave no design: overloaded (529")


def test_a_rejected_key_is_not_a_cell_failure() -> None:
    def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            401,
            json={"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
        )

    client = make_client(
        FAKE_KEY,
        ClaudeSettings(max_retries=0),
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )
    contestant = ClaudeContestant(MODEL, env={"ANTHROPIC_API_KEY": FAKE_KEY}, client=client)
    with pytest.raises(BackendInputError, match="rejected the key"):
        generate(contestant, SCENARIO)


def test_claude_contestants_design_concurrently_within_the_bound(tmp_path: Path) -> None:
    from archassist.agent.memory.store import open_store
    from archassist.evals.runs.orchestrate import RunOptions, execute
    from archassist.evals.runs.store import RunStore
    from archassist.evals.scoring import scorer_by_name

    scenarios = [
        Scenario(id=f"s{n}", brief=f"Loyalty scheme number {n}: customers collect stamps and redeem them.")
        for n in range(6)
    ]
    answers = {s.brief: to_llm_json(plan(scenarios[0].brief).design) for s in scenarios}
    handle, stats = _fake_api(answers, delay=0.3)
    client = make_client(
        FAKE_KEY,
        ClaudeSettings(max_retries=0),
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )
    contestant = ClaudeContestant(MODEL, repair_rounds=0, env={"ANTHROPIC_API_KEY": FAKE_KEY}, client=client)
    with open_store(tmp_path / "runs.db") as memory:
        run_id = execute(
            memory, scenarios, [contestant], [scorer_by_name("resilience")], RunOptions(concurrency=3)
        )
        cells = RunStore(memory).cells(run_id)
    assert stats["calls"] == 6 and stats["peak"] == 3
    assert [c.scenario_id for c in cells] == [s.id for s in scenarios] and all(c.ok for c in cells)
