"""Entry point of the archassist MCP bundle: runs the `archassist` command line with the bundled dependencies
(installed into `server/lib` when the bundle is built; see docs/mcp.md)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from archassist.agent.cli.root import main

if __name__ == "__main__":
    main()
