"""Shared helpers: run a command many times and report the median wall time and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The real AsyncAPI document the review targets are stated for.
DEEPGRAM = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "asyncapi" / "docs" / "deepgram-speech-api.yaml"


def archassist() -> str:
    """The console script installed next to the running interpreter."""
    script = Path(sys.executable).with_name("archassist")
    if not script.exists():
        sys.exit("archassist is not installed in this virtualenv; run: pip install -e '.[test]'")
    return str(script)


def bench_env() -> dict[str, str]:
    """The environment a user's shell would have: bytecode caching on, a scratch archassist home."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("ARCHASSIST_HOME", "/tmp/archassist-bench")
    return env


def measure(argv: list[str], runs: int = 15, warmup: int = 2) -> tuple[float, float]:
    """Median seconds and peak RSS (MiB) of a whole process, stdout discarded."""
    median, _cpu, peak = measure_full(argv, runs=runs, warmup=warmup)
    return median, peak


def measure_full(argv: list[str], runs: int = 15, warmup: int = 2) -> tuple[float, float, float]:
    """Median wall seconds, median CPU seconds (user + system) and peak RSS (MiB) of a whole process.

    CPU time is reported next to wall time because a shared machine's neighbours move wall time by tens of
    percent from one run to the next. Peak memory is read per run with wait4.
    """
    times: list[float] = []
    cpu: list[float] = []
    peak = 0.0
    env = bench_env()
    for i in range(warmup + runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = 0
        peak = max(peak, usage.ru_maxrss / 1024)
        if i >= warmup:
            times.append(elapsed)
            cpu.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(times), statistics.median(cpu), peak
