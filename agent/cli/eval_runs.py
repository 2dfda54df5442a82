"""`archassist eval run | leaderboard | compare | rescore | report | runs`: thin commands over
archassist.evals.runs.api. ``add_commands`` attaches them to the `eval` group of agent/cli/eval.py.

Only typer is imported at module level; the harness (scorers, planner, SDK) loads when a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from archassist.agent.cli.common import output_format, print_json, user_errors, warn

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Database file for runs (default: the memory database: $ARCHASSIST_DB, else "
        "$ARCHASSIST_HOME/memory.db, else the user data folder).",
        show_default=False,
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
RunArgument = Annotated[
    str | None,
    typer.Argument(help="Run id (see `archassist eval runs`); default: the latest run.", show_default=False),
]
ScorersOption = Annotated[
    str | None,
    typer.Option(
        "--scorers",
        help="Comma-separated scorers (default: the eight criteria; add judge for Claude's rubric grade).",
        show_default=False,
    ),
]



def _reporter(quiet: bool) -> Any:
    from archassist.evals.runs.progress import reporter_for

    return reporter_for(sys.stderr, quiet=quiet)


def run(
    scenarios: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            "-s",
            help="Scenario ids or globs, comma-separated (default: all).",
            show_default=False,
        ),
    ] = None,
    scenario_dir: Annotated[
        Path | None,
        typer.Option(
            "--scenario-dir",
            help="Folder of scenario .yaml files (default: the shipped scenarios).",
            show_default=False,
        ),
    ] = None,
    contestants: Annotated[
        list[str] | None,
        typer.Option(
            "--contestants",
            "-c",
            help="Who designs: offline, baseline, claude[:MODEL], dir:PATH, cmd:COMMAND (default: offline,baseline), "
            "comma-separated or repeated; commas inside quotes do not split, e.g. 'cmd:\"gen --a,b {brief}\"'.",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", "-n", help="Designs per scenario and contestant.")] = 1,
    db: DbOption = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", help="Designs asked of Claude and cmd: contestants at once.")
    ] = 4,
    batch: Annotated[
        bool,
        typer.Option("--batch", help="Claude contestants: one Message Batches API batch instead of calls."),
    ] = False,
    scorers: ScorersOption = None,
    cmd_timeout: Annotated[
        float, typer.Option("--cmd-timeout", help="Seconds a cmd: contestant may take per scenario.")
    ] = 300.0,
    fmt: FormatOption = "text",
    quiet: QuietOption = False,
) -> None:
    """Run a championship: every scenario × contestant × epoch designed, scored and stored.

    Example: archassist eval run --contestants offline,baseline,dir:designs/ --scenarios 'ticket*'
    """
    from archassist.evals.contestants.spec import DEFAULT_CONTESTANTS, split_specs

    chosen_format = output_format(fmt)
    with user_errors():
        from archassist.evals.runs import api

        specs = contestants or [",".join(DEFAULT_CONTESTANTS)]
        if batch and not any(s.lower().startswith("claude") for s in split_specs(specs)):
            warn("--batch applies to Claude contestants only; there are none, so nothing is batched")
        report = api.run_championship(
            contestants=specs,
            scenarios=scenarios,
            scenario_dir=scenario_dir,
            epochs=epochs,
            concurrency=concurrency,
            batch=batch,
            scorers=scorers,
            cmd_timeout_s=cmd_timeout,
            db=db,
            reporter=_reporter(quiet),
        )
    _show(report, chosen_format)
    if chosen_format == "text":
        typer.echo(
            f"stored as run {report['run_id']}; `archassist eval report {report['run_id']} -o report.html` draws it",
            err=True,
        )


def _show(report: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print_json(report)
        return
    from archassist.evals.runs.render import leaderboard_text

    sys.stdout.write(leaderboard_text(report))


def leaderboard(run_ref: RunArgument = None, db: DbOption = None, fmt: FormatOption = "text") -> None:
    """Print a stored run's leaderboard (mean score per criterion and contestant, best total first).

    Example: archassist eval leaderboard 3 --format json
    """
    chosen_format = output_format(fmt)
    with user_errors():
        from archassist.evals.runs import api

        report = api.leaderboard(run_ref, db=db)
    _show(report, chosen_format)


def compare(
    run_a: Annotated[str, typer.Argument(help="A: RUN, or RUN:CONTESTANT.")],
    run_b: Annotated[str, typer.Argument(help="B: RUN, or RUN:CONTESTANT.")],
    db: DbOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resampling.")] = 1729,
    resamples: Annotated[int, typer.Option("--resamples", help="Bootstrap resamples.")] = 2000,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence level of the intervals.")
    ] = 0.95,
    fmt: FormatOption = "text",
) -> None:
    """Paired per-scenario deltas B minus A, per criterion, with bootstrap confidence intervals.

    RUN pairs every contestant the two runs share; RUN:CONTESTANT picks one, so two contestants of one run
    compare too.

    Example: archassist eval compare 3:baseline 3:offline
    """
    chosen_format = output_format(fmt)
    with user_errors():
        from archassist.evals.runs import api

        data = api.compare_runs(run_a, run_b, db=db, seed=seed, resamples=resamples, confidence=confidence)
    if chosen_format == "json":
        print_json(data)
        return
    from archassist.evals.runs.render import comparison_text

    sys.stdout.write(comparison_text(data))


def rescore(
    run_ref: RunArgument = None,
    db: DbOption = None,
    scorers: ScorersOption = None,
    fmt: FormatOption = "text",
    quiet: QuietOption = False,
) -> None:
    """Score a stored run's designs again with today's scorers, as a new run that points at it.

    Example: archassist eval rescore 3
    """
    chosen_format = output_format(fmt)
    with user_errors():
        from archassist.evals.runs import api

        report = api.rescore_run(run_ref, scorers=scorers, db=db, reporter=_reporter(quiet))
    _show(report, chosen_format)
    if chosen_format == "text":
        moved = [c for c in report["changes"] if c["delta"]]
        summary = ", ".join(f"{c['contestant']} {c['delta']:+.2f}" for c in moved) or "no total changed"
        typer.echo(f"rescored run {report['source_run']} as run {report['run_id']}: {summary}", err=True)


def report(
    run_ref: RunArgument = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file to write (default or -: stdout).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write a stored run as one self-contained HTML page: leaderboard, charts, intervals, parameters.

    Example: archassist eval report 3 -o report.html
    """
    from archassist.agent.cli.output import check_output, write_output

    check_output(output)
    with user_errors():
        from archassist.evals.runs import api

        html = api.report_html(run_ref, db=db)
    write_output(html, output)


def runs(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the stored eval runs, newest first."""
    chosen_format = output_format(fmt)
    with user_errors():
        from archassist.evals.runs import api

        stored = api.list_runs(db=db)
    if chosen_format == "json":
        print_json(stored)
        return
    from archassist.evals.runs.render import runs_text

    sys.stdout.write(runs_text(stored))


def add_commands(eval_app: typer.Typer) -> None:
    """Attach the run commands to the `archassist eval` group."""
    eval_app.command("run")(run)
    eval_app.command("leaderboard")(leaderboard)
    eval_app.command("compare")(compare)
    eval_app.command("rescore")(rescore)
    eval_app.command("report")(report)
    eval_app.command("runs")(runs)
