"""The `score_design` tool: a design's scores on the eval criteria, so the host model can grade its own design."""

from __future__ import annotations

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.models import DesignSourceInput, _Out
from archassist.tools.registration import add_model_tool, read_only
from archassist.tools.results import fit, tool_result
from archassist.tools.state import ServerState
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

REASONS_KEPT = 4  # per criterion in the structured result; the text has them all


class ScoreDesignInput(DesignSourceInput):
    scenario: str | None = Field(
        None,
        description="A shipped scenario id (e.g. card-authorisation) whose brief, requirements and expected concepts "
        "the design is held to. Without it domain coverage does not apply.",
    )


class ScoreDesignOutput(_Out):
    design: str
    scenario: str | None = Field(description="The scenario id the design was held to, or null.")
    scores: dict[str, float | None] = Field(
        description="Criterion → 0-100 (higher is better); null where the criterion does not apply."
    )
    total: float = Field(description="Mean of the criteria that apply.")
    reasons: dict[str, list[str]] = Field(description="The first reasons per criterion; the text has them all.")


def _score(args: ScoreDesignInput, state: ServerState) -> CallToolResult:
    from archassist.evals.scenario import find_scenario
    from archassist.evals.scoring import score_design
    from archassist.evals.summary import render_markdown, summary_data

    if args.scenario is not None and ("/" in args.scenario or "\\" in args.scenario or "." in args.scenario):
        raise InputError(f"scenario '{args.scenario}' must be a scenario id such as card-authorisation, not a path")
    scenario = find_scenario(args.scenario) if args.scenario is not None else None
    design, _ = state.workspace.design(args.path, args.text)
    scores = score_design(design, scenario)
    full = summary_data(scores, design=design.name, scenario=scenario)
    compact = summary_data(scores, design=design.name, scenario=scenario, reasons_per_criterion=REASONS_KEPT)
    out = ScoreDesignOutput.model_validate(fit(compact, trim=()))
    return tool_result(render_markdown(full), out.model_dump())


def register(server: MCPServer, state: ServerState) -> None:
    async def handler(args: ScoreDesignInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(_score, args, state)

    add_model_tool(
        server,
        name="score_design",
        title="Score a design on the eval criteria",
        description=(
            "Score a Design (YAML/JSON text or a workspace file) 0-100 on scalability, coupling, idempotency, "
            "resilience, evolvability, observability, domain coverage and rule cleanliness, with the reasons behind "
            "each score, optionally against a shipped eval scenario (its stated peak, requirements and expected "
            "concepts). Use it to find the weakest criterion of a design and improve it."
        ),
        input_model=ScoreDesignInput,
        output_model=ScoreDesignOutput,
        handler=handler,
        annotations=read_only(),
    )
