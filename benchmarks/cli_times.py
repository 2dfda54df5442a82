"""Median whole-process times of the main commands.

Usage: python benchmarks/cli_times.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import archassist, measure_full

BRIEF = "order fulfillment across payments, inventory, and shipping"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = archassist()
    cases = [
        ("archassist --help", [exe, "--help"], 0.3),
        (f'archassist design "{BRIEF}" --no-memory', [exe, "design", BRIEF, "--no-memory"], 0.5),
        (f'archassist design "{BRIEF}"', [exe, "design", BRIEF], 0.5),
    ]
    for label, argv, target in cases:
        median, cpu, peak = measure_full(argv, runs=args.runs)
        verdict = "ok" if median <= target else "OVER TARGET"
        print(f"{label:<90} median {median:.3f} s (cpu {cpu:.3f} s)  peak {peak:5.1f} MiB  "
              f"(target ≤ {target} s: {verdict})")


if __name__ == "__main__":
    main()
