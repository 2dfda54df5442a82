"""`archassist export --to sql`: PostgreSQL DDL for what each service of a design keeps in its database.

One idempotent script per service, `sql/<service>.sql`, in a schema of its own (event store and snapshots,
outbox, inbox, saga state, read models, checkpoints), and `sql/README.md` saying what is where, how to apply it
and what the design holds that the scripts do not.
"""

from __future__ import annotations

from archassist.agent.export.base import Artifact, ExportOptions
from archassist.agent.export.sql_ddl import service_script
from archassist.agent.export.sql_names import comment_text
from archassist.agent.export.sql_plan import ServicePlan, SqlPlan, plan_sql
from archassist.agent.model.design import Design


def export_sql(design: Design, options: ExportOptions) -> list[Artifact]:
    """The SQL scripts of a design and their README; services with nothing in PostgreSQL get no script."""
    plan = plan_sql(design)
    artifacts = [
        Artifact(p.path, service_script(p, design.name), f"PostgreSQL schema {p.schema} of {p.service.name}")
        for p in plan.services
        if not p.empty
    ]
    artifacts.append(Artifact("sql/README.md", readme(plan), "what each SQL script holds and how to apply it"))
    return artifacts


USES: tuple[tuple[str, str], ...] = (
    (
        "event_store",
        "**Appending events**: insert the new events of an aggregate with the versions that follow the one it "
        "was loaded at. The unique (aggregate_id, version) makes the second of two concurrent writers fail: it "
        "reloads the aggregate and decides again.",
    ),
    (
        "event_store",
        "**Reading a stream**: `WHERE aggregate_id = $1 AND version > $2 ORDER BY version`, from the newest "
        "snapshot's version (or 0).",
    ),
    (
        "event_store",
        "**Catching up** (the relay to the broker, projections): `WHERE (transaction_id, global_position) > "
        "($1, $2) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY transaction_id, "
        "global_position`, then store both values in `checkpoints`. Positions come from a sequence and are "
        "handed out before commit, so reading by position alone can skip an event that commits late.",
    ),
    (
        "outbox",
        "**Outbox**: write the row in the transaction that changes the state; the relay claims "
        "`WHERE published_at IS NULL ORDER BY position LIMIT n FOR UPDATE SKIP LOCKED`, publishes, and sets "
        "`published_at`.",
    ),
    (
        "inbox",
        "**Inbox**: `INSERT ... ON CONFLICT DO NOTHING` of (consumer_group, message_id) in the transaction that "
        "handles the message; no row inserted means a duplicate. The purge function drops keys older than their "
        "group's `keep_for`.",
    ),
    (
        "projection",
        "**Read models**: `INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE last_applied_position < "
        "EXCLUDED.last_applied_position`: a redelivered or older event changes nothing.",
    ),
    (
        "saga",
        "**Saga state**: every change is `UPDATE ... SET version = version + 1 ... WHERE saga_id = $1 AND "
        "version = $2`; no row updated means another handler moved the saga first. The sweeper reads overdue "
        "`step_deadline`s of running sagas.",
    ),
)


def _kinds(plan: ServicePlan) -> set[str]:
    kinds = set()
    for kind, present in (
        ("event_store", plan.event_store),
        ("outbox", plan.outbox),
        ("inbox", plan.inboxes),
        ("saga", plan.sagas),
        ("projection", plan.projections),
    ):
        if present:
            kinds.add(kind)
    return kinds


def _contents(plan: ServicePlan) -> list[str]:
    out = []
    if plan.event_store:
        store = plan.event_store
        partitions = f", hash-partitioned into {store.hash_partitions}" if store.hash_partitions else ""
        out.append(f"event store `{store.events.name}`{partitions} (append-only)")
        if store.snapshots:
            out.append(f"snapshots `{store.snapshots.name}`")
    if plan.outbox:
        out.append(f"outbox `{plan.outbox.table.name}` ({len(plan.outbox.routes)} message types)")
    for inbox in plan.inboxes:
        out.append(
            f"inbox `{inbox.table.name}` for {len(inbox.groups)} consumer group{'s' if len(inbox.groups) != 1 else ''}"
            f", purged by `{inbox.purge_function}()`"
        )
    for saga in plan.sagas:
        names = ", ".join(s.name for s in saga.sagas)
        out.append(f"saga state `{saga.instances.name}` and `{saga.steps.name}` ({names})")
    for projection in plan.projections:
        key = ", ".join(projection.key_columns)
        out.append(f"read model `{projection.table.name}` (key {key})")
    if plan.checkpoints:
        out.append(f"checkpoints `{plan.checkpoints.name}`")
    return out


def readme(plan: SqlPlan) -> str:
    design = plan.design
    lines = [
        f"# PostgreSQL schemas of {comment_text(design.name)}",
        "",
        "Exported by `archassist export --to sql`. Each script creates one service's schema in its own database "
        "(or, for a local setup, all of them side by side in one). Every statement is idempotent, so a script can "
        "run again; none alters a table that already exists, so a changed design needs a migration of its own. "
        "PostgreSQL 14 or newer. Point `DATABASE_URL` at each service's own database (the table below names it).",
        "",
        "```sh",
        *(
            f"psql -v ON_ERROR_STOP=1 -d \"$DATABASE_URL\" -f {p.path.rsplit('/', 1)[-1]}"
            for p in plan.services
            if not p.empty
        ),
        "```",
        "",
        "| script | schema | database | holds |",
        "|---|---|---|---|",
    ]
    for service in plan.services:
        if service.empty:
            continue
        lines.append(
            f"| `{service.path.rsplit('/', 1)[-1]}` | `{service.schema}` | {service.service.database or '—'} | "
            + "; ".join(_contents(service))
            + " |"
        )
    lines += ["", "## How the tables are used", ""]
    has = {kind for service in plan.services for kind in _kinds(service)}
    lines += [f"- {text}" for kind, text in USES if kind in has]
    if plan.not_exported:
        lines += ["", "## Not in these scripts", ""]
        lines += [f"- {comment_text(item)}" for item in plan.not_exported]
    return "\n".join(lines) + "\n"
