"""Role prompts: the architect prompt plus one prompt per mode, rendered from the Jinja2 templates in `prompts/`.

A rendered prompt has three parts. ``system`` (the role prompt and the mode's instructions) depends on the mode
only, so a model provider can cache it; ``context`` carries what this target brings along (recalled precedents,
catalog entries for its domains and patterns); ``task`` holds the target and the output requirements. The CLI
(`archassist prompt`), the MCP prompts and the Claude backend all render through :func:`render_prompt`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal, get_args

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    import jinja2
    from archassist.agent.model.precedents import Precedent
    from archassist.agent.planner.brief import BriefFacts
    from archassist.agent.planner.knowledge import Domain, Pattern

Mode = Literal["design", "review", "contract", "reliability", "migration"]
MODES: tuple[str, ...] = get_args(Mode)

# How much of a target is scanned for domains and patterns (see knowledge_for).
KNOWLEDGE_SCAN_CHARS = 8_000

MODE_SUMMARIES: dict[str, str] = {
    "design": "Design an event-driven architecture from a brief.",
    "review": "Audit an existing event flow, design file or AsyncAPI document.",
    "contract": "Define or evolve one event contract: ownership, fields, ordering, versioning.",
    "reliability": "Design retries, idempotency, dead letters, replay and operator controls for a flow.",
    "migration": "Plan adopting or replacing an event flow in reversible phases.",
}

# Words in a target that call for a pattern of the catalog, matched at the start of a word. The brief parser's
# flags (event sourcing, CQRS, personal data...) add to these; see `_patterns_from_facts`.
PATTERN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "transactional_outbox": ("outbox", "dual write", "dual-write", "transactional publish"),
    "idempotent_consumer": ("idempoten", "duplicate", "dedup", "exactly once", "exactly-once", "inbox",
                            "at least once", "at-least-once"),
    "saga_orchestration": ("saga", "orchestrat", "process manager", "compensat"),
    "saga_choreography": ("saga", "choreograph"),
    "cqrs_projection": ("cqrs", "read model", "projection", "materialized view", "materialised view"),
    "event_sourcing": ("event sourc", "event-sourc", "event store", "snapshot", "audit trail"),
    "event_upcasting": ("upcast", "schema evolution", "evolve the schema", "breaking change"),
    "dead_letter_queue": ("dead letter", "dead-letter", "dlq", "poison"),
    "retry_with_backoff": ("retry", "retries", "backoff", "back-off", "transient"),
    "claim_check": ("claim check", "claim-check", "large payload", "attachment", "blob"),
    "competing_consumers": ("competing consumer", "worker pool", "scale out", "scale-out", "horizontal scal"),
    "partition_by_key": ("partition", "ordering", "in order", "out of order", "out-of-order"),
    "change_data_capture": ("cdc", "change data capture", "debezium", "binlog"),
    "strangler_fig": ("strangler", "monolith", "legacy", "migrat", "replace the"),
    "event_carried_state_transfer": ("state transfer", "local copy", "replicated data", "avoid lookups"),
    "event_notification": ("event notification", "thin event", "notification event"),
    "schema_registry": ("schema registry", "contract", "avro", "protobuf", "compatib", "versioning"),
    "crypto_shredding": ("gdpr", "right to be forgotten", "erasure", "crypto-shred", "crypto shred", "pii",
                         "personal data"),
    "consumer_lag_monitoring": ("consumer lag", "lag", "monitoring", "observab", "alerting"),
    "correlation_causation_ids": ("correlation", "causation", "tracing", "trace id"),
    "compacted_state_topic": ("compacted", "compaction", "latest state", "changelog"),
}


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt in three parts; :meth:`text` joins them into one document."""

    mode: str
    system: str
    context: str
    task: str

    def text(self) -> str:
        """The whole prompt as one document: system, then context (when there is any), then task."""
        parts = [part.strip("\n") for part in (self.system, self.context, self.task) if part.strip()]
        return "\n\n".join(parts) + "\n"


def _line(value: object) -> str:
    """Free text squeezed onto one line, for list items."""
    return " ".join(str(value).split())


def _clause(value: object) -> str:
    """One line without its closing punctuation, for text the template continues."""
    return _line(value).rstrip(" .;")


def _code(value: object) -> str:
    return f"`{value}`"


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of `archassist.prompts`, built once per process."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archassist.prompts", "."),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["line"] = _line
    env.filters["clause"] = _clause
    env.filters["code"] = _code
    return env


def check_mode(mode: str) -> str:
    """The mode, normalised; an unknown one is a user error that lists the modes."""
    value = mode.strip().lower()
    if value not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    return value


@cache
def system_prompt(mode: str) -> str:
    """The architect role prompt followed by the mode's instructions; depends on the mode only."""
    env = environment()
    role = env.get_template("architect.md.j2").render()
    instructions = str(env.get_template(f"{check_mode(mode)}.md.j2").module.instructions())  # type: ignore[attr-defined]
    return role.rstrip("\n") + "\n\n" + instructions.strip("\n") + "\n"


@cache
def _keyword_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One regular expression per pattern: any of its keywords at the start of a word."""
    return tuple(
        (name, re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in words) + ")"))
        for name, words in PATTERN_KEYWORDS.items()
    )


def _patterns_from_facts(facts: BriefFacts) -> set[str]:
    wanted: set[str] = set()
    if facts.event_sourcing or facts.audit:
        wanted.add("event_sourcing")
    if facts.cqrs:
        wanted.add("cqrs_projection")
    if facts.coordination == "orchestration":
        wanted.add("saga_orchestration")
    elif facts.coordination == "choreography":
        wanted.add("saga_choreography")
    if facts.pii or facts.gdpr:
        wanted.add("crypto_shredding")
    if facts.exactly_once:
        wanted.add("idempotent_consumer")
    return wanted


def knowledge_for(target: str) -> tuple[list[Domain], list[Pattern]]:
    """The catalog's business domains the target names (brief parser) and the patterns it calls for (keywords
    and the brief's flags), each in catalog order. Only the first KNOWLEDGE_SCAN_CHARS characters are read: a
    long document names its domains early, and the brief parser's cost grows with the text."""
    from archassist.agent.planner.brief import parse_brief
    from archassist.agent.planner.knowledge import patterns

    head = target[:KNOWLEDGE_SCAN_CHARS]
    facts = parse_brief(head)
    domains = [match.domain for match in facts.domains]
    low = " ".join(head.lower().split())
    wanted = _patterns_from_facts(facts)
    for name, regex in _keyword_patterns():
        if regex.search(low):
            wanted.add(name)
    catalog = patterns()
    return domains, [pattern for name, pattern in catalog.items() if name in wanted]


def render_context(
    precedents: Sequence[Precedent] = (), domains: Sequence[Domain] = (), patterns: Sequence[Pattern] = ()
) -> str:
    """The context part: precedents and catalog entries, or "" when there are none."""
    if not (precedents or domains or patterns):
        return ""
    text = environment().get_template("context.md.j2").render(
        precedents=list(precedents), domains=list(domains), patterns=list(patterns)
    )
    return text.strip("\n") + "\n" if text.strip() else ""


def render_prompt(
    mode: str,
    target: str,
    *,
    precedents: Sequence[Precedent] = (),
    domains: Sequence[Domain] | None = None,
    patterns: Sequence[Pattern] | None = None,
) -> RenderedPrompt:
    """Render the prompt of a mode for a target.

    ``domains`` and ``patterns`` left at None are chosen from the target by :func:`knowledge_for`; pass empty
    sequences to leave the catalog out. An unknown mode or an empty target raises :class:`InputError`.
    """
    name = check_mode(mode)
    if not target.strip():
        raise InputError(f"the {name} target is empty; say what to work on, e.g. {_EXAMPLES[name]}")
    if domains is None or patterns is None:
        found_domains, found_patterns = knowledge_for(target)
        domains = found_domains if domains is None else domains
        patterns = found_patterns if patterns is None else patterns
    task = str(environment().get_template(f"{name}.md.j2").module.task(target.strip("\n")))  # type: ignore[attr-defined]
    return RenderedPrompt(
        mode=name,
        system=system_prompt(name),
        context=render_context(precedents, domains, patterns),
        task=task.strip("\n") + "\n",
    )


_EXAMPLES: dict[str, str] = {
    "design": '"order fulfillment across payments, inventory and shipping"',
    "review": '"event flow for user-created -> email sync"',
    "contract": '"invoice.paid"',
    "reliability": '"retry strategy for webhook ingestion"',
    "migration": '"move monolith side effects to events"',
}
