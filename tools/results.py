"""The one shape of every archassist tool result.

Hosts differ in what they hand the model: Claude Code passes ``structuredContent`` when a result has it and drops
the text, other clients pass the text. So each result carries both, each complete for its reader:

- the text content is the readable Markdown (the document, the findings, the answer);
- ``structuredContent`` is compact: a summary, counts, findings and ids, never a whole Design, and always under
  :data:`MAX_STRUCTURED_CHARS` characters of JSON. A list that would break the cap is cut from its end and the
  number of items left out is recorded, so nothing is dropped silently;
- anything bulky (a full Design) is a resource, linked from the result both as a ``resource_link`` content item
  and by its URI inside the structured result, for the model to read when it needs it.

Every tool builds its result with :func:`tool_result`; new tools do the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp_types import CallToolResult, ResourceLink, TextContent
from pydantic import BaseModel

MAX_STRUCTURED_CHARS = 20_000
OMITTED_KEY = "omitted"


@dataclass(frozen=True)
class Link:
    """A resource a result points at, such as ``archassist://designs/7``."""

    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = "application/json"

    def content(self) -> ResourceLink:
        return ResourceLink(
            uri=self.uri, name=self.name, title=self.title, description=self.description, mime_type=self.mime_type
        )


def structured_size(data: dict[str, Any]) -> int:
    """Characters of the JSON a client receives for ``data``."""
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def fit(data: dict[str, Any], *, trim: Sequence[str] = ("findings",), limit: int = MAX_STRUCTURED_CHARS) -> dict[str, Any]:
    """``data`` within ``limit`` characters: items are cut from the end of the lists named in ``trim`` (in that
    order) and their number is recorded under ``omitted``. The Markdown text still carries every item."""
    if structured_size(data) <= limit:
        return data
    fitted = dict(data)
    omitted: dict[str, int] = dict(fitted.get(OMITTED_KEY) or {})
    for key in trim:
        items = list(fitted.get(key) or [])

        def fits(keep: int, key: str = key, items: list[Any] = items) -> bool:
            left_out = {**omitted, key: omitted.get(key, 0) + len(items) - keep}
            return structured_size({**fitted, key: items[:keep], OMITTED_KEY: left_out}) <= limit

        low, high = 0, len(items)  # the most items that fit, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(middle) else (low, middle - 1)
        if low < len(items):
            omitted[key] = omitted.get(key, 0) + len(items) - low
            fitted[key] = items[:low]
        fitted[OMITTED_KEY] = omitted
        if structured_size(fitted) <= limit:
            return fitted
    raise ValueError(f"a structured result is {structured_size(fitted)} characters, over {limit}, even when trimmed")


def tool_result(
    markdown: str,
    structured: BaseModel | dict[str, Any],
    links: Sequence[Link] = (),
    *,
    trim: Sequence[str] = ("findings",),
) -> CallToolResult:
    """The result of a successful tool call: the Markdown as text, the compact structured result, and a
    ``resource_link`` for each link."""
    data = structured.model_dump(mode="json") if isinstance(structured, BaseModel) else dict(structured)
    return CallToolResult(
        content=[TextContent(type="text", text=markdown), *(link.content() for link in links)],
        structured_content=fit(data, trim=trim),
    )
