"""The migration plan: phases from the current system to the target design, each verifiable and reversible.

Like the Design, the plan refers to its parts by name (side effects, events, consumers, phases), and a dangling or
out-of-order reference is a plan finding, never a load error, so one check reports every problem at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# How a side effect happens today.
CurrentPath = Literal["sync_call", "in_process", "cron", "dual_write", "shared_table"]
# How the new event path gets its events out of the current system.
Mechanism = Literal["outbox", "cdc", "dual_write", "none"]
ConsumerMode = Literal["shadow", "live"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyncCall(_Part):
    """A synchronous call the current system makes while it handles a request."""

    caller: str
    target: str
    purpose: str = ""


class CurrentSystem(_Part):
    """What runs today, as far as the brief or the current design says."""

    name: str
    kind: Literal["monolith", "services"] = "monolith"
    databases: list[str] = Field(default_factory=list)
    shared_tables: list[str] = Field(default_factory=list, description="Tables more than one module writes.")
    sync_calls: list[SyncCall] = Field(default_factory=list)
    cron_jobs: list[str] = Field(default_factory=list)
    dual_writes: list[str] = Field(default_factory=list, description="Places that write the database and then publish.")
    can_change_code: bool = Field(True, description="False when only the database can be tapped (use CDC).")


class SideEffect(_Part):
    """One thing the current system does as a side effect of a business action, moving to an event consumer."""

    name: str
    description: str = ""
    current_path: CurrentPath = "in_process"
    current_detail: str = ""
    trigger_event: str = Field(description="The event whose consumer takes over this side effect.")
    target_service: str
    consumer: str
    flag: str = Field(description="The feature flag that switches this side effect from the old path to the new.")
    externally_visible: bool = Field(
        False, description="Duplicates reach people or partners (an email, a charge): cut over with deduplication."
    )
    needs_history: bool = Field(False, description="The new consumer needs past facts: backfill or replay.")


class ParityCheck(_Part):
    what: str
    method: str
    tolerance: str = "no difference"


class Verification(_Part):
    kind: Literal["shadow", "dual_run", "canary"] = "shadow"
    side_effects: list[str] = Field(default_factory=list)
    parity_checks: list[ParityCheck] = Field(default_factory=list)
    period: str = Field("7 days", description="How long the comparison runs before anyone decides.")


class Cutover(_Part):
    side_effect: str
    flag: str
    ramp: list[int] = Field(default_factory=lambda: [1, 10, 50, 100], description="Share of traffic, in percent.")
    deduplication: str = ""


class Rollback(_Part):
    trigger: str
    steps: list[str] = Field(default_factory=list)
    reconcile: str = ""


class Phase(_Part):
    id: str
    name: str
    goal: str
    changes: list[str] = Field(default_factory=list)
    mechanism: Mechanism = "none"
    publishes: list[str] = Field(default_factory=list, description="Events first published in this phase.")
    enables: dict[str, ConsumerMode] = Field(
        default_factory=dict, description="Consumers turned on in this phase, and how."
    )
    verification: Verification | None = None
    cutovers: list[Cutover] = Field(default_factory=list)
    backfills: list[str] = Field(default_factory=list, description="Events replayed or backfilled for new consumers.")
    decommissions: list[str] = Field(default_factory=list, description="Side effects whose old path is removed.")
    splits: list[str] = Field(default_factory=list, description="Shared tables whose ownership moves to one service.")
    rollback: Rollback | None = None
    exit_criteria: list[str] = Field(default_factory=list)
    duration: str = ""


class Risk(_Part):
    title: str
    impact: str
    mitigation: str


class MigrationPlan(_Part):
    name: str
    brief: str = ""
    current: CurrentSystem
    target_design: str = Field(description="Name of the target Design.")
    side_effects: list[SideEffect] = Field(default_factory=list)
    phases: list[Phase] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    success_metrics: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    not_modelled: list[str] = Field(default_factory=list)

    def side_effect(self, name: str) -> SideEffect | None:
        return next((s for s in self.side_effects if s.name == name), None)
