"""Decision memory benchmark: batched insert rate, in-process recall latency, whole-process `archassist recall`.

    .venv/bin/python benchmarks/memory_bench.py [--decisions 100000] [--queries 300] [--runs 10] [--keep DIR]

Goals: recall p95 <= 20 ms in process at 100,000 decisions, >= 5,000 inserts/s batched, and a whole
`archassist recall "..."` process <= 0.4 s median.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOMAINS = (
    "order", "payment", "inventory", "shipping", "customer", "invoice", "ledger", "account", "booking",
    "reservation", "ticket", "claim", "policy", "subscription", "catalog", "pricing", "cart",
    "checkout", "refund", "fraud", "loyalty", "notification", "shipment", "warehouse", "delivery",
    "driver", "trip", "ride", "appointment", "patient", "telemetry", "device", "sensor", "billing",
    "settlement", "transfer", "wallet", "loan", "underwriting", "quote", "product", "review", "search",
    "recommendation", "identity", "onboarding", "consent", "audit", "compliance"
)
PATTERNS = (
    "transactional outbox", "orchestrated saga", "choreographed saga", "event sourcing", "CQRS read model",
    "idempotent consumer", "dead-letter queue", "exponential backoff", "partition by aggregate id",
    "log compaction", "schema registry", "snapshotting", "upcasting", "change data capture", "exactly-once sink",
    "consumer group per service", "event-carried state transfer", "claim check", "competing consumers",
    "per-key ordering", "crypto-shredding", "process manager", "inbox table", "retry topic", "circuit breaker",
)
QUALITIES = (
    "throughput", "latency", "auditability", "consistency", "availability", "ordering", "cost", "simplicity",
    "replayability", "GDPR erasure", "operability", "team autonomy", "coupling", "scalability",
)
TEMPLATES_TITLE = (
    "{d} workflows use {p}",
    "Use {p} for {d} events",
    "{d} service publishes through {p}",
    "Adopt {p} in the {d} context",
    "{d} and {d2} coordinate with {p}",
)
TEMPLATES_CONTEXT = (
    "The {d} team needs {q} while {d2} traffic peaks at {n} events per second.",
    "Incidents in {d} showed lost messages when the broker was unavailable; {q} matters more than {q2}.",
    "{d} must keep a complete history for {q}; the {d2} service consumes its events.",
    "Downstream {d2} consumers were coupled to {d} internals, hurting {q}.",
)
TEMPLATES_DECISION = (
    "We will use {p} for {d}, keyed by {d}_id, with {p2} for failures.",
    "Chosen option: {p}, because it gives {q} at an acceptable cost in {q2}.",
    "{d} writes go through {p}; {d2} reads from a projection updated by {p2}.",
)
TEMPLATES_CONSEQ = (
    "Good: {q} improves. Bad: more moving parts and {q2} suffers slightly.",
    "Operations must monitor consumer lag on {d} topics and alert on the dead-letter queue.",
    "Replays of {d} history become possible; storage for {d2} grows with retention.",
)


def _filler(rng: random.Random) -> list[str]:
    syllables = [a + b for a in "kmrtsnpvdlfzg" for b in "aeiou"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)]


def generate(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    filler = _filler(rng)
    weights = [1 / (i + 1) for i in range(len(filler))]  # Zipf-like word frequencies

    def fill() -> str:
        return " ".join(rng.choices(filler, weights, k=rng.randint(3, 12)))

    statuses = ["accepted"] * 6 + ["proposed", "rejected", "deprecated", "superseded"]
    for _ in range(n):
        values = {
            "d": rng.choice(DOMAINS).capitalize(),
            "d2": rng.choice(DOMAINS),
            "p": rng.choice(PATTERNS),
            "p2": rng.choice(PATTERNS),
            "q": rng.choice(QUALITIES),
            "q2": rng.choice(QUALITIES),
            "n": rng.choice((200, 1000, 5000, 20000, 100000)),
        }
        yield {
            "title": rng.choice(TEMPLATES_TITLE).format(**values),
            "context": rng.choice(TEMPLATES_CONTEXT).format(**values) + " " + fill() + ".",
            "decision": rng.choice(TEMPLATES_DECISION).format(**values),
            "consequences": rng.choice(TEMPLATES_CONSEQ).format(**values) + " " + fill() + ".",
            "alternatives": rng.sample(PATTERNS, 2),
            "status": rng.choice(statuses),
            "tags": rng.sample(["sagas", "outbox", "kafka", "ordering", "gdpr", "projections", "retries"], 2),
        }


def queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(f"{rng.choice(DOMAINS)} {rng.choice(PATTERNS)}")
        elif i % 3 == 1:
            out.append(f"how do {rng.choice(DOMAINS)} and {rng.choice(DOMAINS)} handle {rng.choice(QUALITIES)}?")
        else:
            out.append(rng.choice(PATTERNS))
    return out


def briefs(n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(DOMAINS)} across {rng.choice(DOMAINS)}, {rng.choice(DOMAINS)} and {rng.choice(DOMAINS)} "
        f"with {rng.choice(QUALITIES)} at {rng.choice((500, 5000, 50000))} events/sec"
        for _ in range(n)
    ]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _children_cpu() -> float:
    """CPU seconds used by finished child processes: a figure other load on the machine does not inflate."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_prefix() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = Path(sys.executable).with_name("archassist")
    return [str(script)] if script.exists() else [sys.executable, "-m", "archassist.agent.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="Keep the database in this folder.")
    parser.add_argument("--reuse", action="store_true", help="With --keep: reuse its database, skip inserting.")
    args = parser.parse_args()

    from archassist.agent.memory import add_decisions, open_store, precedents_for_brief, recall

    folder = args.keep or Path(tempfile.mkdtemp(prefix="archassist-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "memory.db"
    reuse = args.reuse and args.keep is not None and db.exists()
    if not reuse:
        db.unlink(missing_ok=True)
    try:
        rows = [] if reuse else list(generate(args.decisions))
        with open_store(db) as store:
            batch = 10_000
            start, cpu_start = time.perf_counter(), time.process_time()
            for offset in range(0, len(rows), batch):
                add_decisions(store, rows[offset : offset + batch])
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            total = store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        print(f"decisions: {total:,}  database: {db.stat().st_size / 1e6:.1f} MB  load average: "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if rows:
            print(
                f"batched insert: {len(rows) / elapsed:,.0f} decisions/s wall ({elapsed:.2f} s), "
                f"{len(rows) / cpu:,.0f} decisions/s of CPU time ({cpu:.2f} s), batches of {batch:,}"
            )

        with open_store(db, readonly=True) as store:
            for q in queries(20):  # warm the page cache like a second run would
                recall(store, q)
            samples, cpu_samples = [], []
            hits = 0
            for q in queries(args.queries):
                t0, c0 = time.perf_counter(), time.process_time()
                found = recall(store, q, limit=10)
                samples.append((time.perf_counter() - t0) * 1000)
                cpu_samples.append((time.process_time() - c0) * 1000)
                hits += bool(found)
            print(
                f"recall (in process, limit 10, {len(samples)} queries, {hits} with hits): "
                f"p50 {percentile(samples, 50):.2f} ms  p95 {percentile(samples, 95):.2f} ms  "
                f"max {max(samples):.2f} ms wall; CPU time p50 {percentile(cpu_samples, 50):.2f} ms  "
                f"p95 {percentile(cpu_samples, 95):.2f} ms"
            )
            samples = []
            for brief in briefs(max(args.queries // 3, 10)):
                t0 = time.perf_counter()
                precedents_for_brief(store, brief)
                samples.append((time.perf_counter() - t0) * 1000)
            print(
                f"precedents_for_brief (in process, {len(samples)} briefs): "
                f"p50 {percentile(samples, 50):.2f} ms  p95 {percentile(samples, 95):.2f} ms"
            )

        library_only = [
            sys.executable, "-c",
            "import sys; from archassist.agent.memory import open_store, recall\n"
            f"with open_store({str(db)!r}, readonly=True) as s:\n"
            "    [print(r.ref, r.title) for r in recall(s, 'payment outbox retries', limit=5)]",
        ]
        runs = [
            ("whole process `python -c 'pass'` (interpreter floor)", [sys.executable, "-c", "pass"]),
            ("whole process, recall path only (python -c, no CLI)", library_only),
            ("whole process `archassist --help`", [*cli_prefix(), "--help"]),
            (
                "whole process `archassist recall \"payment outbox retries\"`",
                [*cli_prefix(), "recall", "payment outbox retries", "--db", str(db), "--limit", "5"],
            ),
        ]
        for label, command in runs:
            subprocess.run(command, check=True, capture_output=True)
            times, cpu_times = [], []
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), _children_cpu()
                subprocess.run(command, check=True, capture_output=True)
                times.append(time.perf_counter() - t0)
                cpu_times.append(_children_cpu() - c0)
            print(
                f"{label}, {args.runs} runs: median {statistics.median(times):.3f} s  "
                f"min {min(times):.3f} s  max {max(times):.3f} s wall; "
                f"median CPU time {statistics.median(cpu_times):.3f} s"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
