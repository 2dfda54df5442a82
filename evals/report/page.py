"""``eval report``: one self-contained HTML page for a stored run.

The page holds the leaderboard table, the mean score per criterion and contestant as bars, a scenario ×
contestant heatmap of totals, each contestant's paired deltas against the naive baseline with their confidence
intervals (when the run has a contestant called ``baseline``), and every parameter of the run. CSS and the SVG
charts are inline; the page loads nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archassist.evals.report.charts import (
    HeatCell,
    IntervalRow,
    contestant_colour,
    criterion_bars,
    heat_colour,
    heatmap,
    intervals,
)
from archassist.evals.runs.leaderboard import contestant_names, standings, values_by_contestant
from archassist.evals.runs.records import Cell, RunInfo
from archassist.evals.runs.stats import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    TOTAL,
    Comparison,
    compare_values,
    criterion_order,
)

if TYPE_CHECKING:
    import jinja2

BASELINE = "baseline"


def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("archassist.evals.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def baseline_comparisons(
    run: RunInfo, cells: Sequence[Cell], *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES
) -> list[Comparison]:
    """Every other contestant against the baseline, paired by scenario (empty without a baseline)."""
    values = values_by_contestant(run, cells)
    if BASELINE not in values:
        return []
    return [
        compare_values(values[BASELINE], own, a_label=BASELINE, b_label=name, seed=seed, resamples=resamples)
        for name, own in values.items()
        if name != BASELINE
    ]


def report_context(run: RunInfo, cells: Sequence[Cell]) -> dict[str, Any]:
    from markupsafe import Markup

    names = contestant_names(run, cells)
    board = standings(run, cells)
    criteria = criterion_order({c for s in board for c in s.scores})
    values = values_by_contestant(run, cells)
    answered = {(c.scenario_id, c.contestant) for c in cells if c.ok}
    scenario_ids = list(run.scenario_ids) or list(dict.fromkeys(c.scenario_id for c in cells))
    heat: dict[tuple[str, str], HeatCell] = {}
    for name, own in values.items():
        for scenario, row in own.items():
            # Only a cell with no design in any epoch is drawn as failed; a partly failed one shows its mean.
            heat[(scenario, name)] = HeatCell(row.get(TOTAL, 0.0) if (scenario, name) in answered else None)
    comparisons = baseline_comparisons(run, cells)
    compare_blocks = []
    for comparison in comparisons:
        rows = [IntervalRow(d.criterion, d.delta, d.low, d.high) for d in comparison.deltas]
        compare_blocks.append(
            {
                "contestant": comparison.b,
                "svg": Markup(intervals(rows, title=f"{comparison.b} minus {comparison.a}, per criterion")),
                "deltas": comparison.deltas,
            }
        )
    order = {name: i for i, name in enumerate(names)}
    return {
        "run": run,
        "criteria": criteria,
        "board": [
            {
                "standing": s,
                "colour": contestant_colour(order.get(s.contestant, 0)),
                "heat": heat_colour(s.total),
            }
            for s in board
        ],
        "bars": Markup(criterion_bars(criteria, names, {s.contestant: s.scores for s in board})),
        "heatmap": Markup(heatmap(scenario_ids, names, heat)),
        "comparisons": compare_blocks,
        "confidence": DEFAULT_CONFIDENCE,
        "resamples": DEFAULT_RESAMPLES,
        "seed": DEFAULT_SEED,
        "failures": [c for c in cells if not c.ok],
        "parameters": json.dumps(run.parameters, indent=2, ensure_ascii=False, sort_keys=True),
    }


def render_report(run: RunInfo, cells: Sequence[Cell]) -> str:
    """The report page as one HTML string."""
    return _environment().get_template("report.html.j2").render(**report_context(run, cells))
