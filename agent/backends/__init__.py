"""Backends that produce designs: the offline planner and Claude, behind one :class:`Backend` protocol.

Importing this package never imports ``anthropic``; the SDK loads when a Claude client is created.
"""

from archassist.agent.backends.base import (
    Backend,
    BackendError,
    BackendInputError,
    BackendUnavailableError,
    DesignResult,
    Knowledge,
    Usage,
)

__all__ = [
    "Backend",
    "BackendError",
    "BackendInputError",
    "BackendUnavailableError",
    "DesignResult",
    "Knowledge",
    "Usage",
]
