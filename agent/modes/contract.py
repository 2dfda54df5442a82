"""Contract mode: define an event's contract, check schema compatibility, and show who a design change breaks.

Three plain functions, shared by the CLI, the MCP server and the tests; none prints or exits:

- :func:`define_contract` — the contract of an event of a design, or of an event known only by name;
- :func:`check_compatibility` — Schema Registry compatibility of a new schema with previous ones;
- :func:`diff_designs` — the contract changes between two designs, breaking or not, and who reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archassist.agent.contracts.compatibility import CompatibilityResult, check_schemas
from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from archassist.agent.contracts.define import ContractOutcome
    from archassist.agent.contracts.diff import DesignDiff
    from archassist.agent.model.design import Design

__all__ = ["CompatibilityResult", "check_compatibility", "define_contract", "diff_designs"]


_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _schema_data(schema: Any, label: str) -> Any:
    if isinstance(schema, str):
        if _TYPE_NAME.match(schema.strip()) and schema.strip() not in ("true", "false"):
            return schema.strip()  # an Avro type by name, such as "int" or "com.acme.Order", as parsed JSON gives it
        from archassist.agent.contracts.schema_input import parse_json_text

        return parse_json_text(schema, label)
    if isinstance(schema, bytes):
        raise InputError(f"{label}: give the schema as text or parsed JSON, not bytes")
    return schema


def check_compatibility(
    previous: Sequence[Any] | Any,
    new: Any,
    mode: str = "BACKWARD",
    schema_type: str | None = None,
    *,
    labels: Sequence[str] | None = None,
) -> CompatibilityResult:
    """Is ``new`` compatible with ``previous`` (oldest first) under ``mode``?

    Schemas are JSON text or parsed JSON (a dict, list or type name for Avro; a dict or boolean for JSON Schema);
    ``schema_type`` is ``avro`` or ``json`` (guessed from the schemas when None). A single previous schema may
    be given on its own. Bad input raises :class:`InputError` with one line naming the schema and the fix.
    """
    if isinstance(previous, (dict, bool, str)):
        previous = [previous]
    items = list(previous)
    names = list(labels) if labels is not None else [f"schema {i + 1}" for i in range(len(items) + 1)]
    if len(names) != len(items) + 1:
        raise ValueError("labels must name every previous schema and the new one")
    olds = [(names[i], _schema_data(schema, names[i])) for i, schema in enumerate(items)]
    return check_schemas(olds, (names[-1], _schema_data(new, names[-1])), mode, schema_type)


def define_contract(
    target: str, design: Design | None = None, *, design_label: str = "the design"
) -> ContractOutcome:
    """The contract of ``target``: an event of ``design``, or an event name resolved through the knowledge base."""
    from archassist.agent.contracts.define import define

    return define(target, design, design_label=design_label)


def diff_designs(old: Design, new: Design) -> DesignDiff:
    """Every event whose contract changed between two designs, with its verdict and the parts that read it."""
    from archassist.agent.contracts.diff import diff

    return diff(old, new)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
