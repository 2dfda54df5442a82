"""``eval rescore``: today's scorers applied to a stored run's designs, stored as a new run pointing at its
source. Nothing is designed again: the designs (stored once by hash) and the scenarios come from the source run,
failures stay failures, so any change in the numbers is the scorers' alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from archassist.evals.runs.records import KIND_RESCORE, RUN_COMPLETE, RUN_INTERRUPTED, Cell
from archassist.evals.runs.store import RunStore

if TYPE_CHECKING:
    from archassist.agent.memory.store import MemoryStore
    from archassist.evals.base import Scenario, Scorer
    from archassist.evals.runs.progress import Reporter


def rescore_cells(
    cells: Sequence[Cell], scenarios: Mapping[str, Scenario], scorers: Sequence[Scorer]
) -> list[Cell]:
    """The cells with fresh scores (designs, failures and timings as they were)."""
    from archassist.evals.scoring import score_design

    fresh: list[Cell] = []
    for cell in cells:
        scenario = scenarios.get(cell.scenario_id)
        scores = score_design(cell.design, scenario, scorers) if cell.design is not None else {}
        fresh.append(
            Cell(
                scenario_id=cell.scenario_id,
                contestant=cell.contestant,
                epoch=cell.epoch,
                design=cell.design,
                failure=cell.failure,
                seconds=cell.seconds,
                details=cell.details,
                scores=scores,
                scorer_params={s.name: dict(s.params) for s in scorers} if scores else {},
                design_hash=cell.design_hash,
            )
        )
    return fresh


def rescore(
    memory: MemoryStore,
    source_ref: str | int | None,
    *,
    scorers: Sequence[Scorer] | None = None,
    reporter: Reporter | None = None,
) -> int:
    """Score the source run's designs again and store the result as a new run; returns its id."""
    from archassist.evals.runs.orchestrate import scorer_record
    from archassist.evals.runs.progress import SilentReporter
    from archassist.evals.scoring import default_scorers

    reporter = reporter or SilentReporter()
    chosen = list(scorers) if scorers is not None else default_scorers()
    runs = RunStore(memory)
    source = runs.resolve(source_ref)
    scenarios = runs.scenarios(source.id)
    cells = runs.cells(source.id, with_designs=True)
    parameters = {
        **source.parameters,
        "scorers": [scorer_record(s) for s in chosen],
        "rescored_from": source.id,
        "source_version": source.version,
    }
    run_id = runs.create_run(
        scenarios=scenarios,
        epochs=source.epochs,
        parameters=parameters,
        kind=KIND_RESCORE,
        source_run=source.id,
    )
    status = RUN_INTERRUPTED
    reporter.start(len(cells))
    try:
        by_id = {s.id: s for s in scenarios}
        fresh = []
        for cell in rescore_cells(cells, by_id, chosen):
            fresh.append(cell)
            reporter.advance(f"{cell.contestant} · {cell.scenario_id}")
        runs.add_cells(run_id, fresh)
        status = RUN_COMPLETE
    finally:
        reporter.close()
        runs.finish_run(run_id, status)
    return run_id
