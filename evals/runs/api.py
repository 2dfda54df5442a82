"""The plain functions behind ``archassist eval run|leaderboard|compare|rescore|report|runs``: each takes plain
inputs, works on the memory database, and returns data (or HTML); the CLI only parses and prints."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.evals.runs.stats import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED

if TYPE_CHECKING:
    from archassist.evals.base import Contestant, Scorer
    from archassist.evals.runs.progress import Reporter
    from archassist.evals.runs.stats import Comparison

DbPath = str | os.PathLike[str] | None
MAX_RESAMPLES = 200_000


def scorers_from_names(names: str | None) -> list[Scorer]:
    """The scorers of a ``--scorers`` list (comma-separated names), or the default eight."""
    from archassist.evals.scoring import default_scorers, scorer_by_name

    if names is None or not names.strip():
        return default_scorers()
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    scorers = [scorer_by_name(n) for n in chosen]
    seen: set[str] = set()
    for scorer in scorers:
        if scorer.name in seen:
            raise InputError(f"scorer {scorer.name} is listed twice in --scorers; list it once")
        seen.add(scorer.name)
    return scorers


def run_championship(
    *,
    contestants: str | Iterable[str],
    scenarios: str | None = None,
    scenario_dir: Path | None = None,
    epochs: int = 1,
    concurrency: int = 4,
    batch: bool = False,
    scorers: str | None = None,
    cmd_timeout_s: float | None = None,
    db: DbPath = None,
    reporter: Reporter | None = None,
    env: Mapping[str, str] | None = None,
    client: Any = None,
    poll: Any = None,
    contestant_objects: Sequence[Contestant] | None = None,
) -> dict[str, Any]:
    """Run, store and summarise a championship: the JSON of ``eval run`` (``run_id``, ``leaderboard``,
    ``results``). ``contestant_objects`` replaces the specs (tests, embedding)."""
    from archassist.agent.memory.store import open_store
    from archassist.evals.contestants.spec import contestants_from_specs
    from archassist.evals.runs.orchestrate import RunOptions, check_options, execute
    from archassist.evals.scenario import load_scenarios

    options = RunOptions(
        epochs=epochs,
        concurrency=concurrency,
        batch=batch,
        selection={
            "scenarios": scenarios or "*",
            "scenario_dir": str(scenario_dir) if scenario_dir else None,
        },
        poll=poll,
    )
    check_options(options)
    chosen = load_scenarios(scenarios, scenario_dir)
    players = (
        list(contestant_objects)
        if contestant_objects is not None
        else contestants_from_specs(contestants, env=env, client=client, cmd_timeout_s=cmd_timeout_s)
    )
    graders = scorers_from_names(scorers)
    with open_store(db) as memory:
        run_id = execute(memory, chosen, players, graders, options, reporter=reporter)
        return _report(memory, run_id)


def _report(memory: Any, ref: str | int | None) -> dict[str, Any]:
    from archassist.evals.runs.leaderboard import run_report
    from archassist.evals.runs.store import RunStore

    runs = RunStore(memory)
    run = runs.resolve(ref)
    return run_report(run, runs.cells(run.id))


def leaderboard(ref: str | int | None = None, *, db: DbPath = None) -> dict[str, Any]:
    """The leaderboard and results of a stored run (the latest by default)."""
    from archassist.agent.memory.store import open_store

    with open_store(db, readonly=True) as memory:
        return _report(memory, ref)


def list_runs(*, db: DbPath = None) -> list[dict[str, Any]]:
    from archassist.agent.memory.store import open_store
    from archassist.evals.runs.store import RunStore

    with open_store(db, readonly=True) as memory:
        return [run.summary() for run in RunStore(memory).runs()]


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a run, and optionally one contestant in it (``RUN[:CONTESTANT]``)."""

    run: str | None
    contestant: str | None

    @classmethod
    def parse(cls, text: str) -> Side:
        run, sep, contestant = text.strip().partition(":")
        if sep and not contestant.strip():
            raise InputError(
                f"{text!r}: no contestant after the colon; write RUN:CONTESTANT, e.g. 3:baseline"
            )
        return cls(run.strip() or None, contestant.strip() or None)


def compare_runs(
    a: str,
    b: str,
    *,
    db: DbPath = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Any]:
    """Paired per-scenario deltas of B against A. ``RUN`` pairs every contestant both runs have by name;
    ``RUN:CONTESTANT`` picks one (so ``3:baseline 3:offline`` compares two contestants of one run)."""
    from archassist.agent.memory.store import open_store
    from archassist.evals.runs.leaderboard import values_by_contestant
    from archassist.evals.runs.stats import compare_values
    from archassist.evals.runs.store import RunStore

    if not 1 <= resamples <= MAX_RESAMPLES:
        raise InputError(f"--resamples is {resamples}; use a number from 1 to {MAX_RESAMPLES}")
    if not 0.5 <= confidence < 1.0:
        raise InputError(f"--confidence is {confidence:g}; use a level from 0.5 to below 1, e.g. 0.95")
    side_a, side_b = Side.parse(a), Side.parse(b)
    with open_store(db, readonly=True) as memory:
        runs = RunStore(memory)
        run_a, run_b = runs.resolve(side_a.run), runs.resolve(side_b.run)
        values_a = values_by_contestant(run_a, runs.cells(run_a.id))
        values_b = values_by_contestant(run_b, runs.cells(run_b.id))
    pairs = _pairs(side_a, side_b, list(values_a), list(values_b), run_a.id, run_b.id)
    comparisons: list[Comparison] = [
        compare_values(
            values_a[x],
            values_b[y],
            a_label=f"run {run_a.id} {x}",
            b_label=f"run {run_b.id} {y}",
            seed=seed,
            resamples=resamples,
            confidence=confidence,
        )
        for x, y in pairs
    ]
    return {
        "a": {**run_a.summary(), "contestant": side_a.contestant},
        "b": {**run_b.summary(), "contestant": side_b.contestant},
        "comparisons": [c.to_dict() for c in comparisons],
    }


def _pairs(
    a: Side, b: Side, names_a: list[str], names_b: list[str], run_a: int, run_b: int
) -> list[tuple[str, str]]:
    for side, names, run in ((a, names_a, run_a), (b, names_b, run_b)):
        if side.contestant is not None and side.contestant not in names:
            raise InputError(
                f"run {run} has no contestant {side.contestant!r}; it has {', '.join(names) or 'none'}"
            )
    if a.contestant or b.contestant:
        x = a.contestant or b.contestant
        y = b.contestant or a.contestant
        assert x is not None and y is not None
        for name, names, run in ((x, names_a, run_a), (y, names_b, run_b)):
            if name not in names:
                raise InputError(f"run {run} has no contestant {name!r}; it has {', '.join(names) or 'none'}")
        if run_a == run_b and x == y:
            raise InputError(f"both sides are run {run_a} {x}; compare two runs or two contestants")
        return [(x, y)]
    if run_a == run_b:
        raise InputError(
            f"both sides are run {run_a}; compare two runs, or two of its contestants as {run_a}:A {run_a}:B"
        )
    shared = [n for n in names_a if n in names_b]
    if not shared:
        raise InputError(
            f"runs {run_a} and {run_b} have no contestant in common; name them as {run_a}:CONTESTANT {run_b}:CONTESTANT"
        )
    return [(n, n) for n in shared]


def rescore_run(
    ref: str | int | None, *, scorers: str | None = None, db: DbPath = None, reporter: Reporter | None = None
) -> dict[str, Any]:
    """Today's scorers on a stored run's designs, stored as a new run; its report, with the source's totals."""
    from archassist.agent.memory.store import open_store
    from archassist.evals.runs.rescore import rescore

    graders = scorers_from_names(scorers)
    with open_store(db) as memory:
        new_id = rescore(memory, ref, scorers=graders, reporter=reporter)
        report = _report(memory, new_id)
        source = _report(memory, report["run"]["source_run"])
    before = {row["contestant"]: row["total"] for row in source["leaderboard"]}
    report["source_run"] = source["run_id"]
    report["changes"] = [
        {
            "contestant": row["contestant"],
            "total_before": before.get(row["contestant"]),
            "total_after": row["total"],
            "delta": round(row["total"] - before[row["contestant"]], 2)
            if row["contestant"] in before
            else None,
        }
        for row in report["leaderboard"]
    ]
    return report


def report_html(ref: str | int | None = None, *, db: DbPath = None) -> str:
    """The self-contained HTML report of a stored run (the latest by default)."""
    from archassist.agent.memory.store import open_store
    from archassist.evals.report.page import render_report
    from archassist.evals.runs.store import RunStore

    with open_store(db, readonly=True) as memory:
        runs = RunStore(memory)
        run = runs.resolve(ref)
        cells = runs.cells(run.id)
    return render_report(run, cells)
