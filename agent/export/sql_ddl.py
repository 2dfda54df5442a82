"""One service's planned tables written as an idempotent PostgreSQL script.

Every statement can run again on a database that already has it: tables and indexes with IF NOT EXISTS,
functions and triggers with OR REPLACE, table comments replaced, reference rows upserted. A script never alters an
existing table, so a changed design needs a migration from the old tables to the new ones.
"""

from __future__ import annotations

from archassist.agent.export.sql_event_store import EventStorePlan
from archassist.agent.export.sql_names import comment_text, quote_ident, quote_literal
from archassist.agent.export.sql_plan import InboxPlan, SagaPlan, ServicePlan
from archassist.agent.export.sql_tables import ident_list, qualified

RULE = "-- " + "-" * 100


def _section(title: str) -> str:
    return f"{RULE}\n-- {title}\n{RULE}\n"


def interval_literal(days: float) -> str:
    seconds = days * 86_400
    if days == int(days):
        return f"interval '{int(days)} days'"
    return f"interval '{max(1, round(seconds))} seconds'"


def _append_only(store: EventStorePlan) -> str:
    table = store.events
    function = qualified(table.schema, store.append_only_function)
    trigger = quote_ident(store.append_only_trigger)
    truncate = quote_ident(store.append_only_trigger[:54] + "_truncate")
    return (
        "-- Events are facts: the store refuses to change or remove them (an operator who archives old events\n"
        "-- disables these triggers for that job).\n"
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n"
        "    RAISE EXCEPTION 'event store %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP\n"
        "        USING ERRCODE = 'restrict_violation';\n"
        "END\n"
        "$fn$;\n"
        f"CREATE OR REPLACE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table.qualified}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {function}();\n"
        f"CREATE OR REPLACE TRIGGER {truncate} BEFORE TRUNCATE ON {table.qualified}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


def _inbox_functions(inbox: InboxPlan) -> str:
    table, retention = inbox.table.qualified, inbox.retention.qualified
    function = qualified(inbox.table.schema, inbox.purge_function)
    lines = [
        f"-- Purge: run {inbox.purge_function}() from a scheduler (pg_cron, a job); it removes at most batch_size "
        "expired keys per call",
        "-- and returns how many, so a caller repeats it until it returns 0. Groups without a row in",
        f"-- {inbox.retention.name} keep their keys.",
        f"CREATE OR REPLACE FUNCTION {function}(batch_size integer DEFAULT 10000) RETURNS bigint",
        "LANGUAGE sql AS $fn$",
        "    WITH expired AS (",
        "        SELECT i.consumer_group, i.message_id",
        f"        FROM {table} AS i JOIN {retention} AS r USING (consumer_group)",
        "        WHERE i.processed_at < now() - r.keep_for",
        "        LIMIT batch_size",
        "    ), purged AS (",
        f"        DELETE FROM {table} AS i USING expired AS e",
        "        WHERE i.consumer_group = e.consumer_group AND i.message_id = e.message_id",
        "        RETURNING 1",
        "    )",
        "    SELECT count(*) FROM purged",
        "$fn$;",
    ]
    kept = [(group, ttl) for group, ttl, _ in inbox.groups if ttl is not None]
    if kept:
        lines.append(f"INSERT INTO {retention} (consumer_group, keep_for) VALUES")
        lines += [
            f"    ({quote_literal(group)}, {interval_literal(ttl)})" + ("," if i < len(kept) - 1 else "")
            for i, (group, ttl) in enumerate(kept)
        ]
        lines.append("ON CONFLICT (consumer_group) DO UPDATE SET keep_for = EXCLUDED.keep_for;")
        names = ", ".join(quote_literal(group) for group, _ in kept)
        lines.append(f"DELETE FROM {retention} WHERE consumer_group NOT IN ({names});")
    else:
        lines.append(f"DELETE FROM {retention};")
    return "\n".join(lines) + "\n"


def _saga_steps(saga_plan: SagaPlan) -> str:
    table = saga_plan.steps.qualified
    lines = []
    columns = (
        "saga_type", "step_index", "step_name", "service", "command", "success_event", "failure_event",
        "compensation_command", "compensation_event", "step_timeout", "retriable", "pivot",
    )  # fmt: skip
    for saga in saga_plan.sagas:
        if not saga.steps:
            lines.append(f"DELETE FROM {table} WHERE saga_type = {quote_literal(saga.name)};")
            continue
        rows = []
        for index, step in enumerate(saga.steps):
            values = [
                quote_literal(saga.name),
                str(index),
                quote_literal(step.name),
                quote_literal(step.service),
                *(
                    quote_literal(v) if v else "NULL"
                    for v in (
                        step.command,
                        step.success_event,
                        step.failure_event,
                        step.compensation_command,
                        step.compensation_event,
                    )
                ),
                interval_literal(step.timeout_s / 86_400) if step.timeout_s else "NULL",
                "true" if step.retriable else "false",
                "true" if step.pivot else "false",
            ]
            rows.append("    (" + ", ".join(values) + ")")
        lines.append(f"INSERT INTO {table} ({ident_list(columns)}) VALUES")
        lines.append(",\n".join(rows))
        updates = ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in columns[2:])
        lines.append(f"ON CONFLICT (saga_type, step_index) DO UPDATE SET {updates};")
        lines.append(
            f"DELETE FROM {table} WHERE saga_type = {quote_literal(saga.name)} AND step_index >= {len(saga.steps)};"
        )
    return "\n".join(lines) + "\n"


def service_script(plan: ServicePlan, design_name: str) -> str:
    service = plan.service
    parts = [
        f"-- PostgreSQL schema of {comment_text(service.name)}, exported by archassist from the design "
        f"{comment_text(design_name)}.\n"
        + (f"-- {comment_text(service.description)}\n" if service.description else "")
        + f"-- Apply to {comment_text(service.database) if service.database else 'the service database'} "
        "(PostgreSQL 14 or newer): psql -v ON_ERROR_STOP=1 -f "
        f"{plan.path.rsplit('/', 1)[-1]}\n"
        "-- Every statement is idempotent; none alters a table that exists already.\n",
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(plan.schema)};\n"
        f"COMMENT ON SCHEMA {quote_ident(plan.schema)} IS {quote_literal('Tables of ' + comment_text(service.name))};\n",
    ]
    if plan.event_store:
        parts.append(_section("Event store"))
        parts.append(plan.event_store.events.ddl())
        parts.append(_append_only(plan.event_store))
        if plan.event_store.snapshots:
            parts.append(plan.event_store.snapshots.ddl())
    if plan.outbox:
        parts.append(_section("Transactional outbox"))
        parts.append(plan.outbox.table.ddl())
    for inbox in plan.inboxes:
        parts.append(_section(f"Inbox: {inbox.table.name}"))
        parts.append(inbox.table.ddl())
        parts.append(inbox.retention.ddl())
        parts.append(_inbox_functions(inbox))
    for saga in plan.sagas:
        parts.append(_section(f"Saga state: {saga.instances.name}"))
        parts.append(saga.instances.ddl())
        parts.append(saga.steps.ddl())
        parts.append(_saga_steps(saga))
    if plan.projections:
        parts.append(_section("Read models"))
        parts += [projection.table.ddl() for projection in plan.projections]
    if plan.checkpoints:
        parts.append(_section("Checkpoints"))
        parts.append(plan.checkpoints.ddl())
    return "\n".join(parts)
