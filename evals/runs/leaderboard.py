"""A stored run as the tables a reader wants: the leaderboard (one row per contestant) and the results (one row
per scenario and contestant), as plain data for JSON, the terminal and the HTML report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archassist.evals.runs.records import Cell, RunInfo
from archassist.evals.runs.stats import TOTAL, ScenarioValues, contestant_values, criterion_order, means

DIGITS = 2


def _rounded(values: dict[str, float]) -> dict[str, float]:
    """Rounded, in the criteria's documented order."""
    return {k: round(values[k], DIGITS) for k in criterion_order(values)}


@dataclass(frozen=True)
class Standing:
    contestant: str
    scores: dict[str, float]  # criterion -> mean over scenarios
    total: float
    scenarios: int
    cells: int
    failures: int
    seconds: float  # mean generation time per cell

    def to_dict(self) -> dict[str, Any]:
        return {
            "contestant": self.contestant,
            "scores": _rounded(self.scores),
            "total": round(self.total, DIGITS),
            "scenarios": self.scenarios,
            "cells": self.cells,
            "failures": self.failures,
            "seconds_per_design": round(self.seconds, 3),
        }


def contestant_names(run: RunInfo, cells: Sequence[Cell]) -> list[str]:
    """Contestants in the order the run listed them (then any others its cells name)."""
    names = list(run.contestants)
    for cell in cells:
        if cell.contestant not in names:
            names.append(cell.contestant)
    return names


def values_by_contestant(run: RunInfo, cells: Sequence[Cell]) -> dict[str, ScenarioValues]:
    return {name: contestant_values(cells, name) for name in contestant_names(run, cells)}


def standings(run: RunInfo, cells: Sequence[Cell]) -> list[Standing]:
    """The leaderboard, best total first (ties keep the run's contestant order)."""
    rows: list[Standing] = []
    for name, values in values_by_contestant(run, cells).items():
        own = [c for c in cells if c.contestant == name]
        averaged = means(values) if values else {}
        total = averaged.pop(TOTAL, 0.0)
        rows.append(
            Standing(
                contestant=name,
                scores=averaged,
                total=total,
                scenarios=len(values),
                cells=len(own),
                failures=sum(1 for c in own if not c.ok),
                seconds=sum(c.seconds for c in own) / len(own) if own else 0.0,
            )
        )
    return sorted(rows, key=lambda r: -r.total)


def results(run: RunInfo, cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """One row per scenario and contestant: scores averaged over epochs, the total, and any failures."""
    by_contestant = values_by_contestant(run, cells)
    failures: dict[tuple[str, str], list[str]] = {}
    epochs: dict[tuple[str, str], int] = {}
    for cell in cells:
        key = (cell.scenario_id, cell.contestant)
        epochs[key] = epochs.get(key, 0) + 1
        if not cell.ok:
            failures.setdefault(key, []).append(cell.failure or "no design")
    scenario_ids = list(run.scenario_ids) or list(dict.fromkeys(c.scenario_id for c in cells))
    rows: list[dict[str, Any]] = []
    for scenario in scenario_ids:
        for name, values in by_contestant.items():
            if scenario not in values:
                continue
            scores = dict(values[scenario])
            total = scores.pop(TOTAL, 0.0)
            key = (scenario, name)
            rows.append(
                {
                    "scenario": scenario,
                    "contestant": name,
                    "scores": _rounded(scores),
                    "total": round(total, DIGITS),
                    "epochs": epochs.get(key, 0),
                    "failures": failures.get(key, []),
                }
            )
    return rows


def run_report(run: RunInfo, cells: Sequence[Cell]) -> dict[str, Any]:
    """What `eval run --format json` and `eval leaderboard --format json` print."""
    return {
        "run_id": run.id,
        "run": run.summary(),
        "leaderboard": [s.to_dict() for s in standings(run, cells)],
        "results": results(run, cells),
    }
