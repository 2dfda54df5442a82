"""The server through an outside client: the official MCP Inspector's command line, over stdio.

The inspector comes from npm and needs Node 22 or newer. CI installs both into $ARCHASSIST_NODE_TOOLS and sets
ARCHASSIST_REQUIRE_EXTERNAL=1, which turns a missing tool into a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, require_external

pytestmark = pytest.mark.external

FIXTURE_DESIGN = ROOT / "tests" / "fixtures" / "render_design.yaml"
MIN_NODE = 22
TIMEOUT = 90
CONNECT_TIMEOUT_MS = 60_000


def _search_path() -> str:
    tools = os.environ.get("ARCHASSIST_NODE_TOOLS")
    parts = [str(Path(tools) / "node_modules" / ".bin")] if tools else []
    return os.pathsep.join([*parts, os.environ.get("PATH", "")])


@pytest.fixture(scope="module")
def inspector() -> tuple[str, dict[str, str]]:
    """The inspector's executable and the environment to run it in (its node first on PATH)."""
    path = _search_path()
    found = shutil.which("mcp-inspector", path=path)
    if found is None:
        require_external("mcp-inspector", "the MCP Inspector is not installed (npm install @modelcontextprotocol/inspector)")
    node = shutil.which("node", path=path)
    if node is None:
        require_external("node", "Node.js is not installed; the MCP Inspector needs Node 22 or newer")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE:
        require_external("node", f"Node {version or 'of unknown version'} is too old; the MCP Inspector needs Node {MIN_NODE}+")
    return str(found), {"PATH": path}


def run_inspector(
    inspector: tuple[str, dict[str, str]], workspace: Path, home: Path, *method: str
) -> dict[str, Any]:
    executable, env = inspector
    home.mkdir(parents=True, exist_ok=True)
    argv = [
        # The machine may be busy (three inspectors start side by side): allow the server time to start.
        executable, "--cli", "--connect-timeout", str(CONNECT_TIMEOUT_MS),
        sys.executable, "-m", "archassist.agent.cli", "serve", "--root", str(workspace),
        "--db", str(home / "memory.db"),
        *method,
    ]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=workspace,
        env={**os.environ, **env, "ARCHASSIST_HOME": str(home), "MCP_CATALOG_PATH": str(home / "catalog.json")},
    )
    assert done.stdout.strip(), f"no output from {' '.join(method)} (exit {done.returncode}): {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_inspector_lists_tools_and_calls_design_and_review(
    inspector: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    shutil.copy(FIXTURE_DESIGN, workspace / "orders.yaml")
    calls = {
        "list": ["--method", "tools/list"],
        "design": ["--method", "tools/call", "--tool-name", "design",
                   "--tool-arg", "brief=order fulfillment across payments, inventory and shipping"],
        "review": ["--method", "tools/call", "--tool-name", "review", "--tool-arg", "path=orders.yaml"],
    }
    # Each inspector run starts Node and a server; running the three side by side keeps the test short.
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {
            name: pool.submit(run_inspector, inspector, workspace, tmp_path / name, *args)
            for name, args in calls.items()
        }
        results = {name: future.result() for name, future in futures.items()}

    tools = {tool["name"]: tool for tool in results["list"]["tools"]}
    assert {"design", "review", "check_design", "list_rules", "explain_rule", "recall", "remember",
            "get_design"} <= set(tools)
    assert tools["review"]["annotations"]["readOnlyHint"] is True
    assert "outputSchema" in tools["design"]

    design = results["design"]
    assert not design.get("isError"), design
    assert design["structuredContent"]["counts"]["error"] == 0
    assert design["structuredContent"]["memory_id"] == 1
    assert design["content"][0]["text"].startswith("# ")
    assert design["structuredContent"]["design_uri"] == "archassist://designs/1"
    assert "design" not in design["structuredContent"]
    assert [c["uri"] for c in design["content"] if c["type"] == "resource_link"] == ["archassist://designs/1"]

    review = results["review"]
    assert not review.get("isError"), review
    assert review["structuredContent"]["source"] == "orders.yaml"
    assert review["structuredContent"]["counts"]["error"] > 0
