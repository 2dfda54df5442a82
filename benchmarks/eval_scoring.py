"""Time scoring the shipped scenarios for three sets of designs, and print the mean score per criterion.

    .venv/bin/python benchmarks/eval_scoring.py

The three contestants are the offline planner, the naive baseline, and the planner's designs written to files
and read back (what a `dir:` contestant scores). Designing is timed apart from scoring: the target is for
scoring the whole grid with the eight default scorers (≤ 10 s; the judge is not run). Figures are the best of
three runs in one process, after a warm-up that imports everything.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from statistics import mean

from archassist.agent.model.design import Design
from archassist.agent.model.io import load_design, save_design
from archassist.evals.base import CRITERIA
from archassist.evals.contestants.baseline import BaselineContestant
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.scenario import load_scenarios
from archassist.evals.scoring import applies, score_design, total

TARGET_S = 10.0


def main() -> int:
    scenarios = load_scenarios()
    started = time.perf_counter()
    offline = [OfflineContestant().design(s) for s in scenarios]
    baseline = [BaselineContestant().design(s) for s in scenarios]
    designed = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        for scenario, design in zip(scenarios, offline, strict=True):
            save_design(design, Path(folder) / f"{scenario.id}.yaml")
        files = [load_design(Path(folder) / f"{s.id}.yaml") for s in scenarios]
    grid: dict[str, list[Design]] = {"offline": offline, "baseline": baseline, "files": files}
    score_design(offline[0], scenarios[0])  # warm-up: imports and schema builds
    best = float("inf")
    results: dict[str, list[dict[str, float | None]]] = {}
    for _ in range(3):
        started = time.perf_counter()
        for name, designs in grid.items():
            results[name] = []
            for scenario, design in zip(scenarios, designs, strict=True):
                scores = score_design(design, scenario)
                row: dict[str, float | None] = {k: (v.value if applies(v) else None) for k, v in scores.items()}
                row["total"] = total(scores)
                results[name].append(row)
        best = min(best, time.perf_counter() - started)
    cells = len(scenarios) * len(grid)
    print(f"{len(scenarios)} scenarios × {len(grid)} contestants = {cells} designs")
    print(f"designing (offline + baseline): {designed:.2f} s")
    print(f"scoring {cells} designs: {best:.2f} s ({best / cells * 1000:.0f} ms per design; target ≤ {TARGET_S:g} s)")
    print()
    print(f"{'criterion':<16}" + "".join(f"{name:>10}" for name in grid))
    for criterion in (*CRITERIA, "total"):
        line = f"{criterion:<16}"
        for name in grid:
            found = [r[criterion] for r in results[name] if r[criterion] is not None]
            line += f"{mean(found):>10.1f}" if found else f"{'n/a':>10}"
        print(line)
    return 0 if best <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
