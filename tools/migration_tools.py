"""The `migration` tool: a phased, reversible plan from synchronous side effects to events."""

from __future__ import annotations

from typing import Literal

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.models import DocumentText, FindingOut, _In, _Out, _Part
from archassist.tools.registration import add_model_tool, read_only
from archassist.tools.results import tool_result
from archassist.tools.state import ServerState
from archassist.tools.workspace import check_size
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field


class MigrationInput(_In):
    brief: str | None = Field(
        None,
        description="What to migrate, in plain words, e.g. \"move the monolith's checkout side effects (confirmation "
        "emails, loyalty points, stock updates) to events\". Needed unless both designs are given.",
    )
    current_path: str | None = Field(
        None, description="The current-state design (with sync_calls, shared databases) as a workspace file."
    )
    current_text: DocumentText = Field(None, description="The current-state design as YAML or JSON text.")
    target_path: str | None = Field(None, description="The target design as a workspace file (default: designed offline).")
    target_text: DocumentText = Field(None, description="The target design as YAML or JSON text.")


class SideEffectOut(_Part):
    name: str
    trigger_event: str
    target_service: str
    consumer: str
    flag: str


class PhaseOut(_Part):
    id: str
    name: str
    mechanism: Literal["outbox", "cdc", "dual_write", "none"]
    cuts_over: list[str]
    rollback_trigger: str | None
    exit_criteria: int


class MigrationOutput(_Out):
    summary: str
    current_system: str
    target_design: str
    side_effects: list[SideEffectOut]
    phases: list[PhaseOut]
    findings: list[FindingOut]
    target_errors: int
    target_warnings: int
    assumptions: list[str]


def register(server: MCPServer, state: ServerState) -> None:
    def load(path: str | None, text: str | None, what: str):  # type: ignore[no-untyped-def]
        from archassist.agent.model.io import loads

        if path and text:
            raise InputError(f"give either {what}_path or {what}_text, not both")
        if text:
            check_size(text, f"the {what} design")
            return loads(text, f"<{what}>").design
        if path:
            resolved, content = state.workspace.read_text(path)
            return loads(content, state.workspace.relative(resolved)).design
        return None

    def plan_sync(args: MigrationInput) -> CallToolResult:
        from archassist.agent.modes.migration import plan_migration
        from archassist.agent.render.migration import render_markdown

        if args.brief:
            check_size(args.brief, "the brief")
        result = plan_migration(
            args.brief,
            current=load(args.current_path, args.current_text, "current"),
            target=load(args.target_path, args.target_text, "target"),
        )
        plan = result.plan
        out = MigrationOutput(
            summary=f"{len(plan.phases)} phases for {len(plan.side_effects)} side effects of {plan.current.name}; "
            f"{len(result.findings)} plan findings",
            current_system=plan.current.name,
            target_design=plan.target_design,
            side_effects=[
                SideEffectOut(
                    name=e.name,
                    trigger_event=e.trigger_event,
                    target_service=e.target_service,
                    consumer=e.consumer,
                    flag=e.flag,
                )
                for e in plan.side_effects
            ],
            phases=[
                PhaseOut(
                    id=p.id,
                    name=p.name,
                    mechanism=p.mechanism,
                    cuts_over=[c.side_effect for c in p.cutovers],
                    rollback_trigger=p.rollback.trigger if p.rollback else None,
                    exit_criteria=len(p.exit_criteria),
                )
                for p in plan.phases
            ],
            findings=[FindingOut.of(f) for f in result.findings],
            target_errors=sum(f.severity == "error" for f in result.target_findings),
            target_warnings=sum(f.severity == "warning" for f in result.target_findings),
            assumptions=plan.assumptions,
        )
        markdown = render_markdown(plan, result.findings, result.target_findings)
        return tool_result(markdown, out)

    async def migration(args: MigrationInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(plan_sync, args)

    add_model_tool(
        server,
        name="migration",
        title="Plan a migration to events",
        description=(
            "Plan the move from synchronous side effects (a monolith's inline emails, points, stock updates, "
            "synchronous calls, cron jobs, shared tables) to durable events, in phases: publish through an outbox or "
            "change data capture, run new consumers in shadow with parity checks, cut over one side effect at a "
            "time behind its own flag, backfill, decommission, split data. Every phase has a rollback and exit "
            "criteria; the plan is checked by the plan rules MIG101–MIG109. Give a brief, or the current and target "
            "designs (text or workspace paths)."
        ),
        input_model=MigrationInput,
        output_model=MigrationOutput,
        handler=migration,
        annotations=read_only(),
    )
