"""Sagas as EventCatalog flows: the trigger, each step's command, the service that acts and the events it answers
with, and the compensation path a failure takes back through the completed steps.

A flow step points at one resource (a message or a service) and names the steps after it; a branch is
`next_steps` with a label. The compensations form one chain in reverse step order, and a failing step joins it
at the last completed step that has something to undo, so each compensation appears once. Steps after the pivot
are retried forward (a saga never undoes its point of no return), so they have no failure branch.
"""

from __future__ import annotations

from typing import Any

from archassist.agent.export.base import Artifact
from archassist.agent.export.eventcatalog_index import RESOURCE_VERSION, CatalogIndex
from archassist.agent.export.eventcatalog_text import code, document, page, section, table, text
from archassist.agent.model.design import Saga, SagaStep


class _Steps:
    """The steps of one flow, in order, each with a unique id."""

    def __init__(self, index: CatalogIndex) -> None:
        self.index = index
        self.steps: list[dict[str, Any]] = []
        self._part: dict[str, int] = {}
        self.part = 0  # where new steps show in the list: trigger, the steps, the compensations, the endings

    def _add(self, step: dict[str, Any]) -> None:
        self.steps.append(step)
        self._part[step["id"]] = self.part

    def ordered(self) -> list[dict[str, Any]]:
        return sorted(self.steps, key=lambda s: self._part[s["id"]])

    def message(self, step_id: str, name: str | None, title: str) -> str | None:
        if not name:
            return None
        step: dict[str, Any] = {"id": step_id, "title": title}
        found = self.index.messages.get(name)
        if found is not None:
            step["message"] = {"id": found.id, "version": found.version}
        self._add(step)
        return step_id

    def service(self, step_id: str, name: str, title: str) -> str:
        step: dict[str, Any] = {"id": step_id, "title": title}
        if name in self.index.services:
            step["service"] = {"id": self.index.service_id(name), "version": RESOURCE_VERSION}
        self._add(step)
        return step_id

    def link(self, step_id: str | None, *targets: tuple[str | None, str]) -> None:
        """Point a step at the next ones; one target is `next_step`, several are labelled `next_steps`."""
        kept = [(target, label) for target, label in targets if target]
        if step_id is None or not kept:
            return
        step = next(s for s in self.steps if s["id"] == step_id)
        if len(kept) == 1:
            step["next_step"] = {"id": kept[0][0], "label": kept[0][1]} if kept[0][1] else kept[0][0]
        else:
            step["next_steps"] = [{"id": target, "label": label} for target, label in kept]


def _compensable(step: SagaStep) -> bool:
    return bool(step.compensation_command or step.compensation)


def _saga_steps(index: CatalogIndex, saga: Saga) -> list[dict[str, Any]]:
    flow = _Steps(index)
    trigger = flow.message("trigger", saga.trigger_event, f"{saga.trigger_event} starts the saga")
    flow.part = 3
    done = flow.message("completed", saga.completion_event, f"{saga.completion_event}: the saga completed")
    failed = flow.message("failed", saga.failure_event, f"{saga.failure_event}: the saga failed")
    pivot = -1 if saga.starts_after_pivot else next((n for n, s in enumerate(saga.steps) if s.pivot), None)
    flow.part = 2

    # The compensation chain: undoing a step leads to undoing the completed step before it, the first to the failure.
    undo_entry: dict[int, str] = {}
    undo_exit: dict[int, str] = {}
    for n, step in enumerate(saga.steps):
        if not _compensable(step) or (pivot is not None and n > pivot):
            continue  # past the point of no return nothing is undone
        prefix = f"{n + 1}-{step.name}-undo"
        command = flow.message(f"{prefix}-command", step.compensation_command, f"{step.compensation_command}")
        acting = flow.service(prefix, step.service, step.compensation or f"Undo {step.name}")
        undone = flow.message(f"{prefix}-done", step.compensation_event, f"{step.compensation_event}")
        flow.link(command, (acting, ""))
        flow.link(acting, (undone, ""))
        undo_entry[n], undo_exit[n] = command or acting, undone or acting

    def undo_before(n: int) -> str | None:
        """Where a failure at step n goes: undoing the last completed step that has something to undo."""
        earlier = [m for m in undo_entry if m < n]
        return undo_entry[max(earlier)] if earlier else failed

    for n, undone_step in undo_exit.items():
        flow.link(undone_step, (undo_before(n), ""))

    flow.part = 1
    entries: list[str] = []
    exits: list[str | None] = []
    for n, step in enumerate(saga.steps):
        prefix = f"{n + 1}-{step.name}"
        command = flow.message(f"{prefix}-command", step.command, f"{step.command}")
        acting = flow.service(prefix, step.service, step.action or step.name)
        flow.link(command, (acting, ""))
        succeeded = flow.message(f"{prefix}-succeeded", step.success_event, f"{step.success_event}")
        beyond_pivot = pivot is not None and n > pivot
        failed_here = None if beyond_pivot else flow.message(
            f"{prefix}-failed", step.failure_event, f"{step.failure_event}"
        )
        timeout = f" or times out after {step.timeout_s:g} s" if step.timeout_s else ""
        flow.link(acting, (succeeded, "succeeds"), (failed_here, f"fails{timeout}"))
        flow.link(failed_here, (undo_before(n), "compensate" if undo_before(n) != failed else ""))
        entries.append(command or acting)
        exits.append(succeeded or acting)
    flow.link(trigger, ((entries[0] if entries else done), ""))
    for n, exit_step in enumerate(exits):
        flow.link(exit_step, ((entries[n + 1] if n + 1 < len(entries) else done), ""))
    return flow.ordered()


def _flow_page(saga: Saga) -> str:
    rows = []
    for n, step in enumerate(saga.steps, start=1):
        rows.append(
            [
                str(n),
                code(step.name),
                code(step.service),
                text(step.action),
                code(step.command) if step.command else "",
                code(step.success_event) if step.success_event else "",
                code(step.failure_event) if step.failure_event else "",
                text(step.compensation or "") + (f" ({code(step.compensation_command)})" if step.compensation_command
                                                 else ""),
                f"{step.timeout_s:g} s" if step.timeout_s else "",
                ("pivot" if step.pivot else "") + ("" if step.retriable else " not retriable"),
            ]
        )
    headers = ["#", "Step", "Service", "Action", "Command", "On success", "On failure", "Compensation", "Timeout", ""]
    facts = [
        f"Coordination: {saga.coordination}" + (f", run by {code(saga.orchestrator)}" if saga.orchestrator else ""),
        f"State kept in {code(saga.state_store)}" if saga.state_store else "",
        f"Times out after {saga.timeout_s:g} s" if saga.timeout_s else "",
        "The trigger is the point of no return: every step is retried forward." if saga.starts_after_pivot else "",
    ]
    outcomes = [
        f"{code(o.name)}" + (f" ({code(o.event)})" if o.event else "") + (f": {text(o.description)}" if o.description
                                                                          else "")
        for o in saga.outcomes
    ]
    return page(
        section("Overview", ". ".join(f for f in facts if f) + "." if any(facts) else ""),
        section("Steps", table(headers, rows) if rows else ""),
        section("Other endings", "\n".join(f"- {o}" for o in outcomes) if outcomes else ""),
        section("Flow", "<NodeGraph />" if saga.steps else ""),
    )


def saga_flows(index: CatalogIndex) -> list[Artifact]:
    """One flow per saga, in the domain of the service that runs it."""
    out = []
    for saga in index.design.sagas:
        runner = saga.orchestrator if saga.orchestrator in index.services else None
        owners_from = [runner] if runner else [s.service for s in saga.steps]
        front: dict[str, Any] = {
            "id": index.flow_id(saga.name),
            "name": saga.name,
            "version": RESOURCE_VERSION,
            "summary": (
                f"The {saga.name} saga"
                + (f", started by {saga.trigger_event}" if saga.trigger_event else "")
                + f": {len(saga.steps)} step{'s' if len(saga.steps) != 1 else ''}"
                + (f", run by {runner}." if runner else ", choreographed by its services.")
            ),
            "owners": index.owners_of(owners_from, f"flow {saga.name}"),
            "steps": _saga_steps(index, saga),
        }
        context = index.domain_of(runner)
        own = f"flows/{index.flow_id(saga.name)}"
        folder = f"domains/{index.domain_id(context)}/{own}" if context else own
        out.append(Artifact(f"{folder}/index.mdx", document(front, _flow_page(saga)), f"flow of the saga {saga.name}"))
    return out
