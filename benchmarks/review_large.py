"""Time the rules engine on synthetic designs, and whole `archassist review` runs on the worst inputs the loader
accepts.

    .venv/bin/python benchmarks/review_large.py            # both parts
    .venv/bin/python benchmarks/review_large.py --engine   # the rules engine only
    .venv/bin/python benchmarks/review_large.py --limits   # the loader's worst accepted inputs only

Engine target: 10,000 events reviewed in at most 2 s, growing roughly linearly. The synthetic design is clean (no
error or warning), so the time measured is the time every rule takes to look at everything, not to format findings.

Limits target: any input the loader accepts (archassist.agent.model.limits.LoaderLimits) is reviewed, as a whole
process, in at most 2 s and 300 MiB. Each input sits just under one limit, shaped to cost the most there: the most
values, the longest list, aliases expanding to the most values, the longest strings where rules read names.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archassist.agent.model.design import (
    Aggregate,
    Alert,
    Consumer,
    DeadLetter,
    Design,
    Event,
    Idempotency,
    Metric,
    Observability,
    PayloadField,
    Projection,
    Requirements,
    RetryPolicy,
    Service,
    Topic,
)

EVENTS_PER_SERVICE = 100
CONSUMERS_PER_SERVICE = 20


def synthetic_design(events: int, consumers: int) -> Design:
    """A clean design with `events` events spread over services of 100 events each, and `consumers` consumers.

    Each service owns one aggregate and one topic; the consumers of service i read the events of service i+1, so
    every event has a consumer and no loop exists.
    """
    services_count = max(1, events // EVENTS_PER_SERVICE)
    per_service_consumers = max(1, consumers // services_count)
    events_per_consumer = max(1, EVENTS_PER_SERVICE // per_service_consumers)
    services: list[Service] = []
    aggregates: list[Aggregate] = []
    all_events: list[Event] = []
    topics: list[Topic] = []
    all_consumers: list[Consumer] = []
    projections: list[Projection] = []
    names: list[list[str]] = []
    for s in range(services_count):
        domain = f"domain{s}"
        service = f"{domain}-service"
        aggregate = f"Widget{s}"
        event_names = [f"Widget{s}Part{k}Recorded" for k in range(EVENTS_PER_SERVICE)]
        names.append(event_names)
        services.append(
            Service(
                name=service,
                aggregates=[aggregate],
                database=f"{domain}-db",
                publishes=event_names,
                publishing="outbox",
                owner=f"team-{domain}",
            )
        )
        aggregates.append(
            Aggregate(name=aggregate, service=service, id_field="widget_id", events=event_names)
        )
        topics.append(
            Topic(name=f"{domain}.events", partitions=6, events=event_names, partition_key="widget_id")
        )
        for name in event_names:
            all_events.append(
                Event(
                    name=name,
                    aggregate=aggregate,
                    producer=service,
                    topic=f"{domain}.events",
                    partition_key="widget_id",
                    owner=f"team-{domain}",
                    fields=[
                        PayloadField(name="widget_id", type="uuid"),
                        PayloadField(name="quantity", type="integer"),
                        PayloadField(name="recorded_at", type="timestamp"),
                    ],
                )
            )
        projections.append(
            Projection(
                name=f"{domain}_summary",
                service=service,
                source_events=event_names[:10],
                idempotent=True,
                rebuild="snapshot_and_replay",
            )
        )
    for s in range(services_count):
        source = names[(s + 1) % services_count]
        source_topic = f"domain{(s + 1) % services_count}.events"
        for c in range(per_service_consumers):
            name = f"domain{s}-consumer{c}"
            dead_letter_topic = f"{source_topic}.{name}.dlq"
            topics.append(
                Topic(name=dead_letter_topic, partitions=1, purpose="dead_letter", retention_days=14)
            )
            subscriptions = source[c * events_per_consumer : (c + 1) * events_per_consumer]
            all_consumers.append(
                Consumer(
                    name=name,
                    service=f"domain{s}-service",
                    group=name,
                    subscriptions=subscriptions,
                    idempotency=Idempotency(strategy="dedup_event_id", store=f"domain{s}-db"),
                    retry=RetryPolicy(
                        max_attempts=5, backoff="exponential", initial_delay_ms=500, jitter=True
                    ),
                    dead_letter=DeadLetter(topic=dead_letter_topic, retention_days=14, alert_depth=1),
                    concurrency=2,
                )
            )
    return Design(
        name=f"synthetic-{events}",
        requirements=Requirements(throughput_eps=1000, peak_factor=2),
        services=services,
        aggregates=aggregates,
        events=all_events,
        topics=topics,
        consumers=all_consumers,
        projections=projections,
        observability=Observability(
            metrics=[Metric(name="consumer_lag"), Metric(name="dlq_depth")],
            alerts=[
                Alert(name="lag", metric="consumer_lag", threshold=10_000, target="*"),
                Alert(name="dlq", metric="dlq_depth", threshold=0, target="*"),
            ],
            correlation_propagation=True,
            causation_propagation=True,
        ),
    )


def time_review(design: Design, repeats: int = 5) -> tuple[float, int]:
    """Median seconds of `repeats` reviews after one warm-up review, and the errors and warnings found."""
    from archassist.agent.rules.engine import check

    problems = len([f for f in check(design) if f.severity != "info"])  # warm-up: word caches, imports
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        check(design)
        times.append(time.perf_counter() - started)
    return statistics.median(times), problems


def _just_under_limits(folder: Path) -> dict[str, Path]:
    """Files that each sit just under one loader limit, written as users would (YAML, flow lists where short)."""
    from archassist.agent.model.limits import LoaderLimits

    limits = LoaderLimits()
    # The floor: what a whole process costs before any input is large (on a busy machine, mostly waiting).
    files: dict[str, str] = {"floor (a one-line design)": "name: x\n"}
    items = limits.max_items - 1
    files["longest list (scalars)"] = "name: x\nassumptions: [" + ",".join(f"a{i}" for i in range(items)) + "]\n"
    # Events of 5 values each (mapping, 2 keys, 2 values), spread over lists under the entry limit.
    per_event = 5
    count = min(items, (limits.max_nodes - 10) // per_event)
    files["most values (events)"] = "name: x\nevents:\n" + "".join(
        f"  - {{name: E{i}Happened, topic: t{i % 100}.events}}\n" for i in range(count)
    )
    consumers = min(items, (limits.max_nodes - 10) // 8)
    files["most values (consumers)"] = "name: x\nconsumers:\n" + "".join(
        f"  - {{name: c{i}, service: s{i % 50}, subscriptions: [E{i % 500}Happened]}}\n" for i in range(consumers)
    )
    # One event anchored, then aliased: little text, the most values after expansion.
    copies = min(items, (limits.max_nodes - 20) // 9)
    files["alias expansion (events)"] = (
        "name: x\nevents: [&e {name: OrderPlaced, topic: orders.events, partition_key: order_id}, "
        + ",".join(["*e"] * (copies - 1))
        + "]\n"
    )
    long_name = "order." * ((limits.max_scalar_chars - 10) // 6)
    strings = max(1, limits.max_bytes // (limits.max_scalar_chars + 64) - 1)
    files["longest strings (topic names)"] = "name: x\ntopics:\n" + "".join(
        f"  - {{name: '{long_name}{i}.dlq', purpose: dead_letter}}\n" for i in range(strings)
    )
    # Nesting is only possible where the model has free-form values; the loader still reads it all first.
    files["deepest nesting"] = "name: x\nassumptions: " + "[" * (limits.max_depth - 1) + "]" * (
        limits.max_depth - 1
    ) + "\n"
    paths = {}
    for number, (label, text) in enumerate(files.items()):
        path = folder / f"limit{number}.yaml"
        path.write_text(text, encoding="utf-8")
        paths[label] = path
    return paths


def limits_main() -> bool:
    """Whole-process review of the worst accepted inputs; True when every one meets 2 s and 300 MiB."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _process import archassist, measure_full

    met = True
    print(f"{'input just under a loader limit':<32} {'bytes':>10} {'exit':>5} {'wall':>8} {'cpu':>8} {'peak RSS':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for label, path in _just_under_limits(Path(folder)).items():
            argv = [archassist(), "review", "--fail-on", "never", str(path)]
            code = subprocess.run(argv, capture_output=True, timeout=120).returncode
            wall, cpu, peak = measure_full(argv, runs=3, warmup=1)
            ok = wall <= 2 and peak <= 300 and code in (0, 1, 2)  # 2: the model refused it, in one line
            met &= ok
            print(
                f"{label:<32} {path.stat().st_size:>10,} {code:>5} {wall:>6.2f} s {cpu:>6.2f} s {peak:>6.0f} MiB"
                + ("" if ok else "   MISSED")
            )
    print(f"target <= 2 s and <= 300 MiB for every accepted input: {'met' if met else 'MISSED'}")
    return met


def main() -> int:
    if "--limits" in sys.argv:
        return 0 if limits_main() else 1
    engine_met = engine_main()
    if "--engine" in sys.argv:
        return 0 if engine_met else 1
    print()
    return 0 if limits_main() and engine_met else 1


def engine_main() -> bool:
    from archassist.agent.rules import registry

    registry()  # import every rule module before timing
    print(f"{'events':>7} {'consumers':>9} {'topics':>7} {'review (median of 5)':>21} {'per 1k events':>14}")
    results = []
    for events, consumers in ((1_000, 200), (5_000, 1_000), (10_000, 2_000)):
        design = synthetic_design(events, consumers)
        elapsed, problems = time_review(design)
        results.append(elapsed)
        print(
            f"{events:>7,} {consumers:>9,} {len(design.topics):>7,} {elapsed:>19.3f} s {elapsed / events * 1000:>12.3f} s"
            + (f"   ({problems} errors/warnings!)" if problems else "")
        )
    growth = results[-1] / results[0]
    print(
        f"growth 1k -> 10k: x{growth:.1f} (linear would be x10); target <= 2 s at 10k: "
        f"{'met' if results[-1] <= 2 else 'MISSED'}"
    )
    return results[-1] <= 2


if __name__ == "__main__":
    sys.exit(main())
