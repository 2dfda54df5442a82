"""The MCP server through real MCP clients: the SDK's in-process client in both protocol eras, a stdio subprocess
and streamable HTTP on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from archassist.agent.model.design import Design
from archassist.tools.server import build_server
from archassist.tools.workspace import MAX_INPUT_BYTES
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.anyio

FIXTURE_DESIGN = ROOT / "tests" / "fixtures" / "render_design.yaml"
ASYNCAPI_DOC = CORPUS / "asyncapi" / "docs" / "spec-3.0-streetlights-kafka.yaml"
BRIEF = "order fulfillment across payments, inventory and shipping"
TOOLS = {"design", "review", "check_design", "list_rules", "explain_rule", "recall", "remember", "get_design"}
TOOLS |= {"contract", "check_compatibility", "reliability", "migration", "score_design", "export"}
FILE_WRITERS = {"export"}  # tools that write files into the workspace
PROMPTS = {"design": "brief", "review": "target", "contract": "event", "reliability": "flow", "migration": "change"}
OUTSIDE = "outside the workspace"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a design, an AsyncAPI document, an oversize file and a symlink that leads outside."""
    tmp_path = tmp_path_factory.mktemp("mcp")
    root = tmp_path / "ws"
    (root / "designs").mkdir(parents=True)
    shutil.copy(FIXTURE_DESIGN, root / "designs" / "orders.yaml")
    if ASYNCAPI_DOC.exists():
        shutil.copy(ASYNCAPI_DOC, root / "asyncapi.yaml")
    (root / "big.yaml").write_text("name: big\n" + "# padding\n" * (MAX_INPUT_BYTES // 10 + 1), encoding="utf-8")
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\n", encoding="utf-8")
    (root / "escape.yaml").symlink_to(secret)
    return root


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The memory of a subprocess server (given with --db)."""
    return tmp_path / "memory.db"


@pytest.fixture(scope="module")
def server(workspace: Path) -> Any:
    """One in-process server for the module. It resolves its memory when a tool needs it, so each test gets the
    fresh one that conftest puts in a temporary $ARCHASSIST_HOME."""
    return build_server(workspace, None)


@pytest.fixture
def memory_db() -> Path:
    return Path(os.environ["ARCHASSIST_HOME"]) / "memory.db"


@pytest.fixture(params=["auto", "legacy"])
async def client(request: pytest.FixtureRequest, server: Any) -> AsyncIterator[Client]:
    """One client per protocol era: auto negotiates the current per-request protocol, legacy the handshake."""
    async with Client(server, mode=request.param) as connected:
        yield connected


def structured(result: Any, tools: dict[str, Any], name: str) -> dict[str, Any]:
    """The structured result of a successful call, validated against the tool's published output schema."""
    assert not result.is_error, result.content[0].text
    assert result.content and result.content[0].text.strip()
    data: dict[str, Any] = result.structured_content
    jsonschema.validate(data, tools[name].output_schema)
    return data


def error_text(result: Any) -> str:
    assert result.is_error, "expected the call to be refused"
    text: str = result.content[0].text
    assert "\n" not in text.strip(), text
    return text


async def tool_map(client: Client) -> dict[str, Any]:
    return {t.name: t for t in (await client.list_tools()).tools}


# ---- listing ---------------------------------------------------------------------------------------------------


async def test_lists_tools_prompts_and_resources(client: Client) -> None:
    tools = await tool_map(client)
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.title and tool.description
        hints = tool.annotations
        assert hints is not None
        # Only export writes files, and it may replace its own earlier output in the chosen folder.
        assert hints.destructive_hint is (tool.name in FILE_WRITERS) and hints.open_world_hint is False
        assert isinstance(hints.read_only_hint, bool) and isinstance(hints.idempotent_hint, bool)
        assert tool.output_schema and tool.output_schema.get("type") == "object"
        for prop, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{prop} is undocumented"
    read_only = {name for name, tool in tools.items() if tool.annotations and tool.annotations.read_only_hint}
    assert read_only == TOOLS - {"design", "remember"} - FILE_WRITERS

    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == set(PROMPTS)
    for name, argument in PROMPTS.items():
        [arg] = prompts[name].arguments or []
        assert arg.name == argument and arg.required and arg.description

    resources = {str(r.uri) for r in (await client.list_resources()).resources}
    assert resources == {
        "archassist://rules",
        "archassist://schema/design",
        "archassist://knowledge/patterns",
        "archassist://knowledge/domains",
    }
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert templates == {
        "archassist://rules/{code}",
        "archassist://knowledge/patterns/{name}",
        "archassist://knowledge/domains/{name}",
        "archassist://decisions/{id}",
        "archassist://designs/{id}",
    }


# ---- every tool --------------------------------------------------------------------------------------------------


async def test_every_tool(client: Client, workspace: Path) -> None:
    tools = await tool_map(client)
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    result = await client.call_tool("design", {"brief": BRIEF}, progress_callback=on_progress)
    design = structured(result, tools, "design")
    assert design["counts"]["error"] == 0
    assert design["memory_id"] is not None and design["decision_ids"]
    assert design["design_uri"] == f"archassist://designs/{design['memory_id']}"
    assert "design" not in design and "markdown" not in design  # the Design is a resource, the Markdown the text
    assert result.content[0].text.startswith("# ")
    [link] = [c for c in result.content if c.type == "resource_link"]
    assert str(link.uri) == design["design_uri"]
    assert len(reports) >= 3 and reports[-1][0] == reports[-1][1], reports
    full, mime = await read(client, design["design_uri"])
    assert mime == "application/json" and Design.model_validate_json(full).name == design["name"]

    stored = structured(await client.call_tool("get_design", {"id": design["memory_id"]}), tools, "get_design")
    assert stored["name"] == design["name"] and stored["decision_ids"] == design["decision_ids"]
    assert stored["design_uri"] == design["design_uri"] and stored["parts"] == design["parts"]

    checked = structured(await client.call_tool("check_design", {"text": full}), tools, "check_design")
    assert checked["counts"]["error"] == 0 and checked["source"] == "<input>"
    by_file = structured(
        await client.call_tool("check_design", {"path": "designs/orders.yaml"}), tools, "check_design"
    )
    assert by_file["source"] == "designs/orders.yaml" and by_file["counts"]["error"] > 0

    text = (workspace / "designs" / "orders.yaml").read_text(encoding="utf-8")
    by_text = structured(await client.call_tool("review", {"text": text}), tools, "review")
    by_path = structured(await client.call_tool("review", {"path": "designs/orders.yaml"}), tools, "review")
    assert by_text["source"] == "<input>" and by_path["source"] == "designs/orders.yaml"
    assert by_text["counts"] == by_path["counts"] and by_path["counts"]["error"] > 0
    assert {f["file"] for f in by_path["findings"]} == {"designs/orders.yaml"}
    assert all(f["line"] for f in by_path["findings"])
    narrowed = structured(
        await client.call_tool("review", {"path": "designs/orders.yaml", "select": ["EDA8"]}), tools, "review"
    )
    assert narrowed["findings"] and {f["code"][:4] for f in narrowed["findings"]} == {"EDA8"}

    rules = structured(await client.call_tool("list_rules", {}), tools, "list_rules")
    assert rules["count"] == len(rules["rules"]) > 50
    only = structured(await client.call_tool("list_rules", {"group": "sagas"}), tools, "list_rules")
    assert only["rules"] and {r["group"] for r in only["rules"]} == {"sagas"}
    mqtt = structured(await client.call_tool("list_rules", {"group": "mqtt"}), tools, "list_rules")
    assert [r["code"] for r in mqtt["rules"]] == ["AAPI201", "AAPI202", "AAPI203", "AAPI204", "AAPI205"]
    explained = structured(await client.call_tool("explain_rule", {"code": "EDA401"}), tools, "explain_rule")
    assert explained["name"] == "consumer-not-idempotent" and explained["why"] and explained["fix"]

    first = structured(
        await client.call_tool(
            "remember",
            {"title": "Coordinate order workflows by orchestration", "decision": "An orchestrator owns the saga.",
             "tags": ["orders"]},
        ),
        tools,
        "remember",
    )
    second = structured(
        await client.call_tool(
            "remember",
            {"title": "Coordinate order workflows by choreography", "supersedes": first["decision"]["id"]},
        ),
        tools,
        "remember",
    )
    assert second["superseded"]["id"] == first["decision"]["id"]
    assert second["superseded"]["status"] == "superseded"
    recalled = structured(await client.call_tool("recall", {"query": "order workflows"}), tools, "recall")
    ids = [d["id"] for d in recalled["decisions"]]
    assert first["decision"]["id"] in ids and second["decision"]["id"] in ids


async def test_review_of_an_asyncapi_document(client: Client) -> None:
    if not ASYNCAPI_DOC.exists():
        pytest.skip(f"the shared corpus is not here: {ASYNCAPI_DOC}")
    tools = await tool_map(client)
    result = structured(await client.call_tool("review", {"path": "asyncapi.yaml"}), tools, "review")
    assert result["kind"] == "asyncapi" and result["unsaid"]
    text = ASYNCAPI_DOC.read_text(encoding="utf-8")
    same = structured(await client.call_tool("review", {"text": text}), tools, "review")
    assert same["counts"] == result["counts"]


async def test_design_without_memory_leaves_memory_alone(client: Client, memory_db: Path) -> None:
    tools = await tool_map(client)
    out = structured(await client.call_tool("design", {"brief": BRIEF, "remember": False}), tools, "design")
    assert out["memory_id"] is None and out["decision_ids"] == []
    assert out["design_uri"].startswith("archassist://designs/draft-")
    draft, _ = await read(client, out["design_uri"])
    assert Design.model_validate_json(draft).name == out["name"]
    assert not memory_db.exists()


async def test_precedents_shape_the_design(client: Client) -> None:
    tools = await tool_map(client)
    await client.call_tool(
        "remember",
        {"title": "Order workflows use choreography", "decision": "Orders, payments and inventory choreograph; "
         "no orchestrator.", "tags": ["orders", "payments"]},
    )
    out = structured(await client.call_tool("design", {"brief": BRIEF, "remember": False}), tools, "design")
    assert [p["applied"] for p in out["precedents"]] == [True]
    design, _ = await read(client, out["design_uri"])
    assert json.loads(design)["style"]["coordination"] == "choreography"


# ---- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../secret.yaml", "designs/../../secret.yaml", "/etc/passwd", "escape.yaml"])
async def test_paths_outside_the_workspace_are_refused(client: Client, path: str) -> None:
    text = error_text(await client.call_tool("review", {"path": path}))
    assert OUTSIDE in text and path in text


async def test_oversize_inputs_are_refused(client: Client) -> None:
    text = error_text(await client.call_tool("review", {"path": "big.yaml"}))
    assert "over the 2.0 MiB limit" in text
    huge = "name: x\n" + "#" * MAX_INPUT_BYTES
    assert "over the 2.0 MiB limit" in error_text(await client.call_tool("review", {"text": huge}))
    assert "over the 2.0 MiB limit" in error_text(await client.call_tool("design", {"brief": "x" * (MAX_INPUT_BYTES + 1)}))


async def test_user_errors_are_one_clear_line(client: Client) -> None:
    assert "did you mean" in error_text(await client.call_tool("explain_rule", {"code": "EDA4O1"}))
    assert "exactly one of" in error_text(await client.call_tool("review", {"text": "name: x", "path": "a.yaml"}))
    assert "exactly one of" in error_text(await client.call_tool("review", {}))
    assert "no such file" in error_text(await client.call_tool("review", {"path": "missing.yaml"}))
    assert "invalid YAML" in error_text(await client.call_tool("review", {"text": "name: [unclosed"}))
    assert "no such design" in error_text(await client.call_tool("get_design", {"id": 99}))
    assert "unknown rule group" in error_text(await client.call_tool("list_rules", {"group": "nope"}))
    assert "no such decision" in error_text(
        await client.call_tool("remember", {"title": "x", "supersedes": "ADR-0042"})
    )


# ---- resources and prompts ---------------------------------------------------------------------------------------


async def read(client: Client, uri: str) -> tuple[str, str | None]:
    result = await client.read_resource(uri)
    [content] = result.contents
    return content.text, content.mime_type  # type: ignore[union-attr]


async def test_every_resource_kind(client: Client) -> None:
    rules, mime = await read(client, "archassist://rules")
    assert mime == "application/json" and len(json.loads(rules)) > 50
    rule, mime = await read(client, "archassist://rules/EDA401")
    assert mime == "text/markdown" and "consumer-not-idempotent" in rule
    schema, _ = await read(client, "archassist://schema/design")
    assert json.loads(schema)["title"] == "archassist Design"
    patterns, _ = await read(client, "archassist://knowledge/patterns")
    names = [p["name"] for p in json.loads(patterns)]
    assert "transactional_outbox" in names
    pattern, _ = await read(client, "archassist://knowledge/patterns/transactional_outbox")
    assert json.loads(pattern)["rules_expect"]
    domains, _ = await read(client, "archassist://knowledge/domains")
    assert "orders" in [d["name"] for d in json.loads(domains)]
    domain, _ = await read(client, "archassist://knowledge/domains/orders")
    assert json.loads(domain)["events"]

    remembered = await client.call_tool("remember", {"title": "Publish through a transactional outbox"})
    decision_id = remembered.structured_content["decision"]["id"]
    madr, mime = await read(client, f"archassist://decisions/{decision_id}")
    assert mime == "text/markdown" and "Publish through a transactional outbox" in madr

    for missing in ("archassist://rules/EDA999", "archassist://knowledge/patterns/nope", "archassist://decisions/77"):
        with pytest.raises(MCPError):
            await client.read_resource(missing)


async def test_every_prompt(client: Client) -> None:
    await client.call_tool(
        "remember", {"title": "Invoices are paid through the payments service", "tags": ["invoicing"]}
    )
    for name, argument in PROMPTS.items():
        target = f"invoice paid flow for {name}"
        result = await client.get_prompt(name, {argument: target})
        [message] = result.messages
        text = message.content.text  # type: ignore[union-attr]
        assert message.role == "user"
        assert "# Role" in text and f"# Mode: {name}" in text and f"<target>\n{target}\n</target>" in text
        assert "Invoices are paid through the payments service" in text  # the recalled precedent
        assert "`recall`" in text  # the note on the tools at hand
    with pytest.raises(MCPError):
        await client.get_prompt("design", {})


async def test_review_prompt_brings_a_workspace_file_along(client: Client) -> None:
    result = await client.get_prompt("review", {"target": "designs/orders.yaml"})
    text = result.messages[0].content.text  # type: ignore[union-attr]
    assert "designs/orders.yaml:" in text and "services:" in text
    outside = await client.get_prompt("review", {"target": "../secret.yaml"})
    assert "name: secret" not in outside.messages[0].content.text  # type: ignore[union-attr]


# ---- stdio -------------------------------------------------------------------------------------------------------


def serve_argv(workspace: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "archassist.agent.cli", "serve", "--root", str(workspace), "--db", str(db), *extra]


def child_env() -> dict[str, str]:
    return {"ARCHASSIST_HOME": os.environ["ARCHASSIST_HOME"], "PYTHONUNBUFFERED": "1"}


async def test_stdio_subprocess_with_the_sdk_client(workspace: Path, db: Path) -> None:
    argv = serve_argv(workspace, db)
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_env())
    stray: list[BaseException] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, BaseException):  # a line on stdout that is not a protocol message
            stray.append(message)

    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errlog:
        with anyio.fail_after(30):
            async with Client(stdio_client(params, errlog=errlog), message_handler=on_message) as client:
                tools = await tool_map(client)
                assert set(tools) == TOOLS
                review = structured(
                    await client.call_tool("review", {"path": "designs/orders.yaml"}), tools, "review"
                )
                assert review["counts"]["error"] > 0
                remembered = structured(
                    await client.call_tool("remember", {"title": "Keep topics per domain"}), tools, "remember"
                )
                assert remembered["decision"]["id"] == "ADR-0001"
        errlog.seek(0)
        logs = errlog.read()
    assert not stray, stray
    assert "MCP server on stdio" in logs and "tool review answered" in logs
    assert db.exists()


def _reader(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_stdio_stdout_carries_only_protocol(workspace: Path, db: Path) -> None:
    """Raw JSON-RPC over the pipes (the pre-2026 handshake): every line on stdout is a protocol message, and the
    logs arrive on stderr."""
    proc = subprocess.Popen(
        serve_argv(workspace, db),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **child_env()},
    )
    assert proc.stdin and proc.stdout and proc.stderr
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "design", "arguments": {"brief": BRIEF, "remember": False}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
         "params": {"name": "review", "arguments": {"path": "/etc/passwd"}}},
    ]
    seen: list[dict[str, Any]] = []
    try:
        for request in requests:
            proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while {m.get("id") for m in seen} < {1, 2, 3, 4}:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "the server closed stdout early"
            message = json.loads(line)  # anything that is not JSON fails here
            assert message.get("jsonrpc") == "2.0"
            seen.append(message)
        proc.stdin.close()
        proc.wait(timeout=15)
        rest = [line for line in iter(lambda: lines.get(timeout=5), None)]
        assert all(json.loads(line).get("jsonrpc") == "2.0" for line in rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    responses = {m["id"]: m for m in seen if "id" in m}
    assert responses[1]["result"]["serverInfo"]["name"] == "archassist"
    assert len(responses[2]["result"]["tools"]) == len(TOOLS)
    assert responses[3]["result"]["structuredContent"]["counts"]["error"] == 0
    assert responses[4]["result"]["isError"] is True
    logs = proc.stderr.read()
    assert "MCP server on stdio" in logs and "tool design answered" in logs


# ---- streamable HTTP ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def http_server(workspace: Path, db: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        serve_argv(workspace, db, "--transport", "streamable-http", "--port", str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **child_env()},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "server exited"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert time.monotonic() < deadline, "the HTTP server did not start listening in time"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


async def test_streamable_http_on_loopback(workspace: Path, db: Path) -> None:
    with http_server(workspace, db) as (url, proc):
        with anyio.fail_after(30):
            for mode in ("auto", "legacy"):
                async with Client(url, mode=mode) as client:
                    tools = await tool_map(client)
                    assert set(tools) == TOOLS
                    review = structured(
                        await client.call_tool("review", {"path": "designs/orders.yaml"}), tools, "review"
                    )
                    assert review["counts"]["error"] > 0
                    assert OUTSIDE in error_text(await client.call_tool("review", {"path": "../secret.yaml"}))
    assert proc.returncode is not None
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read() == ""
    assert "http://127.0.0.1" in proc.stderr.read()


def run_cli(*args: str) -> Any:
    from archassist.agent.cli.root import app
    from typer.testing import CliRunner

    return CliRunner().invoke(app, list(args))


def test_http_refuses_a_remote_host_without_allow_remote(workspace: Path, db: Path) -> None:
    done = run_cli("serve", "--transport", "streamable-http", "--host", "0.0.0.0", "--root", str(workspace))
    assert done.exit_code == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert "refusing to listen on 0.0.0.0" in line and "--allow-remote" in line


def test_serve_refuses_a_missing_root(tmp_path: Path) -> None:
    done = run_cli("serve", "--root", str(tmp_path / "nope"))
    assert done.exit_code == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert "is not a folder" in line


def test_the_command_line_loads_without_the_sdk() -> None:
    """`archassist --help` and every command but `serve` stay fast: the MCP SDK loads only when serving."""
    code = (
        "import sys\n"
        "from archassist.agent.cli.root import app\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types', 'anthropic'))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_serve_on_a_busy_port_is_one_line(workspace: Path, db: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_argv(workspace, db, "--transport", "streamable-http", "--port", str(port)),
            capture_output=True, text=True, timeout=60, env={**os.environ, **child_env()},
        )
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line


def test_serve_in_the_filesystem_root_needs_a_root() -> None:
    env = {key: value for key, value in os.environ.items() if key != "ARCHASSIST_ROOT"}
    done = subprocess.run(
        [sys.executable, "-m", "archassist.agent.cli", "serve"], capture_output=True, text=True, timeout=60,
        cwd="/", env={**env, **child_env(), "PYTHONPATH": os.pathsep.join(sys.path)},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert "pass --root" in line
