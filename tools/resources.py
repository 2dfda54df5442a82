"""Resources: the rule catalog, the Design schema, the knowledge catalog and recorded decisions."""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.state import DESIGN_URI, DRAFT_LIMIT, DRAFT_PREFIX, ServerState
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

JSON = "application/json"
MARKDOWN = "text/markdown"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _unknown(kind: str, name: str, known: list[str]) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"unknown {kind} {name!r}; known: {', '.join(known)}")


def register(server: MCPServer, state: ServerState) -> None:
    @server.resource(
        "archassist://rules",
        name="rules",
        title="Rule catalog",
        description="Every rule a design is checked against: code, name, group, severity and summary.",
        mime_type=JSON,
    )
    def rules() -> str:
        from archassist.tools.rule_tools import rule_rows

        return _json([row.model_dump() for row in rule_rows()])

    @server.resource(
        "archassist://rules/{code}",
        name="rule",
        title="One rule",
        description="A rule's documentation in Markdown: why it matters, the anti-pattern, the fix. E.g. EDA401.",
        mime_type=MARKDOWN,
    )
    def rule(code: str) -> str:
        from archassist.tools.rule_tools import explain

        try:
            return explain(code).markdown
        except InputError as exc:
            raise ResourceNotFoundError(str(exc)) from None

    @server.resource(
        "archassist://schema/design",
        name="design-schema",
        title="Design JSON Schema",
        description="The JSON Schema of the Design file format that review and check_design accept.",
        mime_type="application/schema+json",
    )
    def design_schema() -> str:
        from archassist.agent.model.design import design_json_schema

        return _json(design_json_schema())

    @server.resource(
        "archassist://knowledge/patterns",
        name="patterns",
        title="Pattern catalog",
        description="The event-driven patterns the assistant knows: name, title and summary.",
        mime_type=JSON,
    )
    def patterns() -> str:
        from archassist.agent.planner.knowledge import patterns as catalog

        return _json([{"name": p.name, "title": p.title, "summary": p.summary} for p in catalog().values()])

    @server.resource(
        "archassist://knowledge/patterns/{name}",
        name="pattern",
        title="One pattern",
        description="A pattern of the catalog: when to use it, when not, trade-offs and what a reviewer checks.",
        mime_type=JSON,
    )
    def pattern(name: str) -> str:
        from archassist.agent.planner.knowledge import patterns as catalog

        found = catalog().get(name)
        if found is None:
            raise _unknown("pattern", name, list(catalog()))
        return _json(found.model_dump(mode="json"))

    @server.resource(
        "archassist://knowledge/domains",
        name="domains",
        title="Business domain catalog",
        description="The business domains the planner recognises: name, title and description.",
        mime_type=JSON,
    )
    def domains() -> str:
        from archassist.agent.planner.knowledge import domains as catalog

        return _json([{"name": d.name, "title": d.title, "description": d.description} for d in catalog().values()])

    @server.resource(
        "archassist://knowledge/domains/{name}",
        name="domain",
        title="One business domain",
        description="A business domain of the catalog: aggregates, commands, events, read models, saga role.",
        mime_type=JSON,
    )
    def domain(name: str) -> str:
        from archassist.agent.planner.knowledge import domains as catalog

        found = catalog().get(name)
        if found is None:
            raise _unknown("domain", name, list(catalog()))
        return _json(found.model_dump(mode="json"))

    def design_sync(id: str) -> str:
        from archassist.agent.memory import get_design

        if id.startswith(DRAFT_PREFIX):
            draft = state.drafts.get(id)
            if draft is None:
                raise ResourceNotFoundError(
                    f"no draft design {id!r} in this session; drafts are kept for the {DRAFT_LIMIT} most recent "
                    "designs made with remember: false"
                )
            return _json(json.loads(draft))
        with state.memory(readonly=True) as store:
            return _json(get_design(store, id).design.model_dump(mode="json"))

    @server.resource(
        DESIGN_URI,
        name="design",
        title="A design",
        description="A full Design as JSON, by memory id (as returned by the design tool) or draft key.",
        mime_type=JSON,
    )
    async def design(id: str) -> str:
        try:
            return await anyio.to_thread.run_sync(design_sync, id)
        except InputError as exc:
            raise ResourceNotFoundError(str(exc)) from None

    def decision_sync(id: str) -> str:
        from archassist.agent.memory import get_decision
        from archassist.agent.memory.adr import render_madr

        with state.memory(readonly=True) as store:
            return render_madr(get_decision(store, id))

    @server.resource(
        "archassist://decisions/{id}",
        name="decision",
        title="A recorded decision",
        description="A decision from the memory as a MADR Markdown record, by id (ADR-0007 or 7).",
        mime_type=MARKDOWN,
    )
    async def decision(id: str) -> str:
        try:
            return await anyio.to_thread.run_sync(decision_sync, id)
        except InputError as exc:
            raise ResourceNotFoundError(str(exc)) from None
