"""The archassist MCP server: tools, prompts and resources over archassist.agent, on stdio or streamable HTTP."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal

from archassist.agent.__about__ import __version__
from archassist.tools import design_tools, memory_tools, prompts, reliability_tools, resources, rule_tools
from archassist.tools.network import check_host
from archassist.tools.state import ServerState
from archassist.tools.workspace import Workspace
from mcp.server.mcpserver import MCPServer

log = logging.getLogger("archassist.mcp")

Transport = Literal["stdio", "streamable-http"]

INSTRUCTIONS = """\
archassist designs and reviews event-driven systems. Use `design` to draft a complete architecture from a brief \
(it recalls the team's accepted decisions and stores the result), `review` or `check_design` to check a design or \
AsyncAPI document against the rules, `explain_rule` to explain a finding, `recall` and `remember` to read and \
write the team's decision memory, and `get_design` to fetch a stored design. Files are read only from the \
workspace folder the server was started in."""


def build_server(root: Path, db: Path | None) -> MCPServer:
    """A server whose file-reading tools are confined to ``root`` and whose memory is ``db`` (None: the default
    database, resolved when a tool first needs it)."""
    state = ServerState(workspace=Workspace(root.resolve()), db=db)
    server: MCPServer = MCPServer(
        name="archassist",
        title="archassist: event-driven architecture assistant",
        version=__version__,
        instructions=INSTRUCTIONS,
    )
    for module in (design_tools, rule_tools, memory_tools, reliability_tools):
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
    if transport == "streamable-http":
        check_host(host, allow_remote=allow_remote)
    configure_logging(log_level)
    server = build_server(root, db)
    where = "stdio" if transport == "stdio" else f"http://{host}:{port}/mcp"
    log.info("archassist %s MCP server on %s (workspace %s, memory %s)", __version__, where, root, db or "default")
    if transport == "stdio":
        server.run("stdio")
    else:
        _run_http(server, host, port, log_level)
    log.info("archassist MCP server stopped")


def _run_http(server: MCPServer, host: str, port: int, log_level: str) -> None:
    import uvicorn

    # log_config=None keeps uvicorn on the logging configured above (stderr); its default sends access logs
    # to stdout.
    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, log_level=log_level.lower())
    uvicorn.Server(config).run()
