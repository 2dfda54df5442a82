"""What the required stack costs a fresh process before archassist does any work of its own.

Usage: python benchmarks/startup_floor.py [--runs N]

Each row is a whole process that adds one layer to the row above it, so the differences show where start-up time
goes. The rows marked "floor" do the least that `archassist review` and `archassist serve` can do with pydantic
models and the `mcp` SDK: the review targets (≤ 0.30 s) and the MCP cold start target (≤ 0.8 s, measured by
mcp_bench.py, whose bare one-tool SDK server also ends in tools/list) are read against them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import DEEPGRAM, archassist, measure_full

ONE_EVENT_DESIGN = (
    "from archassist.agent.model.design import Design; "
    "Design.model_validate({'name': 'floor', 'events': [{'name': 'OrderPlaced', 'producer': 'orders', "
    "'topic': 'orders.events', 'partition_key': 'order_id'}]})"
)

LADDER: list[tuple[str, list[str]]] = [
    ("python, nothing imported", ["-c", "pass"]),
    ("import pydantic.BaseModel", ["-c", "from pydantic import BaseModel"]),
    ("import the Design model", ["-c", "import archassist.agent.model.design"]),
    ("floor: validate a one-event Design", ["-c", ONE_EVENT_DESIGN]),
    ("floor + import typer", ["-c", "import typer; " + ONE_EVENT_DESIGN]),
    ("import mcp.server.mcpserver (SDK alone)", ["-c", "import mcp.server.mcpserver"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    rows = [(label, [sys.executable, *argv]) for label, argv in LADDER]
    rows.append(
        (f"archassist review {DEEPGRAM.name}", [archassist(), "review", str(DEEPGRAM), "--fail-on", "never"])
    )
    print(f"{'process':<46} {'median wall':>12} {'median cpu':>11} {'peak RSS':>9}")
    for label, argv in rows:
        median, cpu, peak = measure_full(argv, runs=args.runs)
        print(f"{label:<46} {median:>10.3f} s {cpu:>9.3f} s {peak:>6.1f} MiB")


if __name__ == "__main__":
    main()
