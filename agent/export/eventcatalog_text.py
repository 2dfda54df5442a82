"""The text of an EventCatalog file: YAML frontmatter written by PyYAML's safe dumper, and a Markdown body that
MDX (what EventCatalog compiles every `index.mdx` with) reads as the words we wrote.

Two readers parse what we write, so both need care:
- the frontmatter is read by gray-matter through js-yaml, which resolves a few plain scalars as numbers that
  PyYAML (YAML 1.1) leaves unquoted: `1e3`, `1.5e3`, `0o17`. Those strings are quoted, so an id or a summary
  always comes back as the string it was.
- in MDX a `{` opens a JavaScript expression and a `<` a JSX tag, so a description that says `{domain}.events`
  or `<500 ms` would break the catalog's build. Every piece of design text goes through `text()`, which
  backslash-escapes the characters Markdown or MDX would read as syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

_STR_TAG = "tag:yaml.org,2002:str"
# What js-yaml's default schema reads as an int or a float (YAML 1.1 and 1.2 forms), checked on top of PyYAML's
# own resolvers: quoting a string that would parse as text anyway costs nothing.
_JS_YAML_NUMBER = re.compile(
    r"""[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)(?::[0-5]?[0-9])*)
    |[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)""",
    re.VERBOSE,
)


# libyaml's emitter when PyYAML has it: the pure-Python one spends most of a large export's time emitting.
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _FrontmatterDumper(_SafeDumper):  # type: ignore[valid-type,misc]
    """PyYAML's safe dumper, without anchors and with strings js-yaml would read as numbers quoted."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.BaseDumper, value: str) -> yaml.ScalarNode:
    if _JS_YAML_NUMBER.fullmatch(value):
        return dumper.represent_scalar(_STR_TAG, value, style="'")
    if any(c in value for c in "\n\r"):
        # Double quotes keep every character, trailing line breaks included; a literal block would not.
        return dumper.represent_scalar(_STR_TAG, value, style='"')
    return dumper.represent_scalar(_STR_TAG, value)


_FrontmatterDumper.add_representer(str, _represent_str)


def document(frontmatter: dict[str, Any], body: str) -> str:
    """An EventCatalog Markdown file: the frontmatter between `---` lines, then the body."""
    data = yaml.dump(
        frontmatter, Dumper=_FrontmatterDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120
    )
    return f"---\n{data}---\n\n{body.strip()}\n"


# -- Markdown that MDX reads literally ---------------------------------------------------------------------------

# Backslash escapes work for every ASCII punctuation character in CommonMark and in MDX.
_INLINE_SYNTAX = re.compile(r"([\\`*_{}\[\]<>|~&#!$])")
_LINE_START = re.compile(r"[-+=>]|\d+[.)]")
# At the start of a line MDX reads `import` and `export` as JavaScript; a character reference keeps the word.
_ESM_START = re.compile(r"(?:import|export)(?=\s|$)")
_SPACES = re.compile(r"\s+")


def text(value: str) -> str:
    """Design text as one line of Markdown that renders as exactly these words, wherever the line stands."""
    flat = _INLINE_SYNTAX.sub(r"\\\1", _SPACES.sub(" ", value).strip())
    marker = _LINE_START.match(flat)
    if marker:  # a leading '-', '+', '>', '=' or '1.' would start a list, a quote or a heading underline
        end = marker.end()
        flat = f"{flat[: end - 1]}\\{flat[end - 1 :]}"
    elif _ESM_START.match(flat):
        flat = f"&#x{ord(flat[0]):x};{flat[1:]}"
    return flat


def code(value: str) -> str:
    """A name as inline code; names a code span cannot hold (a backtick, a pipe) are escaped text instead."""
    if not value or any(c in value for c in "`|\n\r") or value != value.strip():
        return text(value)
    return f"`{value}`"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GFM table; cells are already Markdown (built with `text()` or `code()`)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def section(title: str, *parts: str) -> str:
    """A `##` section; empty parts are left out, and so is a section with nothing in it."""
    kept = [p.strip() for p in parts if p and p.strip()]
    return "\n\n".join([f"## {title}", *kept]) if kept else ""


def page(*sections: str) -> str:
    return "\n\n".join(s.strip() for s in sections if s and s.strip())


def first_sentence(value: str, limit: int = 240) -> str:
    """The first sentence of a description, for a resource's one-line summary."""
    flat = _SPACES.sub(" ", value).strip()
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9`'\"(])", flat)
    sentence = flat[: match.start()] if match else flat
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def badge(content: str, color: str) -> dict[str, str]:
    """A badge as EventCatalog draws it: the same Tailwind colour name for background and text."""
    return {"content": content, "backgroundColor": color, "textColor": color}


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"
