"""`archassist eval`: the championship eval harness. `eval score DESIGN` grades one design; the run commands
(`eval run`, `leaderboard`, `compare`, `rescore`, `report`) come from `archassist.agent.cli.eval_runs` when it is
installed. Only typer and the standard library load at start-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from archassist.agent.cli.common import fail, user_errors

SCORE_FORMATS = ("text", "json")

eval_app = typer.Typer(
    name="eval",
    help="Championship evals: score designs on scalability, coupling, idempotency, resilience, evolvability, "
    "observability, domain coverage and rule cleanliness (0-100, higher is better), against scenarios that "
    "state a brief, its requirements and the concepts an architect expects.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@eval_app.command("score")
def score(
    design: Annotated[Path, typer.Argument(help="Design file (YAML or JSON) to score; - reads stdin.")],
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            "-s",
            help="A shipped scenario id (e.g. card-authorisation) or a scenario file; without it, the design is "
            "scored on its own (domain coverage does not apply and no brief's peak is imposed).",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Score one design on every criterion, with the reasons behind each score.

    Example: archassist eval score design.yaml --scenario card-authorisation --format json
    """
    if fmt not in SCORE_FORMATS:
        fail(f"unknown --format '{fmt}'; use text or json")
    with user_errors():
        from archassist.agent.model.io import load_design, loads
        from archassist.evals.scenario import find_scenario
        from archassist.evals.scoring import score_design
        from archassist.evals.summary import render_text, summary_data

        chosen = find_scenario(scenario) if scenario is not None else None
        loaded = loads(sys.stdin.read(), "<stdin>").design if str(design) == "-" else load_design(design)
        scores = score_design(loaded, chosen)
        data = summary_data(scores, design=loaded.name, scenario=chosen)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(data))


def register(app: typer.Typer) -> None:
    """Add the eval command group to the archassist CLI, with the run commands when they are installed."""
    import importlib

    module = "archassist.agent.cli.eval_runs"
    try:
        runs = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
    else:
        runs.add_commands(eval_app)
    app.add_typer(eval_app, name="eval")
