"""Retries: the attempt schedule, the time a message spends in retry, the extra load, and where failures go.

Failures come in two kinds. A transient error fails one attempt with probability ``p``, independently of the
others (a timeout, a lock conflict). A poison message fails every attempt (bad data, a bug) and ends on the
dead-letter topic after the last one. Ordered consumers that retry in place hold their partition for the whole
schedule; consumers that hand failed messages to retry topics let the partition move on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from archassist.agent.capacity.backlog import SECONDS_PER_DAY

Backoff = Literal["none", "fixed", "linear", "exponential"]
RetryMode = Literal["in_place", "retry_topics", "none"]

# Jitter spreads each delay over [JITTER_LOW × d, d] ("equal jitter"): instances that failed together come back
# spread out, and the delay never exceeds the configured one.
JITTER_LOW = 0.5
DEFAULT_ERROR_RATE = 0.01
DEFAULT_POISON_RATE = 0.0001
AMPLIFICATION_LIMIT = 2.0


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """The delays before each retry (attempts − 1 of them), in milliseconds, with their jitter bounds."""

    attempts: int
    delays_ms: tuple[float, ...]
    low_ms: tuple[float, ...]

    @property
    def total_delay_ms(self) -> float:
        return sum(self.delays_ms)

    @property
    def total_delay_low_ms(self) -> float:
        return sum(self.low_ms)


def retry_delays_ms(
    *,
    max_attempts: int,
    backoff: Backoff,
    initial_delay_ms: float,
    max_delay_ms: float = 0.0,
    multiplier: float = 2.0,
) -> list[float]:
    """The delay before retry k (k = 1 … attempts − 1).

    none: 0; fixed: initial; linear: initial × k; exponential: initial × multiplier^(k−1). A positive
    ``max_delay_ms`` caps every delay (0 states no cap).
    """
    if max_attempts < 1:
        raise ValueError("a message is attempted at least once")
    delays: list[float] = []
    for k in range(1, max_attempts):
        if backoff == "none":
            delay = 0.0
        elif backoff == "fixed":
            delay = float(initial_delay_ms)
        elif backoff == "linear":
            delay = float(initial_delay_ms) * k
        else:
            try:
                delay = float(initial_delay_ms) * multiplier ** (k - 1)
            except OverflowError:  # the cap, when there is one, applies long before
                delay = math.inf
        if max_delay_ms > 0:
            delay = min(delay, float(max_delay_ms))
        delays.append(delay)
    return delays


# Large designs repeat a handful of retry policies across thousands of consumers.
@lru_cache(maxsize=1024)
def schedule(
    *,
    max_attempts: int,
    backoff: Backoff,
    initial_delay_ms: float,
    max_delay_ms: float = 0.0,
    multiplier: float = 2.0,
    jitter: bool = False,
) -> RetrySchedule:
    delays = retry_delays_ms(
        max_attempts=max_attempts,
        backoff=backoff,
        initial_delay_ms=initial_delay_ms,
        max_delay_ms=max_delay_ms,
        multiplier=multiplier,
    )
    low = [d * JITTER_LOW for d in delays] if jitter else list(delays)
    return RetrySchedule(attempts=max_attempts, delays_ms=tuple(delays), low_ms=tuple(low))


def time_in_retry_ms(plan: RetrySchedule, processing_time_ms: float) -> float:
    """How long a message that fails every attempt stays in the consumer: every attempt plus every delay."""
    return plan.attempts * processing_time_ms + plan.total_delay_ms


def expected_attempts(max_attempts: int | None, error_rate: float) -> float:
    """Attempts per message when each attempt fails with probability p: ``(1 − pⁿ) / (1 − p)``.

    Unbounded retries: ``1 / (1 − p)``, infinite when every attempt fails.
    """
    if not 0 <= error_rate <= 1:
        raise ValueError("an error rate is a share between 0 and 1")
    if error_rate == 1:
        return math.inf if max_attempts is None else float(max_attempts)
    if max_attempts is None:
        return 1.0 / (1.0 - error_rate)
    return (1.0 - error_rate**max_attempts) / (1.0 - error_rate)


def amplification(max_attempts: int | None, *, error_rate: float, poison_rate: float = 0.0) -> float:
    """Attempts per message, on average, with transient errors at ``error_rate`` and poison messages at
    ``poison_rate`` (each tried ``max_attempts`` times): the factor by which retries multiply the load."""
    if not 0 <= poison_rate <= 1:
        raise ValueError("a poison rate is a share between 0 and 1")
    poison_attempts = math.inf if max_attempts is None else float(max_attempts)
    if poison_rate == 0:
        return expected_attempts(max_attempts, error_rate)
    return (1 - poison_rate) * expected_attempts(max_attempts, error_rate) + poison_rate * poison_attempts


def exhausted_share(max_attempts: int | None, *, error_rate: float, poison_rate: float) -> float:
    """The share of messages that end on the dead-letter topic: poison ones, and transient ones that fail all
    their attempts (``pⁿ``). Unbounded retries never dead-letter anything (they hold it instead)."""
    if max_attempts is None:
        return 0.0
    return poison_rate + (1 - poison_rate) * error_rate**max_attempts


def dead_letters_per_day(
    rate_eps: float, max_attempts: int | None, *, error_rate: float, poison_rate: float
) -> float:
    """Messages a day that reach the dead-letter topic at ``rate_eps`` (the peak, so an upper bound)."""
    return rate_eps * SECONDS_PER_DAY * exhausted_share(max_attempts, error_rate=error_rate, poison_rate=poison_rate)


def partition_stall_ms(mode: RetryMode, plan: RetrySchedule | None, processing_time_ms: float) -> float | None:
    """How long one poison message holds its partition (None: forever).

    In place, the consumer cannot move past the message until the schedule is spent; with retry topics it
    republishes the message after the first failed attempt and moves on.
    """
    if mode == "retry_topics":
        return processing_time_ms
    if plan is None:
        return None
    return time_in_retry_ms(plan, processing_time_ms)
