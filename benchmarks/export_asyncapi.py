"""The AsyncAPI export on the flagship design and three designs of briefs/dev.json: time, size, round trip.

For each design: the median in-process time of the per-service export and of the `--system` export, the number
and size of the documents, the time `import asyncapi` takes to read the system document back; then the median
whole-process time of `archassist export DESIGN --to asyncapi --system`, and, when the AsyncAPI CLI is on PATH,
the time of one `asyncapi validate` of the flagship's system document.

Usage: python benchmarks/export_asyncapi.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _process import archassist, measure_full

BRIEFS = {
    "flagship": "order fulfillment across payments, inventory, and shipping",
    "ledger": "Consumer loan origination: applicants apply online, a credit bureau check and automated underwriting "
    "decide, contracts are e-signed and the money is disbursed. Regulators require a 10 year audit trail.",
    "telemetry": "Smart electricity meters: 2 million meters report readings every 15 minutes; bills are computed "
    "monthly and outages trigger alerts to field crews.",
    "booking": "Concert ticketing: fans hold seats for 10 minutes, pay, and receive e-tickets; unpaid holds expire; "
    "50k purchases per minute when a big show goes on sale.",
}


def median_seconds(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from archassist.agent.asyncapi import import_asyncapi
    from archassist.agent.export.base import ExportOptions, export
    from archassist.agent.model.io import dumps, parse_document
    from archassist.agent.planner.compose import plan

    scratch = Path(tempfile.mkdtemp(prefix="archassist-export-bench-"))
    for label, brief in BRIEFS.items():
        design = plan(brief).design
        services = export(design, "asyncapi", ExportOptions())
        [system] = export(design, "asyncapi", ExportOptions(system=True))
        doc = parse_document(system.content, system.path)
        per_service = median_seconds(lambda d=design: export(d, "asyncapi", ExportOptions()), args.runs)
        whole = median_seconds(lambda d=design: export(d, "asyncapi", ExportOptions(system=True)), args.runs)
        back = median_seconds(lambda p=doc: import_asyncapi(p.data, p.source, scratch), args.runs)
        sizes = [len(a.content.encode()) for a in services]
        print(
            f"{label:10} {len(design.events)} events, {len(design.topics)} topics, {len(design.consumers)} consumers: "
            f"{len(services)} service documents ({sum(sizes) / 1024:.0f} KiB) in {per_service * 1000:.0f} ms; "
            f"system document {len(system.content.encode()) / 1024:.0f} KiB in {whole * 1000:.0f} ms; "
            f"import back {back * 1000:.0f} ms"
        )
        (scratch / f"{label}.yaml").write_text(dumps(design), encoding="utf-8")

    flagship = scratch / "flagship.yaml"
    median, cpu, peak = measure_full(
        [archassist(), "export", str(flagship), "--to", "asyncapi", "--system"], runs=args.runs
    )
    print(f"archassist export flagship --to asyncapi --system: median {median:.3f} s, cpu {cpu:.3f} s, "
          f"peak RSS {peak:.1f} MiB")

    tool = shutil.which("asyncapi")
    if tool is None:
        print("asyncapi validate: the AsyncAPI CLI is not on PATH; skipped")
        return
    target = scratch / "asyncapi.yaml"
    [system] = export(plan(BRIEFS["flagship"]).design, "asyncapi", ExportOptions(system=True))
    target.write_text(system.content, encoding="utf-8")
    metrics = scratch / "analytics.json"
    metrics.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "bench"}))
    env = {**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(metrics), "CI": "true",
           "ASYNCAPI_SKIP_NEW_VERSION_CHECK": "true", "SUPPRESS_NO_CONFIG_WARNING": "true"}
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([tool, "validate", str(target)], capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - start)
    print(f"asyncapi validate flagship system document: median {statistics.median(times):.1f} s (3 runs)")


if __name__ == "__main__":
    main()
