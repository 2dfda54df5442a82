"""Register the archassist MCP server with Claude Code and Claude Desktop.

Config files are merged, never replaced: other servers and settings are kept, an unchanged entry is not
rewritten, a file that is not valid JSON is refused with one line (and left alone), and Claude Desktop's file is
backed up before it is changed. Nothing here imports the MCP SDK.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from archassist.agent.errors import InputError

SERVER_NAME = "archassist"
ClaudeCodeScope = Literal["local", "project", "user"]
SCOPES: tuple[str, ...] = ("local", "project", "user")


def server_command() -> list[str]:
    """The absolute command that starts this installation's server: the `archassist` script next to the running
    interpreter, else the one on PATH, else the interpreter running the CLI module."""
    beside = Path(os.path.abspath(sys.executable)).parent / ("archassist.exe" if os.name == "nt" else "archassist")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("archassist")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "archassist.agent.cli"]


def claude_code_command(scope: str, command: list[str]) -> list[str]:
    """The `claude mcp add` invocation that registers the server over stdio."""
    return ["claude", "mcp", "add", "--transport", "stdio", "--scope", scope, SERVER_NAME, "--", *command, "serve"]


def desktop_config_path(platform: str | None = None, env: dict[str, str] | None = None) -> Path:
    """Where Claude Desktop keeps `claude_desktop_config.json` on this platform."""
    platform = platform or sys.platform
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if platform.startswith("win"):
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Claude" / "claude_desktop_config.json"
    config_home = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config_home) / "Claude" / "claude_desktop_config.json"


def stdio_entry(command: list[str], args: list[str], *, with_type: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if with_type else {}
    entry.update({"command": command[0], "args": [*command[1:], *args], "env": {}})
    return entry


def read_config(path: Path) -> dict[str, Any]:
    """A JSON config file as a mapping; a missing or empty file is an empty one. Anything else that is not a JSON
    object is refused, so a hand-edited file is never overwritten by mistake."""
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file; give the path of a JSON config file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); fix or move the file, then run this "
            "again (it was left unchanged)"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object at the top level; fix the file (it was left unchanged)")
    servers = data.get("mcpServers")
    if servers is not None and not isinstance(servers, dict):
        raise InputError(f"{path}: 'mcpServers' must be an object; fix the file (it was left unchanged)")
    return data


@dataclass(frozen=True)
class MergeResult:
    path: Path
    config: dict[str, Any]
    changed: bool
    backup: Path | None = None

    def text(self) -> str:
        return json.dumps(self.config, indent=2, ensure_ascii=False) + "\n"


def merge_server(path: Path, entry: dict[str, Any], *, name: str = SERVER_NAME) -> MergeResult:
    """The config at ``path`` with ``mcpServers[name]`` set to ``entry``; nothing is written."""
    config = read_config(path)
    servers = dict(config.get("mcpServers") or {})
    changed = servers.get(name) != entry
    servers[name] = entry
    merged = {**config, "mcpServers": servers}
    return MergeResult(path=path, config=merged, changed=changed)


def _write_atomic(path: Path, text: str) -> None:
    from archassist.agent.model.io import write_text_atomic

    write_text_atomic(path, text)


def write_merged(result: MergeResult, *, backup: bool) -> MergeResult:
    """Write a merged config when it changed, first copying an existing file to a timestamped backup."""
    if not result.changed:
        return result
    result.path.parent.mkdir(parents=True, exist_ok=True)
    saved: Path | None = None
    if backup and result.path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        saved = result.path.with_name(f"{result.path.name}.{stamp}.bak")
        counter = 1
        while saved.exists():
            saved = result.path.with_name(f"{result.path.name}.{stamp}-{counter}.bak")
            counter += 1
        shutil.copy2(result.path, saved)
    _write_atomic(result.path, result.text())
    return MergeResult(path=result.path, config=result.config, changed=True, backup=saved)


def project_config(folder: Path, command: list[str]) -> MergeResult:
    """The project's `.mcp.json` with the archassist server merged in (Claude Code, project scope)."""
    return merge_server(folder / ".mcp.json", stdio_entry(command, ["serve"], with_type=True))


MEMORY_ENV = ("ARCHASSIST_HOME", "ARCHASSIST_DB")


def memory_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The memory settings of this shell, as absolute paths: Claude Desktop starts servers with an environment
    of its own, so without them its server would keep a memory apart from the command line's."""
    env = os.environ if env is None else env
    return {name: str(Path(env[name]).expanduser().resolve()) for name in MEMORY_ENV if env.get(name, "").strip()}


def desktop_config(path: Path, command: list[str], root: Path, env: Mapping[str, str] | None = None) -> MergeResult:
    """Claude Desktop's config with the archassist server merged in. Desktop starts servers from an arbitrary
    folder and environment, so the workspace root and the memory location are passed explicitly."""
    entry = stdio_entry(command, ["serve", "--root", str(root)], with_type=False)
    entry["env"] = memory_env(env)
    return merge_server(path, entry)
