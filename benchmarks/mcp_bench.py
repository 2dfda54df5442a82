"""The MCP server through a real client over stdio: cold start, and the `design` and `review` tools.

Usage: python benchmarks/mcp_bench.py [--runs N] [--calls N]

- cold start: spawn `archassist serve`, initialize (the handshake), answer tools/list; median of N fresh processes,
  next to the same for a one-tool server built on the bare MCP SDK (the floor the SDK's own import sets);
- design: one `design` tool call on a typical brief (recall, plan, check, render, record in memory), measured at
  the client, result validated by the SDK client against the output schema as it always does;
- review: one `review` tool call on a typical design file in the workspace.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

sys.path.insert(0, str(Path(__file__).parent))
from _process import archassist

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "tests" / "fixtures"
DESIGN_FILE = "render_design.yaml"
BRIEF = "order fulfillment across payments, inventory and shipping"
TARGETS = {"cold start": 0.8, "design": 0.150, "review": 0.050}
BARE_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("bare")
@server.tool()
def ping() -> str:
    return "pong"
server.run("stdio")
"""


def params(home: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=archassist(), args=["serve", "--root", str(WORKSPACE)], env={"ARCHASSIST_HOME": str(home)}
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def cold_start(server: StdioServerParameters, runs: int) -> tuple[list[float], list[float]]:
    """Wall times to the tools/list answer, and the CPU time each server process used in all (less sensitive
    to a busy machine than wall time)."""
    times, cpu = [], []
    with open(os.devnull, "w") as quiet:
        for _ in range(runs):
            before = _children_cpu()
            start = time.perf_counter()
            async with Client(stdio_client(server, errlog=quiet), mode="legacy") as client:
                await client.list_tools()
                times.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - before)
    return times, cpu


async def tool_calls(home: Path, calls: int) -> dict[str, list[float]]:
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "design": ("design", {"brief": BRIEF}),
        "design (remember: false)": ("design", {"brief": BRIEF, "remember": False}),
        "review": ("review", {"path": DESIGN_FILE}),
    }
    times: dict[str, list[float]] = {label: [] for label in cases}
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params(home), errlog=quiet)) as client:
            for label, (name, arguments) in cases.items():
                for i in range(calls + 2):  # the first two warm the imports and caches
                    start = time.perf_counter()
                    result = await client.call_tool(name, arguments)
                    elapsed = time.perf_counter() - start
                    if result.is_error:
                        raise SystemExit(f"{name} failed: {getattr(result.content[0], 'text', '')}")
                    if i >= 2:
                        times[label].append(elapsed)
    return times


def report(label: str, samples: list[float], target: float) -> None:
    median = statistics.median(samples)
    verdict = "ok" if median <= target else "OVER TARGET"
    spread = f"min {min(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms"
    print(f"{label:<36} median {median * 1000:7.1f} ms  ({spread}; n={len(samples)}; target ≤ "
          f"{target * 1000:.0f} ms: {verdict})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="fresh processes for the cold start")
    parser.add_argument("--calls", type=int, default=20, help="measured calls per tool")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archassist-mcp-bench-") as folder:
        home = Path(folder)
        bare = StdioServerParameters(command=sys.executable, args=["-c", BARE_SERVER])
        for label, server in (("cold start, bare SDK server", bare), ("cold start → tools/list", params(home))):
            wall, cpu = await cold_start(server, args.runs)
            report(label, wall, TARGETS["cold start"])
            print(f"{'':<36} server CPU time median {statistics.median(cpu) * 1000:7.1f} ms")
        for label, samples in (await tool_calls(home, args.calls)).items():
            report(f"tools/call {label}", samples, TARGETS[label.split()[0]])


if __name__ == "__main__":
    anyio.run(main)
