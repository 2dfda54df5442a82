"""The reliability plan as Markdown (with the backlog chart inline as SVG) or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

from archassist.agent.capacity import backlog, retries
from archassist.agent.capacity.analysis import CapacityRow, format_duration
from archassist.agent.capacity.chart import backlog_svg
from archassist.agent.modes.reliability import ReliabilityResult

WHAT_IF_OUTAGES_S = (3600.0, 4 * 3600.0)
WHAT_IF_ERROR_RATES = (0.1, 0.5)


def render_reliability(result: ReliabilityResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_data(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "markdown":
        return render_markdown(result)
    raise ValueError(f"unknown format {fmt!r}; use markdown or json")


def _cell(value: object) -> str:
    return str(value).replace("|", "/").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _num(value: float | None, digits: str = ",.0f") -> str:
    return "—" if value is None else format(value, digits)


def chart_row(rows: list[CapacityRow]) -> CapacityRow | None:
    """The row the chart shows: the longest drain that ends, else the group furthest behind."""
    judged = [r for r in rows if r.peak_eps]
    draining = [r for r in judged if r.drain_seconds is not None]
    if draining:
        return max(draining, key=lambda r: r.drain_seconds or 0)
    return max(judged, key=lambda r: r.utilisation or 0, default=None)


def render_markdown(result: ReliabilityResult) -> str:
    a = result.analysis
    what = a.what_if
    summary = result.summary()
    out = [f"# {result.title}", ""]
    source = {"design": f"design file `{result.target}`", "brief": "a brief, designed offline first",
              "flow": "a one-flow request, designed offline first"}[result.kind]
    out += [
        f"From {source}: {summary['consumers']} consumer(s), {summary['capacity_rows']} topic/group pair(s); "
        f"{summary['falling_behind']} fall behind at peak, {summary['outside_retention']} would not be current "
        f"again within retention after a {format_duration(what.outage_s)} outage.",
        "",
        "## Assumptions",
        "",
    ]
    out += [f"- {line}" for line in [*result.assumptions, *a.assumptions]]
    out += ["", "## Findings", ""]
    if result.findings:
        out += [f"- **{f.code}** ({f.severity}) `{f.pointer}`: {f.message}. Fix: {f.fix}" for f in result.findings]
    else:
        out.append("No reliability or capacity finding.")
    out += ["", "## Per consumer", ""]
    for plan in result.consumers:
        out += [
            f"### `{plan.consumer}` (group `{plan.group}`)",
            "",
            f"- **Delivery:** {plan.delivery}",
            f"- **Idempotency:** {plan.idempotency}",
            f"- **Retry schedule:** {plan.retry_schedule}",
            f"- **Retry topics or in place:** {plan.retry_mode}",
            f"- **Dead letters:** {plan.dead_letter}",
            f"- **Ordering:** {plan.ordering}",
            f"- **Poison messages:** {plan.poison}",
            "",
        ]
    out += ["## Per flow", ""]
    for flow in result.flows:
        writers = ", ".join(f"`{p}`" for p in flow.producers) or "no declared producer"
        out += [
            f"### `{flow.topic}` ({writers} → {', '.join(f'`{g}`' for g in flow.groups)})",
            "",
            f"- **Replay:** {flow.replay}",
            f"- **Outbox relay failure:** {flow.relay_failure}",
            f"- **Broker outage:** {flow.broker_outage}",
            f"- **Backpressure:** {flow.backpressure}",
            "",
        ]
    out += ["## Capacity", ""]
    out += _table(
        ["topic", "group", "peak/s", "partitions", "instances", "handler ms", "capacity/s", "utilisation",
         "keeps up", "partitions needed", f"backlog after {format_duration(what.outage_s)}", "drain"],
        [
            (
                f"`{r.topic}`", f"`{r.group}`", _num(r.peak_eps), r.partitions, r.consumers,
                f"{r.processing_time_ms:g}" + (" (assumed)" if "processing_time_ms" in r.assumed else ""),
                _num(r.capacity_eps),
                "—" if r.utilisation is None else f"{r.utilisation:.0%}",
                {True: "yes", False: "**no**", None: "—"}[r.keeps_up], _num(r.partitions_needed),
                _num(r.backlog_after_outage),
                "—" if r.peak_eps is None else (format_duration(r.drain_seconds) if r.drain_seconds is not None
                                                else "**never**"),
            )
            for r in a.capacity
        ],
    )
    out += ["", "## What if", ""]
    row = chart_row(a.capacity)
    if row is not None and row.peak_eps is not None:
        out += _outage_what_ifs(row, what.outage_s)
        curve = backlog.backlog_curve(peak_eps=row.peak_eps, capacity_eps=row.capacity_eps, outage_s=what.outage_s)
        title = f"{row.group} on {row.topic}: backlog after a {format_duration(what.outage_s)} outage"
        out += ["", backlog_svg(curve, title=title, outage_s=what.outage_s), ""]
    out += _error_what_ifs(result)
    if a.latency:
        out += ["", "## Latency budget", ""]
        out += _table(
            ["flow", "hops", "p99 budget", "target", "fits"],
            [
                (
                    flow.flow, len(flow.hops), f"{flow.total_ms:,.0f} ms",
                    "—" if flow.target_ms is None else f"{flow.target_ms:,.0f} ms",
                    {True: "yes", False: "**no**", None: "—"}[flow.within_target],
                )
                for flow in a.latency
            ],
        )
    return "\n".join(out).rstrip() + "\n"


def _outage_what_ifs(row: CapacityRow, outage_s: float) -> list[str]:
    peak = row.peak_eps or 0.0
    lines = [f"Group `{row.group}` on `{row.topic}` ({peak:,.0f}/s at peak, {row.capacity_eps:,.0f}/s capacity):", ""]
    cases = []
    for seconds in (outage_s, *WHAT_IF_OUTAGES_S):
        waiting = backlog.outage_backlog(peak, seconds)
        drain = backlog.drain_seconds(waiting, capacity_eps=row.capacity_eps, peak_eps=peak)
        fits = backlog.within_retention(seconds, drain, row.retention_days)
        cases.append((format_duration(seconds), f"{waiting:,.0f}", format_duration(drain),
                      format_duration(backlog.recovery_seconds(seconds, drain)), "yes" if fits else "**no**"))
    return lines + _table(["outage", "backlog", "drain", "current again after", "within retention"], cases)


def _error_what_ifs(result: ReliabilityResult) -> list[str]:
    what = result.analysis.what_if
    rates = (what.error_rate, *WHAT_IF_ERROR_RATES)
    seen: set[tuple[int | None, float]] = set()
    rows = []
    for r in result.analysis.retries:
        key = (r.attempts, r.rate_eps or 0.0)
        if key in seen:
            continue
        seen.add(key)
        cells: list[object] = [f"`{r.consumer}`", r.attempts or "unbounded"]
        for p in rates:
            amp = retries.amplification(r.attempts, error_rate=p, poison_rate=what.poison_rate)
            cells.append("unbounded" if amp == float("inf") else f"×{amp:.2f}")
        rows.append(cells)
    if not rows:
        return []
    header = ["consumer", "attempts", *(f"{p:.0%} errors" for p in rates)]
    return ["", "Retry load (attempts per message) at different transient error rates:", "", *_table(header, rows)]
