"""The bundle manifest and the plugin marketplace through the official validators: `mcpb validate` (npm package
@anthropic-ai/mcpb) and `claude plugin validate` (npm package @anthropic-ai/claude-code).

CI installs both into $ARCHASSIST_NODE_TOOLS and sets ARCHASSIST_REQUIRE_EXTERNAL=1, which turns a missing tool
into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from archassist.tools.bundle import MCPB_DIR, stage
from archassist.tools.plugin import PLUGIN_DIR

from tests.conftest import ROOT, require_external

pytestmark = pytest.mark.external

TIMEOUT = 120


def node_tool(name: str, package: str) -> str:
    tools = os.environ.get("ARCHASSIST_NODE_TOOLS")
    path = os.pathsep.join([*([str(Path(tools) / "node_modules" / ".bin")] if tools else []), os.environ["PATH"]])
    found = shutil.which(name, path=path)
    if found is None:
        require_external(name, f"{name} is not installed (npm install {package})")
    assert found is not None
    return found


def run(argv: list[str], cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:  # Claude Code keeps its settings under HOME: never the user's own
        env |= {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(home / ".claude")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd, env=env, check=False)


def test_mcpb_validate_accepts_the_manifest_and_the_staged_bundle(tmp_path: Path) -> None:
    mcpb = node_tool("mcpb", "@anthropic-ai/mcpb")
    done = run([mcpb, "validate", str(MCPB_DIR / "manifest.json")], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation passes" in done.stdout
    wheel = tmp_path / "archassist-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    staged = stage(tmp_path / "bundle", wheel)
    done = run([mcpb, "validate", str(staged)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_claude_plugin_validate_accepts_the_marketplace_and_the_plugin(tmp_path: Path) -> None:
    claude = node_tool("claude", "@anthropic-ai/claude-code")
    for target in (ROOT, PLUGIN_DIR):
        done = run([claude, "plugin", "validate", str(target)], cwd=tmp_path, home=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Validation passed" in done.stdout
