"""The curated knowledge base: business domains and patterns, read from the YAML files in `knowledge/`.

The files are data, not code. This module validates them into typed models once per process and caches the
result, so the planner, the prompts and the MCP resources all read the same catalog.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from archassist.agent.model.design import FieldType
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ThroughputClass = Literal["low", "medium", "high", "very_high"]

# Sustained events per second assumed for each throughput class when a brief gives no number.
THROUGHPUT_EPS: dict[str, float] = {"low": 20, "medium": 200, "high": 2_000, "very_high": 20_000}


class _KB(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class KField(_KB):
    name: str
    type: FieldType = "string"
    required: bool = True
    description: str = ""
    pii: bool = False
    items: FieldType | None = None


class KAggregate(_KB):
    name: str
    id_field: str
    invariants: list[str] = Field(default_factory=list)
    expected_stream_length: int | None = None


class KCommand(_KB):
    name: str
    aggregate: str
    emits: list[str]
    description: str = ""


class KEvent(_KB):
    name: str
    aggregate: str
    description: str
    fields: list[KField]


class KReaction(_KB):
    """This domain consumes another domain's event and does something with it."""

    domain: str
    event: str
    action: str
    emits: list[str] = Field(default_factory=list)


class KProjection(_KB):
    name: str
    purpose: str
    source_events: list[str]
    store: str = "postgresql"
    key: str


class KSagaInitiator(_KB):
    """The domain starts cross-domain workflows and records how they end."""

    trigger_event: str
    completion_command: str
    completion_event: str
    failure_command: str
    failure_event: str


class KSagaStep(_KB):
    """The domain performs one step of a cross-domain workflow."""

    rank: int = Field(description="Position among participants: lower runs first.")
    serves: list[str] = Field(
        default_factory=list,
        description="Initiating domains whose workflows this step joins; empty joins any.",
    )
    action: str
    command: str
    success_event: str
    failure_event: str
    side_effect: bool = True
    compensation: str | None = None
    compensation_command: str | None = None
    compensation_event: str | None = None
    timeout_s: float
    retriable: bool = True
    pivot: bool = False


class KSagaRole(_KB):
    initiates: KSagaInitiator | None = None
    participates: KSagaStep | None = None
    also: list[KSagaStep] = Field(
        default_factory=list, description="Further steps of the same domain in the workflow (capture after the pivot)."
    )


class Domain(_KB):
    name: str
    title: str
    description: str
    synonyms: list[str]
    service: str
    bounded_context: str
    aggregates: list[KAggregate]
    commands: list[KCommand]
    events: list[KEvent]
    reacts_to: list[KReaction] = Field(default_factory=list)
    projections: list[KProjection] = Field(default_factory=list)
    saga: KSagaRole = Field(default_factory=KSagaRole)
    throughput: ThroughputClass
    event_sourced_fit: bool = Field(
        False, description="History of this domain is itself valuable (audit, money)."
    )
    related: list[str] = Field(default_factory=list)

    def event(self, name: str) -> KEvent | None:
        return next((e for e in self.events if e.name == name), None)


class KVerb(_KB):
    """What one verb of a brief means for the design; see knowledge/verbs.yaml for each key."""

    participle: str | None = None
    event_verb: str | None = None
    object: str | None = None
    reverse: str | None = None
    pivot: bool = False
    money: bool = False
    claim: bool = False
    message: bool = False
    perspective: str | None = None
    nominal: list[str] = Field(default_factory=list)
    context: str | None = None
    fallback_verb: str | None = None
    received_as: str | None = None
    intransitive: bool = False
    failure: str | None = None
    from_party: str | None = None
    read_model: bool = False
    object_class: str | None = None
    timeout_s: float | None = Field(None, gt=0)


class KState(_KB):
    verb: str


class KImplied(_KB):
    verb: str
    object: str


class Lexicon(_KB):
    """The verb lexicon and the noun classes event storming reads a brief with."""

    verbs: dict[str, KVerb]
    messages: list[str]
    documents: list[str]
    generic_objects: list[str]
    parties: list[str]
    machines: list[str]
    charges: list[str]
    money_nouns: list[str]
    proposals: list[str]
    evidence: list[str]
    implied: dict[str, KImplied]
    processes: list[str]
    workforce: list[str]
    weak_modifiers: list[str]
    states: dict[str, KState]
    occurrences: dict[str, str]
    personal_data: dict[str, list[KField]]
    # The reading of a verb the lexicon does not list: every key at its default. It is built with the lexicon
    # and cached with it, so a brief with an unknown verb does not pay for building the KVerb model.
    unknown_verb: KVerb = Field(default_factory=KVerb)

    def verb(self, lemma: str) -> KVerb | None:
        return self.verbs.get(lemma)

    def sense(self, lemma: str) -> KVerb:
        """What the verb means, or the defaults for a verb the lexicon does not list."""
        return self.verbs.get(lemma) or self.unknown_verb


class Pattern(_KB):
    name: str
    title: str
    summary: str
    when_to_use: list[str]
    when_not_to_use: list[str] = Field(default_factory=list)
    tradeoffs: list[str]
    rules_expect: list[str] = Field(
        description="What the rules engine checks of a design using this pattern."
    )
    related_rules: list[str] = Field(default_factory=list)
    related_patterns: list[str] = Field(default_factory=list)


class KnowledgeError(Exception):
    """A knowledge file is malformed. This is a packaging bug, not user input."""


def _read_yaml(text: str, where: str) -> object:
    # Imported here: with the catalog cache warm, a design run never parses YAML.
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc


def _cache_file(digest: str) -> Path | None:
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("archassist")) / f"knowledge-{digest}.pickle"
    except Exception:  # no usable cache location: the catalog is simply read from YAML
        return None


def _store_cached(path: Path, value: object) -> None:
    """Pickle ``value`` to the user cache atomically; a read-only cache only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass


def _load_cached(path: Path) -> dict[str, Domain] | None:
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if isinstance(found, dict) and all(isinstance(d, Domain) for d in found.values()):
        return found
    return None


@cache
def domains() -> dict[str, Domain]:
    """Every domain of the catalog, by name, in name order.

    Parsing and validating 27 YAML files costs more than the rest of a design run, so the validated catalog
    is kept in the user cache, keyed by a hash of the files and of this module (a change to either makes a
    new entry). The cache lives in the user's own cache folder, which only the user can write.
    """
    folder = resources.files("archassist.knowledge") / "domains"
    entries = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    texts = [(entry.name, entry.read_text(encoding="utf-8")) for entry in entries]
    digest_source = Path(__file__).read_bytes() + "\0".join(f"{n}\0{t}" for n, t in texts).encode()
    digest = hashlib.sha256(digest_source).hexdigest()[:24]
    cached = _cache_file(digest)
    if cached is not None and cached.is_file():
        hit = _load_cached(cached)
        if hit is not None:
            return hit
    found: dict[str, Domain] = {}
    for name, text in texts:
        raw = _read_yaml(text, name)
        try:
            domain = Domain.model_validate(raw)
        except ValidationError as exc:
            raise KnowledgeError(f"knowledge/domains/{name}: {exc}") from exc
        found[domain.name] = domain
    if cached is not None:
        _store_cached(cached, found)
    return found


@cache
def lexicon() -> Lexicon:
    """The verb lexicon (knowledge/verbs.yaml), validated once and kept in the user cache like the catalog."""
    text = (resources.files("archassist.knowledge") / "verbs.yaml").read_text(encoding="utf-8")
    digest = hashlib.sha256(Path(__file__).read_bytes() + text.encode()).hexdigest()[:24]
    cached = _cache_file(f"lexicon-{digest}")
    if cached is not None and cached.is_file():
        try:
            with cached.open("rb") as handle:
                found = pickle.load(handle)
            if isinstance(found, Lexicon):
                return found
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass
    raw = _read_yaml(text, "verbs.yaml")
    try:
        lex = Lexicon.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError(f"knowledge/verbs.yaml: {exc}") from exc
    if cached is not None:
        _store_cached(cached, lex)
    return lex


@cache
def patterns() -> dict[str, Pattern]:
    """Every pattern of the catalog, by name."""
    text = (resources.files("archassist.knowledge") / "patterns.yaml").read_text(encoding="utf-8")
    raw = _read_yaml(text, "patterns.yaml")
    if not isinstance(raw, dict) or not isinstance(raw.get("patterns"), list):
        raise KnowledgeError("knowledge/patterns.yaml: expected a mapping with a 'patterns' list")
    try:
        items = [Pattern.model_validate(p) for p in raw["patterns"]]
    except ValidationError as exc:
        raise KnowledgeError(f"knowledge/patterns.yaml: {exc}") from exc
    return {p.name: p for p in items}

