"""Median whole-process times of the main commands.

Usage: python benchmarks/cli_times.py [--runs N] [--reference TREE]

With --reference, TREE is another checkout with its own `.venv` (for instance `git worktree add ../wt-ref COMMIT`);
its commands run in turn with this checkout's, and both figures are printed side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import archassist, bench_env, measure_interleaved, reference_archassist, reference_env

BRIEF = "order fulfillment across payments, inventory, and shipping"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reference", metavar="TREE", help="a checkout to measure side by side with this one")
    args = parser.parse_args()
    exes = [archassist()]
    envs = [bench_env()]
    if args.reference:
        exes.append(reference_archassist(args.reference))
        envs.append(reference_env(args.reference))
    cases = [
        ("archassist --help", ["--help"], 0.3),
        (f'archassist design "{BRIEF}" --no-memory', ["design", BRIEF, "--no-memory"], 0.5),
        (f'archassist design "{BRIEF}"', ["design", BRIEF], 0.5),
    ]
    for label, argv, target in cases:
        results = measure_interleaved([[exe, *argv] for exe in exes], runs=args.runs, envs=envs)
        median, cpu, peak = results[0]
        verdict = "ok" if median <= target else "OVER TARGET"
        line = (f"{label:<90} median {median:.3f} s (cpu {cpu:.3f} s)  peak {peak:5.1f} MiB  "
                f"(target ≤ {target} s: {verdict})")
        if args.reference:
            ref_median, ref_cpu, ref_peak = results[1]
            line += (f"  | reference {ref_median:.3f} s (cpu {ref_cpu:.3f} s)  peak {ref_peak:5.1f} MiB  "
                     f"ratio {median / ref_median:.2f}")
        print(line)


if __name__ == "__main__":
    main()
