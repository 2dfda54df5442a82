"""The rows of a stored run, as plain types: the run itself and its cells (one scenario, one contestant, one
epoch: a design or the failure, and the scores)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archassist.evals.base import Scenario, Score

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

RUN_COMPLETE = "complete"
RUN_RUNNING = "running"
RUN_INTERRUPTED = "interrupted"
KIND_RUN = "run"
KIND_RESCORE = "rescore"
CELL_OK = "ok"
CELL_FAILED = "failed"


@dataclass(frozen=True)
class Cell:
    """One contestant's answer to one scenario in one epoch, with its scores by criterion (none when it failed)."""

    scenario_id: str
    contestant: str
    epoch: int
    design: Design | None
    failure: str | None = None
    seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, Score] = field(default_factory=dict)
    scorer_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by criterion
    design_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class RunInfo:
    """A stored run: when, what (scenario ids, epochs), how (parameters), and where its designs came from."""

    id: int
    started: str
    finished: str | None
    status: str
    kind: str
    source_run: int | None
    scenario_ids: tuple[str, ...]
    epochs: int
    version: str
    parameters: Mapping[str, Any]

    @property
    def contestants(self) -> list[str]:
        return [c["name"] for c in self.parameters.get("contestants", [])]

    @property
    def scorers(self) -> list[str]:
        return [s["name"] for s in self.parameters.get("scorers", [])]

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.id,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "kind": self.kind,
            "source_run": self.source_run,
            "scenarios": len(self.scenario_ids),
            "epochs": self.epochs,
            "contestants": self.contestants,
            "version": self.version,
        }


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    data = asdict(scenario)
    data["requirements"] = dict(scenario.requirements)
    data["expected_concepts"] = list(scenario.expected_concepts)
    return data


def scenario_from_data(data: Mapping[str, Any]) -> Scenario:
    return Scenario(
        id=str(data["id"]),
        brief=str(data["brief"]),
        domain=str(data.get("domain", "")),
        difficulty=str(data.get("difficulty", "medium")),
        requirements=dict(data.get("requirements") or {}),
        expected_concepts=tuple(data.get("expected_concepts") or ()),
        event_driven_fits=bool(data.get("event_driven_fits", True)),
    )
