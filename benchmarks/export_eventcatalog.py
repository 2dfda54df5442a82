"""Time `export --to eventcatalog`: in process on the flagship and on synthetic designs of 1k, 2k and 5k events,
and as a whole `archassist export … -o DIR` process on the flagship.

    .venv/bin/python benchmarks/export_eventcatalog.py

Targets: the flagship's whole process in at most 1 s; CPU time growing roughly linearly with the events (each
event is a page, a JSON Schema and its links, so the output itself grows linearly). CPU time is printed beside wall
time because neighbours on a shared machine move wall time a lot.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _process import archassist, measure_full
from archassist.agent.export.base import export
from archassist.agent.model.io import dumps
from archassist.agent.planner.compose import plan
from review_large import synthetic_design

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"


def _in_process(label: str, design: object, runs: int) -> None:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        artifacts = export(design, "eventcatalog")  # type: ignore[arg-type]
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    size = sum(len(a.content.encode("utf-8")) for a in artifacts) / 1024
    print(f"{label:<28} {len(artifacts):>6} files {size:>8.0f} KiB   wall {min(walls):6.2f} s   cpu {min(cpus):6.2f} s")


def main() -> None:
    flagship = plan(FLAGSHIP).design
    _in_process("flagship", flagship, runs=5)
    for events in (1000, 2000, 5000):
        _in_process(f"synthetic {events} events", synthetic_design(events, events // 5), runs=1)
    with tempfile.TemporaryDirectory() as scratch:
        design = Path(scratch) / "flagship.yaml"
        design.write_text(dumps(flagship, "yaml"), encoding="utf-8")
        argv = [archassist(), "export", str(design), "--to", "eventcatalog", "-o", str(Path(scratch) / "catalog")]
        wall, cpu, peak = measure_full(argv, runs=7, warmup=1)
    print(f"whole process, flagship: median wall {wall:.2f} s, cpu {cpu:.2f} s, peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
