"""Tools over the decision memory: `recall`, `remember` and `get_design`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.to_thread
from archassist.tools.models import (
    DecisionOut,
    GetDesignInput,
    GetDesignOutput,
    RecallInput,
    RecallOutput,
    RememberInput,
    RememberOutput,
)
from archassist.tools.registration import add_model_tool, additive, read_only
from archassist.tools.results import Link, tool_result
from archassist.tools.state import ServerState, design_link, parts_of
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult

if TYPE_CHECKING:
    from archassist.agent.memory import DecisionRecord


def decision_out(record: DecisionRecord) -> DecisionOut:
    return DecisionOut.of(record.to_json())


def decision_line(item: DecisionOut) -> str:
    text = f"- **{item.id}** ({item.status}) {item.title}"
    if item.decision:
        text += ": " + " ".join(item.decision.split())
    return text


def register(server: MCPServer, state: ServerState) -> None:
    def recall_sync(args: RecallInput) -> CallToolResult:
        from archassist.agent.memory import recall

        with state.memory(readonly=True) as store:
            found = [decision_out(r) for r in recall(store, args.query, limit=args.limit, status=args.status)]
        text = "\n".join(decision_line(d) for d in found) if found else f"No recorded decision matches {args.query!r}."
        out = RecallOutput(query=args.query, count=len(found), decisions=found)
        return tool_result(text + "\n", out, trim=("decisions",))

    async def recall_tool(args: RecallInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(recall_sync, args)

    def remember_sync(args: RememberInput) -> CallToolResult:
        from archassist.agent.memory import add_decision, get_decision, supersede

        fields = args.model_dump(exclude={"supersedes"})
        with state.memory(readonly=False) as store:
            if args.supersedes is not None:
                get_decision(store, args.supersedes)  # refuse an unknown id before recording anything
            record = add_decision(store, **fields)
            old = None
            if args.supersedes is not None:
                old, record = supersede(store, args.supersedes, record.id)
        out = RememberOutput(decision=decision_out(record), superseded=decision_out(old) if old else None)
        text = f"Recorded {record.ref}: {record.title}"
        if old is not None:
            text += f" (supersedes {old.ref})"
        link = Link(uri=out.decision.uri, name=record.ref, title=record.title, mime_type="text/markdown",
                    description="The decision as a MADR record.")
        return tool_result(text + "\n", out, [link])

    async def remember(args: RememberInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(remember_sync, args)

    def get_design_sync(args: GetDesignInput) -> CallToolResult:
        from archassist.agent.memory import format_id, get_design
        from archassist.agent.render.formats import render

        with state.memory(readonly=True) as store:
            record = get_design(store, args.id)
        design = record.design
        link = design_link(str(record.id), record.name)
        out = GetDesignOutput(
            id=record.id,
            name=record.name,
            brief=record.brief,
            backend=record.backend,
            created=record.created,
            decision_ids=[format_id(i) for i in record.decision_ids],
            parts=parts_of(design),
            design_uri=link.uri,
        )
        return tool_result(render(design, "markdown"), out, [link])

    async def get_design_tool(args: GetDesignInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(get_design_sync, args)

    add_model_tool(
        server,
        name="recall",
        title="Recall recorded decisions",
        description=(
            "Search the team's decision memory (architecture decision records) by words, best match first. "
            "Use it before designing to find precedents, and before changing a flow to find why it is so."
        ),
        input_model=RecallInput,
        output_model=RecallOutput,
        handler=recall_tool,
        annotations=read_only(),
    )
    add_model_tool(
        server,
        name="remember",
        title="Record a decision",
        description=(
            "Record an architecture decision in the team's memory: title, context, decision, consequences, "
            "alternatives, status and tags. Accepted decisions become precedents for later designs. Give "
            "supersedes to replace an earlier decision; it is kept and marked superseded, never deleted."
        ),
        input_model=RememberInput,
        output_model=RememberOutput,
        handler=remember,
        annotations=additive(),
    )
    add_model_tool(
        server,
        name="get_design",
        title="Get a stored design",
        description="Fetch a design stored in memory by its id: its Markdown document, its decision ids and a link to the full Design (archassist://designs/{id}).",
        input_model=GetDesignInput,
        output_model=GetDesignOutput,
        handler=get_design_tool,
        annotations=read_only(),
    )
