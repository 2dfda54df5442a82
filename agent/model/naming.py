"""Name conversions shared by the planner, importers and renderers."""

from __future__ import annotations

import re

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def words_of(name: str) -> list[str]:
    """Split CamelCase, snake_case, kebab-case and spaced names into lower-case words."""
    spaced = _CAMEL_BOUNDARY.sub(" ", name)
    return [w.lower() for w in _NON_WORD.split(spaced) if w]


def snake(name: str) -> str:
    return "_".join(words_of(name))


def kebab(name: str) -> str:
    return "-".join(words_of(name))


def pascal(name: str) -> str:
    return "".join(w.capitalize() for w in words_of(name))


def slug(text: str, limit: int = 60) -> str:
    """A file- and URL-safe name from free text, cut at a word boundary."""
    out = ""
    for word in (w for w in _NON_WORD.split(text.lower()) if w):
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or "design"
