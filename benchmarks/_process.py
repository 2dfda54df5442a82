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


def reference_archassist(tree: str) -> str:
    """The console script of another checkout (e.g. a worktree of an older commit) with its own `.venv`."""
    script = Path(tree) / ".venv" / "bin" / "archassist"
    if not script.exists():
        sys.exit(f"{script} does not exist; create the reference's virtualenv: "
                 f"cd {tree} && python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'")
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


def measure_full(argv: list[str], runs: int = 15, warmup: int = 2,
                 env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Median wall seconds, median CPU seconds (user + system) and peak RSS (MiB) of a whole process.

    CPU time is reported next to wall time because a shared machine's neighbours move wall time by tens of
    percent from one run to the next. Peak memory is read per run with wait4.
    """
    return measure_interleaved([argv], runs=runs, warmup=warmup, envs=[env or bench_env()])[0]


def measure_interleaved(argvs: list[list[str]], runs: int = 15, warmup: int = 2,
                        envs: list[dict[str, str]] | None = None) -> list[tuple[float, float, float]]:
    """`measure_full` of several commands, taking turns run by run.

    Taking turns spreads a neighbour's burst of load over every command alike, so two checkouts compared this way
    differ by their own cost, not by when each happened to run.
    """
    envs = envs or [bench_env() for _ in argvs]
    times: list[list[float]] = [[] for _ in argvs]
    cpu: list[list[float]] = [[] for _ in argvs]
    peak = [0.0 for _ in argvs]
    for i in range(warmup + runs):
        for k, (argv, env) in enumerate(zip(argvs, envs, strict=True)):
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _, _, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = 0
            peak[k] = max(peak[k], usage.ru_maxrss / 1024)
            if i >= warmup:
                times[k].append(elapsed)
                cpu[k].append(usage.ru_utime + usage.ru_stime)
    return [(statistics.median(t), statistics.median(c), p) for t, c, p in zip(times, cpu, peak, strict=True)]


def reference_env(tree: str) -> dict[str, str]:
    """`bench_env` with an archassist home of the reference's own, so an older schema never meets a newer one."""
    env = bench_env()
    env["ARCHASSIST_HOME"] = env["ARCHASSIST_HOME"].rstrip("/") + "-" + Path(tree).resolve().name
    return env
