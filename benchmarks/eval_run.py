"""Whole-process `archassist eval run` of the shipped scenarios × three offline contestants.

    .venv/bin/python benchmarks/eval_run.py [--runs 3] [--keep DIR]

The contestants are the planner (`offline`), the naive baseline (`baseline`) and a folder of designs written
beforehand (`dir:`, the planner's designs saved as YAML: the path a run takes for designs made elsewhere, with
loading and validation). Each timed run stores into a fresh database, so the figure includes creating and
migrating it and writing every design and score. Also times `eval report` of the stored run.

Target: the run ≤ 10 s on the 30+ shipped scenarios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import archassist, bench_env

TARGET_S = 10.0


def write_designs(folder: Path) -> int:
    from archassist.agent.model.io import save_design
    from archassist.evals.contestants.offline import OfflineContestant
    from archassist.evals.scenario import load_scenarios

    planner = OfflineContestant()
    scenarios = load_scenarios()
    for scenario in scenarios:
        save_design(planner.design(scenario), folder / f"{scenario.id}.yaml")
    return len(scenarios)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (a shared machine moves wall time; CPU time much less) and stdout."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds, cpu_seconds = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, cpu_seconds, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--keep", type=Path, help="keep the designs, databases and report here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="eval-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    designs = work / "designs"
    designs.mkdir(exist_ok=True)
    count = write_designs(designs)
    env = bench_env()
    cli = archassist()
    contestants = f"offline,baseline,dir:{designs}"
    times: list[float] = []
    cpu: list[float] = []
    report: dict[str, object] = {}
    db = work / "runs-0.db"
    for number in range(args.runs):
        db = work / f"runs-{number}.db"
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
        argv = [
            cli,
            "eval",
            "run",
            "--contestants",
            contestants,
            "--db",
            str(db),
            "--format",
            "json",
            "--quiet",
        ]
        seconds, cpu_seconds, out = timed(argv, env)
        times.append(seconds)
        cpu.append(cpu_seconds)
        report = json.loads(out)
    report_s, report_cpu, _ = timed(
        [cli, "eval", "report", str(report["run_id"]), "--db", str(db), "-o", str(work / "report.html")], env
    )
    median = statistics.median(times)
    cells = count * 3
    print(f"eval run: {count} scenarios × 3 contestants ({cells} designs scored and stored)")
    print(
        f"  median {median:.2f} s over {len(times)} runs ({', '.join(f'{t:.2f}' for t in times)}), "
        f"{median / cells * 1000:.0f} ms per design; target ≤ {TARGET_S:.0f} s: {'met' if median <= TARGET_S else 'MISSED'}"
    )
    print(f"  CPU median {statistics.median(cpu):.2f} s")
    print(
        f"eval report: {report_s:.2f} s, CPU {report_cpu:.2f} s ({(work / 'report.html').stat().st_size / 1024:.0f} KiB)"
    )
    print("leaderboard:")
    for row in report["leaderboard"]:  # type: ignore[attr-defined]
        print(f"  {row['contestant']:<12.12} total {row['total']:6.2f}  failures {row['failures']}")
    print(f"cpus: {os.cpu_count()}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
