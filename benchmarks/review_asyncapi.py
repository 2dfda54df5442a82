"""Whole-process `archassist review` of a real AsyncAPI document: median time and peak memory.

Usage: python benchmarks/review_asyncapi.py [--runs N] [--reference TREE] [DOCUMENT]

With --reference, TREE is another checkout with its own `.venv`; its review runs in turn with this checkout's and
both figures are printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import DEEPGRAM, archassist, bench_env, measure_interleaved, reference_archassist, reference_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("document", nargs="?", default=str(DEEPGRAM))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reference", metavar="TREE", help="a checkout to measure side by side with this one")
    args = parser.parse_args()
    argv = ["review", args.document, "--fail-on", "never"]
    exes = [archassist()]
    envs = [bench_env()]
    if args.reference:
        exes.append(reference_archassist(args.reference))
        envs.append(reference_env(args.reference))
    results = measure_interleaved([[exe, *argv] for exe in exes], runs=args.runs, envs=envs)
    median, cpu, peak = results[0]
    print(f"archassist review {Path(args.document).name}: median {median:.3f} s, cpu {cpu:.3f} s "
          f"(target ≤ 0.30 s), peak RSS {peak:.1f} MiB (target ≤ 80 MiB)")
    if args.reference:
        ref_median, ref_cpu, ref_peak = results[1]
        print(f"reference {args.reference}: median {ref_median:.3f} s, cpu {ref_cpu:.3f} s, "
              f"peak RSS {ref_peak:.1f} MiB; ratio {median / ref_median:.2f}")


if __name__ == "__main__":
    main()
