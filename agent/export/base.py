"""What every exporter returns and how a kind is found.

An exporter is a plain function ``(design, options) -> list[Artifact]``: it never touches the filesystem, so the
CLI, the MCP tool and the tests all see the same artifacts. Kinds are looked up lazily, so `archassist --help`
never imports an exporter.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from archassist.agent.model.design import Design


@dataclass(frozen=True)
class Artifact:
    """One file of an export: a relative POSIX path inside the output folder and its text."""

    path: str
    content: str
    description: str = ""

    def __post_init__(self) -> None:
        pure = PurePosixPath(self.path)
        if not self.path or pure.is_absolute() or ".." in pure.parts or "\\" in self.path or "\x00" in self.path:
            raise ValueError(f"artifact path {self.path!r} must be relative, inside the output folder")


@dataclass(frozen=True)
class ExportOptions:
    """Choices that shape an export; each exporter reads the ones it knows."""

    system: bool = False  # asyncapi: one document for the whole system instead of one per service
    extra: dict[str, str] = field(default_factory=dict)  # kind-specific settings (`--option KEY=VALUE`)


def check_options(kind: str, options: ExportOptions, known: dict[str, str]) -> dict[str, str]:
    """The kind-specific options given, each one the kind knows (name -> what it sets); others are refused."""
    for name in options.extra:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            listing = f"its options are {', '.join(known)}" if known else "it takes no options"
            raise InputError(f"the {kind} export has no option '{name}'; {hint}{listing}")
    return dict(options.extra)


Exporter = Callable[["Design", ExportOptions], list[Artifact]]

# kind -> (module, function, one-line description); the module is imported only when the kind is used.
KINDS: dict[str, tuple[str, str, str]] = {
    "asyncapi": ("archassist.agent.export.asyncapi", "export_asyncapi", "AsyncAPI 3.0 documents, one per service"),
    "avro": ("archassist.agent.export.schemas", "export_avro", "an Avro schema per event and version"),
    "jsonschema": ("archassist.agent.export.schemas", "export_jsonschema", "a JSON Schema per event and version"),
    "kafka": ("archassist.agent.export.kafka", "export_kafka", "Strimzi KafkaTopic YAML and a kafka-topics.sh script"),
    "sql": ("archassist.agent.export.sql", "export_sql", "PostgreSQL DDL: event store, outbox, inbox, sagas, projections"),
    "eventcatalog": ("archassist.agent.export.eventcatalog", "export_eventcatalog", "an EventCatalog folder"),
}

# The kinds with a whole-system variant (`--system`); the others always cover the whole design.
SYSTEM_KINDS = {"asyncapi"}


def available_kinds() -> list[str]:
    """The kinds whose exporter module is installed."""
    found = []
    for kind, (module, _, _) in KINDS.items():
        if importlib.util.find_spec(module) is not None:
            found.append(kind)
    return found


def exporter_for(kind: str) -> Exporter:
    """The exporter function of a kind; an unknown kind is one clear error with the known ones."""
    key = kind.strip().lower()
    if key not in KINDS:
        import difflib

        close = difflib.get_close_matches(key, KINDS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"unknown export kind '{kind}'{hint}; use one of {', '.join(KINDS)}")
    module, function, _ = KINDS[key]
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise InputError(f"export kind '{key}' is not available in this installation") from None
    exporter: Exporter = getattr(loaded, function)
    return exporter


def export(design: Design, kind: str, options: ExportOptions | None = None) -> list[Artifact]:
    """The artifacts of one kind for a design, sorted by path; duplicate paths are a bug of the exporter."""
    options = options or ExportOptions()
    exporter = exporter_for(kind)
    if options.system and kind.strip().lower() not in SYSTEM_KINDS:
        raise InputError(
            f"system (one document for the whole system) applies to {', '.join(sorted(SYSTEM_KINDS))} only, "
            f"not to {kind}; leave it out"
        )
    artifacts = exporter(design, options)
    seen: set[str] = set()
    for artifact in artifacts:
        if artifact.path in seen:
            raise AssertionError(f"exporter '{kind}' produced {artifact.path} twice")
        seen.add(artifact.path)
    return sorted(artifacts, key=lambda a: a.path)
