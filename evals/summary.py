"""One design's scores as data (for JSON and the MCP tool) and as text (for the terminal and Markdown)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archassist.evals.scorers.sheet import applies
from archassist.evals.scoring import total

if TYPE_CHECKING:
    from archassist.evals.base import Scenario, Score

NOT_APPLICABLE = "n/a"
WRAP = 110


def summary_data(
    scores: Mapping[str, Score], *, design: str, scenario: Scenario | None, reasons_per_criterion: int | None = None
) -> dict[str, Any]:
    """``scores`` (criterion → value, null where the criterion does not apply), ``total``, ``reasons``
    (criterion → lines), and the design and scenario they are about."""
    return {
        "design": design,
        "scenario": scenario.id if scenario else None,
        "scores": {name: (score.value if applies(score) else None) for name, score in scores.items()},
        "total": total(scores),
        "reasons": {
            name: list(score.reasons[:reasons_per_criterion] if reasons_per_criterion else score.reasons)
            for name, score in scores.items()
        },
    }


def _value(value: float | None) -> str:
    return NOT_APPLICABLE if value is None else f"{value:.1f}"


def render_text(data: Mapping[str, Any]) -> str:
    """A table of criteria and scores, each followed by its reasons, then the total."""
    about = f"design {data['design']}" + (f", scenario {data['scenario']}" if data["scenario"] else ", no scenario")
    width = max(len(name) for name in [*data["scores"], "total"])
    lines = [about, ""]
    for name, value in data["scores"].items():
        lines.append(f"{name:<{width}}  {_value(value):>5}")
        for reason in data["reasons"].get(name, []):
            lines += textwrap.wrap(reason, WRAP, initial_indent=" " * (width + 4), subsequent_indent=" " * (width + 6))
    lines += ["", f"{'total':<{width}}  {data['total']:>5.1f}  (mean of the criteria that apply)"]
    return "\n".join(lines) + "\n"


def render_markdown(data: Mapping[str, Any]) -> str:
    """The same as a Markdown table with the reasons as a list per criterion."""
    about = f"**Scores of `{data['design']}`**" + (
        f" for scenario `{data['scenario']}`" if data["scenario"] else " (no scenario: domain coverage does not apply)"
    )
    lines = [about, "", "| criterion | score |", "|---|---:|"]
    lines += [f"| {name} | {_value(value)} |" for name, value in data["scores"].items()]
    lines += [f"| **total** | **{data['total']:.1f}** |", ""]
    for name, reasons in data["reasons"].items():
        if reasons:
            lines.append(f"- **{name}**: " + "; ".join(r.replace("|", "/") for r in reasons))
    return "\n".join(lines) + "\n"
