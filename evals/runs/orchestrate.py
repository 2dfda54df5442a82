"""Running a championship: every scenario × contestant × epoch, designed, scored and stored.

Contestants that wait on something else (Claude, a command) design in a bounded pool of threads; the planner
and folders design in the calling thread, where threads would only contend for the interpreter. Scoring and
every database write happen in the calling thread as designs arrive, in small transactions, so an interrupted
run keeps what it had (its status says ``interrupted``). With ``batch``, Claude contestants go through the
Message Batches API instead: one batch for all their drafts, one per repair round.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.evals.contestants.common import Generation, generate, runs_in_threads
from archassist.evals.runs.progress import Reporter, SilentReporter
from archassist.evals.runs.records import KIND_RUN, RUN_COMPLETE, RUN_INTERRUPTED, Cell
from archassist.evals.runs.store import RunStore

if TYPE_CHECKING:
    from archassist.agent.memory.store import MemoryStore
    from archassist.evals.base import Contestant, Scenario, Scorer
    from archassist.evals.runs.batches import PollSettings

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
MAX_EPOCHS = 100
# Cells are written in transactions of this many, or sooner when this long has passed since the last write.
FLUSH_CELLS = 50
FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class RunOptions:
    epochs: int = 1
    concurrency: int = DEFAULT_CONCURRENCY
    batch: bool = False
    selection: Mapping[str, Any] = field(default_factory=dict)  # how the scenarios were chosen (glob, folder)
    poll: PollSettings | None = None


def check_options(options: RunOptions) -> None:
    if not 1 <= options.epochs <= MAX_EPOCHS:
        raise InputError(f"--epochs is {options.epochs}; use a number from 1 to {MAX_EPOCHS}")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise InputError(f"--concurrency is {options.concurrency}; use a number from 1 to {MAX_CONCURRENCY}")


def scorer_record(scorer: Scorer) -> dict[str, Any]:
    return {"name": scorer.name, "description": scorer.description, "params": dict(scorer.params)}


def run_parameters(
    contestants: Sequence[Contestant], scorers: Sequence[Scorer], options: RunOptions
) -> dict[str, Any]:
    """Everything a reader needs to know how the run's numbers came about."""
    return {
        "contestants": [{"name": c.name, "params": dict(c.params)} for c in contestants],
        "scorers": [scorer_record(s) for s in scorers],
        "selection": dict(options.selection),
        "epochs": options.epochs,
        "concurrency": options.concurrency,
        "batch": options.batch,
        "total": "mean of the scores that apply, each criterion weighted 1",
        "failures": "a cell without a design scores 0 on every criterion its scenario is graded on",
    }


def score_generation(
    generation: Generation, scenario: Scenario, contestant: str, epoch: int, scorers: Sequence[Scorer]
) -> Cell:
    """A generation scored by every scorer (a failure is not scored: it has no design)."""
    from archassist.evals.scoring import score_design

    scores = score_design(generation.design, scenario, scorers) if generation.design is not None else {}
    return Cell(
        scenario_id=scenario.id,
        contestant=contestant,
        epoch=epoch,
        design=generation.design,
        failure=generation.failure if generation.design is None else None,
        seconds=generation.seconds,
        details=generation.details,
        scores=scores,
        scorer_params={s.name: dict(s.params) for s in scorers} if scores else {},
    )


class _Writer:
    """Buffers cells and writes them in small transactions."""

    def __init__(self, runs: RunStore, run_id: int) -> None:
        self.runs = runs
        self.run_id = run_id
        self.pending: list[Cell] = []
        self.last = time.monotonic()

    def add(self, cell: Cell) -> None:
        self.pending.append(cell)
        if len(self.pending) >= FLUSH_CELLS or time.monotonic() - self.last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.runs.add_cells(self.run_id, self.pending)
            self.pending = []
        self.last = time.monotonic()


Task = tuple["Contestant", "Scenario", int]


def _tasks(contestant: Contestant, scenarios: Sequence[Scenario], epochs: int) -> Iterator[Task]:
    for epoch in range(1, epochs + 1):
        for scenario in scenarios:
            yield contestant, scenario, epoch


def _threaded(tasks: Sequence[Task], concurrency: int) -> Iterator[tuple[Task, Generation]]:
    """Generations as they finish, at most ``concurrency`` at a time; an exception stops new work and propagates
    once the designs already asked for are in."""
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval")
    queue = iter(tasks)
    running: dict[Future[Generation], Task] = {}
    try:
        for task in queue:
            running[pool.submit(generate, task[0], task[1])] = task
            if len(running) >= concurrency:
                break
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                yield task, future.result()
                following = next(queue, None)
                if following is not None:
                    running[pool.submit(generate, following[0], following[1])] = following
    finally:
        for future in running:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def execute(
    memory: MemoryStore,
    scenarios: Sequence[Scenario],
    contestants: Sequence[Contestant],
    scorers: Sequence[Scorer],
    options: RunOptions = RunOptions(),
    *,
    reporter: Reporter | None = None,
) -> int:
    """Run and store a championship; returns the run id. A rejected API key or a bug ends the run (status
    ``interrupted``, the cells so far kept); a contestant's failure on one scenario is that cell's result."""
    check_options(options)
    if not scenarios:
        raise InputError("no scenarios to run; check --scenarios and --scenario-dir")
    if not contestants:
        raise InputError("no contestants; name them with --contestants")
    reporter = reporter or SilentReporter()
    runs = RunStore(memory)
    run_id = runs.create_run(
        scenarios=scenarios,
        epochs=options.epochs,
        parameters=run_parameters(contestants, scorers, options),
        kind=KIND_RUN,
    )
    writer = _Writer(runs, run_id)
    status = RUN_INTERRUPTED
    reporter.start(len(scenarios) * len(contestants) * options.epochs)
    try:
        batched = [c for c in contestants if options.batch and _batchable(c)]
        for contestant in contestants:
            if contestant in batched:
                continue
            tasks = list(_tasks(contestant, scenarios, options.epochs))
            if runs_in_threads(contestant) and options.concurrency > 1:
                finished: Iterator[tuple[Task, Generation]] = _threaded(tasks, options.concurrency)
            else:
                finished = ((task, generate(task[0], task[1])) for task in tasks)
            for (owner, scenario, epoch), generation in finished:
                writer.add(score_generation(generation, scenario, owner.name, epoch, scorers))
                reporter.advance(f"{owner.name} · {scenario.id}")
            writer.flush()
        if batched:
            from archassist.evals.runs.batches import generate_in_batches

            tasks = [t for c in batched for t in _tasks(c, scenarios, options.epochs)]
            generations = generate_in_batches(tasks, poll=options.poll, reporter=reporter)
            for owner, scenario, epoch in tasks:
                generation = generations[(owner.name, scenario.id, epoch)]
                writer.add(score_generation(generation, scenario, owner.name, epoch, scorers))
                reporter.advance(f"{owner.name} · {scenario.id}")
        writer.flush()
        status = RUN_COMPLETE
    finally:
        reporter.close()
        try:
            writer.flush()
        finally:
            runs.finish_run(run_id, status)
    return run_id


def _batchable(contestant: Contestant) -> bool:
    from archassist.evals.contestants.claude import ClaudeContestant

    return isinstance(contestant, ClaudeContestant)
