"""Tools of contract mode: `contract` (define an event's contract) and `check_compatibility` (compare schemas)."""

from __future__ import annotations

from typing import Any, Literal

import anyio.to_thread
from archassist.agent.errors import InputError
from archassist.tools.models import DocumentText, _In, _Part
from archassist.tools.registration import add_model_tool, read_only
from archassist.tools.state import ServerState
from archassist.tools.workspace import check_size
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, model_validator

MAX_SCHEMAS = 20
MAX_BREAKS = 100
MAX_STRUCTURED_CHARS = 20_000
CompatibilityMode = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"
]


class ContractInput(_In):
    target: str = Field(
        description="The event: a name such as 'invoice.paid' or 'InvoicePaid', or an event of the given design."
    )
    design_text: DocumentText = Field(
        None, description="A Design in YAML or JSON whose event to describe. Give at most one of design_text or path."
    )
    path: str | None = Field(
        None, description="A design file inside the workspace, relative to its root. At most one of design_text or path."
    )

    @model_validator(mode="after")
    def _one_design(self) -> ContractInput:
        if self.design_text is not None and self.path is not None:
            raise ValueError("give at most one of 'design_text' (the design) or 'path' (a file in the workspace)")
        return self


class CheckCompatibilityInput(_In):
    schemas: list[str] = Field(
        min_length=2,
        max_length=MAX_SCHEMAS,
        description="Two or more schemas as JSON text, oldest first and the new schema last: Avro (.avsc) or "
        "JSON Schema, all of one type.",
    )
    mode: CompatibilityMode = Field(
        "BACKWARD",
        description="Schema Registry mode. BACKWARD: the new schema reads old data; FORWARD: old schemas read new "
        "data; FULL: both. _TRANSITIVE checks every previous schema, the others only the latest.",
    )
    schema_type: Literal["avro", "json"] | None = Field(None, description="avro or json; guessed when omitted.")


class ContractFieldOut(_Part):
    name: str
    type: str
    required: bool
    classification: str
    protection: str


class ReaderOut(_Part):
    kind: str
    name: str
    service: str | None


class ContractOutput(_Part):
    event: str
    version: int
    owner: str
    producer: str
    topic: str
    subject: str
    partition_key: str | None
    ordering: str
    compatibility: str
    deprecation_window_days: int
    fields: list[ContractFieldOut]
    readers: list[ReaderOut] = Field(description="Consumers, projections and sagas of the design that read it.")
    assumptions: list[str] = Field(description="What was assumed because the input did not say it.")
    json_schema: dict[str, Any] = Field(description="The contract as JSON Schema 2020-12.")
    avro_schema: dict[str, Any] = Field(description="The contract as an Avro record schema.")
    example: dict[str, Any] = Field(description="A message both schemas accept.")
    artifacts_omitted: bool = Field(
        False, description="True when the schemas and example were too large to include; the Markdown text and "
        "`archassist contract EVENT --format json` have them."
    )


class BreakOut(_Part):
    path: str = Field(description="JSON pointer into the schema where the break is.")
    change: str
    breaks: Literal["new readers", "old readers"]
    fix: str
    kind: str
    against: str = Field(description="The previous schema this break is against, e.g. 'schema 1'.")


class CheckCompatibilityOutput(_Part):
    compatible: bool
    mode: str
    schema_type: str
    summary: str
    checked: list[str]
    break_count: int
    breaks: list[BreakOut] = Field(description=f"Each break explained (at most {MAX_BREAKS}).")


def _contract(args: ContractInput, state: ServerState) -> tuple[ContractOutput, str]:
    from archassist.agent.contracts.artifacts import avro_schema, example_message, json_schema
    from archassist.agent.modes.contract import define_contract

    design = None
    label = "the design"
    if args.design_text is not None:
        from archassist.agent.model.io import loads

        check_size(args.design_text, "the design")
        design, label = loads(args.design_text, "<input>").design, "<input>"
    elif args.path is not None:
        from archassist.agent.model.io import loads

        found, text = state.workspace.read_text(args.path)
        label = state.workspace.relative(found)
        design = loads(text, label).design
    outcome = define_contract(args.target, design, design_label=label)
    c = outcome.contract
    out = ContractOutput(
        event=c.event,
        version=c.version,
        owner=c.owner,
        producer=c.producer,
        topic=c.topic,
        subject=c.subject,
        partition_key=c.partition_key,
        ordering=c.ordering_guarantee,
        compatibility=c.compatibility,
        deprecation_window_days=c.deprecation_window_days,
        fields=[
            ContractFieldOut(
                name=f.name, type=f.type, required=f.required, classification=f.classification, protection=f.protection
            )
            for f in c.fields
        ],
        readers=[ReaderOut(kind=r.kind, name=r.name, service=r.service) for r in c.consumers],
        assumptions=c.assumptions,
        json_schema=json_schema(c),
        avro_schema=avro_schema(c),
        example=example_message(c),
    )
    if len(out.model_dump_json()) > MAX_STRUCTURED_CHARS:
        out = out.model_copy(update={"json_schema": {}, "avro_schema": {}, "example": {}, "artifacts_omitted": True})
    return out, outcome.render("markdown")


def _check(args: CheckCompatibilityInput) -> tuple[CheckCompatibilityOutput, str]:
    from archassist.agent.modes.contract import check_compatibility

    for position, text in enumerate(args.schemas, 1):
        check_size(text, f"schema {position}")
    result = check_compatibility(args.schemas[:-1], args.schemas[-1], args.mode, args.schema_type)
    breaks = [BreakOut(**b.to_dict()) for b in result.breaks[:MAX_BREAKS]]
    out = CheckCompatibilityOutput(
        compatible=result.compatible,
        mode=result.mode,
        schema_type=result.schema_type,
        summary=result.summary(),
        checked=result.checked,
        break_count=len(result.breaks),
        breaks=breaks,
    )
    lines = [f"**{'Compatible' if result.compatible else 'Incompatible'}:** {result.summary()}", ""]
    if breaks:
        lines += ["| against | where | who breaks | what changed | fix |", "|---|---|---|---|---|"]
        lines += [
            f"| {b.against} | `{b.path}` | {b.breaks} | {b.change.replace('|', '/')} | {b.fix.replace('|', '/')} |"
            for b in breaks
        ]
    return out, "\n".join(lines) + "\n"


def register(server: MCPServer, state: ServerState) -> None:
    async def contract(args: ContractInput, ctx: Context) -> tuple[ContractOutput, str]:
        if not args.target.strip():
            raise InputError("the target is empty; give an event such as invoice.paid or InvoicePaid")
        return await anyio.to_thread.run_sync(_contract, args, state)

    async def check_compatibility(args: CheckCompatibilityInput, ctx: Context) -> tuple[CheckCompatibilityOutput, str]:
        return await anyio.to_thread.run_sync(_check, args)

    add_model_tool(
        server,
        name="contract",
        title="Define an event contract",
        description=(
            "Define the contract of an event: owner and producer, topic and partition key with its ordering "
            "guarantee, the envelope, payload fields classified as identifier, business fact or personal data, "
            "the compatibility mode and why, evolution rules, the deprecation window and breaking-change "
            "procedure, an example message, and the JSON Schema and Avro schema. The event is one of a given "
            "design, or a name the knowledge base fills in (with its assumptions listed)."
        ),
        input_model=ContractInput,
        output_model=ContractOutput,
        handler=contract,
        annotations=read_only(),
    )
    add_model_tool(
        server,
        name="check_compatibility",
        title="Check schema compatibility",
        description=(
            "Check a new schema against previous ones (Avro or JSON Schema, as text, oldest first) under a "
            "Schema Registry compatibility mode, and explain each break: where, what changed, whether consumers "
            "on the new or the old schema break, and the fix."
        ),
        input_model=CheckCompatibilityInput,
        output_model=CheckCompatibilityOutput,
        handler=check_compatibility,
        annotations=read_only(),
    )
