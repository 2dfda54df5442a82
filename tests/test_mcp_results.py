"""The result convention of every tool (readable Markdown, compact structuredContent, bulky parts behind linked
resources) and how arguments are checked: strictly, against the schema clients are shown, in one line."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from archassist.tools.registration import ROOT_KEYWORDS_REFUSED
from archassist.tools.results import (
    MAX_STRUCTURED_CHARS,
    OMITTED_KEY,
    Link,
    fit,
    structured_size,
    tool_result,
)
from archassist.tools.server import build_server
from archassist.tools.workspace import resolve_root
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.anyio

FIXTURE_DESIGN = ROOT / "tests" / "fixtures" / "render_design.yaml"
LARGEST_ASYNCAPI = CORPUS / "asyncapi" / "docs" / "deepgram-speech-api.yaml"
BRIEF = "order fulfillment across payments, inventory and shipping, 2k orders/min, GDPR"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURE_DESIGN, root / "orders.yaml")
    if LARGEST_ASYNCAPI.exists():
        shutil.copy(LARGEST_ASYNCAPI, root / "asyncapi.yaml")
    return root


@pytest.fixture
async def client(workspace: Path) -> AsyncIterator[Client]:
    async with Client(build_server(workspace, None)) as connected:
        yield connected


def one_line_error(result: Any) -> str:
    assert result.is_error, "expected the call to be refused"
    [content] = result.content
    text: str = content.text
    assert "\n" not in text.strip() and "errors.pydantic.dev" not in text, text
    return text


# ---- the helper ----------------------------------------------------------------------------------------------


def test_tool_result_carries_text_structure_and_links() -> None:
    link = Link(uri="archassist://designs/7", name="design-7", title="Design shop")
    result = tool_result("# Shop\n", {"name": "shop", "findings": []}, [link])
    assert result.content[0].text == "# Shop\n"
    assert result.content[1].type == "resource_link" and str(result.content[1].uri) == link.uri
    assert result.structured_content == {"name": "shop", "findings": []}


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=400),
    size=st.integers(min_value=1, max_value=600),
    limit=st.integers(min_value=2_000, max_value=30_000),
)
def test_fit_keeps_the_most_items_under_the_cap_and_counts_the_rest(count: int, size: int, limit: int) -> None:
    items = [{"code": f"EDA{i:03d}", "message": "x" * size} for i in range(count)]
    data = {"summary": "s", "findings": items}
    fitted = fit(data, limit=limit)
    assert structured_size(fitted) <= limit
    kept = fitted["findings"]
    assert kept == items[: len(kept)]
    left_out = fitted.get(OMITTED_KEY, {}).get("findings", 0)
    assert len(kept) + left_out == count
    if left_out:  # one more item would not have fitted
        bigger = {**fitted, "findings": items[: len(kept) + 1], OMITTED_KEY: {"findings": left_out - 1}}
        assert structured_size(bigger) > limit


# ---- sizes on realistic input -------------------------------------------------------------------------------


OLD_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
NEW_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "string"}}, "required": ["id"]}


async def test_every_tool_answers_within_the_structured_cap(client: Client, workspace: Path) -> None:
    calls: dict[str, list[dict[str, Any]]] = {
        "design": [{"brief": BRIEF}, {"brief": BRIEF, "remember": False}],
        "review": [{"path": "orders.yaml"}, {"text": (workspace / "orders.yaml").read_text(encoding="utf-8")}],
        "check_design": [{"path": "orders.yaml"}],
        "list_rules": [{}],
        "explain_rule": [{"code": "EDA401"}],
        "recall": [{"query": "outbox order workflow", "limit": 50}],
        "remember": [{"title": "Publish through a transactional outbox", "context": "c" * 20_000,
                      "decision": "d" * 20_000, "consequences": "e" * 20_000}],
        "get_design": [{"id": 1}],
        "contract": [{"target": "invoice.paid"}, {"target": "OrderPlaced", "path": "orders.yaml"}],
        "check_compatibility": [{"schemas": [json.dumps(OLD_SCHEMA), json.dumps(NEW_SCHEMA)], "mode": "BACKWARD"}],
        "reliability": [{"path": "orders.yaml", "outage": "30m"}, {"brief": "retry strategy for webhook ingestion"}],
        "migration": [
            {"brief": "migrate the monolith's checkout side effects (confirmation emails, loyalty points) to events"},
            {"brief": "move the order side effects to events", "target_path": "orders.yaml"},
        ],
        "export": [
            {"kind": "asyncapi", "path": "orders.yaml"},
            {"kind": "asyncapi", "path": "orders.yaml", "system": True},
            {"kind": "avro", "path": "orders.yaml"},
            {"kind": "jsonschema", "path": "orders.yaml"},
            {"kind": "kafka", "path": "orders.yaml"},
            {"kind": "sql", "path": "orders.yaml"},
            {"kind": "eventcatalog", "path": "orders.yaml"},
            {"kind": "eventcatalog", "path": "orders.yaml", "output_dir": "exported/eventcatalog"},
        ],
        "score_design": [
            {"path": "orders.yaml"},
            {"path": "orders.yaml", "scenario": "click-and-collect"},
            {"text": (workspace / "orders.yaml").read_text(encoding="utf-8"), "scenario": "ad-bidding"},
        ],
    }
    if LARGEST_ASYNCAPI.exists():
        calls["review"].append({"path": "asyncapi.yaml"})
    listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed <= set(calls), f"add a realistic call for {sorted(listed - set(calls))}"
    for name, arguments_list in calls.items():
        for arguments in arguments_list:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, (name, result.content[0].text)
            size = structured_size(result.structured_content)
            assert size < MAX_STRUCTURED_CHARS, (name, size)
            assert result.content[0].type == "text" and result.content[0].text.strip()
    design = await client.call_tool("design", {"brief": BRIEF, "remember": False})
    assert "design" not in design.structured_content and len(design.content[0].text) > 5_000


async def test_a_long_review_keeps_every_finding_in_the_text(client: Client) -> None:
    if not LARGEST_ASYNCAPI.exists():
        pytest.skip(f"the shared corpus is not here: {LARGEST_ASYNCAPI}")
    result = await client.call_tool("review", {"path": "asyncapi.yaml"})
    data = result.structured_content
    total = sum(data["counts"].values())
    assert len(data["findings"]) + data["omitted"].get("findings", 0) == total
    for finding in data["findings"]:
        assert finding["code"] in result.content[0].text


# ---- input schemas and argument checks ------------------------------------------------------------------------


async def test_published_schemas_refuse_unknown_arguments_and_stay_small(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for tool in tools.values():
        schema = tool.input_schema
        assert schema.get("type") == "object" and schema.get("additionalProperties") is False, tool.name
        # Hosts refuse or drop tools whose schema composes at the root or refers elsewhere.
        assert not set(schema) & set(ROOT_KEYWORDS_REFUSED), (tool.name, set(schema) & set(ROOT_KEYWORDS_REFUSED))
        assert "$ref" not in json.dumps(schema) and "$defs" not in schema, tool.name
        assert len(json.dumps(schema)) < 3_000, tool.name
    for name in ("review", "check_design"):
        properties = tools[name].input_schema["properties"]
        for source in ("text", "path"):
            assert "exactly one of text and path" in properties[source]["description"]


async def test_a_misspelt_argument_is_refused_and_nothing_is_stored(client: Client) -> None:
    text = one_line_error(await client.call_tool("design", {"brief": BRIEF, "remmember": False}))
    assert "unknown argument 'remmember'" in text and "did you mean 'remember'" in text
    recalled = await client.call_tool("recall", {"query": "outbox"})
    assert recalled.structured_content["count"] == 0  # no design, so none of its decisions, was stored


async def test_validation_errors_are_the_projects_one_line(client: Client) -> None:
    assert "the argument 'brief' is required" in one_line_error(await client.call_tool("design", {}))
    assert "limit" in one_line_error(await client.call_tool("recall", {"query": "x", "limit": 0}))
    assert "exactly one of" in one_line_error(await client.call_tool("check_design", {}))


async def test_review_accepts_a_json_document_as_text(client: Client, workspace: Path) -> None:
    import yaml

    document = yaml.safe_load((workspace / "orders.yaml").read_text(encoding="utf-8"))
    by_yaml = await client.call_tool("review", {"path": "orders.yaml"})
    by_json = await client.call_tool("review", {"text": json.dumps(document)})
    as_object = await client.call_tool("review", {"text": document})  # some clients send the object itself
    for result in (by_json, as_object):
        assert not result.is_error, result.content[0].text
        assert result.structured_content["counts"] == by_yaml.structured_content["counts"]


@pytest.mark.parametrize(
    ("tool", "path_key", "text_key", "extra"),
    [
        ("export", "path", "text", {"kind": "kafka"}),
        ("score_design", "path", "text", {}),
        ("reliability", "path", "text", {}),
        ("contract", "path", "design_text", {"target": "OrderPlaced"}),
        ("migration", "target_path", "target_text", {"brief": "move the order side effects to events"}),
    ],
)
async def test_design_tools_accept_a_json_design_as_text_or_as_the_object(
    client: Client, workspace: Path, tool: str, path_key: str, text_key: str, extra: dict[str, object]
) -> None:
    import yaml

    design = yaml.safe_load((workspace / "orders.yaml").read_text(encoding="utf-8"))
    by_path = await client.call_tool(tool, {path_key: "orders.yaml", **extra})
    assert not by_path.is_error, by_path.content[0].text
    for text in (json.dumps(design), design):
        result = await client.call_tool(tool, {text_key: text, **extra})
        assert not result.is_error, result.content[0].text
        keys = set(by_path.structured_content) - {"target"}
        assert {k: result.structured_content[k] for k in keys if k != "target"} == {
            k: by_path.structured_content[k] for k in keys
        }


async def test_check_design_refuses_an_asyncapi_document(client: Client) -> None:
    if not LARGEST_ASYNCAPI.exists():
        pytest.skip(f"the shared corpus is not here: {LARGEST_ASYNCAPI}")
    assert "use the review tool" in one_line_error(
        await client.call_tool("check_design", {"path": "asyncapi.yaml"})
    ).replace("check it with the review tool", "use the review tool")


# ---- prompts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("nope", {"brief": "x"}, "unknown prompt 'nope'"),
        ("design", {}, "needs the argument 'brief'"),
        ("design", {"brief": "   "}, "needs the argument 'brief'"),
        ("design", {"brief": "x", "breif": "y"}, "has no argument 'breif'"),
        ("design", {"brief": "x" * (2 * 1024 * 1024 + 1)}, "over the 2.0 MiB limit"),
    ],
)
async def test_prompt_mistakes_are_invalid_params(client: Client, name: str, arguments: dict[str, str],
                                                  expected: str) -> None:
    with pytest.raises(MCPError) as raised:
        await client.get_prompt(name, arguments)
    assert raised.value.code == INVALID_PARAMS
    assert expected in raised.value.error.message and "\n" not in raised.value.error.message


# ---- the workspace --------------------------------------------------------------------------------------------


async def test_configuration_above_the_workspace_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".archassist.toml").write_text("select = [unclosed\n", encoding="utf-8")  # broken, and not ours
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURE_DESIGN, root / "orders.yaml")
    async with Client(build_server(root, None)) as client:
        result = await client.call_tool("review", {"path": "orders.yaml"})
        assert not result.is_error, result.content[0].text
        (root / ".archassist.toml").write_text('ignore = ["EDA8"]\n', encoding="utf-8")
        narrowed = await client.call_tool("review", {"path": "orders.yaml"})
    codes = {f["code"] for f in narrowed.structured_content["findings"]}
    assert codes and not any(code.startswith("EDA8") for code in codes)
    assert any(f["code"].startswith("EDA8") for f in result.structured_content["findings"])


def test_the_filesystem_root_is_no_implicit_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    from archassist.agent.errors import InputError

    monkeypatch.delenv("ARCHASSIST_ROOT", raising=False)
    monkeypatch.chdir("/")
    with pytest.raises(InputError, match="pass --root"):
        resolve_root(None)
    assert resolve_root("/") == Path("/")  # asked for explicitly, it is the user's choice
