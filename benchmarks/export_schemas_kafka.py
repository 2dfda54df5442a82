"""Time the avro, jsonschema and kafka exports: in process on the flagship and on synthetic designs of 1,000 and
5,000 events, and whole `archassist export` processes on the flagship.

    .venv/bin/python benchmarks/export_schemas_kafka.py

Target: the flagship exports in under 0.1 s in process and under 1 s of CPU as a whole process; the synthetic
designs grow linearly (5,000 events in at most 10 s for a schema kind, 1 s for kafka).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _process import archassist, measure_full
from archassist.agent.export.base import export
from archassist.agent.model.design import Design
from archassist.agent.model.io import dumps
from archassist.agent.planner.compose import plan
from review_large import synthetic_design

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"
KINDS = ("avro", "jsonschema", "kafka")


def in_process(design: Design, kind: str, runs: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        count = len(export(design, kind))
        times.append(time.perf_counter() - started)
    return statistics.median(times), count


def main() -> None:
    flagship = plan(FLAGSHIP).design
    # Whole processes first: a child forked from this process after it holds the large designs reports their
    # memory as its own peak.
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "flagship.yaml"
        source.write_text(dumps(flagship), encoding="utf-8")
        print("whole process, flagship (median of 7; CPU time is what a shared machine does not move)")
        for kind in KINDS:
            wall, cpu, peak = measure_full(
                [archassist(), "export", str(source), "--to", kind, "-o", str(Path(folder) / kind)], runs=7, warmup=1
            )
            print(f"  {kind:<10} wall {wall:5.2f} s  cpu {cpu:5.2f} s  {peak:6.0f} MiB")

    print("in process (median)")
    for label, design, runs in [
        ("flagship", flagship, 15),
        ("1,000 events", synthetic_design(1_000, 200), 3),
        ("5,000 events", synthetic_design(5_000, 1_000), 1),
    ]:
        for kind in KINDS:
            seconds, files = in_process(design, kind, runs)
            print(f"  {label:>13}  {kind:<10} {seconds * 1000:9.1f} ms  {files:6d} files")


if __name__ == "__main__":
    main()
