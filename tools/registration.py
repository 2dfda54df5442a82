"""Register a tool from a pydantic input model, an output model and an async handler.

The input model is the one place a tool's arguments are defined: its JSON Schema (``additionalProperties:
false``, and whatever the model adds, such as a ``oneOf``) is what clients see, and it validates every call. The
SDK's own argument handling is bypassed on purpose: it drops unknown arguments silently and turns a string that
happens to be JSON into an object before validation, so a typo such as ``remmember`` would be ignored and a JSON
document given as ``text`` refused. Here the handler receives exactly what the client sent, validated strictly,
and every refusal is one line.

User errors (:class:`InputError`) reach the client as a tool error with their one-line message; anything else is
a bug and is reported by the SDK as such.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from archassist.agent.errors import InputError
from archassist.tools.results import tool_result
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger("archassist.mcp")

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)
# A handler answers with a ready result (see archassist.tools.results) or, shorter, the structured result and
# its Markdown text.
Handler = Callable[[InT, Context], Awaitable["CallToolResult | tuple[OutT, str]"]]


def read_only() -> ToolAnnotations:
    """Reads, changes nothing, same answer for the same input, touches nothing outside this machine."""
    return ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def additive() -> ToolAnnotations:
    """Adds records to the local memory and never deletes; each call adds again."""
    return ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)


def writes_files() -> ToolAnnotations:
    """Writes files into the workspace, replacing earlier copies of the same files; the same input writes the same
    files again."""
    return ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)


def _unknown_argument(tool: str, name: str, known: list[str]) -> str:
    near = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return f"unknown argument '{name}'; {hint}the {tool} tool takes: {', '.join(known)}"


def validation_message(exc: ValidationError, tool: str = "this", known: list[str] | None = None) -> str:
    """A pydantic error as one line: each problem with the argument it concerns, no URLs."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden" and len(error["loc"]) == 1 and known is not None:
            parts.append(_unknown_argument(tool, where, known))
            continue
        if error["type"] == "missing" and len(error["loc"]) == 1:
            parts.append(f"the argument '{where}' is required")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


# Keywords a tool's input schema must not have at its root: the Anthropic API refuses oneOf, anyOf and allOf
# there ("input_schema does not support oneOf, allOf, or anyOf at the top level"), and Claude Code silently drops
# tools with root-level composition or conditionals, so a rule across arguments is checked when called instead.
ROOT_KEYWORDS_REFUSED = ("oneOf", "anyOf", "allOf", "not", "if", "then", "else", "dependentSchemas", "$ref")


def published_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The input schema clients see: the model's own, a plain object that forbids unknown arguments."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.setdefault("additionalProperties", False)
    refused = [key for key in ROOT_KEYWORDS_REFUSED if key in schema]
    if refused or schema.get("type") != "object":
        raise TypeError(f"{model.__name__}: a tool input schema must be a plain object; it has {refused}")
    return schema


class _RawArguments(ArgModelBase):
    """Passes the client's arguments through untouched, for the input model to validate."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def add_model_tool(
    server: MCPServer,
    *,
    name: str,
    title: str,
    description: str,
    input_model: type[InT],
    output_model: type[OutT],
    handler: Handler[InT, OutT],
    annotations: ToolAnnotations,
) -> None:
    """Register ``handler`` as tool ``name``: validated input in, a result built by
    :func:`archassist.tools.results.tool_result` out (its structured part checked against ``output_model``)."""
    known = list(input_model.model_fields)

    async def tool(context: Context, arguments: dict[str, Any]) -> CallToolResult:
        started = time.perf_counter()
        try:
            args = input_model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(validation_message(exc, name, known)) from None
        try:
            answer = await handler(args, context)
        except InputError as exc:
            log.debug("tool %s refused: %s", name, exc)
            raise ToolError(str(exc)) from None
        log.info("tool %s answered in %.0f ms", name, (time.perf_counter() - started) * 1000)
        if isinstance(answer, CallToolResult):
            return answer
        structured, text = answer
        return tool_result(text, structured)

    returns: Any = Annotated[CallToolResult, output_model]
    params = [
        inspect.Parameter("context", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        inspect.Parameter("arguments", inspect.Parameter.KEYWORD_ONLY, annotation=dict[str, Any]),
    ]
    tool.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    tool.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    tool.__name__ = name
    tool.__qualname__ = name
    server.add_tool(
        tool, name=name, title=title, description=description, annotations=annotations, structured_output=True
    )
    # The SDK builds the tool's argument model from the signature; swap in the pass-through one and publish the
    # input model's schema instead (FuncMetadata reads its fields on every call).
    registered = server._tool_manager.get_tool(name)
    assert registered is not None
    registered.fn_metadata.arg_model = _RawArguments
    registered.parameters = published_schema(input_model)
