"""A contract as a Markdown document, as JSON (the contract with both schemas and the example), or as either
schema alone."""

from __future__ import annotations

import json
from typing import Any

from archassist.agent.contracts.artifacts import avro_schema, example_message, json_schema
from archassist.agent.contracts.model import Contract
from archassist.agent.errors import InputError

CONTRACT_FORMATS: tuple[str, ...] = ("markdown", "json", "jsonschema", "avro")

_CLASSES = {"identifier": "identifier", "business_fact": "business fact", "pii": "PII"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _field_type(type_: str, items: str | None) -> str:
    return f"array of {items}" if type_ == "array" and items else type_


def render_markdown(contract: Contract) -> str:
    c = contract
    lines = [
        f"# Contract: {c.event} v{c.version}",
        "",
        c.description or f"The {c.event} event.",
        "",
        f"- **Owner:** {c.owner}" + (f" ({c.bounded_context})" if c.bounded_context else ""),
        f"- **Producer:** `{c.producer}`",
        f"- **Kind:** {c.kind} event" + (f" of the `{c.aggregate}` aggregate" if c.aggregate else ""),
        f"- **Topic:** `{c.topic}` · subject `{c.subject}`",
        f"- **Partition key:** `{c.partition_key}`" if c.partition_key else "- **Partition key:** none",
        f"- **Ordering:** {c.ordering_guarantee}",
        f"- **Compatibility:** {c.compatibility} — {c.compatibility_reason}",
        "",
        "## Envelope",
        "",
        "| field | type | required | meaning |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{e.name}` | {e.type} | {'yes' if e.required else 'no'} | {_cell(e.description)} |" for e in c.envelope]
    lines += [
        "",
        "## Payload",
        "",
        "| field | type | required | class | protection | description |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{f.name}` | {_field_type(f.type, f.items)} | {'yes' if f.required else 'no'} | {_CLASSES[f.classification]} "
        f"| {f.protection if f.classification == 'pii' else '—'} | {_cell(f.description) or '—'} |"
        for f in c.fields
    ]
    if not c.fields:
        lines.append("| — | | | | | the event declares no payload fields |")
    lines += ["", "## Consumers", ""]
    if c.consumers:
        lines += [
            f"- {r.kind} `{r.name}`" + (f" in `{r.service}`" if r.service else "") for r in c.consumers
        ]
    else:
        lines.append("No part of the design reads this event yet.")
    lines += ["", "## Evolution rules", ""]
    lines += [f"{n}. {rule}" for n, rule in enumerate(c.evolution_rules, 1)]
    lines += [
        "",
        "## Breaking changes",
        "",
        f"Deprecation window: **{c.deprecation_window_days} days** — {c.deprecation_reason}.",
        "",
    ]
    lines += [f"{n}. {step}" for n, step in enumerate(c.breaking_change_procedure, 1)]
    if c.upcasters:
        lines += ["", "Upcasters already declared: " + "; ".join(c.upcasters)]
    lines += [
        "",
        "## Example message",
        "",
        "```json",
        json.dumps(example_message(c), indent=2, ensure_ascii=False),
        "```",
        "",
        "The JSON Schema (2020-12) and the Avro schema of this contract: `archassist contract "
        f"{c.event} --format jsonschema` and `--format avro`.",
    ]
    if c.assumptions:
        lines += ["", "## Assumptions", ""]
        lines += [f"- {a}" for a in c.assumptions]
    return "\n".join(lines) + "\n"


def contract_data(contract: Contract) -> dict[str, Any]:
    return {
        "contract": contract.model_dump(mode="json"),
        "subject": contract.subject,
        "json_schema": json_schema(contract),
        "avro_schema": avro_schema(contract),
        "example": example_message(contract),
    }


def render(contract: Contract, fmt: str) -> str:
    if fmt == "markdown":
        return render_markdown(contract)
    if fmt == "json":
        data: Any = contract_data(contract)
    elif fmt == "jsonschema":
        data = json_schema(contract)
    elif fmt == "avro":
        data = avro_schema(contract)
    else:
        raise InputError(f"unknown contract format '{fmt}'; use one of {', '.join(CONTRACT_FORMATS)}")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
