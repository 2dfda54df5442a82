"""`archassist recall` and `archassist memory ...`: thin commands over archassist.agent.memory.

Only typer is imported at module level; the memory package (and sqlite-utils, PyYAML, rich) load when a
command runs, so `archassist --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from archassist.agent.cli.common import fail as _fail
from archassist.agent.cli.common import output_format, print_json
from archassist.agent.cli.common import user_errors as _user_errors

if TYPE_CHECKING:
    from archassist.agent.memory import DecisionRecord, MemoryStore

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Memory database file (default: $ARCHASSIST_DB, else $ARCHASSIST_HOME/memory.db, "
        "else the user data folder).",
        show_default=False,
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")]
StatusOption = Annotated[
    str | None,
    typer.Option("--status", "-s", help="Only this status: proposed, accepted, rejected, deprecated, superseded."),
]

ReasonOption = Annotated[
    str | None, typer.Option("--reason", "-r", help="Why the status changes; kept with the decision.")
]

memory_app = typer.Typer(
    name="memory",
    help="The decision memory: list, show, add, accept/reject/deprecate, supersede, export/import MADR files, "
    "stats, backup.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@contextmanager
def _store(db: Path | None, *, readonly: bool) -> Iterator[MemoryStore]:
    from archassist.agent.memory import open_store

    with _user_errors(), open_store(db, readonly=readonly) as store:
        yield store



def _rows_text(records: Sequence[DecisionRecord], *, scores: bool) -> None:
    """A rich table on a terminal, plain aligned lines when piped."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for name in ("id", "status", *(("score",) if scores else ()), "title", "tags"):
            table.add_column(name, no_wrap=name in ("id", "status", "score"))
        for r in records:
            score_cell = (f"{r.score or 0:.2f}",) if scores else ()
            via = f" (design #{r.via_design})" if r.via_design is not None else ""
            table.add_row(r.ref, r.status, *score_cell, r.title + via, ", ".join(r.tags))
        Console().print(table)
        return
    for r in records:
        score = f"{r.score or 0:7.2f}  " if scores else ""
        tags = f"  [{', '.join(r.tags)}]" if r.tags else ""
        via = f"  (design #{r.via_design})" if r.via_design is not None else ""
        sys.stdout.write(f"{r.ref}  {r.status:<10}  {score}{r.title}{tags}{via}\n")


def _show_text(r: DecisionRecord) -> None:
    from archassist.agent.memory import format_id

    links = []
    if r.supersedes:
        links.append(f"supersedes {format_id(r.supersedes)}")
    if r.superseded_by:
        links.append(f"superseded by {format_id(r.superseded_by)}")
    out = [f"{r.ref}  {r.title}", f"status:   {r.status}" + (f" ({'; '.join(links)})" if links else "")]
    if r.status_reason:
        out.append(f"reason:   {r.status_reason}")
    if r.tags:
        out.append(f"tags:     {', '.join(r.tags)}")
    if r.cites:
        out.append(f"cites:    {', '.join(r.cites)}")
    if r.design_id is not None:
        out.append(f"design:   {r.design_id}")
    out.append(f"created:  {r.created}")
    if r.updated != r.created:
        out.append(f"updated:  {r.updated}")
    for heading, body in (("Context", r.context), ("Decision", r.decision), ("Consequences", r.consequences)):
        if body:
            out += ["", heading, *("  " + line if line else "" for line in body.split("\n"))]
        if heading == "Context" and r.alternatives:
            out += ["", "Considered options", *(f"  * {option}" for option in r.alternatives)]
    sys.stdout.write("\n".join(out) + "\n")


def recall_command(
    query: Annotated[str, typer.Argument(help="Words to look for in past decisions and designs.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many.")] = 10,
    status: StatusOption = None,
    fmt: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """Find past decisions by their words, or by the designs they belong to, best match first.

    Example: archassist recall "order workflow coordination" --status accepted
    A query that starts with a dash goes after --: archassist recall -- "-retry storms"
    """
    fmt = output_format(fmt)
    from archassist.agent.memory import recall

    with _store(db, readonly=True) as store:
        found = recall(store, query, limit=limit, status=status)
    if fmt == "json":
        print_json([r.to_json() for r in found])
    elif found:
        _rows_text(found, scores=True)
    else:
        typer.echo("no matching decisions", err=True)


@memory_app.command("list")
def list_command(
    status: StatusOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")] = 20,
    fmt: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """List decisions, newest first."""
    fmt = output_format(fmt)
    from archassist.agent.memory import list_decisions

    with _store(db, readonly=True) as store:
        found = list_decisions(store, status=status, limit=limit)
    if fmt == "json":
        print_json([r.to_json() for r in found])
    elif found:
        _rows_text(found, scores=False)
    else:
        typer.echo("no decisions yet", err=True)


@memory_app.command("show")
def show_command(
    decision_id: Annotated[str, typer.Argument(metavar="ID", help="A decision id: 7 or ADR-0007.")],
    fmt: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """Show one decision in full."""
    fmt = output_format(fmt)
    from archassist.agent.memory import get_decision

    with _store(db, readonly=True) as store:
        record = get_decision(store, decision_id)
    if fmt == "json":
        print_json(record.to_json())
    else:
        _show_text(record)


@memory_app.command("add")
def add_command(
    title: Annotated[str | None, typer.Option(help="Short title: the problem and the solution.")] = None,
    decision: Annotated[str | None, typer.Option(help="What was decided.")] = None,
    context: Annotated[str | None, typer.Option(help="The context and problem.")] = None,
    consequences: Annotated[str | None, typer.Option(help="What follows, good and bad.")] = None,
    alternative: Annotated[
        list[str] | None, typer.Option("--alternative", "-a", help="A considered option (repeatable).")
    ] = None,
    status: Annotated[str, typer.Option("--status", "-s", help="proposed, accepted, rejected, deprecated.")] = (
        "accepted"
    ),
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="Read decisions from YAML/JSON (one, a list, or a design) or a MADR .md."),
    ] = None,
    fmt: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """Record a decision, from flags or from a file.

    Example: archassist memory add --title "Order workflows use orchestration" --decision "A saga orchestrator
    in the order service drives payment, inventory and shipping" --tag sagas
    """
    fmt = output_format(fmt)
    from archassist.agent.memory.decisions import add_decision, add_decisions_once

    items: list[dict[str, Any]]
    if from_file is not None:
        if any(v for v in (title, decision, context, consequences, alternative, tag)):
            _fail("give either --from-file or --title/--decision/... flags, not both")
        from archassist.agent.memory.adr import read_decision_file

        with _user_errors():
            items = read_decision_file(from_file)
    else:
        if not title:
            _fail("a decision needs a title; give --title \"...\" (or --from-file FILE)")
        items = [
            {
                "title": title, "decision": decision, "context": context, "consequences": consequences,
                "alternatives": alternative or [], "status": status, "tags": tag or [],
            }
        ]
    with _store(db, readonly=False) as store:
        if from_file is None:
            added, existing = [add_decision(store, **items[0])], []
        else:  # one transaction; decisions already recorded are not added again
            outcome = add_decisions_once(store, items)
            added, existing = outcome.added, outcome.existing
    if fmt == "json":
        print_json([r.to_json() for r in added])
    else:
        for r in added:
            sys.stdout.write(f"added {r.ref} ({r.status}): {r.title}\n")
        for r in existing:
            sys.stdout.write(f"already recorded {r.ref} ({r.status}): {r.title}\n")


@memory_app.command("supersede")
def supersede_command(
    old_id: Annotated[str, typer.Argument(metavar="OLD_ID", help="The decision being replaced.")],
    new_id: Annotated[str, typer.Argument(metavar="NEW_ID", help="The decision that replaces it.")],
    reason: ReasonOption = None,
    db: DbOption = None,
) -> None:
    """Replace OLD_ID by NEW_ID, retiring the decisions that followed OLD_ID.

    OLD_ID becomes superseded by NEW_ID, and so do the designs' decisions that cite OLD_ID, all in one
    transaction: from then on none of them is a precedent for new designs.
    """
    from archassist.agent.memory.decisions import supersede_all

    with _store(db, readonly=False) as store:
        done = supersede_all(store, old_id, new_id, reason=reason or "")
    sys.stdout.write(f"{done.old.ref} is superseded by {done.new.ref} ({done.new.status}): {done.new.title}\n")
    for r in done.retired:
        sys.stdout.write(f"  retired {r.ref}, which followed {done.old.ref}: {r.title}\n")


def _set_status(decision_id: str, status: str, reason: str | None, db: Path | None) -> None:
    from archassist.agent.memory.decisions import set_status

    with _store(db, readonly=False) as store:
        record, changed = set_status(store, decision_id, status, reason=reason or "")
    why = f" ({record.status_reason})" if record.status_reason else ""
    verb = "is now" if changed else "was already"
    sys.stdout.write(f"{record.ref} {verb} {record.status}{why}: {record.title}\n")


IdArgument = Annotated[str, typer.Argument(metavar="ID", help="A decision id: 7 or ADR-0007.")]


@memory_app.command("accept")
def accept_command(decision_id: IdArgument, reason: ReasonOption = None, db: DbOption = None) -> None:
    """Accept a decision: it becomes a precedent for the designs it fits."""
    _set_status(decision_id, "accepted", reason, db)


@memory_app.command("reject")
def reject_command(decision_id: IdArgument, reason: ReasonOption = None, db: DbOption = None) -> None:
    """Reject a decision: kept for the record, it never steers a design."""
    _set_status(decision_id, "rejected", reason, db)


@memory_app.command("deprecate")
def deprecate_command(decision_id: IdArgument, reason: ReasonOption = None, db: DbOption = None) -> None:
    """Deprecate a decision that no longer holds (with a successor, use supersede)."""
    _set_status(decision_id, "deprecated", reason, db)


@memory_app.command("export")
def export_command(
    adr_dir: Annotated[Path, typer.Option("--adr-dir", help="Folder for the MADR files (created if missing).")],
    db: DbOption = None,
) -> None:
    """Write every decision as a MADR 4.0 Markdown file (NNNN-title.md) for git."""
    from archassist.agent.memory.sync import export_adr

    with _store(db, readonly=True) as store:
        result = export_adr(store, adr_dir)
    total = len(result.written) + result.unchanged
    sys.stdout.write(
        f"exported {total} decision{'s' if total != 1 else ''} to {result.folder}: "
        f"{len(result.written)} written, {result.unchanged} unchanged"
        + (f", {len(result.removed)} renamed" if result.removed else "")
        + "\n"
    )


@memory_app.command("import")
def import_command(
    adr_dir: Annotated[Path, typer.Option("--adr-dir", help="Folder holding MADR files.")],
    db: DbOption = None,
) -> None:
    """Read MADR files into the memory; importing the same folder again adds nothing."""
    from archassist.agent.memory.sync import import_adr

    with _store(db, readonly=False) as store:
        result = import_adr(store, adr_dir)
    for warning in result.warnings:
        typer.echo(f"archassist: warning: {warning}", err=True)
    sys.stdout.write(
        f"imported from {result.folder}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged\n"
    )


@memory_app.command("stats")
def stats_command(fmt: FormatOption = "text", db: DbOption = None) -> None:
    """Counts by status, designs, database location and size."""
    fmt = output_format(fmt)
    from archassist.agent.memory import stats

    with _store(db, readonly=True) as store:
        data = stats(store)
    if fmt == "json":
        print_json(data)
        return
    if not data["exists"]:
        sys.stdout.write(f"database: {data['database']} (not created yet)\n")
        return
    by_status = ", ".join(f"{n} {s}" for s, n in data["by_status"].items() if n) or "none"
    sys.stdout.write(
        f"database:  {data['database']} ({data['size_bytes'] / 1024:.0f} KiB, schema {data['schema_version']}, "
        f"{data['journal_mode']})\n"
        f"decisions: {data['decisions']} ({by_status})\n"
        f"designs:   {data['designs']}\n"
    )
    if data["oldest"]:
        sys.stdout.write(f"span:      {data['oldest'][:10]} .. {data['newest'][:10]}\n")


@memory_app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (replaced atomically).")],
    db: DbOption = None,
) -> None:
    """Copy the database safely, even while it is in use.

    The copy is a consistent snapshot, written to a temporary file beside FILE and renamed over it; what a
    killed backup left behind is removed by the next one.
    """
    from archassist.agent.memory import backup

    with _store(db, readonly=True) as store:
        if not store.exists:
            _fail(f"{store.path}: no memory database here yet; nothing to back up")
        target = backup(store, file)
    sys.stdout.write(f"backed up {store.path} to {target} ({target.stat().st_size} bytes)\n")


def register(app: typer.Typer) -> None:
    """Attach `recall` and the `memory` group to the main command line."""
    command: Callable[..., Any] = app.command("recall")
    command(recall_command)
    app.add_typer(memory_app, name="memory")
