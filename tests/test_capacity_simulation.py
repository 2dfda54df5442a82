"""A small discrete-event simulation (SimPy) cross-checks the closed-form capacity figures within 5 %.

Each scenario simulates a consumer group event by event: a producer publishing at a steady rate, instances that
take a fixed time per message, an outage, failing attempts. The simulated figure must land within 5 % of what the
model computes; each run simulates a few thousand messages and takes a fraction of a second.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

simpy = pytest.importorskip("simpy")

from archassist.agent.capacity import backlog, retries, sizing  # noqa: E402

TOLERANCE = 0.05


@dataclass
class Group:
    """A consumer group: ``instances`` workers, each taking ``service_s`` per attempt, behind one queue."""

    env: Any
    instances: int
    service_s: float
    down_until: float = 0.0
    fail: Callable[[int], bool] = lambda attempt: False
    max_attempts: int = 1
    queue: Any = None
    done: list[float] = field(default_factory=list)
    attempts: int = 0
    dead: int = 0
    caught_up: float | None = None  # the first moment after the outage that nothing waits

    def __post_init__(self) -> None:
        self.queue = simpy.Store(self.env)
        for _ in range(self.instances):
            self.env.process(self.work())

    def work(self) -> Generator[Any, Any, None]:
        if self.down_until:
            yield self.env.timeout(self.down_until)
        while True:
            yield self.queue.get()
            for attempt in range(1, self.max_attempts + 1):
                self.attempts += 1
                yield self.env.timeout(self.service_s)
                if not self.fail(attempt):
                    break
            else:
                self.dead += 1
            self.done.append(self.env.now)
            if not self.queue.items and self.caught_up is None and self.env.now > self.down_until:
                self.caught_up = self.env.now


def publish(env: Any, group: Group, rate_eps: float, count: int) -> Generator[Any, Any, None]:
    for number in range(count):
        yield group.queue.put(number)
        yield env.timeout(1.0 / rate_eps)


def test_steady_state_under_capacity_keeps_up() -> None:
    # 3 instances × 1000/20 ms = 150/s against 120/s: utilisation 0.8, every message done about when it arrives
    env = simpy.Environment()
    group = Group(env, instances=3, service_s=0.020)
    env.process(publish(env, group, 120, 2400))
    env.run(until=40)
    capacity = sizing.consumer_capacity_eps(partitions=6, consumers=3, processing_time_ms=20)
    busy = group.attempts * group.service_s / (group.instances * 20.0)  # busy share over the 20 s of arrivals
    assert capacity == 150
    assert busy == pytest.approx(sizing.utilisation(120, capacity), rel=TOLERANCE)
    assert len(group.done) == 2400 and group.done[-1] < 20.1


def test_steady_state_over_capacity_falls_behind_at_the_difference() -> None:
    # 2 × 50/s = 100/s against 150/s: after 20 s about 20 × (150 − 100) = 1,000 messages wait
    env = simpy.Environment()
    group = Group(env, instances=2, service_s=0.020)
    env.process(publish(env, group, 150, 3000))
    env.run(until=20)
    capacity = sizing.consumer_capacity_eps(partitions=2, consumers=2, processing_time_ms=20)
    expected = (150 - capacity) * 20
    assert len(group.queue.items) == pytest.approx(expected, rel=TOLERANCE)


def test_outage_then_drain() -> None:
    # 50/s; 2 instances at 20 ms absorb 100/s; down for 30 s: 1,500 wait, drained in 1,500 / 50 = 30 s
    rate, outage = 50.0, 30.0
    env = simpy.Environment()
    group = Group(env, instances=2, service_s=0.020, down_until=outage)
    env.process(publish(env, group, rate, int(rate * 120)))
    env.run(until=outage)
    waiting_at_restart = len(group.queue.items)
    env.run(until=120)
    capacity = sizing.consumer_capacity_eps(partitions=2, consumers=2, processing_time_ms=20)
    expected_backlog = backlog.outage_backlog(rate, outage)
    drain = backlog.drain_seconds(expected_backlog, capacity_eps=capacity, peak_eps=rate)
    assert drain == 30
    assert waiting_at_restart == pytest.approx(expected_backlog, rel=TOLERANCE)
    # the first time the queue runs dry after the restart is the end of the drain
    assert group.caught_up is not None
    assert group.caught_up - outage == pytest.approx(drain, rel=TOLERANCE)


def test_retries_at_an_error_rate_amplify_as_computed() -> None:
    # every attempt fails with p = 0.3, four attempts: (1 − 0.3⁴) / 0.7 = 1.417 attempts a message; 0.81 % dead
    p, attempts, messages = 0.3, 4, 5000
    chance = random.Random(20261202)
    env = simpy.Environment()
    group = Group(env, instances=4, service_s=0.001, fail=lambda _: chance.random() < p, max_attempts=attempts)
    env.process(publish(env, group, 1000, messages))
    env.run()
    measured = group.attempts / messages
    assert measured == pytest.approx(retries.amplification(attempts, error_rate=p), rel=TOLERANCE)
    share = retries.exhausted_share(attempts, error_rate=p, poison_rate=0)
    # 0.81 % of 5,000 is ~40 messages: a ±5 % band is too narrow for that count, so check it in absolute terms
    assert group.dead / messages == pytest.approx(share, abs=0.004)


def test_a_poison_message_stalls_its_partition_for_the_retry_schedule() -> None:
    # one ordered partition, in-place retries 5 × 20 ms + 1 + 2 + 4 + 8 s: the message after the poison one
    # finishes about 15.1 s late
    plan = retries.schedule(max_attempts=5, backoff="exponential", initial_delay_ms=1000, max_delay_ms=60_000)
    stall_s = retries.partition_stall_ms("in_place", plan, 20) / 1000
    env = simpy.Environment()
    finished: dict[int, float] = {}

    def partition() -> Generator[Any, Any, None]:
        for number in range(3):
            attempts = plan.attempts if number == 0 else 1
            for k in range(attempts):
                yield env.timeout(0.020)
                if k < attempts - 1:
                    yield env.timeout(plan.delays_ms[k] / 1000)
            finished[number] = env.now

    env.process(partition())
    env.run()
    assert finished[0] == pytest.approx(stall_s, rel=TOLERANCE)
    assert finished[1] - 0.020 == pytest.approx(stall_s, rel=TOLERANCE)
