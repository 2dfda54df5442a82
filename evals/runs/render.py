"""Plain-text views of runs for the terminal: the leaderboard, a comparison, the list of runs. Aligned columns,
no colour, so they read the same piped into a file or a CI log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archassist.evals.runs.stats import criterion_order

# Column headers short enough for the eight criteria to fit a 120-column terminal.
SHORT = {
    "scalability": "scale",
    "coupling": "coupl",
    "idempotency": "idemp",
    "resilience": "resil",
    "evolvability": "evolv",
    "observability": "observ",
    "domain_coverage": "domain",
    "rules": "rules",
}


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Columns padded to their widest cell, each flush left (``l``) or right (``r``) as ``align`` says."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(cells, widths, align, strict=True)]
        return "  ".join(parts).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def leaderboard_text(report: Mapping[str, Any]) -> str:
    run = report["run"]
    board = report["leaderboard"]
    criteria = criterion_order({c for row in board for c in row["scores"]})
    headers = ["#", "contestant", "total", *(SHORT.get(c, c) for c in criteria), "failed"]
    rows = [
        [
            str(place),
            row["contestant"],
            _number(row["total"]),
            *(_number(row["scores"].get(c)) for c in criteria),
            f"{row['failures']}/{row['cells']}",
        ]
        for place, row in enumerate(board, start=1)
    ]
    kind = f" (rescore of run {run['source_run']})" if run["kind"] == "rescore" else ""
    title = (
        f"eval run {run['run_id']}{kind}: {run['scenarios']} scenarios × {len(run['contestants'])} contestants × "
        f"{run['epochs']} epoch{'s' if run['epochs'] != 1 else ''}, {run['status']}"
    )
    lines = [title, "", *table(headers, rows, "rl" + "r" * (len(headers) - 2))]
    legend = [f"{SHORT[c]} = {c}" for c in criteria if c in SHORT and SHORT[c] != c]
    if legend:
        lines.append("")
        row: list[str] = []
        for entry in legend:  # whole entries per line, so no name is split from its abbreviation
            if row and len(", ".join([*row, entry])) > 100:
                lines.append(", ".join(row) + ",")
                row = []
            row.append(entry)
        lines.append(", ".join(row))
    failures = [r for r in report["results"] if r["failures"]]
    if failures:
        lines += ["", f"{sum(len(r['failures']) for r in failures)} design(s) missing:"]
        for r in failures[:10]:
            lines.append(f"  {r['scenario']} · {r['contestant']}: {r['failures'][0]}")
        if len(failures) > 10:
            lines.append(f"  … and {len(failures) - 10} more (see --format json)")
    return "\n".join(lines) + "\n"


def comparison_text(data: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for comparison in data["comparisons"]:
        level = f"{comparison['confidence'] * 100:g} %"
        n = max((d["n"] for d in comparison["deltas"]), default=0)
        lines.append(
            f"{comparison['b']} minus {comparison['a']}: paired over {n} scenarios, {level} bootstrap intervals "
            f"({comparison['resamples']} resamples, seed {comparison['seed']})"
        )
        rows = [
            [
                d["criterion"],
                str(d["n"]),
                _number(d["mean_a"]),
                _number(d["mean_b"]),
                f"{d['delta']:+.1f}",
                f"[{d['ci_low']:+.1f}, {d['ci_high']:+.1f}]",
                ("better" if d["delta"] > 0 else "worse") if d["significant"] else "no clear difference",
            ]
            for d in comparison["deltas"]
        ]
        lines += table(["criterion", "n", "A", "B", "delta", f"{level} CI", ""], rows, "lrrrrrl")
        lines.append("")
    return "\n".join(lines)


def runs_text(runs: Sequence[Mapping[str, Any]]) -> str:
    if not runs:
        return "no eval runs stored yet; start one with `archassist eval run`\n"
    rows = [
        [
            str(r["run_id"]),
            r["started"][:19].replace("T", " "),
            r["kind"] + (f" of {r['source_run']}" if r["source_run"] else ""),
            r["status"],
            str(r["scenarios"]),
            str(r["epochs"]),
            ", ".join(r["contestants"]),
        ]
        for r in runs
    ]
    headers = ["run", "started (UTC)", "kind", "status", "scenarios", "epochs", "contestants"]
    return "\n".join(table(headers, rows, "rlllrrl")) + "\n"
