"""Entry point of the archassist MCP bundle. Claude Desktop runs it with uv, which installs archassist (the
bundled wheel) and its dependencies for this machine from the bundle's pyproject.toml; see docs/mcp.md."""

from __future__ import annotations

from archassist.agent.cli.root import main

if __name__ == "__main__":
    main()
