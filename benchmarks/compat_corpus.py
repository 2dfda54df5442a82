"""Agreement with the 627 external schema-compatibility cases, and the time to check them all in one process.

    .venv/bin/python benchmarks/compat_corpus.py [path/to/cases.json]

Prints the agreement per format and overall, each disagreement, and the wall time of the checks (parsing the
schemas included, loading the corpus file excluded).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from archassist.agent.modes.contract import check_compatibility

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compat" / "cases.json"
FORMATS = {"avro": "avro", "jsonschema": "json"}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    cases = json.loads(path.read_text(encoding="utf-8"))
    # Warm the lazy imports (avro, jsonschema) so the figure is the checking, not the first import.
    check_compatibility([{"type": "string"}], {"type": "string"}, "BACKWARD", "json")
    check_compatibility(['"int"'], '"long"', "BACKWARD", "avro")
    started = time.perf_counter()
    verdicts = []
    for case in cases:
        history = case.get("previous") or [case["old"]]
        for mode, expected in case["expected"].items():
            result = check_compatibility(history, case["new"], mode.upper(), FORMATS[case["format"]])
            verdicts.append((case, mode, expected, result.compatible))
    elapsed = time.perf_counter() - started
    for fmt in FORMATS:
        mine = [v for v in verdicts if v[0]["format"] == fmt]
        agree = sum(1 for v in mine if v[2] == v[3])
        print(f"{fmt:<10} {agree}/{len(mine)} agree")
    agree = sum(1 for v in verdicts if v[2] == v[3])
    print(f"{'all':<10} {agree}/{len(verdicts)} agree ({100 * agree / len(verdicts):.2f} %)")
    for case, mode, expected, got in verdicts:
        if expected != got:
            print(f"  disagree {case['id']} {mode}: expected {expected}, got {got}  ({case['name'][:70]})")
    print(f"time       {elapsed:.3f} s for {len(verdicts)} checks ({1000 * elapsed / len(verdicts):.2f} ms each)")


if __name__ == "__main__":
    main()
