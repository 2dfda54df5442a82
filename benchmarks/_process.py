"""Shared helpers: run a command many times and report the median wall time and peak memory."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def archassist() -> str:
    """The console script installed next to the running interpreter."""
    script = Path(sys.executable).with_name("archassist")
    if not script.exists():
        sys.exit("archassist is not installed in this virtualenv; run: pip install -e '.[test]'")
    return str(script)


def measure(argv: list[str], runs: int = 15, warmup: int = 2) -> tuple[float, float]:
    """Median seconds and peak RSS (MiB) of a whole process, stdout discarded."""
    times: list[float] = []
    peak = 0.0
    for i in range(warmup + runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, "ARCHASSIST_HOME": os.environ.get("ARCHASSIST_HOME", "/tmp/archassist-bench")})
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = max(peak, after / 1024, before / 1024)
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times), peak
