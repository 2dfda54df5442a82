"""The `reliability` tool: a retry, dead-letter, idempotency and recovery plan with the capacity figures.

The text content is the plan in Markdown (with the backlog chart); the structured content is compact: the
summary, the capacity rows, the findings and the assumptions, never the whole Design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.models import Counts, DocumentText, FindingOut, _In, _Part
from archassist.tools.registration import add_model_tool, read_only
from archassist.tools.state import ServerState
from archassist.tools.workspace import check_size
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, model_validator

if TYPE_CHECKING:
    from archassist.agent.modes.reliability import ReliabilityResult

MAX_ROWS = 60  # keeps structuredContent well under 20,000 characters on large designs


class ReliabilityInput(_In):
    path: str | None = Field(
        None, description="A design file (YAML or JSON) inside the workspace, relative to its root."
    )
    text: DocumentText = Field(None, description="A Design as YAML or JSON text.")
    brief: str | None = Field(
        None,
        description="A brief to design offline first, or a request about one flow, e.g. "
        "'retry strategy for webhook ingestion'.",
    )
    outage: str = Field("15m", description="Consumer outage to plan for, e.g. 15m, 30s, 2h, 1h30m.")
    error_rate: float = Field(0.01, ge=0, lt=1, description="Share of attempts that fail transiently (0.01 = 1 %).")
    poison_rate: float = Field(
        0.0001, ge=0, lt=1, description="Share of messages that fail every attempt (0.0001 = 0.01 %)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ReliabilityInput:
        given = [name for name in ("path", "text", "brief") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'path' (a design file), 'text' (a design) or 'brief'")
        return self


class CapacityOut(_Part):
    topic: str
    group: str
    peak_eps: float | None
    partitions: int
    consumers: int
    processing_time_ms: float
    capacity_eps: float
    utilisation: float | None
    keeps_up: bool | None
    partitions_needed: int | None
    backlog_after_outage: float | None
    drain_seconds: float | None = Field(description="Null when the group never drains or the rate is unknown.")


class ReliabilityOutput(_Part):
    title: str
    kind: Literal["design", "brief", "flow"]
    design_name: str
    summary: str
    outage_s: float
    error_rate: float
    poison_rate: float
    falling_behind: int
    outside_retention: int
    capacity: list[CapacityOut]
    capacity_rows: int = Field(description="Rows in the full table; at most 60 are listed in capacity.")
    counts: Counts
    findings: list[FindingOut]
    assumptions: list[str]


def _output(result: ReliabilityResult) -> ReliabilityOutput:
    summary = result.summary()
    what = result.analysis.what_if
    rows = result.analysis.capacity
    found = [FindingOut.of(f) for f in result.findings]
    counts = Counts.of(found)
    from archassist.agent.capacity.analysis import format_duration

    return ReliabilityOutput(
        title=result.title,
        kind=result.kind,
        design_name=result.design.name,
        summary=(
            f"{summary['falling_behind']} of {len(rows)} topic/group pairs fall behind at peak; "
            f"{counts.line()} in the reliability and capacity rules; a {format_duration(what.outage_s)} outage"
        ),
        outage_s=what.outage_s,
        error_rate=what.error_rate,
        poison_rate=what.poison_rate,
        falling_behind=summary["falling_behind"],
        outside_retention=summary["outside_retention"],
        capacity=[
            CapacityOut(
                topic=r.topic,
                group=r.group,
                peak_eps=r.peak_eps,
                partitions=r.partitions,
                consumers=r.consumers,
                processing_time_ms=r.processing_time_ms,
                capacity_eps=r.capacity_eps,
                utilisation=r.utilisation,
                keeps_up=r.keeps_up,
                partitions_needed=r.partitions_needed,
                backlog_after_outage=r.backlog_after_outage,
                drain_seconds=r.drain_seconds,
            )
            for r in rows[:MAX_ROWS]
        ],
        capacity_rows=len(rows),
        counts=counts,
        findings=found[:MAX_ROWS],
        assumptions=[*result.assumptions, *result.analysis.assumptions],
    )


def register(server: MCPServer, state: ServerState) -> None:
    def plan_sync(args: ReliabilityInput) -> tuple[ReliabilityOutput, str]:
        from archassist.agent.capacity.analysis import WhatIf
        from archassist.agent.modes.reliability import parse_duration, plan_for, run_reliability
        from archassist.agent.modes.reliability_render import render_markdown

        what_if = WhatIf(
            outage_s=parse_duration(args.outage, "outage"),
            error_rate=args.error_rate,
            poison_rate=args.poison_rate,
        )
        if args.path is not None or args.text is not None:
            design, shown = state.workspace.design(args.path, args.text)
            result = plan_for(design, what_if, target=shown)
        else:
            brief = (args.brief or "").strip()
            if not brief:
                raise InputError("the brief is empty; describe the system or the flow to plan for")
            check_size(brief, "the brief")
            result = run_reliability(brief, what_if)
        return _output(result), render_markdown(result)

    async def reliability(args: ReliabilityInput, ctx: Context) -> tuple[ReliabilityOutput, str]:
        return await anyio.to_thread.run_sync(plan_sync, args)

    add_model_tool(
        server,
        name="reliability",
        title="Plan retries, dead letters and recovery",
        description=(
            "A reliability plan for a design (a workspace file or YAML/JSON text) or a brief (designed offline "
            "first): per consumer the delivery guarantee, idempotency key and store, retry schedule, retry "
            "topics or in place, dead-letter topic and redrive, ordering and poison messages; per flow replay, "
            "outbox relay failure, broker outage and backpressure; then the capacity table (does each group "
            "keep up at peak, how long an outage takes to drain) under the outage and error rates given."
        ),
        input_model=ReliabilityInput,
        output_model=ReliabilityOutput,
        handler=reliability,
        annotations=read_only(),
    )
