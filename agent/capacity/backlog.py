"""Backlog and drain: what a consumer outage leaves behind and how long the group needs to catch up.

While a group is down its topic keeps filling at the peak rate; once it is back it works the backlog off at the
difference between what it absorbs and what keeps arriving. The oldest waiting message is as old as the outage
when the group returns and gets younger from then on, so a topic loses nothing while its retention outlasts the
outage; the design is judged on the stricter recovery time (outage plus drain), the time until the group is
current again.
"""

from __future__ import annotations

import math

SECONDS_PER_DAY = 86_400.0
DEFAULT_OUTAGE_S = 15 * 60.0


def outage_backlog(peak_eps: float, outage_s: float) -> float:
    """Events waiting when the group comes back: ``peak × T``."""
    if peak_eps < 0 or outage_s < 0:
        raise ValueError("the peak rate and the outage must not be negative")
    return peak_eps * outage_s


def drain_seconds(backlog: float, *, capacity_eps: float, peak_eps: float) -> float | None:
    """Seconds to work off a backlog while the peak keeps arriving: ``backlog / (capacity − peak)``.

    None when the group never catches up (capacity at or below the peak and something is waiting).
    """
    if backlog <= 0:
        return 0.0
    spare = capacity_eps - peak_eps
    if spare <= 0 or not math.isfinite(spare):
        return None
    return backlog / spare


def recovery_seconds(outage_s: float, drain_s: float | None) -> float | None:
    """Seconds from the start of the outage until the group is current again (None: never)."""
    return None if drain_s is None else outage_s + drain_s


def within_retention(outage_s: float, drain_s: float | None, retention_days: float | None) -> bool:
    """Whether the group is current again before the topic's retention runs out (None keeps data forever)."""
    if retention_days is None:
        return drain_s is not None
    recovery = recovery_seconds(outage_s, drain_s)
    return recovery is not None and recovery <= retention_days * SECONDS_PER_DAY


def backlog_at(t_s: float, *, peak_eps: float, capacity_eps: float, outage_s: float) -> float:
    """Events waiting ``t_s`` seconds after the outage began (the group was current before it)."""
    if t_s <= 0:
        return 0.0
    if t_s <= outage_s:
        return peak_eps * t_s
    after = t_s - outage_s
    return max(0.0, peak_eps * outage_s - (capacity_eps - peak_eps) * after)


def backlog_curve(
    *, peak_eps: float, capacity_eps: float, outage_s: float, horizon_s: float | None = None, points: int = 60
) -> list[tuple[float, float]]:
    """(seconds since the outage began, events waiting) from the start of the outage past the end of the drain.

    The horizon defaults to the recovery time plus a tenth, or three outages when the group never catches up.
    The exact corners (end of the outage, end of the drain) are always included so a chart draws them sharply.
    """
    if points < 2:
        raise ValueError("a curve needs at least two points")
    drain = drain_seconds(outage_backlog(peak_eps, outage_s), capacity_eps=capacity_eps, peak_eps=peak_eps)
    if horizon_s is None:
        horizon_s = (outage_s + drain) * 1.1 if drain is not None else outage_s * 3
    horizon_s = max(horizon_s, 1e-9)
    times = {horizon_s * i / (points - 1) for i in range(points)}
    times.add(min(outage_s, horizon_s))
    if drain is not None and outage_s + drain <= horizon_s:
        times.add(outage_s + drain)
    return [
        (t, backlog_at(t, peak_eps=peak_eps, capacity_eps=capacity_eps, outage_s=outage_s)) for t in sorted(times)
    ]
