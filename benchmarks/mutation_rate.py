"""Share of injected design flaws caught by the intended rule, per kind of flaw.

    .venv/bin/python benchmarks/mutation_rate.py

The flaws and the planner briefs are those of tests/test_rules_mutations.py: each flaw is injected into each
planner design it applies to, and counts as caught when its rule reports more findings than before. Target: 100 %.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_mutations() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "tests" / "test_rules_mutations.py"
    spec = importlib.util.spec_from_file_location("rule_mutations", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def main() -> int:
    module = load_mutations()
    total = caught = 0
    print(f"{'rule':<7} {'flaw':<58} {'caught':>8}")
    for mutation in module.MUTATIONS:
        outcomes = [module.detect(mutation, brief) for brief in module.BRIEFS]
        applied = [o for o in outcomes if o is not None]
        hits = sum(1 for o in applied if o)
        total += len(applied)
        caught += hits
        shown = f"{hits}/{len(applied)}" if applied else "n/a"
        print(f"{mutation.code:<7} {mutation.kind:<58} {shown:>8}")
    rate = caught / total if total else 0.0
    print(
        f"\ndetection rate: {caught}/{total} = {rate:.1%} over {len(module.MUTATIONS)} kinds of flaw "
        f"and {len(module.BRIEFS)} planner designs"
    )
    return 0 if caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
