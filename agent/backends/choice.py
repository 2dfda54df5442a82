"""Which backend ``--backend offline|anthropic|auto`` means, decided from the environment without loading either.

``auto`` means Claude when ``ANTHROPIC_API_KEY`` is set and non-empty, so an exported key sends the brief to the
Anthropic API; without a key it means the offline planner. Kept light: the default, offline path of
`archassist design` imports this and nothing of the Claude backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from archassist.agent.backends.base import BackendInputError

BACKEND_CHOICES: tuple[str, ...] = ("auto", "offline", "anthropic")
BackendName = Literal["offline", "anthropic"]
KEY_VARIABLE = "ANTHROPIC_API_KEY"


def environment(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def has_key(env: Mapping[str, str] | None = None) -> bool:
    return bool(environment(env).get(KEY_VARIABLE, "").strip())


def resolve_backend_name(backend: str, env: Mapping[str, str] | None = None) -> BackendName:
    """The concrete backend for a ``--backend`` value."""
    choice = (backend or "auto").strip().lower()
    if choice not in BACKEND_CHOICES:
        raise BackendInputError(f"unknown backend '{backend}'; use one of {', '.join(BACKEND_CHOICES)}")
    if choice == "auto":
        return "anthropic" if has_key(env) else "offline"
    return "anthropic" if choice == "anthropic" else "offline"

