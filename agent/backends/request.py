"""The Messages API requests of the Claude backend, built as plain data, and the dry run's view of them.

Plain functions build each JSON body (:func:`design_request`, :func:`repair_request`, :func:`commentary_request`)
so the dry run, the cassette generator and the backend send byte-for-byte the same body. Nothing here imports
``anthropic``: the dry run works without the SDK being loaded and without a key.

Every body carries ``"stream": true`` and keeps its keys in the order the SDK writes them, so
:meth:`RequestPreview.body_json` is exactly the bytes that go on the wire.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from archassist.agent.backends.base import BackendInputError, Knowledge
from archassist.agent.backends.llm_schema import llm_pointer, llm_schema, llm_schema_json, to_llm_json
from archassist.agent.backends.repair import DEFAULT_REPAIR_ROUNDS, render_repair_prompt, repair_findings
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent

if TYPE_CHECKING:
    from archassist.agent.backends.prompting import RenderedPrompt

# The current Sonnet: the documented balance of speed, cost and quality for long structured answers.
DEFAULT_MODEL = "claude-sonnet-5-5"
# A full design is 60-80 kB of JSON (20-30k tokens, more with a newer tokenizer), plus adaptive thinking.
DEFAULT_MAX_TOKENS = 64_000
DEFAULT_MAX_RETRIES = 2
# How long one attempt may wait to connect and, once the answer streams, for its next part.
DEFAULT_TIMEOUT_S = 600.0
COMMENTARY_MAX_TOKENS = 4_000
DEFAULT_BASE_URL = "https://api.anthropic.com"
BASE_URL_VARIABLE = "ANTHROPIC_BASE_URL"
MESSAGES_PATH = "/v1/messages"
# Chars per token for the dry run's estimate; the real count depends on the model's tokenizer.
CHARS_PER_TOKEN = 4
CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}
# The order in which the SDK writes a Messages body; the dry run prints the keys in the same order.
WIRE_ORDER = ("max_tokens", "messages", "model", "output_config", "system", "stream")

SchemaMode = Literal["native", "prompt"]

OUTPUT_NOTE = """\
# Output format for this call

This call answers in a structured JSON format, which replaces the Markdown layout the task asks for. Put the \
content of each section into the design's fields: overview into `summary`, `style`, `requirements` and \
`assumptions`; the event catalog into `events` (and their consumers into `consumers`); then `commands`, \
`topics`, `consumers`, workflows into `sagas`, read models into `projections`, `observability`, `decisions` \
(cite precedent ids in `cites`) and `tradeoffs`.

- Answer with the whole design as one JSON object. Every field is required.
- An array described as "0 or 1 item: [] = none" holds an optional value: write [] when there is none and \
[value] when there is one. Other arrays are plain lists.
- Names refer to other parts of the design (services, aggregates, events, topics); keep every reference \
consistent.
- Respect the limits the schema cannot state: partitions, replication factor, min in-sync replicas, versions, \
retry attempts and concurrency are at least 1; rates, durations, retention and lag targets are above 0; a \
suppression needs a reason. The answer is validated against the design model after you send it."""

PROMPT_SCHEMA_INTRO = (
    "Answer with only the JSON object, no prose and no code fence. It must follow this JSON Schema exactly:\n"
)


@dataclass(frozen=True)
class ClaudeSettings:
    """How the Claude backend calls the API. Never holds the key."""

    model: str = DEFAULT_MODEL
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_retries: int = DEFAULT_MAX_RETRIES
    timeout_s: float = DEFAULT_TIMEOUT_S
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS


def base_url(env: Mapping[str, str] | None = None) -> str | None:
    """``ANTHROPIC_BASE_URL`` when it is set (the SDK sends there), else None for the API's own address."""
    value = (os.environ if env is None else env).get(BASE_URL_VARIABLE, "").strip()
    return value or None


def _without_dot_segments(url: str) -> str:
    """The URL with ``.`` and ``..`` path segments resolved (RFC 3986, 5.2.4), as the SDK's HTTP client sends it."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    kept: list[str] = []
    segments = parts.path.split("/")
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        elif segment == ".":
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return urlunsplit(parts._replace(path="/".join(kept)))


def messages_url(env: Mapping[str, str] | None = None) -> str:
    """Where a Messages call goes, joined the way the SDK joins its base URL and the path."""
    return _without_dot_segments((base_url(env) or DEFAULT_BASE_URL).rstrip("/") + MESSAGES_PATH)


def wire_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with ``stream`` set and its keys in the SDK's order (any other key keeps its place after them)."""
    full = {**body, "stream": True}
    ordered = {key: full[key] for key in WIRE_ORDER if key in full}
    return {**ordered, **{k: v for k, v in full.items() if k not in ordered}}


def sdk_arguments(body: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``client.messages.stream`` for a body: the SDK adds ``stream`` itself."""
    return {k: v for k, v in body.items() if k != "stream"}


def _text(text: str, *, cached: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if cached:
        block["cache_control"] = dict(CACHE_CONTROL)
    return block


def render_design_prompt(
    brief: str, *, precedents: Sequence[Precedent] = (), knowledge: Knowledge | None = None
) -> RenderedPrompt:
    """The design mode's rendered prompt (prompts/*.md.j2) for this brief."""
    from archassist.agent.backends.prompting import render_prompt
    from archassist.agent.planner import knowledge as catalog

    knowledge = knowledge or Knowledge()
    domains = None
    if knowledge.domains is not None:
        known = catalog.domains()
        unknown = [name for name in knowledge.domains if name not in known]
        if unknown:
            raise BackendInputError(f"unknown domain {unknown[0]!r}; see knowledge/domains/ for the catalog")
        domains = [known[name] for name in knowledge.domains]
    patterns = None
    if knowledge.patterns is not None:
        known_patterns = catalog.patterns()
        missing = [name for name in knowledge.patterns if name not in known_patterns]
        if missing:
            raise BackendInputError(
                f"unknown pattern {missing[0]!r}; see knowledge/patterns.yaml for the catalog"
            )
        patterns = [known_patterns[name] for name in knowledge.patterns]
    return render_prompt("design", brief, precedents=tuple(precedents), domains=domains, patterns=patterns)


def system_blocks(system_prompt: str) -> list[dict[str, Any]]:
    """The role and mode prompt, then the output note; the cache breakpoint closes this stable prefix."""
    return [_text(system_prompt), _text(OUTPUT_NOTE, cached=True)]


def design_request(
    brief: str,
    *,
    precedents: Sequence[Precedent] = (),
    knowledge: Knowledge | None = None,
    settings: ClaudeSettings = ClaudeSettings(),
    schema_mode: SchemaMode = "native",
) -> dict[str, Any]:
    """The JSON body of the first Messages API call for a brief."""
    rendered = render_design_prompt(brief, precedents=precedents, knowledge=knowledge)
    user: list[dict[str, Any]] = []
    if rendered.context.strip():
        user.append(_text(rendered.context))
    user.append(_text(rendered.task))
    body: dict[str, Any] = {
        "max_tokens": settings.max_tokens,
        "messages": [{"role": "user", "content": user}],
        "model": settings.model,
        "system": system_blocks(rendered.system),
    }
    return with_schema_mode(body, schema_mode)


def with_schema_mode(body: dict[str, Any], schema_mode: SchemaMode) -> dict[str, Any]:
    """The body asking for the schema as structured output (native) or, when the API refuses it, in the prompt."""
    out = {k: v for k, v in body.items() if k != "output_config"}
    messages = [dict(m) for m in out["messages"]]
    first = dict(messages[0])
    content = [b for b in first["content"] if not b["text"].startswith(PROMPT_SCHEMA_INTRO)]
    if schema_mode == "native":
        out["output_config"] = {"format": {"type": "json_schema", "schema": llm_schema()}}
    else:
        content.append(_text(PROMPT_SCHEMA_INTRO + llm_schema_json()))
    first["content"] = content
    messages[0] = first
    out["messages"] = messages
    return wire_body(out)


def repair_request(
    first: dict[str, Any], design: Design, findings: Sequence[Finding], *, round: int = 1, rounds: int = 1
) -> dict[str, Any]:
    """The repair call: the first request's system and user turn, the design to correct, then the findings.

    Only the latest design travels back (not the whole history), so every round costs about the same.
    Pointers are rewritten for the shape Claude answers in, where optional values sit in one-item arrays.
    """
    findings = [replace(f, pointer=llm_pointer(f.pointer)) for f in findings]
    return wire_body(
        {
            **first,
            "messages": [
                first["messages"][0],
                {"role": "assistant", "content": [_text(to_llm_json(design))]},
                {"role": "user", "content": [_text(render_repair_prompt(findings, round=round, rounds=rounds))]},
            ],
        }
    )


def commentary_request(
    design: Design, findings: Sequence[Finding], *, settings: ClaudeSettings = ClaudeSettings()
) -> dict[str, Any]:
    """A plain-text review of a design, on top of the findings the rules engine already reported."""
    from archassist.agent.backends.prompting import knowledge_for, render_prompt
    from archassist.agent.model.io import dumps

    # The catalog entries follow the design's brief: matching them against the whole YAML is slow and noisy.
    domains, patterns = knowledge_for(design.brief or design.summary or design.name)
    rendered = render_prompt("review", dumps(design, "yaml"), domains=domains, patterns=patterns)
    listed = repair_findings(findings)
    lines = [f"- [{f.code} {f.severity}] {f.pointer or '/'}: {f.message}" for f in listed] or ["- (none)"]
    user: list[dict[str, Any]] = []
    if rendered.context.strip():
        user.append(_text(rendered.context))
    user.append(_text(rendered.task))
    user.append(
        _text(
            "The rules engine already reports these findings; do not repeat them. Add what rules cannot see: "
            "fit to the brief, risks, trade-offs and the next decisions to make, in a few short paragraphs.\n"
            + "\n".join(lines)
        )
    )
    return wire_body(
        {
            "max_tokens": COMMENTARY_MAX_TOKENS,
            "messages": [{"role": "user", "content": user}],
            "model": settings.model,
            "system": [_text(rendered.system, cached=True)],
        }
    )


def encode_body(body: Mapping[str, Any]) -> str:
    """A body as the SDK encodes it: compact separators, non-ASCII characters kept as they are."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class RequestPreview:
    """What a design call would send, shown by ``--dry-run`` without calling the API."""

    body: dict[str, Any]
    url: str = DEFAULT_BASE_URL + MESSAGES_PATH

    def body_json(self) -> str:
        """The exact request body, as the bytes the SDK would send (UTF-8)."""
        return encode_body(self.body)

    @property
    def system_chars(self) -> int:
        return sum(len(b["text"]) for b in self.body["system"])

    @property
    def user_chars(self) -> int:
        return sum(len(b["text"]) for b in self.body["messages"][0]["content"])

    @property
    def schema_bytes(self) -> int:
        schema = self.body.get("output_config", {}).get("format", {}).get("schema")
        return len(encode_body(schema).encode("utf-8")) if schema is not None else 0

    @property
    def body_bytes(self) -> int:
        return len(self.body_json().encode("utf-8"))

    @property
    def estimated_input_tokens(self) -> int:
        chars = self.system_chars + self.user_chars + self.schema_bytes
        return -(-chars // CHARS_PER_TOKEN)

    def summary(self) -> list[str]:
        """Three lines about the request: where it goes, what it asks for, what it weighs."""
        system = self.body["system"]
        cached = sum(1 for b in system if "cache_control" in b)
        user = self.body["messages"][0]["content"]
        schema = (
            f"output schema {self.schema_bytes:,} bytes as json_schema structured output"
            if self.schema_bytes
            else "output schema in the prompt"
        )
        return [
            f"dry run: POST {self.url} (not sent)",
            f"model {self.body['model']}, max_tokens {self.body['max_tokens']:,}, streamed; "
            f"system {len(system)} blocks ({self.system_chars:,} chars, cache_control on {cached}), "
            f"user {len(user)} blocks ({self.user_chars:,} chars)",
            f"body {self.body_bytes:,} bytes, {schema}; about {self.estimated_input_tokens:,} input tokens "
            f"(characters / {CHARS_PER_TOKEN}; the model's tokenizer decides the real count)",
        ]


def preview_design_request(
    brief: str,
    *,
    precedents: Sequence[Precedent] = (),
    knowledge: Knowledge | None = None,
    settings: ClaudeSettings = ClaudeSettings(),
    env: Mapping[str, str] | None = None,
) -> RequestPreview:
    """The first design call for a brief, addressed where the SDK would send it."""
    return RequestPreview(
        design_request(brief, precedents=precedents, knowledge=knowledge, settings=settings),
        url=messages_url(env),
    )
