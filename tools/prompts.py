"""MCP prompts, one per mode (slash commands in Claude Code), rendered through `render_prompt`."""

from __future__ import annotations

import logging
from typing import Annotated

import anyio.to_thread
from archassist.agent.backends.prompting import MODE_SUMMARIES
from archassist.agent.errors import InputError
from archassist.tools.state import ServerState
from archassist.tools.workspace import check_size
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

log = logging.getLogger("archassist.mcp")

# Only over MCP does the model have these tools at hand; the prompt text itself stays the same everywhere.
TOOLS_NOTE = (
    "The archassist tools are available in this session: `design` drafts a complete design offline, `review` and "
    "`check_design` check a design or AsyncAPI document against the rules, `explain_rule` explains a finding, "
    "`recall` searches the team's recorded decisions and `remember` records a new one. Use them to ground and "
    "check your answer."
)


def register(server: MCPServer, state: ServerState) -> None:
    def render(mode: str, target: str) -> str:
        from archassist.agent.backends.prompting import render_prompt
        from archassist.agent.memory import MemoryStoreError

        check_size(target, f"the {mode} argument")
        text = target
        if mode == "review":
            text = _with_file(state, target)
        try:
            precedents = state.precedents(target)
        except MemoryStoreError as exc:
            log.warning("prompt %s: memory not used: %s", mode, exc)
            precedents = []
        return render_prompt(mode, text, precedents=precedents).text().rstrip("\n") + "\n\n" + TOOLS_NOTE + "\n"

    async def messages(mode: str, target: str) -> list[Message]:
        try:
            text = await anyio.to_thread.run_sync(render, mode, target)
        except InputError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None
        return [UserMessage(text)]

    @server.prompt(name="design", title="Design an event-driven system", description=MODE_SUMMARIES["design"])
    async def design(
        brief: Annotated[str, Field(description="What the system must do: capabilities, volumes, latency, compliance.")],
    ) -> list[Message]:
        return await messages("design", brief)

    @server.prompt(name="review", title="Review an event flow", description=MODE_SUMMARIES["review"])
    async def review(
        target: Annotated[
            str,
            Field(description="The flow to audit: a description, a pasted document, or a file path in the workspace."),
        ],
    ) -> list[Message]:
        return await messages("review", target)

    @server.prompt(name="contract", title="Define an event contract", description=MODE_SUMMARIES["contract"])
    async def contract(
        event: Annotated[str, Field(description="The event to define or evolve, e.g. invoice.paid, with any details.")],
    ) -> list[Message]:
        return await messages("contract", event)

    @server.prompt(name="reliability", title="Make a flow reliable", description=MODE_SUMMARIES["reliability"])
    async def reliability(
        flow: Annotated[str, Field(description="The flow or consumer to harden, e.g. retry strategy for webhook ingestion.")],
    ) -> list[Message]:
        return await messages("reliability", flow)

    @server.prompt(name="migration", title="Plan a migration", description=MODE_SUMMARIES["migration"])
    async def migration(
        change: Annotated[str, Field(description="What to adopt or replace, e.g. move monolith side effects to events.")],
    ) -> list[Message]:
        return await messages("migration", change)


def _with_file(state: ServerState, target: str) -> str:
    """A review target that names a file inside the workspace brings the file's text along."""
    candidate = target.strip()
    if "\n" in candidate or len(candidate) > 1024:
        return target
    try:
        resolved, text = state.workspace.read_text(candidate)
    except InputError:
        return target
    return f"{state.workspace.relative(resolved)}:\n\n{text}"
