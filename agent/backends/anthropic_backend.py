"""The Claude backend: designs from the Messages API as structured output, checked and repaired by the rules engine.

The request is built by plain functions (:func:`design_request`, :func:`repair_request`) so the dry run, the
cassette generator and the backend send byte-for-byte the same body. ``anthropic`` is imported only when a
client is created, never when this module is imported.

Failure handling: the SDK retries 408/409/429/5xx/529 and connection errors with exponential backoff (honouring
``retry-after``) up to ``max_retries`` times, each attempt bounded by ``timeout_s``. What is left after that
becomes a :class:`BackendUnavailableError` (the caller falls back to the offline planner) or, for a rejected key,
an unknown model or a missing permission, a :class:`BackendInputError` (one line, exit code 2).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from archassist.agent.backends.base import (
    BackendInputError,
    BackendUnavailableError,
    DesignResult,
    Knowledge,
    Usage,
)
from archassist.agent.backends.llm_schema import (
    LLMFormatError,
    llm_pointer,
    llm_schema,
    llm_schema_json,
    parse_answer,
    to_llm_json,
)
from archassist.agent.backends.repair import (
    DEFAULT_REPAIR_ROUNDS,
    render_repair_prompt,
    repair_findings,
    run_repair_loop,
)
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent

if TYPE_CHECKING:
    import anthropic
    import httpx2
    from archassist.agent.backends.prompting import RenderedPrompt

log = logging.getLogger(__name__)

# The current Sonnet: the documented balance of speed, cost and quality for long structured answers.
DEFAULT_MODEL = "claude-sonnet-5-5"
# A full design is 60-80 kB of JSON (20-30k tokens, more with a newer tokenizer), plus adaptive thinking.
DEFAULT_MAX_TOKENS = 64_000
DEFAULT_MAX_RETRIES = 2
# One attempt may generate tens of thousands of tokens; the SDK's own default is also ten minutes.
DEFAULT_TIMEOUT_S = 600.0
COMMENTARY_MAX_TOKENS = 4_000
API_URL = "https://api.anthropic.com/v1/messages"
# Chars per token for the dry run's estimate; the real count depends on the model's tokenizer.
CHARS_PER_TOKEN = 4
INVALID_ANSWER_ATTEMPTS = 2
CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}

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


# ---- requests ------------------------------------------------------------------------------------------------


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
        "model": settings.model,
        "max_tokens": settings.max_tokens,
        "system": system_blocks(rendered.system),
        "messages": [{"role": "user", "content": user}],
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
    return out


def repair_request(
    first: dict[str, Any], design: Design, findings: Sequence[Finding], *, round: int = 1, rounds: int = 1
) -> dict[str, Any]:
    """The repair call: the first request's system and user turn, the design to correct, then the findings.

    Only the latest design travels back (not the whole history), so every round costs about the same.
    Pointers are rewritten for the shape Claude answers in, where optional values sit in one-item arrays.
    """
    findings = [replace(f, pointer=llm_pointer(f.pointer)) for f in findings]
    return {
        **first,
        "messages": [
            first["messages"][0],
            {"role": "assistant", "content": [_text(to_llm_json(design))]},
            {"role": "user", "content": [_text(render_repair_prompt(findings, round=round, rounds=rounds))]},
        ],
    }


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
    return {
        "model": settings.model,
        "max_tokens": COMMENTARY_MAX_TOKENS,
        "system": [_text(rendered.system, cached=True)],
        "messages": [{"role": "user", "content": user}],
    }


# ---- the dry run ---------------------------------------------------------------------------------------------


@dataclass
class RequestPreview:
    """What a design call would send, shown by ``--dry-run`` without calling the API."""

    body: dict[str, Any]
    url: str = API_URL

    @property
    def system_text(self) -> str:
        return "\n\n".join(b["text"] for b in self.body["system"])

    @property
    def user_text(self) -> str:
        return "\n\n".join(b["text"] for b in self.body["messages"][0]["content"])

    @property
    def schema_bytes(self) -> int:
        schema = self.body.get("output_config", {}).get("format", {}).get("schema")
        return len(json.dumps(schema, separators=(",", ":")).encode("utf-8")) if schema is not None else 0

    @property
    def body_bytes(self) -> int:
        return len(json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))

    @property
    def estimated_input_tokens(self) -> int:
        chars = len(self.system_text) + len(self.user_text) + self.schema_bytes
        return -(-chars // CHARS_PER_TOKEN)

    def render(self) -> str:
        cached = sum(1 for b in self.body["system"] if "cache_control" in b)
        lines = [
            f"# dry run: POST {self.url} (not sent)",
            f"model: {self.body['model']}",
            f"max_tokens: {self.body['max_tokens']}",
            f"system: {len(self.body['system'])} blocks, {len(self.system_text)} chars, "
            f"cache_control ephemeral on {cached} (the stable prefix)",
            f"user: {len(self.body['messages'][0]['content'])} blocks, {len(self.user_text)} chars",
            f"output schema: {self.schema_bytes} bytes (json_schema structured output)",
            f"request body: {self.body_bytes} bytes",
            f"estimated input tokens: ~{self.estimated_input_tokens} "
            f"(characters / {CHARS_PER_TOKEN}; the model's tokenizer decides the real count)",
            "",
            "----- system -----",
            self.system_text,
            "",
            "----- user -----",
            self.user_text,
        ]
        return "\n".join(lines).rstrip() + "\n"


def preview_design_request(
    brief: str,
    *,
    precedents: Sequence[Precedent] = (),
    knowledge: Knowledge | None = None,
    settings: ClaudeSettings = ClaudeSettings(),
) -> RequestPreview:
    return RequestPreview(
        design_request(brief, precedents=precedents, knowledge=knowledge, settings=settings)
    )


# ---- calling the API -----------------------------------------------------------------------------------------


def make_client(
    api_key: str, settings: ClaudeSettings, *, http_client: httpx2.Client | None = None
) -> anthropic.Anthropic:
    """An SDK client with explicit retries and timeout. The key lives only inside the client.

    ``http_client`` lets tests and the cassette generator put their own transport under the SDK.
    """
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key, max_retries=settings.max_retries, timeout=settings.timeout_s, http_client=http_client
    )


def _usage_of(message: Any) -> Usage:
    usage = getattr(message, "usage", None)
    if usage is None:
        return Usage(calls=1)
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_creation_input_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
        cache_read_input_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        calls=1,
    )


def _answer_text(message: Any) -> str:
    """The text blocks of an answer; thinking blocks are the model's own and are skipped."""
    return "".join(block.text for block in message.content if getattr(block, "type", None) == "text")


def _schema_refused(exc: Any) -> bool:
    text = f"{getattr(exc, 'api_message', '') or ''} {getattr(exc, 'message', '')}".lower()
    return "grammar" in text or "schema" in text or "optional parameters" in text


class _SchemaRefusedError(Exception):
    """The API would not compile the output schema into a grammar."""


class ClaudeDesigner:
    """Claude as a :class:`~archassist.agent.backends.repair.DesignModel`: drafts and repairs designs."""

    def __init__(self, client: Any, settings: ClaudeSettings) -> None:
        self._client = client
        self.settings = settings
        self.usage = Usage()
        self.notices: list[str] = []
        self.schema_mode: SchemaMode = "native"
        self._first: dict[str, Any] | None = None

    # DesignModel ------------------------------------------------------------------------------------------

    def draft(self, brief: str, *, precedents: Sequence[Precedent], knowledge: Knowledge | None) -> Design:
        self._first = design_request(
            brief,
            precedents=precedents,
            knowledge=knowledge,
            settings=self.settings,
            schema_mode=self.schema_mode,
        )
        return self._structured(self._first, what="the design")

    def repair(self, design: Design, findings: Sequence[Finding], *, round: int, rounds: int) -> Design:
        if self._first is None:
            raise RuntimeError("repair() before draft()")
        body = repair_request(self._first, design, findings, round=round, rounds=rounds)
        return self._structured(body, what=f"repair round {round}")

    # calls ------------------------------------------------------------------------------------------------

    def _structured(self, body: dict[str, Any], *, what: str) -> Design:
        """One answer parsed into a Design; an answer that is not one is asked for again, once."""
        problem = ""
        attempt = 0
        while attempt < INVALID_ANSWER_ATTEMPTS:
            try:
                message = self._send(body)
            except _SchemaRefusedError:
                body = self._to_prompt_mode(body)
                continue
            attempt += 1
            stop = getattr(message, "stop_reason", None)
            try:
                if stop in ("max_tokens", "model_context_window_exceeded"):
                    raise LLMFormatError(
                        f"the answer was cut off ({stop}, max_tokens {body['max_tokens']}); "
                        "raise ARCHASSIST_MAX_TOKENS"
                    )
                if stop == "refusal":
                    raise LLMFormatError("the model declined to answer (refusal)")
                return parse_answer(_answer_text(message))
            except LLMFormatError as exc:
                problem = str(exc)
                log.warning(
                    "%s: invalid answer (attempt %d of %d): %s", what, attempt, INVALID_ANSWER_ATTEMPTS, exc
                )
        raise BackendUnavailableError(
            f"Claude's answer for {what} was not a valid design after {INVALID_ANSWER_ATTEMPTS} attempts: {problem}",
            usage=self.usage,
        )

    def _to_prompt_mode(self, body: dict[str, Any]) -> dict[str, Any]:
        """Carry the schema in the prompt from now on (this call, later repair rounds)."""
        self.schema_mode = "prompt"
        if self._first is not None:
            self._first = with_schema_mode(self._first, "prompt")
        return with_schema_mode(body, "prompt")

    def _send(self, body: dict[str, Any]) -> Any:
        import anthropic

        try:
            message = self._client.messages.create(**body)
        except anthropic.AuthenticationError:
            raise BackendInputError(
                "the Anthropic API rejected the key (401 authentication_error); check ANTHROPIC_API_KEY"
            ) from None
        except anthropic.PermissionDeniedError as exc:
            raise BackendInputError(
                f"the API key may not use model '{body['model']}' (403 {exc.type or 'permission_error'}); "
                "check ANTHROPIC_API_KEY or choose another --model"
            ) from None
        except anthropic.NotFoundError:
            raise BackendInputError(
                f"the Anthropic API does not know model '{body['model']}' (404); "
                "choose another with --model or ARCHASSIST_MODEL"
            ) from None
        except anthropic.BadRequestError as exc:
            if "output_config" in body and _schema_refused(exc):
                notice = (
                    f"the API refused the output schema ({exc.api_message or exc.message}); "
                    "asked for the design as JSON in the prompt instead"
                )
                self.notices.append(notice)
                log.warning(notice)
                raise _SchemaRefusedError from None
            raise self._unavailable(exc, "the API refused the request") from None
        except anthropic.RateLimitError as exc:
            raise self._unavailable(exc, "rate limited") from None
        except anthropic.InternalServerError as exc:
            raise self._unavailable(exc, "overloaded" if exc.status_code == 529 else "server error") from None
        except anthropic.APIStatusError as exc:
            raise self._unavailable(exc, "the API answered with an error") from None
        except anthropic.APITimeoutError:
            raise BackendUnavailableError(
                f"no answer within {self.settings.timeout_s:g} s, {self.settings.max_retries} retries (timeout)",
                usage=self.usage,
            ) from None
        except anthropic.APIConnectionError:
            raise BackendUnavailableError(
                f"cannot reach the Anthropic API (connection error, {self.settings.max_retries} retries)",
                usage=self.usage,
            ) from None
        self.usage.add(_usage_of(message))
        return message

    def _unavailable(self, exc: Any, label: str) -> BackendUnavailableError:
        kind = exc.type or "error"
        detail = f"{label} ({exc.status_code} {kind}"
        if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
            detail += f", after {self.settings.max_retries} retries"
        if exc.request_id:
            detail += f", request-id {exc.request_id}"
        detail += ")"
        if exc.api_message and exc.status_code < 500 and exc.status_code != 429:
            detail += f": {exc.api_message}"
        return BackendUnavailableError(detail, usage=self.usage)

    def commentary(self, design: Design, findings: Sequence[Finding]) -> str | None:
        message = self._send(commentary_request(design, findings, settings=self.settings))
        text = _answer_text(message).strip()
        return text or None


def precedents_cited(design: Design, precedents: Sequence[Precedent]) -> list[str]:
    """Ids of the given precedents that the design's decisions cite, in the order they were given."""
    cited = {c for d in design.decisions for c in d.cites}
    return [p.id for p in precedents if p.id in cited]


@dataclass
class AnthropicBackend:
    """Claude through the ``anthropic`` SDK. Pass ``client`` (tests, custom transports) or ``api_key``."""

    settings: ClaudeSettings = field(default_factory=ClaudeSettings)
    client: Any = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    name: str = "anthropic"

    def __post_init__(self) -> None:
        if self.client is None:
            if not self.api_key:
                raise BackendInputError(
                    "the anthropic backend needs ANTHROPIC_API_KEY; set it, or use --backend offline"
                )
            self.client = make_client(self.api_key, self.settings)
        # The client holds the key from here on; the backend keeps no copy of it.
        self.api_key = None

    def with_settings(self, **changes: Any) -> AnthropicBackend:
        return AnthropicBackend(settings=replace(self.settings, **changes), client=self.client)

    def design(
        self, brief: str, *, precedents: Sequence[Precedent] = (), knowledge: Knowledge | None = None
    ) -> DesignResult:
        designer = ClaudeDesigner(self.client, self.settings)
        outcome = run_repair_loop(
            designer, brief, precedents=precedents, knowledge=knowledge, rounds=self.settings.repair_rounds
        )
        return DesignResult(
            design=outcome.design,
            findings=outcome.findings,
            backend=self.name,
            model=self.settings.model,
            rounds_used=outcome.rounds_used,
            usage=designer.usage,
            notices=[*designer.notices, *outcome.notices],
            precedents_applied=precedents_cited(outcome.design, precedents),
        )

    def review_commentary(self, design: Design, findings: Sequence[Finding]) -> str | None:
        return ClaudeDesigner(self.client, self.settings).commentary(design, findings)
