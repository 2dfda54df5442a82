"""Register a tool from a pydantic input model, an output model and an async handler.

The SDK derives a tool's input schema from its function's parameters. Here the parameters are generated from the
input model's fields, so the model stays the one place a tool's arguments are defined, and the handler receives a
validated instance of it. User errors (:class:`InputError`) reach the client as a tool error with their one-line
message; anything else is a bug and is reported by the SDK as such.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from archassist.agent.errors import InputError
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

log = logging.getLogger("archassist.mcp")

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)
Handler = Callable[[InT, Context], Awaitable[tuple[OutT, str]]]


def read_only() -> ToolAnnotations:
    """Reads, changes nothing, same answer for the same input, touches nothing outside this machine."""
    return ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def additive() -> ToolAnnotations:
    """Adds records to the local memory and never deletes; each call adds again."""
    return ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: each problem with the field it concerns."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _parameters(model: type[BaseModel]) -> list[inspect.Parameter]:
    params = []
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        documented = Field(description=info.description, title=info.title, examples=info.examples)
        hint = Annotated[(annotation, *info.metadata, documented)]
        default = inspect.Parameter.empty if info.is_required() else info.get_default(call_default_factory=True)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hint, default=default))
    return params


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
    """Register ``handler`` as tool ``name``. The handler returns the structured result and the text a model
    reads (Markdown); the text becomes the result's content, the structured result its structuredContent."""

    async def tool(ctx: Context, **arguments: Any) -> CallToolResult:
        started = time.perf_counter()
        try:
            args = input_model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(validation_message(exc)) from None
        try:
            result, text = await handler(args, ctx)
        except InputError as exc:
            log.debug("tool %s refused: %s", name, exc)
            raise ToolError(str(exc)) from None
        log.info("tool %s answered in %.0f ms", name, (time.perf_counter() - started) * 1000)
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=result.model_dump(mode="json"),
        )

    returns: Any = Annotated[CallToolResult, output_model]
    context_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    params = [context_param, *_parameters(input_model)]
    tool.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    tool.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    tool.__name__ = name
    tool.__qualname__ = name
    tool.__doc__ = description
    server.add_tool(
        tool, name=name, title=title, description=description, annotations=annotations, structured_output=True
    )
