"""Input and output models of the MCP tools: one input model per tool, and the structured results they return.

The input models are the source of each tool's published input schema; the output models become its
``outputSchema`` and validate its ``structuredContent``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from archassist.agent.model.findings import Finding

DecisionStatus = Literal["proposed", "accepted", "rejected", "deprecated", "superseded"]

MAX_TITLE = 300
MAX_BODY = 20_000
MAX_ITEMS = 50


class _In(BaseModel):
    # Registration reads only the fields (the SDK builds its own argument model from them), so each validator is
    # built on its tool's first call rather than at server start, where CheckDesignInput's alone would rebuild
    # the whole Design schema.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(_Part):
    """A tool's structured result."""

    omitted: dict[str, int] = Field(
        default_factory=dict,
        description="Lists cut short to keep this result compact, with the number of items left out; the text "
        "content has them all.",
    )


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


DOCUMENT_SOURCES = "give exactly one of 'text' (the document) or 'path' (a file in the workspace)"
DESIGN_SOURCES = "give exactly one of 'text' (a design) or 'path' (a design file in the workspace)"


def _object_as_text(value: object) -> object:
    # Some clients send a JSON document as the object itself rather than as a string: it is the same document.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


# A document given as text: YAML or JSON, or the JSON object itself.
DocumentText = Annotated[str | None, BeforeValidator(_object_as_text)]


class _TextOrPath(_In):
    # Exactly one of text and path is enforced when called, not stated with a root-level oneOf: the Anthropic API
    # refuses tool schemas with oneOf/anyOf/allOf at the top, and Claude Code drops such tools (see
    # ROOT_KEYWORDS_REFUSED in archassist.tools.registration). The descriptions say it instead.
    sources: ClassVar[str] = DOCUMENT_SOURCES
    text: DocumentText = None
    path: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _TextOrPath:
        if (self.text is None) == (self.path is None):
            raise ValueError(self.sources)
        return self


class DesignSourceInput(_TextOrPath):
    """A tool's input that starts from one Design, given as text or as a workspace file."""

    sources: ClassVar[str] = DESIGN_SOURCES
    text: DocumentText = Field(None, description="A Design as YAML or JSON text. Give exactly one of text and path.")
    path: str | None = Field(
        None, description="A design file inside the workspace, relative to its root. Give exactly one of text and path."
    )


class _DocumentInput(_TextOrPath):
    text: DocumentText = Field(
        None,
        description="The document as text, YAML or JSON. Give exactly one of text and path.",
    )
    path: str | None = Field(
        None,
        description="A file inside the workspace, relative to the workspace root. Give exactly one of text and "
        "path.",
    )
    select: list[str] | None = Field(
        None, description="Run only these rules: codes (EDA403), prefixes (EDA4), groups (reliability) or names."
    )
    ignore: list[str] = Field(default_factory=list, description="Skip these rules (same selectors as select).")


class ReviewInput(_DocumentInput):
    """A Design (YAML or JSON) or an AsyncAPI document."""


class CheckDesignInput(_DocumentInput):
    """A Design only (YAML or JSON); its schema is the archassist://schema/design resource."""


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


class FindingOut(_Part):
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
        # A folded finding's message already names its places; the full list (for SARIF) would crowd the result.
        data = dataclasses.asdict(finding)
        data.pop("places", None)
        return cls(**data)


class Counts(_Part):
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


class PrecedentOut(_Part):
    id: str
    title: str
    decision: str = ""
    status: str = "accepted"
    applied: bool = Field(description="True when the planner followed this precedent in the design.")


class PartsOut(_Out):
    services: list[str] = Field(description="Service names.")
    events: list[str] = Field(description="Event names.")
    topics: int
    consumers: int
    sagas: int
    projections: int
    decisions: int


class DesignOutput(_Out):
    name: str
    summary: str
    parts: PartsOut = Field(description="What the design holds; the whole Design is the design_uri resource.")
    design_uri: str | None = Field(
        description="The resource with the full Design as JSON (archassist://designs/{id}); read it to edit the "
        "design or pass it to check_design."
    )
    designed_by: str = Field(description="Which backend designed: the offline planner, or Claude and its model.")
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
    source: str = Field(description="The file checked (relative to the workspace), or <input> for text.")
    design_name: str
    summary: str
    counts: Counts
    findings: list[FindingOut]
    suppressed: int
    warnings: list[str]


class RuleOut(_Part):
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


CLIP = 400


def clip(text: str, limit: int = CLIP) -> str:
    """A long text cut to ``limit`` characters; the full record is the decision's resource."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class DecisionOut(_Part):
    id: str = Field(description="Decision id, e.g. ADR-0007.")
    uri: str = Field(description="The full record as MADR Markdown: archassist://decisions/{id}.")
    title: str
    status: str
    context: str = Field(description="The context, cut to 400 characters; the full text is the uri resource.")
    decision: str = Field(description="The decision, cut to 400 characters.")
    consequences: str = Field(description="The consequences, cut to 400 characters.")
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
        values = {key: data[key] for key in cls.model_fields if key in data}
        for key in ("context", "decision", "consequences"):
            values[key] = clip(str(values.get(key) or ""))
        values["alternatives"] = [clip(str(a), 200) for a in values.get("alternatives") or []]
        values["uri"] = f"archassist://decisions/{values['id']}"
        return cls(**values)


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
    parts: PartsOut
    design_uri: str = Field(description="The resource with the full Design as JSON.")
