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
from archassist.tools.state import ServerState
from archassist.tools.workspace import check_size
from mcp.server.mcpserver import Context, MCPServer

if TYPE_CHECKING:
    from archassist.agent.model.findings import Finding
    from archassist.agent.modes.design import DesignModeOutcome
    from archassist.agent.modes.review import FileReview, ReviewOptions

INPUT_NAME = "<input>"
DESIGN_STEPS = 3


def _findings(findings: Sequence[Finding]) -> list[FindingOut]:
    return [FindingOut.of(f) for f in findings]


def _review_text(review: FileReview, warnings: list[str]) -> str:
    from archassist.agent.modes.review import ReviewReport, render_text

    return render_text(ReviewReport(files=[review], fail_on="never", warnings=warnings))


def register(server: MCPServer, state: ServerState) -> None:
    async def design(args: DesignInput, ctx: Context) -> tuple[DesignOutput, str]:
        brief = args.brief.strip()
        if not brief:
            raise InputError("the brief is empty; describe the system, e.g. 'ride hailing with payments'")
        check_size(brief, "the brief")
        await ctx.report_progress(0, DESIGN_STEPS, "Recalling precedents")
        precedents = await anyio.to_thread.run_sync(state.precedents, brief) if args.use_precedents else []
        await ctx.report_progress(1, DESIGN_STEPS, "Planning and checking the design")

        def plan_and_check() -> tuple[DesignModeOutcome, list[Finding], str]:
            from archassist.agent.modes.design import BackendOptions, design_brief
            from archassist.agent.render.formats import render
            from archassist.agent.rules.engine import check

            # The host model is the LLM here: the tool hands it the offline planner's draft.
            result = design_brief(brief, precedents=precedents, options=BackendOptions(backend="offline"))
            assert result.design is not None
            findings = check(result.design)
            markdown = render(
                result.design,
                "markdown",
                findings=[f.to_dict() for f in findings],
                precedents=[dataclasses.asdict(p) for p in precedents],
            )
            return result, findings, markdown

        planned, findings, markdown = await anyio.to_thread.run_sync(plan_and_check)
        design = planned.design
        assert design is not None
        memory_id: int | None = None
        decision_ids: list[str] = []
        if args.remember:
            await ctx.report_progress(2, DESIGN_STEPS, "Recording the design in memory")

            def remember() -> tuple[int, list[str]]:
                from archassist.agent.memory import format_id, get_design, record_design

                with state.memory(readonly=False) as store:
                    stored = record_design(store, design, backend=planned.backend)
                    return stored, [format_id(i) for i in get_design(store, stored).decision_ids]

            memory_id, decision_ids = await anyio.to_thread.run_sync(remember)
        await ctx.report_progress(DESIGN_STEPS, DESIGN_STEPS, "Done")
        found = _findings(findings)
        out = DesignOutput(
            name=design.name,
            summary=design.summary,
            design=design.model_dump(mode="json"),
            designed_by=planned.designed_by or "",
            markdown=markdown,
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
        note = "".join(f"\n\n_Notice: {line}_" for line in planned.backend_notices)
        note += f"\n\n_Stored in memory as design {memory_id}._\n" if memory_id is not None else ""
        return out, markdown.rstrip("\n") + note

    def options(select: list[str] | None, ignore: list[str]) -> ReviewOptions:
        from archassist.agent.modes.review import ReviewConfig, load_config, merge_options

        config = load_config(state.workspace.root)
        if config.path is not None and not config.path.resolve().is_relative_to(state.workspace.root):
            config = ReviewConfig()  # a configuration above the workspace is not the workspace's to apply
        return merge_options(config, select=select, ignore=ignore)

    def review_sync(args: ReviewInput) -> tuple[ReviewOutput, str]:
        from archassist.agent.modes.review import configuration_warnings, review_file, unsaid_summary

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
        found = _findings(result.findings)
        counts = Counts.of(found)
        out = ReviewOutput(
            source=shown,
            kind=result.kind,
            design_name=result.design_name,
            summary=f"{counts.line()} in {shown}",
            counts=counts,
            findings=found,
            unsaid=unsaid_summary(result.notes) if result.kind == "asyncapi" else [],
            suppressed=sum(result.suppressed.values()),
            warnings=warnings,
        )
        return out, _review_text(result, warnings)

    async def review(args: ReviewInput, ctx: Context) -> tuple[ReviewOutput, str]:
        await ctx.report_progress(0, 2, "Reading the document")
        result = await anyio.to_thread.run_sync(review_sync, args)
        await ctx.report_progress(2, 2, "Checked")
        return result

    def check_sync(args: CheckDesignInput) -> tuple[CheckDesignOutput, str]:
        from archassist.agent.modes.review import FileReview, configuration_warnings
        from archassist.agent.rules.engine import run

        chosen = options(args.select, args.ignore)
        warnings = configuration_warnings(chosen)
        result = run(args.design, select=chosen.select, ignore=chosen.ignore, severity_overrides=chosen.severity)
        found = _findings(result.findings)
        counts = Counts.of(found)
        out = CheckDesignOutput(
            design_name=args.design.name,
            summary=f"{counts.line()} in design {args.design.name}",
            counts=counts,
            findings=found,
            suppressed=result.suppressed_total,
            warnings=warnings,
        )
        review = FileReview(
            path="<design>", kind="design", design_name=args.design.name, findings=result.findings,
            suppressed=result.suppressed, unused_suppressions=result.unused_suppressions,
        )
        return out, _review_text(review, warnings)

    async def check_design(args: CheckDesignInput, ctx: Context) -> tuple[CheckDesignOutput, str]:
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
            "Design, its Markdown document and the rules engine's findings; stores the design in memory unless "
            "remember is false."
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
            "Run the rules engine over a Design given as an object (for example one returned by the design tool "
            "and then edited). Returns the findings with severity, JSON pointer and a fix."
        ),
        input_model=CheckDesignInput,
        output_model=CheckDesignOutput,
        handler=check_design,
        annotations=read_only(),
    )
