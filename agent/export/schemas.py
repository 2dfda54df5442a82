"""Avro and JSON Schema exports: one schema per event and version, built by the contract mode, and what a Schema
Registry needs to take them in (subject, compatibility mode, the order to register versions in).

A design usually carries only the latest shape of an event. Where its version, upcasters or ``deprecated`` show
that other versions exist, the export says which versions it holds and never makes up the fields of the others.
A design that holds several versions of one event (entries of the same name and topic, each with its own
``version``) gets one file per version, and each version is checked against the earlier ones in its mode.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from archassist.agent.contracts.model import Contract
from archassist.agent.errors import InputError
from archassist.agent.export.base import Artifact, ExportOptions, check_options
from archassist.agent.model.design import Design, Event

SchemaKind = Literal["avro", "jsonschema"]

# Avro names: a letter or underscore, then letters, digits and underscores (the specification's "Names").
_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE_FOLDER = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class _Format:
    kind: SchemaKind
    folder: str
    suffix: str
    registry_type: str  # the schemaType a Confluent-compatible registry expects
    title: str
    noun: str


_FORMATS: dict[SchemaKind, _Format] = {
    "avro": _Format("avro", "schemas/avro", ".avsc", "AVRO", "Avro schemas", "Avro schema"),
    "jsonschema": _Format("jsonschema", "schemas/jsonschema", ".schema.json", "JSON", "JSON Schemas (2020-12)", "JSON Schema"),
}


@dataclass
class Version:
    """One event version of a subject: the design's entry, its contract, and the schema built from it."""

    event: Event
    contract: Contract
    schema: dict[str, Any]
    file: str = ""


@dataclass
class Subject:
    """A registry subject: the versions of one event on one topic, oldest first."""

    name: str
    folder: str
    versions: list[Version]
    notes: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> Version:
        return self.versions[-1]


def _contracts(design: Design) -> list[tuple[Event, Contract]]:
    from archassist.agent.contracts.define import DesignLookup, from_design

    lookup = DesignLookup(design)
    return [(e, from_design(design, e, source=f"design {design.name}", lookup=lookup)) for e in design.events]


def _check_fields(contract: Contract) -> None:
    seen: set[str] = set()
    for name in [e.name for e in contract.envelope] + [f.name for f in contract.fields]:
        if name in seen:
            raise InputError(
                f"event '{contract.event}': field '{name}' is declared twice (in the payload or the envelope); "
                "rename or remove one"
            )
        seen.add(name)
    if "payload" in {e.name for e in contract.envelope}:
        raise InputError(
            f"event '{contract.event}': the envelope has a field 'payload', the name the schema gives the payload; "
            "rename the envelope field"
        )


def _check_avro_names(contract: Contract, schema: dict[str, Any]) -> None:
    if not _AVRO_NAME.match(schema["name"]):
        raise InputError(
            f"event '{contract.event}': '{schema['name']}' is not a legal Avro record name (a letter or '_' first, "
            "then letters, digits and '_'); rename the event"
        )
    for part in schema["namespace"].split("."):
        if not _AVRO_NAME.match(part):
            raise InputError(
                f"event '{contract.event}': its topic '{contract.topic}' gives the Avro namespace "
                f"'{schema['namespace']}', which is not legal (each part starts with a letter or '_'); rename the topic"
            )
    for name in [e.name for e in contract.envelope] + [f.name for f in contract.fields]:
        if not _AVRO_NAME.match(name):
            suggestion = re.sub(r"^(?=[0-9])", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)) or "field"
            raise InputError(
                f"event '{contract.event}': field '{name}' is not a legal Avro field name (a letter or '_' "
                f"first, then letters, digits and '_'); rename it, e.g. to '{suggestion}'"
            )


def _avro(contract: Contract) -> dict[str, Any]:
    import fastavro
    from archassist.agent.contracts.artifacts import avro_schema

    schema = avro_schema(contract)
    _check_avro_names(contract, schema)
    try:
        fastavro.parse_schema(schema)
    except Exception as exc:  # fastavro raises several unrelated types for a bad schema
        raise InputError(f"event '{contract.event}': its Avro schema is not valid ({exc}); fix the event") from None
    return schema


def _json_schema(contract: Contract) -> dict[str, Any]:
    from archassist.agent.contracts.artifacts import json_schema

    return json_schema(contract)


_BUILDERS: dict[SchemaKind, Callable[[Contract], dict[str, Any]]] = {"avro": _avro, "jsonschema": _json_schema}


def _folder_for(subject: str, taken: set[str]) -> str:
    """A folder name for a subject: the subject itself when it is safe on every file system."""
    folder = _SAFE_FOLDER.sub("_", subject).strip(".") or "subject"
    if folder != subject or folder.lower() in taken:
        import hashlib

        folder = f"{folder}-{hashlib.sha1(subject.encode()).hexdigest()[:8]}"
    taken.add(folder.lower())
    return folder


def subjects_of(design: Design, kind: SchemaKind) -> list[Subject]:
    """Every event of the design as registry subjects, each with its versions oldest first."""
    grouped: dict[str, list[Version]] = {}
    for event, contract in _contracts(design):
        _check_fields(contract)
        grouped.setdefault(contract.subject, []).append(Version(event, contract, _BUILDERS[kind](contract)))
    subjects = []
    taken: set[str] = set()
    for name in sorted(grouped):
        versions = sorted(grouped[name], key=lambda v: v.contract.version)
        for earlier, later in itertools.pairwise(versions):
            if earlier.contract.version == later.contract.version:
                raise InputError(
                    f"event '{later.contract.event}' v{later.contract.version} on topic '{later.contract.topic}' "
                    "is defined twice; merge the definitions or give the newer one the next version"
                )
        subject = Subject(name=name, folder=_folder_for(name, taken), versions=versions)
        fmt = _FORMATS[kind]
        for version in versions:
            version.file = f"{subject.folder}/v{version.contract.version}{fmt.suffix}"
        subject.notes = _notes(subject)
        subject.checks = _checks(subject, kind)
        subjects.append(subject)
    return subjects


def _upcaster_steps(event: Event) -> str:
    return ", ".join(f"v{u.from_version}→v{u.to_version}" for u in sorted(event.upcasters, key=lambda u: u.from_version))


def _versions(numbers: list[int]) -> str:
    """v1, v3 and v5…v9: runs of three or more shown as a range."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"v{r[0]}…v{r[-1]}" if len(r) > 2 else ", ".join(f"v{n}" for n in r) for r in runs]
    return ", ".join(parts)


def _notes(subject: Subject) -> list[str]:
    """What a reader must know about the versions: which exist, which are exported, which are deprecated."""
    notes: list[str] = []
    exported = [v.contract.version for v in subject.versions]
    latest = subject.latest
    earlier = [n for n in range(1, latest.contract.version) if n not in exported]
    if earlier:
        steps = _upcaster_steps(latest.event)
        how = f"upcasters {steps} read them as the newer shapes" if steps else "the design has no upcaster for them"
        notes.append(
            f"The design holds the shape of {_versions(exported)} only; {_versions(earlier)} came before "
            f"({how}), and their fields are not in the design, so they are not exported. Register the exported "
            "version in the subject that already holds the earlier ones: the registry checks it against them under "
            f"{latest.contract.compatibility}."
        )
    for version in subject.versions:
        if version.event.deprecated:
            notes.append(
                f"v{version.contract.version} is deprecated in the design: keep it registered while events of it "
                f"can still be read (at least {version.contract.deprecation_window_days} days), and stop producing it."
            )
    for assumption in latest.contract.assumptions:
        notes.append(assumption)
    return notes


def _checks(subject: Subject, kind: SchemaKind) -> list[dict[str, Any]]:
    """Each version after the first against the earlier ones, in the newer version's mode (as a registry would)."""
    from archassist.agent.contracts.compatibility import check_schemas

    schema_type = "avro" if kind == "avro" else "json"
    results = []
    labelled = [(f"{subject.name} v{v.contract.version}", v.schema) for v in subject.versions]
    for position in range(1, len(subject.versions)):
        mode = subject.versions[position].contract.compatibility
        result = check_schemas(labelled[:position], labelled[position], mode, schema_type)
        results.append(
            {
                "version": subject.versions[position].contract.version,
                "mode": result.mode,
                "against": [int(label.rsplit(" v", 1)[1]) for label in result.checked],
                "compatible": result.compatible,
                "summary": result.summary(),
                "breaks": [b.to_dict() for b in result.breaks],
            }
        )
    return results


def registry_document(design: Design, subjects: list[Subject], kind: SchemaKind) -> dict[str, Any]:
    """subject → compatibility mode and versions, in the order to register them."""
    fmt = _FORMATS[kind]
    entries = []
    for subject in subjects:
        latest = subject.latest.contract
        entry: dict[str, Any] = {
            "subject": subject.name,
            "event": latest.event,
            "topic": latest.topic,
            "compatibility": latest.compatibility,
            "versions": [
                {"version": v.contract.version, "file": v.file, "deprecated": v.event.deprecated}
                for v in subject.versions
            ],
        }
        if kind == "avro":
            entry["record_name"] = f"{subject.latest.schema['namespace']}.{subject.latest.schema['name']}"
        if subject.checks:
            entry["checks"] = subject.checks
        if subject.notes:
            entry["notes"] = subject.notes
        entries.append(entry)
    return {
        "design": design.name,
        "schema_type": fmt.registry_type,
        "design_schema_format": design.style.schema_format,
        "subject_naming": "<topic>-<Event>: one subject per event on its topic, as `archassist contract` names it",
        "subjects": entries,
    }


def _readme(design: Design, subjects: list[Subject], kind: SchemaKind) -> str:
    fmt = _FORMATS[kind]
    lines = [
        f"# {fmt.title} of {design.name}",
        "",
        "One schema per event and version, from the contracts `archassist contract` defines. Each subject is named "
        "`<topic>-<Event>`; set its compatibility mode before registering its first schema, then register the "
        "versions oldest first. `registry.json` holds the same list for scripts.",
        "",
        _format_note(design, kind),
        "",
        "| Subject | Versions | Compatibility | Notes |",
        "|---|---|---|---|",
    ]
    for subject in subjects:
        versions = ", ".join(
            f"[v{v.contract.version}]({v.file})" + (" (deprecated)" if v.event.deprecated else "")
            for v in subject.versions
        )
        broken = [c for c in subject.checks if not c["compatible"]]
        notes = "; ".join(c["summary"] for c in broken) or ("see registry.json" if subject.notes else "")
        lines.append(f"| `{subject.name}` | {versions} | {subject.latest.contract.compatibility} | {notes} |")
    example = subjects[0] if subjects else None
    lines += [
        "",
        "## Registering with a Schema Registry",
        "",
        "With a Confluent-compatible registry at `$SCHEMA_REGISTRY_URL`, for each subject:",
        "",
        "```sh",
    ]
    if example is not None:
        name, first = example.name, example.versions[0]
        mode = first.contract.compatibility
        lines += [
            f"curl -fsS -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' "
            f"--data '{{\"compatibility\": \"{mode}\"}}' \"$SCHEMA_REGISTRY_URL/config/{name}\"",
            f"jq -n --rawfile schema '{first.file}' '{{schemaType: \"{fmt.registry_type}\", schema: $schema}}' \\",
            "  | curl -fsS -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @- \\",
            f"    \"$SCHEMA_REGISTRY_URL/subjects/{name}/versions\"",
        ]
    lines += [
        "```",
        "",
        "A registry numbers the versions of a subject itself, from 1; the `v<N>` of a file is the event's own "
        "schema version, the one its envelope's `version` field carries.",
    ]
    if kind == "avro":
        lines += [
            "",
            "Confluent's serializers name subjects themselves: with `TopicRecordNameStrategy` an Avro subject is "
            "`<topic>-<record full name>` (the `record_name` in registry.json). Register under that name instead "
            "when producers derive the subject that way.",
        ]
    return "\n".join(lines) + "\n"


def _format_note(design: Design, kind: SchemaKind) -> str:
    chosen = design.style.schema_format
    names = {"avro": "Avro", "json_schema": "JSON Schema", "protobuf": "Protobuf"}
    this = "avro" if kind == "avro" else "json_schema"
    if chosen == this:
        return f"The design's schema format (`style.schema_format`) is {names[chosen]}: these are the schemas to register."
    return (
        f"The design's schema format (`style.schema_format`) is {names[chosen]}, so producers serialize with that; "
        f"these schemas describe the same events for tools that read {names[this]}."
    )


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_schemas(design: Design, options: ExportOptions, kind: SchemaKind) -> list[Artifact]:
    """The schema files of one kind, a registry.json and a README, under schemas/<kind>/."""
    check_options(kind, options, {})
    fmt = _FORMATS[kind]
    subjects = subjects_of(design, kind)
    if not subjects:
        return []
    artifacts = [
        Artifact(
            f"{fmt.folder}/{v.file}",
            _dump(v.schema),
            f"{fmt.noun} of {v.contract.event} v{v.contract.version} (subject {subject.name})",
        )
        for subject in subjects
        for v in subject.versions
    ]
    artifacts.append(
        Artifact(
            f"{fmt.folder}/registry.json",
            _dump(registry_document(design, subjects, kind)),
            "every subject with its compatibility mode and versions, for registering with a Schema Registry",
        )
    )
    artifacts.append(Artifact(f"{fmt.folder}/README.md", _readme(design, subjects, kind), "how to register them"))
    return artifacts


def export_avro(design: Design, options: ExportOptions) -> list[Artifact]:
    """An Avro schema (.avsc) per event and version."""
    return export_schemas(design, options, "avro")


def export_jsonschema(design: Design, options: ExportOptions) -> list[Artifact]:
    """A JSON Schema 2020-12 document per event and version."""
    return export_schemas(design, options, "jsonschema")
