"""Schema Registry compatibility modes over the reader/writer checkers, with every break explained.

Semantics are Confluent Schema Registry's: BACKWARD means the new schema reads data written with the old one
(consumers upgrade first), FORWARD that the old schema reads data written with the new one (producers upgrade
first), FULL both. Non-transitive modes check the latest previous schema only; the ``_TRANSITIVE`` ones check
every previous schema given, oldest first. NONE checks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from archassist.agent.contracts.problems import Break, Problem, Side
from archassist.agent.contracts.schema_input import SchemaDoc, SchemaType, decide_type, load_schema
from archassist.agent.errors import InputError

Mode = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"
]
MODES: tuple[str, ...] = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)

# Per kind of problem and per side that breaks: how to fix it.
_FIXES: dict[str, dict[Side, str]] = {
    "field-without-default": {
        "new readers": "give the new field a default (for an optional value: a union with null, default null)",
        "old readers": "keep writing the field the old schema requires, or publish the change as a new version "
        "on a new subject and upcast old events",
    },
    "required-added": {
        "new readers": "make the new property optional or give it a default",
        "old readers": "keep writing the property the old schema requires, or publish a new version with an upcaster",
    },
    "property-removed": {
        "new readers": "keep the property in the new schema (deprecate it instead of removing it)",
        "old readers": "do not add properties to a closed content model; open it with additionalProperties, or "
        "publish a new version on a new subject",
    },
    "property-added-to-open-model": {
        "new readers": "close the old content model first (additionalProperties: false) or publish a new version",
        "old readers": "keep the new schema's content model open for the properties the old one declares",
    },
    "type-changed": {
        "new readers": "keep the type; add a new field with the new type and deprecate the old one",
        "old readers": "keep the type; add a new field with the new type and deprecate the old one",
    },
    "missing-union-branch": {
        "new readers": "keep every branch the old schema could write in the new union",
        "old readers": "do not add union branches old readers cannot read, or publish a new version",
    },
    "enum-symbols-removed": {
        "new readers": "keep the old symbols, or give the new enum a default symbol",
        "old readers": "give the old enum a default symbol before adding symbols, or publish a new version",
    },
    "enum-narrowed": {
        "new readers": "keep the values the old schema allowed",
        "old readers": "do not add enum values old readers reject, or publish a new version",
    },
    "name-changed": {
        "new readers": "keep the name, or list the old full name in the new schema's aliases",
        "old readers": "keep the name old readers know",
    },
}
_DEFAULT_FIX: dict[Side, str] = {
    "new readers": "relax the new schema so it accepts everything the old one allowed, or publish a new version "
    "on a new subject with an upcaster",
    "old readers": "keep the new schema within what the old one accepts, or publish a new version on a new "
    "subject and dual-publish until old consumers have moved",
}


@dataclass
class CompatibilityResult:
    """The verdict of one check: compatible or not, each break explained, and what was compared."""

    compatible: bool
    breaks: list[Break] = field(default_factory=list)
    mode: str = "BACKWARD"
    schema_type: str = "json"
    checked: list[str] = field(default_factory=list)
    new: str = ""

    def summary(self) -> str:
        if self.mode == "NONE":
            return f"{self.new}: compatibility mode NONE checks nothing; every change is accepted"
        against = ", ".join(self.checked)
        if self.compatible:
            return f"{self.new} is {self.mode} compatible with {against}"
        count = len(self.breaks)
        return f"{self.new} is not {self.mode} compatible with {against}: {count} break{'s' if count != 1 else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "compatible": self.compatible,
            "mode": self.mode,
            "schema_type": self.schema_type,
            "new": self.new,
            "checked": self.checked,
            "summary": self.summary(),
            "breaks": [b.to_dict() for b in self.breaks],
        }


def _problems(reader: SchemaDoc, writer: SchemaDoc) -> list[Problem]:
    if reader.schema_type == "avro":
        from archassist.agent.contracts.avro_compat import avro_problems

        return avro_problems(reader.parsed, writer.parsed)
    from archassist.agent.contracts.jsonschema_compat import json_schema_problems

    return json_schema_problems(reader.data, writer.data)


def _explain(problem: Problem, side: Side, old: SchemaDoc) -> Break:
    reader, writer = ("new", "old") if side == "new readers" else ("old", "new")
    fix = _FIXES.get(problem.kind, _DEFAULT_FIX).get(side, _DEFAULT_FIX[side])
    return Break(
        path=problem.path,
        change=problem.text.replace("{reader}", reader).replace("{writer}", writer),
        breaks=side,
        fix=fix,
        kind=problem.kind,
        against=old.label,
    )


def directions(mode: str) -> tuple[Side, ...]:
    base = mode.removesuffix("_TRANSITIVE")
    if base == "BACKWARD":
        return ("new readers",)
    if base == "FORWARD":
        return ("old readers",)
    if base == "FULL":
        return ("new readers", "old readers")
    return ()


def normal_mode(mode: str) -> str:
    wanted = mode.strip().upper().replace("-", "_")
    if wanted not in MODES:
        raise InputError(f"unknown compatibility mode '{mode}'; use one of {', '.join(MODES)}")
    return wanted


def check_docs(previous: Sequence[SchemaDoc], new: SchemaDoc, mode: str) -> CompatibilityResult:
    """Check parsed schemas; ``previous`` runs oldest to newest."""
    wanted = normal_mode(mode)
    if not previous:
        raise InputError("a compatibility check needs at least two schemas: the previous ones, then the new one")
    against = list(previous) if wanted.endswith("_TRANSITIVE") else [previous[-1]]
    result = CompatibilityResult(
        compatible=True, mode=wanted, schema_type=new.schema_type, new=new.label
    )
    if wanted == "NONE":
        return result
    result.checked = [doc.label for doc in against]
    for old in against:
        for side in directions(wanted):
            reader, writer = (new, old) if side == "new readers" else (old, new)
            result.breaks += [_explain(p, side, old) for p in _problems(reader, writer)]
    result.compatible = not result.breaks
    return result


def load_all(schemas: Sequence[tuple[str, Any]], schema_type: str | None) -> tuple[SchemaType, list[SchemaDoc]]:
    """Parse (label, data) pairs as one schema type; mixed types and invalid schemas are refused."""
    chosen = decide_type(list(schemas), schema_type)
    return chosen, [load_schema(data, label, chosen) for label, data in schemas]


def check_schemas(
    previous: Sequence[tuple[str, Any]], new: tuple[str, Any], mode: str, schema_type: str | None = None
) -> CompatibilityResult:
    """Check the new schema (label, data) against the previous ones (oldest first) under ``mode``."""
    wanted = normal_mode(mode)
    if not previous:
        raise InputError(
            f"{new[0]}: only one schema given; {wanted} compares the new schema with at least one previous one: "
            "give OLD [OLDER...] NEW"
        )
    _, docs = load_all([*previous, new], schema_type)
    return check_docs(docs[:-1], docs[-1], wanted)
