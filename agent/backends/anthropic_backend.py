"""The Claude backend: designs from the Messages API as structured output, checked and repaired by the rules engine.

The bodies come from :mod:`archassist.agent.backends.request`, so the dry run, the cassette generator and the
backend send byte-for-byte the same request. Every call streams (``client.messages.stream`` and its final
message): an answer of up to 64,000 tokens can take longer than the ten minutes the SDK allows a non-streaming
request. ``anthropic`` is imported only when a client is created, never when this module is imported.

Failure handling: the SDK retries 408/409/429/5xx/529 and connection errors with exponential backoff (honouring
``retry-after``) up to ``max_retries`` times, each attempt waiting at most ``timeout_s`` to connect and for each
part of the answer. What is left after that, and a stream that breaks off, becomes a
:class:`BackendUnavailableError` (the caller falls back to the offline planner) or, for a rejected key, an
unknown model or a missing permission, a :class:`BackendInputError` (one line, exit code 2).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archassist.agent.backends.base import (
    BackendInputError,
    BackendUnavailableError,
    DesignResult,
    Knowledge,
    Usage,
)
from archassist.agent.backends.llm_schema import LLMFormatError, parse_answer
from archassist.agent.backends.repair import run_repair_loop
from archassist.agent.backends.request import (
    ClaudeSettings,
    SchemaMode,
    commentary_request,
    design_request,
    repair_request,
    sdk_arguments,
    with_schema_mode,
)
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent

if TYPE_CHECKING:
    import anthropic
    import httpx2

log = logging.getLogger(__name__)

INVALID_ANSWER_ATTEMPTS = 2
# The HTTP libraries the SDK has used (httpx2 from SDK 1.0, httpx before): their errors while an answer streams
# in reach the caller unwrapped.
HTTP_LIBRARIES = ("httpx2", "httpx")


# ---- calling the API -----------------------------------------------------------------------------------------


def make_client(
    api_key: str,
    settings: ClaudeSettings,
    *,
    http_client: httpx2.Client | None = None,
    base_url: str | None = None,
) -> anthropic.Anthropic:
    """An SDK client with explicit retries and timeout. The key lives only inside the client.

    ``base_url`` None leaves the address to the SDK (``ANTHROPIC_BASE_URL``, else the API's own).
    ``http_client`` lets tests and the cassette generator put their own transport under the SDK.
    """
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key,
        max_retries=settings.max_retries,
        timeout=settings.timeout_s,
        http_client=http_client,
        base_url=base_url,
    )


def _stream_errors() -> tuple[type[BaseException], ...]:
    """The transport errors of whichever HTTP library the loaded SDK uses."""
    return tuple(
        sys.modules[name].TransportError for name in HTTP_LIBRARIES if name in sys.modules
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
                log.info(
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
        """One streamed call, read to its final message."""
        import anthropic

        try:
            with self._client.messages.stream(**sdk_arguments(body)) as stream:
                message = stream.get_final_message()
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
                log.info(notice)
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
        except _stream_errors() as exc:
            raise BackendUnavailableError(
                f"the answer broke off while streaming ({type(exc).__name__}"
                + (f", nothing for {self.settings.timeout_s:g} s" if "Timeout" in type(exc).__name__ else "")
                + ")",
                usage=self.usage,
            ) from None
        self.usage.add(_usage_of(message))
        return message

    def _unavailable(self, exc: Any, label: str) -> BackendUnavailableError:
        kind = exc.type or "error"
        if exc.status_code == 200:
            # An error event inside a stream that had started well: the SDK does not retry those.
            detail = f"the answer broke off while streaming ({kind}"
        else:
            detail = f"{label} ({exc.status_code} {kind}"
            if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
                detail += f", after {self.settings.max_retries} retries"
        if exc.request_id:
            detail += f", request-id {exc.request_id}"
        detail += ")"
        if exc.api_message and exc.status_code < 500 and exc.status_code not in (200, 429):
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
    base_url: str | None = None
    name: str = "anthropic"

    def __post_init__(self) -> None:
        if self.client is None:
            if not self.api_key:
                raise BackendInputError(
                    "the anthropic backend needs ANTHROPIC_API_KEY; set it, or use --backend offline"
                )
            self.client = make_client(self.api_key, self.settings, base_url=self.base_url)
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
