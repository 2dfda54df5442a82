"""Contestants from the words of ``--contestants``: ``offline``, ``baseline``, ``claude[:MODEL]``, ``dir:PATH``,
``cmd:COMMAND``.

A list is split on commas outside quotes, so ``offline,cmd:"gen --modes a,b {brief}",baseline`` is three
contestants; quotes around a whole ``cmd:`` command are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from archassist.evals.base import Contestant

SPEC_HELP = "offline, baseline, claude[:MODEL], dir:PATH or cmd:COMMAND"
DEFAULT_CONTESTANTS = ("offline", "baseline")


def split_specs(values: str | Iterable[str]) -> list[str]:
    """The contestant specs in one or more comma-separated lists; commas inside quotes do not split."""
    texts = [values] if isinstance(values, str) else list(values)
    specs: list[str] = []
    for text in texts:
        current: list[str] = []
        quote: str | None = None
        for char in text:
            if quote:
                quote = None if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == ",":
                specs.append("".join(current).strip())
                current = []
                continue
            current.append(char)
        if quote:
            raise InputError(f"--contestants {text!r}: a {quote} quote is never closed; close it or drop it")
        specs.append("".join(current).strip())
    return [s for s in specs if s]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def contestant_from_spec(
    spec: str,
    *,
    env: Mapping[str, str] | None = None,
    client: Any = None,
    cmd_timeout_s: float | None = None,
) -> Contestant:
    """One contestant from its spec; an unknown or malformed spec is one line naming the forms that work.

    ``env`` and ``client`` reach the Claude contestant (tests pass a client that replays cassettes).
    """
    text = spec.strip()
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind == "offline" and not sep:
        from archassist.evals.contestants.offline import OfflineContestant

        return OfflineContestant()
    if kind == "baseline" and not sep:
        from archassist.evals.contestants.baseline import BaselineContestant

        return BaselineContestant()
    if kind == "claude":
        from archassist.evals.contestants.claude import ClaudeContestant

        model = rest.strip()
        if sep and not model:
            raise InputError(
                f"contestant {spec!r}: no model after claude:; e.g. claude:claude-sonnet-4-5, or plain claude"
            )
        return ClaudeContestant(model or None, env=env, client=client)
    if kind == "dir" and sep:
        from archassist.evals.contestants.folder import FolderContestant

        folder = _unquote(rest)
        if not folder:
            raise InputError(f"contestant {spec!r}: no folder after dir:; e.g. dir:designs/")
        return FolderContestant(folder, name=f"dir:{folder}")
    if kind == "cmd" and sep:
        from archassist.evals.contestants.command import DEFAULT_TIMEOUT_S, CommandContestant

        command = _unquote(rest)
        return CommandContestant(command, timeout_s=cmd_timeout_s or DEFAULT_TIMEOUT_S, name=f"cmd:{command}")
    raise InputError(f"unknown contestant {spec!r}; use {SPEC_HELP}")


def contestants_from_specs(
    values: str | Iterable[str],
    *,
    env: Mapping[str, str] | None = None,
    client: Any = None,
    cmd_timeout_s: float | None = None,
) -> list[Contestant]:
    """Every contestant of a ``--contestants`` list, in order; the same contestant twice is refused."""
    specs = split_specs(values)
    if not specs:
        raise InputError(f"--contestants is empty; name at least one of {SPEC_HELP}")
    contestants = [
        contestant_from_spec(s, env=env, client=client, cmd_timeout_s=cmd_timeout_s) for s in specs
    ]
    seen: set[str] = set()
    for contestant in contestants:
        if contestant.name in seen:
            raise InputError(f"contestant {contestant.name} is listed twice in --contestants; list it once")
        seen.add(contestant.name)
    return contestants
