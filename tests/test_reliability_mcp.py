"""The MCP `reliability` tool through the SDK's in-process client: Markdown text, compact structured content
validated against the published output schema, and one-line refusals."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from archassist.tools.server import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

CLEAN = Path(__file__).parent / "fixtures" / "review" / "clean.yaml"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    shutil.copy(CLEAN, tmp_path / "clean.yaml")
    async with Client(build_server(tmp_path, None)) as connected:
        yield connected


async def call(client: Client, arguments: dict[str, Any]) -> tuple[dict[str, Any], str]:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    result = await client.call_tool("reliability", arguments)
    assert not result.is_error, result.content[0].text
    data: dict[str, Any] = result.structured_content
    jsonschema.validate(data, tools["reliability"].output_schema)
    return data, result.content[0].text


async def test_plan_for_a_workspace_file(client: Client) -> None:
    data, text = await call(client, {"path": "clean.yaml", "outage": "30m", "error_rate": 0.05})
    assert data["kind"] == "design" and data["design_name"] == "order-fulfillment"
    assert data["outage_s"] == 1800 and data["error_rate"] == 0.05
    row = next(r for r in data["capacity"] if r["topic"] == "payments.commands")
    assert row["backlog_after_outage"] == 600 * 1800 and row["keeps_up"] is False
    assert "## Per consumer" in text and "<svg" in text
    assert len(json.dumps(data)) < 20_000 and "design" not in data


async def test_plan_for_text_and_for_a_flow_request(client: Client) -> None:
    data, _ = await call(client, {"text": CLEAN.read_text(encoding="utf-8")})
    assert data["capacity_rows"] == 3
    data, text = await call(client, {"brief": "retry strategy for webhook ingestion"})
    assert data["kind"] == "flow" and "Reliability plan: retry strategy for webhook ingestion" in text


async def test_refusals_are_one_line(client: Client) -> None:
    for arguments, expected in (
        ({"path": "clean.yaml", "brief": "x"}, "exactly one of"),
        ({"path": "clean.yaml", "outage": "soon"}, "outage 'soon' is not a duration"),
        ({"path": "missing.yaml"}, "missing.yaml"),
    ):
        result = await client.call_tool("reliability", arguments)
        assert result.is_error
        message = result.content[0].text
        assert expected in message and "\n" not in message.strip()
