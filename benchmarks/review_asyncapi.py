"""Whole-process `archassist review` of a real AsyncAPI document: median time and peak memory.

Usage: python benchmarks/review_asyncapi.py [--runs N] [DOCUMENT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _process import DEEPGRAM, archassist, measure_full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("document", nargs="?", default=str(DEEPGRAM))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    median, cpu, peak = measure_full([archassist(), "review", args.document, "--fail-on", "never"], runs=args.runs)
    print(f"archassist review {Path(args.document).name}: median {median:.3f} s, cpu {cpu:.3f} s "
          f"(target ≤ 0.30 s), peak RSS {peak:.1f} MiB (target ≤ 80 MiB)")


if __name__ == "__main__":
    main()
