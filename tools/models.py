"""Input and output models of the MCP tools: one input model per tool, and the structured results they return.

The input models are the source of each tool's published input schema; the output models become its
``outputSchema`` and validate its ``structuredContent``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Literal

from archassist.agent.model.design import Design
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

if TYPE_CHECKING:
    from archassist.agent.model.findings import Finding

DecisionStatus = Literal["proposed", "accepted", "rejected", "deprecated", "superseded"]

# A Design in a result is published with a shallow schema that points at the full one: clients validate every
# result against the output schema, and checking a whole design that way costs them far more than the call itself.
# Results carry designs made by the Design model, so they are valid by construction.
DesignData = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "A Design; its full JSON Schema is the archassist://schema/design resource.",
            "required": ["schema_version", "name"],
            "properties": {"schema_version": {"type": "integer"}, "name": {"type": "string"}},
        }
    ),
]

MAX_TITLE = 300
MAX_BODY = 20_000
MAX_ITEMS = 50


class _In(BaseModel):
    # Registration reads only the fields (the SDK builds its own argument model from them), so each validator is
    # built on its tool's first call rather than at server start, where CheckDesignInput's alone would rebuild
    # the whole Design schema.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- inputs ----------------------------------------------------------------------------------------------------


class DesignInput(_In):
    brief: str = Field(
        description="What the system must do, in plain words: business capabilities, volumes, latency, "
        "compliance. Example: 'order fulfillment across payments, inventory and shipping, 2k orders/min'.",
    )
    remember: bool = Field(
        True, description="Store the design and its decisions in the decision memory. False leaves memory unchanged."
    )
    use_precedents: bool = Field(
        True, description="Recall accepted decisions from the memory and let them shape the design."
    )


class ReviewInput(_In):
    text: str | None = Field(
        None,
        description="The document to review, as text: a Design in YAML or JSON, or an AsyncAPI document. "
        "Give either text or path.",
    )
    path: str | None = Field(
        None,
        description="A design or AsyncAPI file inside the workspace, relative to the workspace root. "
        "Give either text or path.",
    )
    select: list[str] | None = Field(
        None, description="Run only these rules: codes (EDA403), prefixes (EDA4), groups (reliability) or names."
    )
    ignore: list[str] = Field(default_factory=list, description="Skip these rules (same selectors as select).")

    @model_validator(mode="after")
    def _one_source(self) -> ReviewInput:
        if (self.text is None) == (self.path is None):
            raise ValueError("give exactly one of 'text' (the document) or 'path' (a file in the workspace)")
        return self


class CheckDesignInput(_In):
    design: Design = Field(description="The Design to check, as an object (see the archassist://schema/design resource).")
    select: list[str] | None = Field(
        None, description="Run only these rules: codes (EDA403), prefixes (EDA4), groups (reliability) or names."
    )
    ignore: list[str] = Field(default_factory=list, description="Skip these rules (same selectors as select).")


class ListRulesInput(_In):
    group: str | None = Field(
        None, description="Only rules of this group, e.g. reliability, sagas, contracts, topology, naming."
    )
    severity: Literal["error", "warning", "info"] | None = Field(None, description="Only rules of this severity.")


class ExplainRuleInput(_In):
    code: str = Field(description="A rule code such as EDA401, or a rule name such as consumer-not-idempotent.")


class RecallInput(_In):
    query: str = Field(description="Words to search the recorded decisions for, e.g. 'order workflow coordination'.")
    limit: int = Field(10, ge=1, le=MAX_ITEMS, description="At most this many decisions, best match first.")
    status: DecisionStatus | None = Field(None, description="Only decisions with this status.")


class RememberInput(_In):
    title: str = Field(max_length=MAX_TITLE, description="The decision in one line, e.g. 'Orchestrate the order saga'.")
    context: str = Field("", max_length=MAX_BODY, description="The situation and forces that called for a decision.")
    decision: str = Field("", max_length=MAX_BODY, description="What was decided.")
    consequences: str = Field("", max_length=MAX_BODY, description="What follows from it, good and bad.")
    alternatives: list[str] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Options considered and not chosen."
    )
    status: DecisionStatus = Field("accepted", description="Only accepted decisions shape later designs.")
    tags: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="Words to find it by.")
    supersedes: str | None = Field(
        None, description="The id of an earlier decision this one replaces, e.g. ADR-0003; it is marked superseded."
    )


class GetDesignInput(_In):
    id: int = Field(ge=1, description="The memory id of a stored design, as returned by the design tool.")


# ---- outputs ---------------------------------------------------------------------------------------------------


class FindingOut(_Out):
    code: str = Field(description="Rule code, e.g. EDA401 (AAPI... for AsyncAPI importer findings).")
    name: str
    severity: Literal["error", "warning", "info"]
    message: str
    pointer: str = Field(description="RFC 6901 JSON pointer of the offending part of the design.")
    fix: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls(**dataclasses.asdict(finding))


class Counts(_Out):
    error: int = 0
    warning: int = 0
    info: int = 0

    @classmethod
    def of(cls, findings: list[FindingOut]) -> Counts:
        counts = cls()
        for finding in findings:
            setattr(counts, finding.severity, getattr(counts, finding.severity) + 1)
        return counts

    def line(self) -> str:
        def plural(n: int, word: str) -> str:
            return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"

        return ", ".join([plural(self.error, "error"), plural(self.warning, "warning"), plural(self.info, "info")])


class PrecedentOut(_Out):
    id: str
    title: str
    decision: str = ""
    status: str = "accepted"
    applied: bool = Field(description="True when the planner followed this precedent in the design.")


class DesignOutput(_Out):
    name: str
    summary: str
    design: DesignData
    designed_by: str = Field(description="Which backend designed: the offline planner, or Claude and its model.")
    markdown: str = Field(description="The design document in Markdown.")
    findings: list[FindingOut] = Field(description="What the rules engine says about the design.")
    counts: Counts
    precedents: list[PrecedentOut] = Field(description="Precedents recalled from the memory for this brief.")
    memory_id: int | None = Field(description="The id the design was stored under, or null when not remembered.")
    decision_ids: list[str] = Field(description="Memory ids of the design's decisions, in design order.")


class ReviewOutput(_Out):
    source: str = Field(description="The file reviewed (relative to the workspace), or <input> for text.")
    kind: Literal["design", "asyncapi"]
    design_name: str
    summary: str
    counts: Counts
    findings: list[FindingOut]
    unsaid: list[str] = Field(description="For AsyncAPI: what the document does not declare, by kind.")
    suppressed: int = Field(description="Findings switched off by the design's own suppressions.")
    warnings: list[str] = Field(description="Configuration warnings, such as unknown rule codes.")


class CheckDesignOutput(_Out):
    design_name: str
    summary: str
    counts: Counts
    findings: list[FindingOut]
    suppressed: int
    warnings: list[str]


class RuleOut(_Out):
    code: str
    name: str
    group: str
    severity: Literal["error", "warning", "info"]
    summary: str


class ListRulesOutput(_Out):
    count: int
    groups: list[str]
    rules: list[RuleOut]


class ExplainRuleOutput(_Out):
    code: str
    name: str
    group: str
    severity: Literal["error", "warning", "info"]
    summary: str
    why: str
    anti_pattern: str
    fix: str
    markdown: str


class DecisionOut(_Out):
    id: str = Field(description="Decision id, e.g. ADR-0007.")
    title: str
    status: str
    context: str
    decision: str
    consequences: str
    alternatives: list[str]
    tags: list[str]
    cites: list[str]
    supersedes: str | None
    superseded_by: str | None
    design_id: int | None
    created: str
    score: float | None = Field(None, description="Recall relevance, higher is better.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> DecisionOut:
        return cls(**{key: data.get(key) for key in cls.model_fields})


class RecallOutput(_Out):
    query: str
    count: int
    decisions: list[DecisionOut]


class RememberOutput(_Out):
    decision: DecisionOut
    superseded: DecisionOut | None = Field(description="The earlier decision this one replaced, if any.")


class GetDesignOutput(_Out):
    id: int
    name: str
    brief: str
    backend: str
    created: str
    decision_ids: list[str]
    design: DesignData
    markdown: str
