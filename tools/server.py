"""The archassist MCP server: tools, prompts and resources over archassist.agent, on stdio or streamable HTTP."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Any, Literal

from archassist.agent.__about__ import __version__
from archassist.tools import (
    contract_tools,
    design_tools,
    eval_tools,
    export_tools,
    memory_tools,
    migration_tools,
    prompts,
    reliability_tools,
    resources,
    rule_tools,
)
from archassist.tools.network import check_host, listen_socket
from archassist.tools.state import ServerState
from archassist.tools.workspace import Workspace
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, GetPromptResult, InputRequiredResult

log = logging.getLogger("archassist.mcp")

Transport = Literal["stdio", "streamable-http"]

INSTRUCTIONS = """\
archassist designs and reviews event-driven systems. Use `design` to draft a complete architecture from a brief \
(it recalls the team's accepted decisions and stores the result), `review` or `check_design` to check a design or \
AsyncAPI document against the rules, `explain_rule` to explain a finding, `recall` and `remember` to read and \
write the team's decision memory, and `get_design` to fetch a stored design. Each result has the readable \
Markdown as text and a compact summary; a full Design is the resource its result links \
(archassist://designs/{id}), to read before editing it and checking it again with `check_design`. Files are read \
only from the workspace folder the server was started in."""


class ArchassistServer(MCPServer):
    """The SDK's server with one change: a prompt asked for by a wrong name or with wrong arguments is the
    client's mistake, answered as JSON-RPC invalid params (-32602) with a one-line message, not as a server
    error."""

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        known = {prompt.name: prompt for prompt in await self.list_prompts()}
        prompt = known.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"unknown prompt {name!r}; the prompts are: {', '.join(known)}")
        given = arguments or {}
        names = [argument.name for argument in prompt.arguments or []]
        for extra in given:
            if extra not in names:
                raise MCPError(
                    INVALID_PARAMS, f"prompt {name!r} has no argument {extra!r}; it takes: {', '.join(names)}"
                )
        for argument in prompt.arguments or []:
            if argument.required and not str(given.get(argument.name) or "").strip():
                what = f" ({argument.description})" if argument.description else ""
                raise MCPError(INVALID_PARAMS, f"prompt {name!r} needs the argument {argument.name!r}{what}")
        return await super().get_prompt(name, arguments, context)


def build_server(root: Path, db: Path | None) -> MCPServer:
    """A server whose file-reading tools are confined to ``root`` and whose memory is ``db`` (None: the default
    database, resolved when a tool first needs it)."""
    state = ServerState(workspace=Workspace(root.resolve()), db=db)
    server: MCPServer = ArchassistServer(
        name="archassist",
        title="archassist: event-driven architecture assistant",
        version=__version__,
        instructions=INSTRUCTIONS,
    )
    tools = (
        design_tools, rule_tools, memory_tools, contract_tools, reliability_tools, migration_tools, eval_tools,
        export_tools,
    )
    for module in tools:
        module.register(server, state)
    prompts.register(server, state)
    resources.register(server, state)
    return server


def configure_logging(level: str = "INFO") -> None:
    """Logs go to stderr and nowhere else: on stdio, stdout carries the protocol only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())


def serve(
    *,
    root: Path,
    db: Path | None,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    allow_remote: bool = False,
    log_level: str = "INFO",
) -> None:
    """Run the server until the client disconnects (stdio) or the process is interrupted (HTTP)."""
    sock = None
    if transport == "streamable-http":
        check_host(host, allow_remote=allow_remote)
        sock = listen_socket(host, port)
    configure_logging(log_level)
    server = build_server(root, db)
    where = "stdio" if transport == "stdio" else f"http://{host}:{port}/mcp"
    log.info("archassist %s MCP server on %s (workspace %s, memory %s)", __version__, where, root, db or "default")
    if sock is None:
        server.run("stdio")
    else:
        with sock:
            _run_http(server, sock, host, port, log_level)
    log.info("archassist MCP server stopped")


def _run_http(server: MCPServer, sock: socket.socket, host: str, port: int, log_level: str) -> None:
    import uvicorn

    # log_config=None keeps uvicorn on the logging configured above (stderr); its default sends access logs
    # to stdout.
    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, log_level=log_level.lower())
    uvicorn.Server(config).run(sockets=[sock])
