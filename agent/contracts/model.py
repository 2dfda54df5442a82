"""The contract of one event: what a producer promises its consumers, and how that promise may change."""

from __future__ import annotations

from typing import Literal

from archassist.agent.model.design import FieldType, Protection
from pydantic import BaseModel, ConfigDict, Field

Classification = Literal["identifier", "business_fact", "pii"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContractField(_Part):
    name: str
    type: FieldType = "string"
    items: FieldType | None = None
    required: bool = True
    description: str = ""
    classification: Classification = "business_fact"
    protection: Protection = "none"


class EnvelopeField(_Part):
    name: str
    type: FieldType
    required: bool = True
    description: str


class Consumer(_Part):
    """A part of the design that reads the event: a consumer group, a projection or a saga."""

    kind: Literal["consumer", "projection", "saga"]
    name: str
    service: str | None = None


class Contract(_Part):
    event: str
    version: int = 1
    kind: Literal["domain", "integration"] = "domain"
    description: str = ""
    aggregate: str | None = None
    owner: str
    producer: str
    bounded_context: str = ""
    topic: str
    partition_key: str | None = None
    ordering: Literal["per_key", "none", "global"] = "per_key"
    ordering_guarantee: str
    envelope: list[EnvelopeField]
    fields: list[ContractField]
    compatibility: str
    compatibility_reason: str
    evolution_rules: list[str]
    deprecation_window_days: int
    deprecation_reason: str
    breaking_change_procedure: list[str]
    consumers: list[Consumer] = Field(default_factory=list)
    upcasters: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    source: str = Field(description="Where the contract came from: the design file, or the knowledge base.")

    @property
    def subject(self) -> str:
        """The schema-registry subject, TopicRecordNameStrategy style: one subject per event on its topic."""
        return f"{self.topic}-{self.event}"
