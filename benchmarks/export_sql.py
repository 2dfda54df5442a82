"""The SQL export: in-process time per design (the flagship and the 30 dev briefs), the whole-process
`archassist export --to sql`, and, given a PostgreSQL, the time to apply a design's scripts to a fresh database.

Usage: python benchmarks/export_sql.py [--runs N] [--dsn DSN]   (DSN defaults to $ARCHASSIST_TEST_PG_DSN)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import archassist, measure_full

ROOT = Path(__file__).resolve().parents[1]
BRIEFS = ROOT.parent / "shared" / "briefs" / "dev.json"
FLAGSHIP = "order fulfillment across payments, inventory, and shipping"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dsn", default=os.environ.get("ARCHASSIST_TEST_PG_DSN"))
    args = parser.parse_args()
    from archassist.agent.export.base import export
    from archassist.agent.model.io import save_design
    from archassist.agent.planner.compose import plan

    briefs = [FLAGSHIP] + [b["brief"] for b in json.loads(BRIEFS.read_text())]
    designs = [plan(brief).design for brief in briefs]
    times, sizes, files = [], [], []
    for design in designs:
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            artifacts = export(design, "sql")
            samples.append(time.perf_counter() - start)
        times.append(statistics.median(samples))
        sizes.append(sum(len(a.content.encode()) for a in artifacts))
        files.append(len(artifacts))
    worst = max(range(len(designs)), key=lambda i: times[i])
    print(f"in-process export_sql over {len(designs)} designs: median {statistics.median(times) * 1000:.2f} ms, "
          f"worst {times[worst] * 1000:.2f} ms ({designs[worst].name[:40]}), "
          f"{min(files)}-{max(files)} files, {min(sizes) // 1024}-{max(sizes) // 1024} KiB")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "flagship.yaml"
        save_design(designs[0], source)
        argv = [archassist(), "export", str(source), "--to", "sql", "-o", str(Path(folder) / "out")]
        median, cpu, peak = measure_full(argv, runs=args.runs)
        print(f"archassist export flagship.yaml --to sql -o DIR: median {median:.3f} s (cpu {cpu:.3f} s), "
              f"peak {peak:.1f} MiB")
    if not args.dsn:
        print("no PostgreSQL DSN (--dsn or ARCHASSIST_TEST_PG_DSN): apply times not measured")
        return
    import psycopg

    applies = []
    for design in designs:
        scripts = [a.content for a in export(design, "sql") if a.path.endswith(".sql")]
        database = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")
        info = psycopg.conninfo.conninfo_to_dict(args.dsn) | {"dbname": database}
        try:
            with psycopg.connect(psycopg.conninfo.make_conninfo(**info), autocommit=True) as conn:
                start = time.perf_counter()
                for script in scripts:
                    conn.execute(script)
                first = time.perf_counter() - start
                start = time.perf_counter()
                for script in scripts:
                    conn.execute(script)
                again = time.perf_counter() - start
            applies.append((first, again))
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {database}")
    print(f"apply to a fresh database over {len(applies)} designs: median "
          f"{statistics.median(a for a, _ in applies) * 1000:.0f} ms, worst {max(a for a, _ in applies) * 1000:.0f} ms; "
          f"second run median {statistics.median(b for _, b in applies) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
