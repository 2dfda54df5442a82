"""Eval runs: storage in the memory database, reproducible scores, rescoring, the statistics behind compare, the
CLI's JSON and text, and the progress bar's manners."""

from __future__ import annotations

import io
import itertools
import json
import math
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.memory.migrations import MIGRATIONS
from archassist.agent.memory.store import open_store
from archassist.agent.model.design import Design
from archassist.agent.model.io import save_design
from archassist.evals.base import CRITERIA, Scenario, Score
from archassist.evals.contestants.folder import FolderContestant
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.runs.orchestrate import RunOptions, execute
from archassist.evals.runs.progress import BarReporter, SilentReporter, reporter_for
from archassist.evals.runs.records import Cell
from archassist.evals.runs.rescore import rescore, rescore_cells
from archassist.evals.runs.stats import (
    TOTAL,
    bootstrap_interval,
    compare_values,
    contestant_values,
    quantile,
)
from archassist.evals.runs.store import RunStore
from archassist.evals.scenario import load_scenarios
from archassist.evals.scoring import default_scorers
from typer.testing import CliRunner

runner = CliRunner()
PICK = "timed-auctions,profile-settings,ride-dispatch"
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return load_scenarios(PICK)


@pytest.fixture(scope="module")
def planned(scenarios: list[Scenario]) -> dict[str, Design]:
    planner = OfflineContestant()
    return {s.id: planner.design(s) for s in scenarios}


def folder_of(tmp_path: Path, planned: dict[str, Design], skip: Sequence[str] = ()) -> Path:
    folder = tmp_path / "designs"
    folder.mkdir(exist_ok=True)
    for scenario_id, design in planned.items():
        if scenario_id not in skip:
            save_design(design, folder / f"{scenario_id}.json")
    return folder


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    if code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("archassist: "), result.stderr
    return result


# ---- storage -------------------------------------------------------------------------------------------------


def test_the_eval_tables_come_from_a_named_migration(tmp_path: Path) -> None:
    assert [m.__name__ for m in MIGRATIONS][-1] == "m005_eval_runs"
    with open_store(tmp_path / "memory.db") as memory:
        tables = {r[0] for r in memory.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"eval_runs", "eval_run_scenarios", "eval_designs", "eval_design_blobs", "eval_scores"} <= tables
    assert {"designs", "decisions"} <= tables  # the same database as the decision memory


def test_a_run_stores_every_design_failure_score_and_parameter(
    tmp_path: Path, scenarios: list[Scenario], planned: dict[str, Design]
) -> None:
    folder = folder_of(tmp_path, planned, skip=["ride-dispatch"])
    contestants = [OfflineContestant(), FolderContestant(folder, name="dir:designs")]
    scorers = default_scorers()
    options = RunOptions(epochs=2, selection={"scenarios": PICK})
    with open_store(tmp_path / "runs.db") as memory:
        run_id = execute(memory, scenarios, contestants, scorers, options)
        runs = RunStore(memory)
        info = runs.resolve(run_id)
        cells = runs.cells(run_id, with_designs=True)
        stored_scenarios = runs.scenarios(run_id)
        blobs = memory.query("SELECT count(*) FROM eval_design_blobs")[0][0]
    assert info.status == "complete" and info.kind == "run" and info.epochs == 2
    assert info.scenario_ids == tuple(s.id for s in scenarios) and stored_scenarios == scenarios
    assert info.contestants == ["offline", "dir:designs"]
    assert info.parameters["contestants"][1]["params"]["folder"] == str(folder.resolve())
    assert [s["name"] for s in info.parameters["scorers"]] == list(CRITERIA)
    assert info.parameters["scorers"][0]["params"] == dict(scorers[0].params)
    assert info.parameters["selection"] == {"scenarios": PICK}
    assert len(cells) == len(scenarios) * 2 * 2
    for cell in cells:
        if cell.contestant == "dir:designs" and cell.scenario_id == "ride-dispatch":
            assert not cell.ok and cell.design is None and cell.scores == {}
            assert (
                cell.failure
                == f"{folder}: no design for scenario ride-dispatch (ride-dispatch.yaml, .yml or .json)"
            )
            continue
        assert cell.ok and cell.design == planned[cell.scenario_id]
        assert set(cell.scores) == set(CRITERIA)
        assert cell.scorer_params["rules"] == dict(scorers[-1].params)
    # Two contestants × two epochs give the same three designs: each is stored once.
    assert blobs == len(planned)


def test_scores_recomputed_from_stored_designs_equal_the_stored_scores(
    tmp_path: Path, scenarios: list[Scenario]
) -> None:
    with open_store(tmp_path / "runs.db") as memory:
        run_id = execute(memory, scenarios, [OfflineContestant()], default_scorers())
        runs = RunStore(memory)
        stored = runs.cells(run_id, with_designs=True)
        by_id = {s.id: s for s in runs.scenarios(run_id)}
    again = rescore_cells(stored, by_id, default_scorers())
    assert [dict(c.scores) for c in again] == [dict(c.scores) for c in stored]
    assert all(isinstance(s, Score) and s.reasons for c in stored for s in c.scores.values())


def test_rescore_is_a_new_run_pointing_at_its_source_with_the_same_scores(
    tmp_path: Path, scenarios: list[Scenario], planned: dict[str, Design]
) -> None:
    folder = folder_of(tmp_path, planned, skip=["profile-settings"])
    with open_store(tmp_path / "runs.db") as memory:
        source = execute(
            memory, scenarios, [OfflineContestant(), FolderContestant(folder)], default_scorers()
        )
        blobs_before = memory.query("SELECT count(*) FROM eval_design_blobs")[0][0]
        new = rescore(memory, source)
        runs = RunStore(memory)
        info = runs.resolve(new)
        before, after = runs.cells(source), runs.cells(new)
        blobs_after = memory.query("SELECT count(*) FROM eval_design_blobs")[0][0]
    assert info.kind == "rescore" and info.source_run == source and info.parameters["rescored_from"] == source
    assert [(c.scenario_id, c.contestant, c.epoch, c.failure, dict(c.scores)) for c in after] == [
        (c.scenario_id, c.contestant, c.epoch, c.failure, dict(c.scores)) for c in before
    ]
    assert [c.design_hash for c in after] == [c.design_hash for c in before]
    assert blobs_after == blobs_before  # nothing designed or copied again


def test_an_interrupted_run_keeps_its_cells_and_says_so(tmp_path: Path, scenarios: list[Scenario]) -> None:
    class Breaks:
        name = "breaks"
        params: dict[str, Any] = {}

        def __init__(self) -> None:
            self.calls = 0

        def design(self, scenario: Scenario) -> Design:
            self.calls += 1
            if self.calls > 1:
                raise InputError("the key was revoked")
            return OfflineContestant().design(scenario)

    with open_store(tmp_path / "runs.db") as memory:
        with pytest.raises(InputError, match="revoked"):
            execute(memory, scenarios, [Breaks()], default_scorers())
        runs = RunStore(memory)
        info = runs.resolve(None)
        cells = runs.cells(info.id)
    assert info.status == "interrupted" and info.finished is not None
    assert [c.scenario_id for c in cells] == [scenarios[0].id]


def test_bad_run_options_are_one_line_errors(tmp_path: Path, scenarios: list[Scenario]) -> None:
    with open_store(tmp_path / "runs.db") as memory:
        for options, message in (
            (RunOptions(epochs=0), "--epochs is 0"),
            (RunOptions(concurrency=0), "--concurrency is 0"),
        ):
            with pytest.raises(InputError, match=message):
                execute(memory, scenarios, [OfflineContestant()], default_scorers(), options)
        with pytest.raises(InputError, match="no contestants"):
            execute(memory, scenarios, [], default_scorers())
        assert RunStore(memory).runs() == []


# ---- statistics ----------------------------------------------------------------------------------------------


def test_constant_deltas_give_a_degenerate_interval() -> None:
    a = {f"s{n}": {"coupling": float(n), TOTAL: float(n)} for n in range(12)}
    b = {s: {k: v + 2.5 for k, v in row.items()} for s, row in a.items()}
    comparison = compare_values(a, b)
    for delta in comparison.deltas:
        assert delta.n == 12 and delta.delta == pytest.approx(2.5)
        assert delta.low == pytest.approx(2.5) and delta.high == pytest.approx(2.5) and delta.significant


def _exact_quantile(values: Sequence[float], q: float) -> tuple[float, float]:
    """The q-quantile of the exact bootstrap distribution of the mean (every resample equally likely) and the
    distance from q to the nearest jump of its CDF."""
    n = len(values)
    means = sorted(sum(c) / n for c in itertools.product(values, repeat=n))
    cdf = 0.0
    distinct = sorted(set(means))
    for value in distinct:
        cdf += means.count(value) / len(means)
        if cdf >= q:
            jumps = [abs(cdf - q), abs(cdf - means.count(value) / len(means) - q)]
            return value, min(jumps)
    raise AssertionError("unreachable")


def test_the_interval_matches_the_exact_bootstrap_distribution_of_a_small_case() -> None:
    values = [0.0, 1.0, 2.0, 3.0]  # 256 equally likely resamples, enumerated exactly
    low, low_gap = _exact_quantile(values, 0.025)
    high, high_gap = _exact_quantile(values, 0.975)
    assert (low, high) == (0.5, 2.5)
    # Both quantiles sit inside a step of the CDF, seven standard errors of 40,000 resamples from its edges, so
    # the resampled quantiles land on them exactly.
    assert low_gap > 0.005 and high_gap > 0.005
    interval = bootstrap_interval(values, resamples=40_000, seed=7)
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


def test_the_interval_agrees_with_normal_theory_on_a_large_sample() -> None:
    rng = random.Random(11)
    deltas = [rng.gauss(5.0, 10.0) for _ in range(400)]
    mean = sum(deltas) / len(deltas)
    sd = math.sqrt(sum((d - mean) ** 2 for d in deltas) / (len(deltas) - 1))
    half = 1.959964 * sd / math.sqrt(len(deltas))
    interval = bootstrap_interval(deltas, resamples=4000)
    assert interval.low == pytest.approx(mean - half, abs=0.12 * half)
    assert interval.high == pytest.approx(mean + half, abs=0.12 * half)


def test_the_bootstrap_is_reproducible_from_its_seed() -> None:
    values = [float(v) for v in range(-5, 20, 3)]
    assert bootstrap_interval(values, seed=3) == bootstrap_interval(values, seed=3)
    assert bootstrap_interval(values, seed=3) != bootstrap_interval(values, seed=4)


def test_quantile_interpolates_like_numpys_default() -> None:
    numpy = pytest.importorskip("numpy")
    data = sorted(random.Random(5).uniform(-50, 50) for _ in range(37))
    for q in (0.0, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0):
        assert quantile(data, q) == pytest.approx(float(numpy.quantile(data, q)))


def test_a_failed_cell_scores_zero_on_what_its_scenario_is_graded_on() -> None:
    graded = {"coupling": Score("coupling", 80.0), "resilience": Score("resilience", 60.0)}
    not_applying = Score("idempotency", 100.0, details={"applies": False})
    cells = [
        Cell("s1", "good", 1, design=None, scores={**graded, "idempotency": not_applying}),
        Cell("s1", "bad", 1, design=None, failure="no file"),
    ]
    good = contestant_values(cells, "good")
    bad = contestant_values(cells, "bad")
    assert good == {"s1": {"coupling": 80.0, "resilience": 60.0, TOTAL: 70.0}}
    assert bad == {"s1": {"coupling": 0.0, "resilience": 0.0, TOTAL: 0.0}}


# ---- CLI -----------------------------------------------------------------------------------------------------


def test_eval_run_json_has_run_id_leaderboard_and_results(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    result = cli("eval", "run", "--scenarios", PICK, "--db", db, "--format", "json")
    data = json.loads(result.stdout)
    assert {"run_id", "leaderboard", "results"} <= set(data) and data["run_id"] == 1
    assert [row["contestant"] for row in data["leaderboard"]] == ["offline", "baseline"]
    for row in data["leaderboard"]:
        assert set(row["scores"]) <= set(CRITERIA) and {"scalability", "coupling", "idempotency"} <= set(
            row["scores"]
        )
        assert isinstance(row["total"], float) and 0 <= row["total"] <= 100
    assert len(data["results"]) == 3 * 2
    assert {(r["scenario"], r["contestant"]) for r in data["results"]} == {
        (s, c) for s in PICK.split(",") for c in ("offline", "baseline")
    }
    assert all(
        set(r["scores"]) <= set(CRITERIA) and r["epochs"] == 1 and r["failures"] == []
        for r in data["results"]
    )
    # Nothing on stderr but the progress bar would be there, and stderr is no terminal here: nothing at all.
    assert result.stderr == ""
    again = json.loads(cli("eval", "leaderboard", "--db", db, "--format", "json").stdout)
    assert again["leaderboard"] == data["leaderboard"] and again["results"] == data["results"]


def test_the_progress_bar_shows_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(reporter_for(io.StringIO()), SilentReporter)
    assert isinstance(reporter_for(Terminal(), quiet=True), SilentReporter)
    screen = Terminal()
    bar = reporter_for(screen)
    assert isinstance(bar, BarReporter)
    bar.start(4)
    for n in range(4):
        bar.advance(f"offline · s{n}")
    bar.close()
    assert "eval run" in screen.getvalue() and ANSI.search(screen.getvalue())


def test_text_output_compare_runs_and_rescore(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    first = cli("eval", "run", "--scenarios", PICK, "--db", db)
    assert first.stdout.startswith("eval run 1: 3 scenarios × 2 contestants × 1 epoch, complete")
    assert re.search(r"^1  offline +\d", first.stdout, re.MULTILINE)
    assert "stored as run 1" in first.stderr and not ANSI.search(first.stderr)
    cli("eval", "run", "--scenarios", PICK, "--db", db, "-c", "offline", "-q")
    both = json.loads(cli("eval", "compare", "1", "2", "--db", db, "--format", "json").stdout)
    (same,) = both["comparisons"]
    assert same["a"] == "run 1 offline" and same["b"] == "run 2 offline" and same["seed"] == 1729
    assert all(d["delta"] == 0 and d["ci_low"] == 0 and d["ci_high"] == 0 for d in same["deltas"])
    within = cli("eval", "compare", "1:baseline", "1:offline", "--db", db)
    assert within.stdout.startswith(
        "run 1 offline minus run 1 baseline: paired over 3 scenarios, 95 % bootstrap"
    )
    assert re.search(r"^total +3 .* better$", within.stdout, re.MULTILINE)
    rescored = cli("eval", "rescore", "1", "--db", db, "--format", "json")
    data = json.loads(rescored.stdout)
    assert data["run_id"] == 3 and data["source_run"] == 1
    assert all(change["delta"] == 0 for change in data["changes"])
    text = cli("eval", "rescore", "2", "--db", db, "-q")
    assert text.stdout.startswith("eval run 4 (rescore of run 2)")
    assert "rescored run 2 as run 4: no total changed" in text.stderr
    listed = json.loads(cli("eval", "runs", "--db", db, "--format", "json").stdout)
    assert [(r["run_id"], r["kind"], r["source_run"]) for r in listed] == [
        (4, "rescore", 2),
        (3, "rescore", 1),
        (2, "run", None),
        (1, "run", None),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "leaderboard"], "no eval runs stored yet"),
        (["eval", "leaderboard", "7"], "no eval run 7"),
        (["eval", "leaderboard", "seven"], "run 'seven' is not a run id"),
        (["eval", "compare", "1", "1"], "both sides are run 1"),
        (["eval", "compare", "1:nobody", "1:offline"], "run 1 has no contestant 'nobody'"),
        (["eval", "leaderboard", "--format", "xml"], "unknown format 'xml'"),
        (["eval", "run", "--epochs", "0"], "--epochs is 0"),
        (["eval", "run", "--contestants", "wizard"], "unknown contestant 'wizard'"),
        (["eval", "run", "--scenarios", "no-such-*"], "no scenario matches 'no-such-*'"),
        (["eval", "run", "--scorers", "elegance"], "unknown scorer 'elegance'"),
        (["eval", "compare", "1", "1:offline", "--resamples", "0"], "--resamples is 0"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(tmp_path: Path, args: list[str], message: str) -> None:
    db = str(tmp_path / "runs.db")
    if args[1] == "compare" or args[2:3] == ["7"]:
        cli("eval", "run", "--scenarios", "profile-settings", "--db", db, "-q")
    result = cli(*args, "--db", db, code=2)
    assert message in result.stderr
