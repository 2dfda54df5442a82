"""Installing into Claude Code and Claude Desktop, the Claude Code plugin, and the MCP bundle manifest."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import anyio
import pytest
from archassist.agent.__about__ import __version__
from archassist.agent.backends.prompting import MODES
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.tools import bundle, install
from archassist.tools.plugin import AGENT_FILE, PLUGIN_DIR, agent_markdown
from typer.testing import CliRunner

MCPB_DIR = Path(install.__file__).resolve().parent / "mcpb"
OTHER = {"command": "npx", "args": ["-y", "@acme/other-server"], "env": {"TOKEN": "x"}}
TOOL_NAMES = {"design", "review", "check_design", "list_rules", "explain_rule", "recall", "remember", "get_design"}


def run(*args: str, cwd: Path | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> Any:
    if cwd is not None and monkeypatch is not None:
        monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, list(args))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# ---- Claude Code -----------------------------------------------------------------------------------------------


def test_claude_code_command_is_the_documented_one() -> None:
    argv = install.claude_code_command("user", ["/opt/venv/bin/archassist"])
    assert argv == ["claude", "mcp", "add", "--transport", "stdio", "--scope", "user", "archassist", "--",
                    "/opt/venv/bin/archassist", "serve"]


def test_server_command_is_absolute() -> None:
    command = install.server_command()
    assert Path(command[0]).is_absolute()


def test_claude_code_without_the_cli_fails_with_the_manual_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `claude` here
    result = run("install", "claude-code", "--scope", "local", "--command", "/opt/aa/bin/archassist")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "not on PATH" in line and "nothing was registered" in line
    assert line.endswith("claude mcp add --transport stdio --scope local archassist -- /opt/aa/bin/archassist serve")


def test_claude_code_dry_run_prints_the_command_without_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("install", "claude-code", "--dry-run", "--command", "/opt/aa/bin/archassist")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "claude mcp add --transport stdio --scope local archassist -- /opt/aa/bin/archassist serve"
    )


def test_claude_code_runs_the_cli_when_present(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    fake = tmp_path / "claude"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n', encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("install", "claude-code", "--scope", "user", "--command", "/opt/aa/bin/archassist")
    assert result.exit_code == 0, result.stderr
    assert log.read_text().strip() == "mcp add --transport stdio --scope user archassist -- /opt/aa/bin/archassist serve"


def test_claude_code_failure_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "claude"
    fake.write_text("#!/bin/sh\necho 'MCP server archassist already exists in local config' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("install", "claude-code", "--command", "/opt/aa/bin/archassist")
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert "already exists" in line and "claude mcp remove archassist -s local" in line


def test_project_scope_merges_mcp_json_idempotently(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / ".mcp.json"
    target.write_text(json.dumps({"mcpServers": {"other": OTHER}, "note": "kept"}), encoding="utf-8")
    first = run("install", "claude-code", "--scope", "project", "--command", "/opt/aa/bin/archassist",
                cwd=tmp_path, monkeypatch=monkeypatch)
    assert first.exit_code == 0, first.stderr
    merged = load(target)
    assert merged["note"] == "kept" and merged["mcpServers"]["other"] == OTHER
    assert merged["mcpServers"]["archassist"] == {
        "type": "stdio", "command": "/opt/aa/bin/archassist", "args": ["serve"], "env": {}
    }
    before = target.read_bytes()
    second = run("install", "claude-code", "--scope", "project", "--command", "/opt/aa/bin/archassist",
                 cwd=tmp_path, monkeypatch=monkeypatch)
    assert second.exit_code == 0 and "nothing to do" in second.stderr
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".mcp.json.*.bak"))


def test_project_scope_creates_mcp_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = run("install", "claude-code", "--scope", "project", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.stderr
    entry = load(tmp_path / ".mcp.json")["mcpServers"]["archassist"]
    assert Path(entry["command"]).is_absolute() and entry["args"][-1] == "serve"


def test_project_scope_dry_run_writes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = run("install", "claude-code", "--scope", "project", "--dry-run", cwd=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert "archassist" in json.loads(result.stdout)["mcpServers"]
    assert not (tmp_path / ".mcp.json").exists()


# ---- Claude Desktop --------------------------------------------------------------------------------------------


def test_desktop_merges_backs_up_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHASSIST_HOME")
    config = tmp_path / "claude_desktop_config.json"
    original = json.dumps({"mcpServers": {"other": OTHER}, "globalShortcut": "Ctrl+Space"}, indent=2)
    config.write_text(original, encoding="utf-8")
    workspace = tmp_path / "project"
    workspace.mkdir()
    args = ["install", "claude-desktop", "--config", str(config), "--root", str(workspace),
            "--command", "/opt/aa/bin/archassist"]
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    merged = load(config)
    assert merged["globalShortcut"] == "Ctrl+Space" and merged["mcpServers"]["other"] == OTHER
    assert merged["mcpServers"]["archassist"] == {
        "command": "/opt/aa/bin/archassist", "args": ["serve", "--root", str(workspace.resolve())], "env": {}
    }
    [backup] = list(tmp_path.glob("claude_desktop_config.json.*.bak"))
    assert re.fullmatch(r"claude_desktop_config\.json\.\d{8}-\d{6}(-\d+)?\.bak", backup.name)
    assert backup.read_text(encoding="utf-8") == original
    assert str(backup) in first.stderr

    second = run(*args)
    assert second.exit_code == 0 and "nothing to do" in second.stderr
    assert len(list(tmp_path.glob("claude_desktop_config.json.*.bak"))) == 1

    moved = run(*[a if a != "/opt/aa/bin/archassist" else "/srv/aa/bin/archassist" for a in args])
    assert moved.exit_code == 0
    assert load(config)["mcpServers"]["archassist"]["command"] == "/srv/aa/bin/archassist"
    assert len(list(tmp_path.glob("claude_desktop_config.json.*.bak"))) == 2


def test_desktop_shares_the_memory_of_this_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHASSIST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHASSIST_DB", "team/memory.db")
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "claude_desktop_config.json"
    result = run("install", "claude-desktop", "--config", str(config), "--root", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert load(config)["mcpServers"]["archassist"]["env"] == {
        "ARCHASSIST_HOME": str((tmp_path / "home").resolve()),
        "ARCHASSIST_DB": str((tmp_path / "team" / "memory.db").resolve()),
    }


def test_desktop_creates_a_missing_config(tmp_path: Path) -> None:
    config = tmp_path / "Claude" / "claude_desktop_config.json"
    result = run("install", "claude-desktop", "--config", str(config), "--root", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert set(load(config)["mcpServers"]) == {"archassist"}
    assert not list(config.parent.glob("*.bak"))


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"mcpServers": {"other": ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"mcpServers": []}', "'mcpServers' must be an object"),
    ],
)
def test_desktop_refuses_a_malformed_config(tmp_path: Path, content: str, problem: str) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(content, encoding="utf-8")
    result = run("install", "claude-desktop", "--config", str(config), "--root", str(tmp_path))
    assert result.exit_code == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert problem in line and str(config) in line and "left unchanged" in line
    assert config.read_text(encoding="utf-8") == content
    assert not list(tmp_path.glob("*.bak"))


def test_desktop_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps({"mcpServers": {"other": OTHER}}), encoding="utf-8")
    result = run("install", "claude-desktop", "--config", str(config), "--root", str(tmp_path), "--dry-run")
    assert result.exit_code == 0
    assert set(json.loads(result.stdout)["mcpServers"]) == {"other", "archassist"}
    assert load(config) == {"mcpServers": {"other": OTHER}}


@pytest.mark.parametrize(
    "platform, env, expected",
    [
        ("darwin", {"HOME": "/Users/ana"}, "/Users/ana/Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", {"HOME": "C:/Users/ana", "APPDATA": "C:/Users/ana/AppData/Roaming"},
         "C:/Users/ana/AppData/Roaming/Claude/claude_desktop_config.json"),
        ("linux", {"HOME": "/home/ana"}, "/home/ana/.config/Claude/claude_desktop_config.json"),
        ("linux", {"HOME": "/home/ana", "XDG_CONFIG_HOME": "/cfg"}, "/cfg/Claude/claude_desktop_config.json"),
    ],
)
def test_desktop_config_locations(platform: str, env: dict[str, str], expected: str) -> None:
    assert install.desktop_config_path(platform, env).as_posix() == expected


# ---- the Claude Code plugin --------------------------------------------------------------------------------------


def front_matter(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, f"{path} has no front matter"
    fields = {}
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def test_plugin_manifest_and_server_entry() -> None:
    manifest = load(PLUGIN_DIR / ".claude-plugin" / "plugin.json")
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", manifest["name"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"]) and manifest["description"]
    assert manifest["author"]["name"]
    servers = load(PLUGIN_DIR / ".mcp.json")["mcpServers"]
    assert servers["archassist"]["command"] == "archassist" and servers["archassist"]["args"] == ["serve"]


def test_plugin_has_one_command_per_mode() -> None:
    commands = sorted(p.stem for p in (PLUGIN_DIR / "commands").glob("*.md"))
    assert commands == sorted(MODES)
    for mode in MODES:
        path = PLUGIN_DIR / "commands" / f"{mode}.md"
        fields = front_matter(path)
        assert fields["description"] and fields["argument-hint"]
        assert "$ARGUMENTS" in path.read_text(encoding="utf-8")


def test_plugin_agent_is_generated_from_the_role_prompt() -> None:
    fields = front_matter(AGENT_FILE)
    assert fields["name"] == "event-driven-architect" and fields["description"]
    assert AGENT_FILE.read_text(encoding="utf-8") == agent_markdown(), (
        "the agent is stale; run: python -m archassist.tools.plugin"
    )


# ---- the MCP bundle manifest -------------------------------------------------------------------------------------


def test_bundle_manifest_has_the_required_fields() -> None:
    manifest = load(MCPB_DIR / "manifest.json")
    for key in ("manifest_version", "name", "version", "description", "author", "server"):
        assert manifest.get(key), key
    assert manifest["manifest_version"] == "0.4"
    assert manifest["version"] == __version__
    assert manifest["author"]["name"]
    server = manifest["server"]
    # uv installs the dependencies for the machine it runs on, so the platform claim holds.
    assert server["type"] == "uv"
    assert manifest["compatibility"]["platforms"] == ["darwin", "win32", "linux"]
    assert (MCPB_DIR / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert config["command"] == "uv" and config["args"][:3] == ["run", "--directory", "${__dirname}"]
    assert server["entry_point"] in config["args"] and "serve" in config["args"]
    assert {t["name"] for t in manifest["tools"]} == TOOL_NAMES
    referenced = set(re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(config)))
    assert referenced == set(manifest["user_config"]) == {"root", "db"}
    for option in manifest["user_config"].values():
        assert {"type", "title", "description"} <= set(option)


def test_bundle_manifest_declares_every_prompt() -> None:
    from archassist.tools.server import build_server

    async def listed() -> dict[str, list[str]]:
        prompts = await build_server(Path.cwd(), None).list_prompts()
        return {p.name: [a.name for a in p.arguments or []] for p in prompts}

    served = anyio.run(listed)
    declared = {p["name"]: p for p in load(MCPB_DIR / "manifest.json")["prompts"]}
    assert {name: p["arguments"] for name, p in declared.items()} == served
    for prompt in declared.values():
        assert prompt["description"]
        for argument in prompt["arguments"]:
            assert "${arguments." + argument + "}" in prompt["text"]


def test_bundle_icon_is_a_png_of_the_recommended_size() -> None:
    manifest = load(MCPB_DIR / "manifest.json")
    data = (MCPB_DIR / manifest["icon"]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (bundle.ICON_SIZE, bundle.ICON_SIZE)
    assert len(data) < 64_000


def test_bundle_stages_the_wheel_and_its_project(tmp_path: Path) -> None:
    import tomllib

    wheel = tmp_path / f"archassist-{__version__}-py3-none-any.whl"
    wheel.write_bytes(b"PK")  # staging copies it; building a real one is the external test's job
    staged = bundle.stage(tmp_path / "bundle", wheel)
    project = tomllib.loads((staged / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dependencies"] == [f"archassist=={__version__}"]
    assert project["project"]["requires-python"] == ">=3.11"
    source = project["tool"]["uv"]["sources"]["archassist"]["path"]
    assert (staged / source).read_bytes() == b"PK"
    manifest = load(staged / "manifest.json")
    assert (staged / manifest["server"]["entry_point"]).is_file() and (staged / manifest["icon"]).is_file()
    with pytest.raises(InputError, match="not empty"):
        bundle.stage(staged, wheel)


# ---- the plugin marketplace ------------------------------------------------------------------------------------

MARKETPLACE = Path(__file__).resolve().parents[1] / ".claude-plugin" / "marketplace.json"


def test_marketplace_lists_the_plugin() -> None:
    marketplace = load(MARKETPLACE)
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", marketplace["name"])
    assert marketplace["owner"]["name"]
    [entry] = marketplace["plugins"]
    plugin = load(PLUGIN_DIR / ".claude-plugin" / "plugin.json")
    assert entry["name"] == plugin["name"] and entry["version"] == plugin["version"] == __version__
    assert entry["source"].startswith("./")
    assert (MARKETPLACE.parents[1] / entry["source"]).resolve() == PLUGIN_DIR


def test_plugin_commands_allow_exactly_real_archassist_tools() -> None:
    plugin = load(PLUGIN_DIR / ".claude-plugin" / "plugin.json")["name"]
    [server] = load(PLUGIN_DIR / ".mcp.json")["mcpServers"]
    prefix = f"mcp__plugin_{plugin}_{server}__"  # how Claude Code names the tools of a plugin's server
    for path in sorted((PLUGIN_DIR / "commands").glob("*.md")):
        allowed = [name.strip() for name in front_matter(path)["allowed-tools"].split(",")]
        tools = {name.removeprefix(prefix) for name in allowed if name.startswith(prefix)}
        assert tools and tools <= TOOL_NAMES, (path.name, tools - TOOL_NAMES)
        assert set(allowed) - {prefix + t for t in tools} <= {"ReadMcpResourceTool"}, path.name
        body = path.read_text(encoding="utf-8")
        mentioned = {name for name in TOOL_NAMES if f"`{name}`" in body}
        assert mentioned <= tools, (path.name, mentioned - tools)


def test_package_data_ships_the_plugin_and_manifest() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    patterns = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"][
        "archassist.tools"
    ]
    tools_dir = PLUGIN_DIR.parent
    shipped = {p for pattern in patterns for p in tools_dir.glob(pattern)}
    wanted = {p for p in PLUGIN_DIR.rglob("*") if p.is_file()} | {p for p in MCPB_DIR.rglob("*") if p.is_file()}
    wanted = {p for p in wanted if "__pycache__" not in p.parts}
    assert wanted <= shipped, sorted(str(p) for p in wanted - shipped)
