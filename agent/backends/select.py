"""Choosing a backend from ``--backend offline|anthropic|auto``, ``--model`` and the environment.

- ``auto`` uses Claude when ``ANTHROPIC_API_KEY`` is set and the offline planner otherwise (see choice.py);
- the model comes from ``--model``, then ``ARCHASSIST_MODEL``, then :data:`DEFAULT_MODEL`;
- ``ARCHASSIST_MAX_RETRIES``, ``ARCHASSIST_TIMEOUT`` (seconds) and ``ARCHASSIST_MAX_TOKENS`` tune the calls;
- unless ``no_fallback`` is set, Claude is wrapped so that an unreachable API falls back to the planner.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from archassist.agent.backends.anthropic_backend import AnthropicBackend
from archassist.agent.backends.base import (
    Backend,
    BackendInputError,
    BackendUnavailableError,
    DesignResult,
    Knowledge,
)
from archassist.agent.backends.choice import KEY_VARIABLE, environment, resolve_backend_name
from archassist.agent.backends.offline import OfflineBackend
from archassist.agent.backends.repair import DEFAULT_REPAIR_ROUNDS, MAX_REPAIR_ROUNDS
from archassist.agent.backends.request import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    ClaudeSettings,
    base_url,
)
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent

log = logging.getLogger(__name__)

__all__ = ["FallbackBackend", "resolve_backend_name", "resolve_model", "resolve_settings", "select_backend"]


def resolve_model(model: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--model``, else ``ARCHASSIST_MODEL``, else the default (the current Sonnet)."""
    for candidate in (model, environment(env).get("ARCHASSIST_MODEL")):
        if candidate and candidate.strip():
            return candidate.strip()
    return DEFAULT_MODEL


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float, integer: bool) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise BackendInputError(f"{name} is '{raw}'; set it to {kind} of at least {minimum:g}") from None
    if value < minimum:
        raise BackendInputError(f"{name} is {raw}; it must be at least {minimum:g}")
    return value


def resolve_settings(
    *,
    model: str | None = None,
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS,
    max_retries: int | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> ClaudeSettings:
    """Settings from arguments first, then the environment, then the defaults; bad values are input errors."""
    values = environment(env)
    if not 0 <= repair_rounds <= MAX_REPAIR_ROUNDS:
        raise BackendInputError(
            f"--repair-rounds is {repair_rounds}; use a number from 0 to {MAX_REPAIR_ROUNDS}"
        )
    if max_retries is not None and max_retries < 0:
        raise BackendInputError(f"--max-retries is {max_retries}; use 0 or more")
    if timeout is not None and timeout <= 0:
        raise BackendInputError(f"--timeout is {timeout:g}; use a number of seconds above 0")
    return ClaudeSettings(
        model=resolve_model(model, values),
        max_tokens=int(
            _number(values, "ARCHASSIST_MAX_TOKENS", DEFAULT_MAX_TOKENS, minimum=1024, integer=True)
        ),
        max_retries=(
            max_retries
            if max_retries is not None
            else int(_number(values, "ARCHASSIST_MAX_RETRIES", DEFAULT_MAX_RETRIES, minimum=0, integer=True))
        ),
        timeout_s=(
            timeout
            if timeout is not None
            else _number(values, "ARCHASSIST_TIMEOUT", DEFAULT_TIMEOUT_S, minimum=1, integer=False)
        ),
        repair_rounds=repair_rounds,
    )


class FallbackBackend:
    """Claude first; when the API cannot be reached, the offline planner, with a notice saying so."""

    def __init__(self, primary: Backend, fallback: Backend) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    def design(
        self, brief: str, *, precedents: Sequence[Precedent] = (), knowledge: Knowledge | None = None
    ) -> DesignResult:
        try:
            return self.primary.design(brief, precedents=precedents, knowledge=knowledge)
        except BackendUnavailableError as exc:
            notice = f"Claude is unavailable: {exc}; used the offline planner instead"
            log.info(notice)
            result = self.fallback.design(brief, precedents=precedents, knowledge=knowledge)
            result.notices.insert(0, notice)
            result.usage.add(exc.usage)
            return result

    def review_commentary(self, design: Design, findings: Sequence[Finding]) -> str | None:
        try:
            return self.primary.review_commentary(design, findings)
        except BackendUnavailableError as exc:
            log.info("Claude is unavailable for commentary: %s", exc)
            return None


def select_backend(
    backend: str = "auto",
    *,
    model: str | None = None,
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS,
    no_fallback: bool = False,
    max_retries: int | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    client: Any = None,
) -> Backend:
    """The backend to run: offline, Claude, or Claude falling back to offline (the default for Claude)."""
    values = environment(env)
    name = resolve_backend_name(backend, values)
    settings = resolve_settings(
        model=model, repair_rounds=repair_rounds, max_retries=max_retries, timeout=timeout, env=values
    )
    if name == "offline":
        return OfflineBackend()
    key = values.get(KEY_VARIABLE, "").strip()
    if client is None and not key:
        raise BackendInputError(f"--backend anthropic needs {KEY_VARIABLE}; set it, or use --backend offline")
    claude = AnthropicBackend(settings=settings, client=client, api_key=key or None, base_url=base_url(values))
    return claude if no_fallback else FallbackBackend(claude, OfflineBackend())
