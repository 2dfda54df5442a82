"""The Claude contestant: the Claude backend of ``agent/backends`` with any model id, and no fallback.

A contestant that quietly became the offline planner when the API failed would score the planner under Claude's
name, so an API that gives up (rate limits after every retry, overload, answers that never validate) is that
cell's recorded failure. A rejected key or an unknown model is the user's to fix and ends the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from archassist.evals.contestants.common import ContestantError, Generation

if TYPE_CHECKING:
    from archassist.agent.backends.anthropic_backend import AnthropicBackend
    from archassist.agent.backends.request import ClaudeSettings
    from archassist.agent.model.design import Design
    from archassist.evals.base import Scenario

SPEC_PREFIX = "claude"


class ClaudeContestant:
    """Designs each scenario's brief with Claude, through the same requests and repair loop as
    ``archassist design --backend anthropic``. ``client`` replaces the SDK client built from the key (tests)."""

    concurrent = True

    def __init__(
        self,
        model: str | None = None,
        *,
        repair_rounds: int | None = None,
        env: Mapping[str, str] | None = None,
        client: Any = None,
    ) -> None:
        from archassist.agent.backends.anthropic_backend import AnthropicBackend
        from archassist.agent.backends.base import BackendInputError
        from archassist.agent.backends.choice import KEY_VARIABLE, environment
        from archassist.agent.backends.repair import DEFAULT_REPAIR_ROUNDS
        from archassist.agent.backends.request import base_url
        from archassist.agent.backends.select import resolve_settings

        values = environment(env)
        self.settings: ClaudeSettings = resolve_settings(
            model=model,
            repair_rounds=DEFAULT_REPAIR_ROUNDS if repair_rounds is None else repair_rounds,
            env=values,
        )
        key = values.get(KEY_VARIABLE, "").strip()
        if client is None and not key:
            raise BackendInputError(
                f"contestant {SPEC_PREFIX}:{self.settings.model} needs {KEY_VARIABLE}; set it, or leave Claude "
                "out of --contestants"
            )
        self.backend: AnthropicBackend = AnthropicBackend(
            settings=self.settings, client=client, api_key=key or None, base_url=base_url(values)
        )
        self.name = f"{SPEC_PREFIX}:{self.settings.model}"

    @property
    def client(self) -> Any:
        return self.backend.client

    @property
    def params(self) -> Mapping[str, Any]:
        return {"backend": "anthropic", **asdict(self.settings)}

    def generate(self, scenario: Scenario) -> Generation:
        from archassist.agent.backends.base import BackendUnavailableError

        try:
            result = self.backend.design(scenario.brief)
        except BackendUnavailableError as exc:
            return Generation(None, f"Claude gave no design: {exc}", details={"usage": exc.usage.to_dict()})
        details = {
            "model": result.model,
            "rounds_used": result.rounds_used,
            "errors": len(result.errors),
            "usage": result.usage.to_dict(),
            "notices": list(result.notices),
        }
        return Generation(result.design, details=details)

    def design(self, scenario: Scenario) -> Design:
        generation = self.generate(scenario)
        if generation.design is None:
            raise ContestantError(generation.failure or "Claude gave no design")
        return generation.design
