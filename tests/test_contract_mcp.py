"""The contract tools of the MCP server: `contract` and `check_compatibility`."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
import pytest
from archassist.tools.server import build_server
from mcp import Client

from tests.conftest import ROOT

pytestmark = pytest.mark.anyio

V1 = {"type": "record", "name": "InvoicePaid", "fields": [{"name": "invoice_id", "type": "string"}]}
V2 = {
    "type": "record",
    "name": "InvoicePaid",
    "fields": [{"name": "invoice_id", "type": "string"}, {"name": "amount", "type": "double"}],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("contract-ws")
    shutil.copy(ROOT / "tests" / "fixtures" / "render_design.yaml", root / "orders.yaml")
    return build_server(root, None)


@pytest.fixture
async def client(server: Any) -> AsyncIterator[Client]:
    async with Client(server) as connected:
        yield connected


async def _tools(client: Client) -> dict[str, Any]:
    return {t.name: t for t in (await client.list_tools()).tools}


def _structured(result: Any, tool: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    data: dict[str, Any] = result.structured_content
    jsonschema.validate(data, tool.output_schema)
    assert len(json.dumps(data)) < 20_000
    return data


async def test_tools_are_read_only_and_forbid_unknown_arguments(client: Client) -> None:
    tools = await _tools(client)
    for name in ("contract", "check_compatibility"):
        hints = tools[name].annotations
        assert hints.read_only_hint and hints.idempotent_hint and not hints.destructive_hint
    # The input models refuse unknown arguments (the shared registration decides what reaches them).
    from archassist.tools.contract_tools import CheckCompatibilityInput, ContractInput
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CheckCompatibilityInput.model_validate({"schemas": ["{}", "{}"], "colour": "red"})
    with pytest.raises(ValidationError):
        ContractInput.model_validate({"target": "x", "design_text": "a", "path": "b"})


async def test_contract_by_name_has_markdown_and_compact_structure(client: Client) -> None:
    tools = await _tools(client)
    result = await client.call_tool("contract", {"target": "invoice.paid"})
    data = _structured(result, tools["contract"])
    assert data["event"] == "InvoicePaid" and data["producer"] == "invoicing-service"
    assert data["assumptions"] and data["json_schema"]["$schema"].endswith("2020-12/schema")
    assert "design" not in data
    assert result.content[0].text.startswith("# Contract: InvoicePaid v1")


async def test_contract_of_a_workspace_design(client: Client) -> None:
    tools = await _tools(client)
    data = _structured(await client.call_tool("contract", {"target": "OrderPlaced", "path": "orders.yaml"}), tools["contract"])
    assert data["event"] == "OrderPlaced" and data["assumptions"] == []
    missing = await client.call_tool("contract", {"target": "Nope", "path": "orders.yaml"})
    assert missing.is_error and "no event 'Nope'" in missing.content[0].text


async def test_check_compatibility_explains_breaks(client: Client) -> None:
    tools = await _tools(client)
    schemas = [json.dumps(V1), json.dumps(V2)]
    data = _structured(
        await client.call_tool("check_compatibility", {"schemas": schemas, "mode": "BACKWARD"}),
        tools["check_compatibility"],
    )
    assert data["compatible"] is False and data["break_count"] == 1
    assert data["breaks"][0]["breaks"] == "new readers" and data["breaks"][0]["path"] == "/fields/1"
    ok = _structured(
        await client.call_tool("check_compatibility", {"schemas": schemas, "mode": "FORWARD"}),
        tools["check_compatibility"],
    )
    assert ok["compatible"] is True


async def test_check_compatibility_bad_input_is_one_line(client: Client) -> None:
    result = await client.call_tool("check_compatibility", {"schemas": ['{"type": "record",', "{}"]})
    assert result.is_error
    text = result.content[0].text
    assert "invalid JSON" in text and "\n" not in text.strip()


async def test_a_large_contract_keeps_structured_content_compact(client: Client) -> None:
    from archassist.agent.model.design import Design, Event, PayloadField
    from archassist.agent.model.io import dumps

    fields = [PayloadField(name=f"field_{n}", type="string", description="x" * 80) for n in range(120)]
    design = Design(name="big", events=[Event(name="ThingHappened", producer="thing-service", topic="things.events", fields=fields)])
    tools = await _tools(client)
    result = await client.call_tool("contract", {"target": "ThingHappened", "design_text": dumps(design, "yaml")})
    data = _structured(result, tools["contract"])
    assert data["artifacts_omitted"] is True and data["json_schema"] == {}
    assert "field_119" in result.content[0].text
