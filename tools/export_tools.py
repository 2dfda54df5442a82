"""The `export` tool: the artifacts of one kind for a design, written into the workspace or returned inline."""

from __future__ import annotations

import json
from typing import Literal

import anyio.to_thread
from archassist.tools.models import DesignSourceInput, _Out, _Part
from archassist.tools.registration import add_model_tool, writes_files
from archassist.tools.results import MAX_STRUCTURED_CHARS, structured_size, tool_result
from archassist.tools.state import ServerState
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

MAX_INLINE_CHARS = 15_000  # what fits in the structured result beside the file list
Kind = Literal["asyncapi", "avro", "jsonschema", "kafka", "sql", "eventcatalog"]


class ExportInput(DesignSourceInput):
    kind: Kind = Field(description="What to export.")
    output_dir: str | None = Field(
        None,
        description="A folder inside the workspace, relative to its root, to write the files into (created when "
        "missing). Without it the files are returned in the result and nothing is written.",
    )
    system: bool = Field(False, description="asyncapi: one document for the whole system instead of one per service.")
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Settings of the kind; kafka: cluster (the strimzi.io/cluster label, default my-cluster), "
        "namespace, strimzi_api (v1 or v1beta2).",
    )


class FileOut(_Part):
    path: str = Field(description="Relative to the output folder.")
    bytes: int
    description: str
    content: str | None = Field(None, description="The file's text, when returned inline and small enough.")


class ExportOutput(_Out):
    kind: str
    design_name: str
    written_to: str | None = Field(description="The workspace folder the files were written to, or null.")
    file_count: int
    files: list[FileOut]


def _export(args: ExportInput, state: ServerState) -> CallToolResult:
    from archassist.agent.export.base import ExportOptions, export

    design, _ = state.workspace.design(args.path, args.text)
    artifacts = export(design, args.kind, ExportOptions(system=args.system, extra=dict(args.options)))
    written_to = None
    if args.output_dir is not None:
        from archassist.agent.export.write import write_artifacts

        folder = state.workspace.folder(args.output_dir)
        write_artifacts(artifacts, folder)
        written_to = state.workspace.relative(folder)
    files = [
        FileOut(path=a.path, bytes=len(a.content.encode("utf-8")), description=a.description) for a in artifacts
    ]
    out = ExportOutput(
        kind=args.kind, design_name=design.name, written_to=written_to, file_count=len(files), files=files
    )
    if written_to is None:
        # Contents go inline while the whole result stays within the structured cap, measured as JSON.
        budget = min(MAX_INLINE_CHARS, MAX_STRUCTURED_CHARS - structured_size(out.model_dump(mode="json")) - 500)
        for file, artifact in zip(files, artifacts, strict=True):
            cost = len(json.dumps(artifact.content, ensure_ascii=False))
            if cost <= budget:
                file.content, budget = artifact.content, budget - cost
    lines = [f"**{args.kind} export of {design.name}:** {len(files)} file{'s' if len(files) != 1 else ''}"]
    lines.append(f"written to `{written_to}/`" if written_to else "returned inline (nothing written)")
    lines.append("")
    for artifact in artifacts:
        lines.append(f"- `{artifact.path}`" + (f": {artifact.description}" if artifact.description else ""))
    if written_to is None:
        for artifact in artifacts:
            fence = "yaml" if artifact.path.endswith((".yaml", ".yml")) else artifact.path.rsplit(".", 1)[-1]
            lines += ["", f"### {artifact.path}", "", f"```{fence}", artifact.content.rstrip("\n"), "```"]
    # A catalog is many files: the file list itself can outgrow the structured cap, so it is cut to fit.
    return tool_result("\n".join(lines) + "\n", out, trim=("files",))


def register(server: MCPServer, state: ServerState) -> None:
    async def handler(args: ExportInput, ctx: Context) -> CallToolResult:
        return await anyio.to_thread.run_sync(_export, args, state)

    add_model_tool(
        server,
        name="export",
        title="Export a design as artifacts",
        description=(
            "Derive files from a design (a workspace file or YAML/JSON text): 'asyncapi' (AsyncAPI 3.0, one "
            "document per service, or one with system=true), 'avro' and 'jsonschema' (a schema per event "
            "version), 'kafka' (Strimzi KafkaTopic YAML and a kafka-topics.sh script), 'sql' (PostgreSQL DDL for "
            "the event store, outbox, inbox, saga state and projections) or 'eventcatalog' (an EventCatalog "
            "folder). With output_dir the files are written into the workspace; without it they are returned."
        ),
        input_model=ExportInput,
        output_model=ExportOutput,
        handler=handler,
        annotations=writes_files(),
    )
