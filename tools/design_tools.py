"""Tools that produce or check designs: `design`, `review` and `check_design`."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.models import (
    CheckDesignInput,
    CheckDesignOutput,
    Counts,
    DesignInput,
    DesignOutput,
    FindingOut,
    PrecedentOut,
    ReviewInput,
    ReviewOutput,
)
from archassist.tools.registration import add_model_tool, additive, read_only
from archassist.tools.results import tool_result
from archassist.tools.state import ServerState, design_link, parts_of
from archassist.tools.workspace import check_size, workspace_config
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult

if TYPE_CHECKING:
    from archassist.agent.model.findings import Finding
    from archassist.agent.modes.review import FileReview, ReviewOptions
    from archassist.agent.planner.compose import Plan

INPUT_NAME = "<input>"
DESIGN_STEPS = 3


def _findings(findings: Sequence[Finding]) -> list[FindingOut]:
    return [FindingOut.of(f) for f in findings]


def _review_text(review: FileReview, warnings: list[str]) -> str:
    from archassist.agent.modes.review import ReviewReport, render_text

    return render_text(ReviewReport(files=[review], fail_on="never", warnings=warnings))


def register(server: MCPServer, state: ServerState) -> None:
    async def design(args: DesignInput, ctx: Context) -> CallToolResult:
        brief = args.brief.strip()
        if not brief:
            raise InputError("the brief is empty; describe the system, e.g. 'ride hailing with payments'")
        check_size(brief, "the brief")
        await ctx.report_progress(0, DESIGN_STEPS, "Recalling precedents")
        precedents = await anyio.to_thread.run_sync(state.precedents, brief) if args.use_precedents else []
        await ctx.report_progress(1, DESIGN_STEPS, "Planning and checking the design")

        def plan_and_check() -> tuple[Plan, list[Finding], str]:
            from archassist.agent.planner.compose import plan
            from archassist.agent.render.formats import render
            from archassist.agent.rules.engine import check

            result = plan(brief, precedents=precedents)
            findings = check(result.design)
            markdown = render(
                result.design,
                "markdown",
                findings=[f.to_dict() for f in findings],
                precedents=[dataclasses.asdict(p) for p in precedents],
            )
            return result, findings, markdown

        planned, findings, markdown = await anyio.to_thread.run_sync(plan_and_check)
        memory_id: int | None = None
        decision_ids: list[str] = []
        if args.remember:
            await ctx.report_progress(2, DESIGN_STEPS, "Recording the design in memory")

            def remember() -> tuple[int, list[str]]:
                from archassist.agent.memory import format_id, get_design, record_design

                with state.memory(readonly=False) as store:
                    stored = record_design(store, planned.design, backend="offline")
                    return stored, [format_id(i) for i in get_design(store, stored).decision_ids]

            memory_id, decision_ids = await anyio.to_thread.run_sync(remember)
            key = str(memory_id)
        else:
            key = state.drafts.add(planned.design.model_dump_json())
        await ctx.report_progress(DESIGN_STEPS, DESIGN_STEPS, "Done")
        found = _findings(findings)
        link = design_link(key, planned.design.name)
        out = DesignOutput(
            name=planned.design.name,
            summary=planned.design.summary,
            parts=parts_of(planned.design),
            design_uri=link.uri,
            findings=found,
            counts=Counts.of(found),
            precedents=[
                PrecedentOut(
                    id=p.id, title=p.title, decision=p.decision, status=p.status,
                    applied=p.id in planned.precedents_applied,
                )
                for p in precedents
            ],
            memory_id=memory_id,
            decision_ids=decision_ids,
        )
        stored = f"Stored in memory as design {memory_id}" if memory_id is not None else "Not stored in memory"
        note = f"\n\n_{stored}; the full Design (JSON) is the resource {link.uri}._\n"
        return tool_result(markdown.rstrip("\n") + note, out, [link])

    def options(select: list[str] | None, ignore: list[str]) -> ReviewOptions:
        from archassist.agent.modes.review import merge_options

        return merge_options(workspace_config(state.workspace.root), select=select, ignore=ignore)

    def review_document(args: ReviewInput | CheckDesignInput) -> tuple[FileReview, list[str]]:
        """Review the document of ``args`` (a workspace file or text), shown by its workspace path or as <input>."""
        from archassist.agent.modes.review import configuration_warnings, review_file

        chosen = options(args.select, args.ignore)
        warnings = configuration_warnings(chosen)
        if args.path is not None:
            resolved = state.workspace.locate(args.path)
            shown = state.workspace.relative(resolved)
            result = review_file(resolved, chosen)
            origin = str(resolved)
        else:
            text = args.text or ""
            check_size(text, "the document")
            if not text.strip():
                raise InputError("the document is empty; give a Design (YAML or JSON) or an AsyncAPI document")
            # The review functions read files; a private temporary file lets text take exactly the same path.
            with tempfile.TemporaryDirectory(prefix="archassist-review-") as folder:
                temp = Path(folder) / "input.yaml"
                temp.write_text(text, encoding="utf-8")
                try:
                    result = review_file(temp, chosen)
                except InputError as exc:
                    raise InputError(str(exc).replace(str(temp), INPUT_NAME)) from None
                origin, shown = str(temp), INPUT_NAME
        for finding in [*result.findings, *result.notes]:
            if finding.file == origin:
                finding.file = shown
            finding.message = finding.message.replace(origin, shown)
        result.path = shown
        return result, warnings

    def review_sync(args: ReviewInput) -> CallToolResult:
        from archassist.agent.modes.review import unsaid_summary

        result, warnings = review_document(args)
        found = _findings(result.findings)
        counts = Counts.of(found)
        out = ReviewOutput(
            source=result.path,
            kind=result.kind,
            design_name=result.design_name,
            summary=f"{counts.line()} in {result.path}",
            counts=counts,
            findings=found,
            unsaid=unsaid_summary(result.notes) if result.kind == "asyncapi" else [],
            suppressed=sum(result.suppressed.values()),
            warnings=warnings,
        )
        return tool_result(_review_text(result, warnings), out)

    async def review(args: ReviewInput, ctx: Context) -> CallToolResult:
        await ctx.report_progress(0, 2, "Reading the document")
        result = await anyio.to_thread.run_sync(review_sync, args)
        await ctx.report_progress(2, 2, "Checked")
        return result

    def check_sync(args: CheckDesignInput) -> CallToolResult:
        result, warnings = review_document(args)
        if result.kind != "design":
            raise InputError(
                f"{result.path}: an AsyncAPI document, not a Design; check it with the review tool instead"
            )
        found = _findings(result.findings)
        counts = Counts.of(found)
        out = CheckDesignOutput(
            source=result.path,
            design_name=result.design_name,
            summary=f"{counts.line()} in design {result.design_name}",
            counts=counts,
            findings=found,
            suppressed=sum(result.suppressed.values()),
            warnings=warnings,
        )
        return tool_result(_review_text(result, warnings), out)

    async def check_design(args: CheckDesignInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(check_sync, args)

    add_model_tool(
        server,
        name="design",
        title="Design an event-driven system",
        description=(
            "Design a complete event-driven architecture from a brief, offline and deterministically: services, "
            "aggregates, commands, events with producer, topic and partition key, sized topics, idempotent "
            "consumers with retries and dead letters, sagas with compensations, read models, observability and "
            "decisions. Accepted precedents recalled from the decision memory shape the design. Returns the "
            "design document in Markdown, a summary with the rules engine's findings, and a link to the full "
            "Design (archassist://designs/{id}); stores the design in memory unless remember is false."
        ),
        input_model=DesignInput,
        output_model=DesignOutput,
        handler=design,
        annotations=additive(),
    )
    add_model_tool(
        server,
        name="review",
        title="Review a design or AsyncAPI document",
        description=(
            "Check a design (YAML or JSON) or an AsyncAPI document against the event-driven rules: missing "
            "idempotency, unbounded retries, dual writes, missing dead letters, weak contracts, partitioning, "
            "sagas, coupling, personal data. Give the document as text, or a path inside the workspace. Returns "
            "findings with severity, JSON pointer, file position and a fix."
        ),
        input_model=ReviewInput,
        output_model=ReviewOutput,
        handler=review,
        annotations=read_only(),
    )
    add_model_tool(
        server,
        name="check_design",
        title="Check a Design object",
        description=(
            "Run the rules engine over a Design, given as YAML or JSON text (for example the design tool's "
            "archassist://designs/{id} resource, edited) or as a path inside the workspace. The Design format "
            "is the archassist://schema/design resource. Returns the findings with severity, JSON pointer and a fix."
        ),
        input_model=CheckDesignInput,
        output_model=CheckDesignOutput,
        handler=check_design,
        annotations=read_only(),
    )
