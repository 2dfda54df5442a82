"""Eval runs in the memory database (tables from migration ``m005_eval_runs``), through sqlite-utils.

A run row holds every parameter (contestants and scorers with theirs, the scenario selection, epochs, the
archassist version); the scenarios are stored as they were run, so a rescore needs no scenario files; each
design is stored once by the SHA-256 of its JSON and each score with its reasons and its scorer's parameters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.agent.memory.records import now_iso
from archassist.evals.base import Scenario, Score
from archassist.evals.runs.records import (
    CELL_FAILED,
    CELL_OK,
    RUN_RUNNING,
    Cell,
    RunInfo,
    scenario_from_data,
    scenario_to_data,
)

if TYPE_CHECKING:
    from archassist.agent.memory.store import MemoryStore
    from archassist.agent.model.design import Design

LATEST = "latest"


def encode(data: Any) -> str:
    """Parameters and reasons as stable JSON: sorted keys, so equal parameters are equal text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def design_json(design: Design) -> str:
    return design.model_dump_json()


def design_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_run_ref(ref: str | int | None) -> int | None:
    """A run reference: a run id, or None for the latest run (``latest`` or nothing)."""
    if ref is None or isinstance(ref, int):
        return ref
    text = ref.strip().lstrip("#")
    if text in ("", LATEST):
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"run {ref!r} is not a run id; give a number from `archassist eval runs`, or latest")
    return int(text)


class RunStore:
    """Reads and writes eval runs in an open memory store (writes need a writable one)."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    # writing --------------------------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        scenarios: Sequence[Scenario],
        epochs: int,
        parameters: Mapping[str, Any],
        kind: str,
        source_run: int | None = None,
    ) -> int:
        from archassist.agent.__about__ import __version__

        with self.store.transaction():
            table = self.store.db.table("eval_runs")
            table.insert(
                {
                    "started": now_iso(),
                    "finished": None,
                    "status": RUN_RUNNING,
                    "kind": kind,
                    "source_run": source_run,
                    "scenario_set": encode([s.id for s in scenarios]),
                    "epochs": epochs,
                    "version": __version__,
                    "parameters": encode(parameters),
                }
            )
            run_id = int(table.last_pk)  # type: ignore[arg-type]
            self.store.db.table("eval_run_scenarios").insert_all(
                {
                    "run_id": run_id,
                    "scenario_id": s.id,
                    "position": position,
                    "scenario_json": encode(scenario_to_data(s)),
                }
                for position, s in enumerate(scenarios)
            )
        return run_id

    def add_cells(self, run_id: int, cells: Iterable[Cell]) -> None:
        """Store cells (designs by hash, failures, scores) in one transaction."""
        blobs: dict[str, str] = {}
        design_rows: list[dict[str, Any]] = []
        score_rows: list[dict[str, Any]] = []
        for cell in cells:
            digest = cell.design_hash
            if cell.design is not None:
                text = design_json(cell.design)
                digest = digest or design_hash(text)
                blobs.setdefault(digest, text)
            key = {
                "run_id": run_id,
                "scenario_id": cell.scenario_id,
                "contestant": cell.contestant,
                "epoch": cell.epoch,
            }
            design_rows.append(
                {
                    **key,
                    "status": CELL_OK if cell.ok else CELL_FAILED,
                    "design_hash": digest if cell.ok else None,
                    "failure": cell.failure,
                    "seconds": float(cell.seconds),
                    "details": encode(dict(cell.details)),
                }
            )
            for criterion, score in cell.scores.items():
                score_rows.append(
                    {
                        **key,
                        "criterion": criterion,
                        "value": float(score.value),
                        "reasons": encode(list(score.reasons)),
                        "details": encode(dict(score.details)),
                        "scorer_params": encode(dict(cell.scorer_params.get(criterion, {}))),
                    }
                )
        with self.store.transaction():
            db = self.store.db
            db.table("eval_design_blobs").insert_all(
                ({"hash": h, "design_json": t} for h, t in blobs.items()), ignore=True
            )
            db.table("eval_designs").insert_all(design_rows)
            db.table("eval_scores").insert_all(score_rows)

    def finish_run(self, run_id: int, status: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE eval_runs SET status = ?, finished = ? WHERE id = ?", (status, now_iso(), run_id)
            )

    # reading --------------------------------------------------------------------------------------------------

    def runs(self) -> list[RunInfo]:
        return [_run_info(row) for row in self.store.query("SELECT * FROM eval_runs ORDER BY id DESC")]

    def resolve(self, ref: str | int | None) -> RunInfo:
        """The run a reference names; the latest when it names none. One line when there is no such run."""
        run_id = parse_run_ref(ref)
        if run_id is None:
            rows = self.store.query("SELECT * FROM eval_runs ORDER BY id DESC LIMIT 1")
            if not rows:
                raise InputError(
                    f"{self.store.path}: no eval runs stored yet; start one with `archassist eval run`"
                )
            return _run_info(rows[0])
        rows = self.store.query("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
        if not rows:
            latest = self.store.query("SELECT max(id) FROM eval_runs")
            last = latest[0][0] if latest else None
            hint = f"the runs stored are 1 to {last}" if last else "no runs are stored yet"
            raise InputError(
                f"{self.store.path}: no eval run {run_id}; {hint} (archassist eval runs lists them)"
            )
        return _run_info(rows[0])

    def scenarios(self, run_id: int) -> list[Scenario]:
        rows = self.store.query(
            "SELECT scenario_json FROM eval_run_scenarios WHERE run_id = ? ORDER BY position", (run_id,)
        )
        return [scenario_from_data(json.loads(row[0])) for row in rows]

    def cells(self, run_id: int, *, with_designs: bool = False) -> list[Cell]:
        """Every cell of a run in scenario, contestant, epoch order; designs parsed only when asked for."""
        from archassist.agent.model.design import Design

        scores: dict[tuple[str, str, int], dict[str, Score]] = {}
        params: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
        for row in self.store.query(
            "SELECT scenario_id, contestant, epoch, criterion, value, reasons, details, scorer_params "
            "FROM eval_scores WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        ):
            key = (row[0], row[1], int(row[2]))
            scores.setdefault(key, {})[row[3]] = Score(
                criterion=row[3],
                value=float(row[4]),
                reasons=tuple(json.loads(row[5])),
                details=json.loads(row[6]),
            )
            params.setdefault(key, {})[row[3]] = json.loads(row[7])
        blob_column = "b.design_json" if with_designs else "NULL"
        cells: list[Cell] = []
        for row in self.store.query(
            f"SELECT d.scenario_id, d.contestant, d.epoch, d.status, d.design_hash, d.failure, d.seconds, "
            f"d.details, {blob_column} FROM eval_designs d "
            "LEFT JOIN eval_design_blobs b ON b.hash = d.design_hash "
            "LEFT JOIN eval_run_scenarios s ON s.run_id = d.run_id AND s.scenario_id = d.scenario_id "
            "WHERE d.run_id = ? ORDER BY s.position, d.rowid",
            (run_id,),
        ):
            key = (row[0], row[1], int(row[2]))
            design = Design.model_validate_json(row[8]) if row[8] is not None else None
            cells.append(
                Cell(
                    scenario_id=row[0],
                    contestant=row[1],
                    epoch=int(row[2]),
                    design=design,
                    failure=row[5] if row[3] == CELL_FAILED else None,
                    seconds=float(row[6]),
                    details=json.loads(row[7]),
                    scores=scores.get(key, {}),
                    scorer_params=params.get(key, {}),
                    design_hash=row[4],
                )
            )
        return cells


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=int(row["id"]),
        started=row["started"],
        finished=row["finished"],
        status=row["status"],
        kind=row["kind"],
        source_run=row["source_run"],
        scenario_ids=tuple(json.loads(row["scenario_set"])),
        epochs=int(row["epochs"]),
        version=row["version"],
        parameters=json.loads(row["parameters"]),
    )
