"""Which PostgreSQL tables each service of a design needs, with every name decided.

One schema per service (its name from the service's), so the files can go into each service's own database or,
for a local setup, side by side into one. A service gets:
- an event store and snapshots when it is event-sourced (`sql_event_store`);
- a transactional outbox when it publishes with `publishing: outbox`;
- an inbox per idempotency store of its consumers that deduplicate (by event id or an idempotency key), with the
  time each consumer group keeps its keys and a function that purges older ones;
- saga state for each saga it runs (orchestrator, or the service whose database the saga's state store names);
- a table per read model it keeps in PostgreSQL, from the fields of the events it is built from;
- checkpoints for the readers that catch up on its event store or apply events to its read models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archassist.agent.export.sql_event_store import EventStorePlan, is_event_sourced, plan_event_store
from archassist.agent.export.sql_names import Namespace, comment_text, sanitise
from archassist.agent.export.sql_tables import Column, Index, Table
from archassist.agent.model.design import Consumer, Design, FieldType, PayloadField, Projection, Saga, Service

DEDUP_STRATEGIES = ("dedup_event_id", "idempotency_key")
SAGA_STATES = ("running", "compensating", "completed", "failed")
ACTIVE_SAGA_STATES = ("running", "compensating")

FIELD_TYPES: dict[FieldType, str] = {
    "string": "text",
    "integer": "bigint",
    "number": "double precision",
    "decimal": "numeric",
    "boolean": "boolean",
    "uuid": "uuid",
    "timestamp": "timestamptz",
    "date": "date",
    "duration": "interval",
    "enum": "text",
    "object": "jsonb",
    "array": "jsonb",
    "map": "jsonb",
    "bytes": "bytea",
    "uri": "text",
}


@dataclass
class OutboxPlan:
    table: Table
    routes: list[tuple[str, str, str]]  # (event, topic, partition key) the relay publishes


@dataclass
class InboxPlan:
    table: Table
    retention: Table
    purge_function: str
    groups: list[tuple[str, float | None, str]]  # (consumer group, days its keys are kept or None, key)


@dataclass
class SagaPlan:
    instances: Table
    steps: Table
    sagas: list[Saga]
    states: tuple[str, ...]


@dataclass
class ProjectionPlan:
    table: Table
    projection: Projection
    key_columns: tuple[str, ...]
    field_columns: list[str]
    position_column: str = "last_applied_position"


@dataclass
class ServicePlan:
    service: Service
    schema: str
    path: str
    event_store: EventStorePlan | None = None
    outbox: OutboxPlan | None = None
    inboxes: list[InboxPlan] = field(default_factory=list)
    sagas: list[SagaPlan] = field(default_factory=list)
    projections: list[ProjectionPlan] = field(default_factory=list)
    checkpoints: Table | None = None

    @property
    def empty(self) -> bool:
        return not (self.event_store or self.outbox or self.inboxes or self.sagas or self.projections)

    def tables(self) -> list[Table]:
        out: list[Table] = []
        if self.event_store:
            out.append(self.event_store.events)
            if self.event_store.snapshots:
                out.append(self.event_store.snapshots)
        if self.outbox:
            out.append(self.outbox.table)
        for inbox in self.inboxes:
            out += [inbox.table, inbox.retention]
        for saga in self.sagas:
            out += [saga.instances, saga.steps]
        out += [p.table for p in self.projections]
        if self.checkpoints:
            out.append(self.checkpoints)
        return out


@dataclass
class SqlPlan:
    design: Design
    services: list[ServicePlan]
    not_exported: list[str]  # what the design has that these files do not hold, and why

    def service(self, name: str) -> ServicePlan:
        return next(s for s in self.services if s.service.name == name)


def _table_of(store: str | None, default: str) -> str:
    """The table part of a store reference such as `order-service-db.inbox`."""
    if store and "." in store:
        return store.rsplit(".", 1)[1] or default
    return default


def _is_postgres(store: str | None, service: Service | None = None) -> bool:
    """The store is PostgreSQL: it says so, or it is a table of the service's own database (`db.table`)."""
    text = (store or "").lower()
    if service is not None and (not text or (service.database and text.split(".")[0] == service.database.lower())):
        return True
    return bool(re.search(r"\b(postgres|postgresql|pg|sql|psql)\b", text))


def plan_sql(design: Design) -> SqlPlan:
    schemas = Namespace(reserved=("public", "information_schema"))
    files = Namespace()
    not_exported: list[str] = []
    plans: list[ServicePlan] = []
    relations: dict[str, Namespace] = {}
    for service in design.services:
        wanted = sanitise(service.name)
        schema = schemas.claim(("s_" + wanted) if wanted.startswith("pg_") else wanted)
        path = f"sql/{files.claim(service.name).replace('_', '-')}.sql"
        relations[service.name] = Namespace()
        plans.append(ServicePlan(service=service, schema=schema, path=path))
    by_name = {p.service.name: p for p in plans}
    for plan in plans:
        service, names = plan.service, relations[plan.service.name]
        if is_event_sourced(design, service):
            plan.event_store = plan_event_store(design, service, plan.schema, names)
        if service.publishing == "outbox":
            plan.outbox = _outbox(design, service, plan.schema, names)
        plan.inboxes = _inboxes(design, service, plan.schema, names, not_exported)
    _place_sagas(design, plans, by_name, relations, not_exported)
    for projection in design.projections:
        owner = _projection_owner(design, projection)
        if owner is None or owner not in by_name:
            not_exported.append(f"read model {projection.name}: no service of the design keeps it")
            continue
        if not _is_postgres(projection.store, by_name[owner].service):
            not_exported.append(
                f"read model {projection.name} of {owner}: kept in {projection.store}, not in PostgreSQL"
            )
            continue
        target = by_name[owner]
        target.projections.append(_projection(design, projection, target.schema, relations[owner]))
    for plan in plans:
        if plan.event_store or plan.projections:
            plan.checkpoints = _checkpoints(plan.schema, relations[plan.service.name])
        if plan.event_store:
            not_exported += [f"{plan.service.name}: {n}" for n in plan.event_store.skipped]
        if plan.empty:
            not_exported.append(
                f"{plan.service.name}: no file, it keeps nothing in PostgreSQL (no event store, outbox, inbox, "
                "saga state or read model)"
            )
        if plan.service.publishing == "cdc":
            not_exported.append(
                f"{plan.service.name}: publishes by change data capture from its own tables, which the design "
                "does not describe; no outbox is exported"
            )
    return SqlPlan(design=design, services=plans, not_exported=not_exported)


def _outbox(design: Design, service: Service, schema: str, names: Namespace) -> OutboxPlan:
    table = names.claim("outbox")
    routes = []
    for event_name in service.publishes:
        event = design.event(event_name)
        if event is not None:
            routes.append((event.name, event.topic or "(no topic)", event.partition_key or "aggregate_id"))
    # An orchestrator sends its commands through the outbox too.
    sent = [c.name for c in design.commands if c.issued_by == service.name]
    sent += [name for c in design.consumers if c.service == service.name for name in c.emits]
    for name in dict.fromkeys(sent):
        command = design.command(name)
        if command is not None and command.topic and all(r[0] != name for r in routes):
            routes.append((command.name, command.topic, command.partition_key or "aggregate_id"))
    notes = [
        "Transactional outbox: written in the transaction that changes the state; a relay publishes the rows in "
        "position order and sets published_at. Delivery is at least once: consumers deduplicate on id.",
        "Relays claim rows with FOR UPDATE SKIP LOCKED; with more than one relay, per-key order holds only when "
        "each relay owns a disjoint set of keys.",
    ]
    notes += [f"{message} -> topic {topic}, key {key}" for message, topic, key in routes]
    return OutboxPlan(
        table=Table(
            schema=schema,
            name=table,
            comment=f"Transactional outbox of {service.name}: events waiting for the relay to the broker.",
            columns=[
                Column("id", "uuid", note="the event_id; consumers deduplicate on it"),
                Column("position", "bigint", identity=True, note="publish order"),
                Column("aggregate_type", "text"),
                Column("aggregate_id", "text"),
                Column("event_type", "text"),
                Column("event_version", "integer", default="1"),
                Column("topic", "text"),
                Column("message_key", "text", not_null=False, note="the partition key"),
                Column("payload", "jsonb"),
                Column("headers", "jsonb", default="'{}'::jsonb", note="the envelope"),
                Column("created_at", "timestamptz", default="now()"),
                Column("published_at", "timestamptz", not_null=False),
            ],
            primary_key=("id",),
            primary_key_name=names.claim(table, "pkey"),
            uniques=[],
            indexes=[
                Index(
                    names.claim(table, "unpublished"),
                    ("position",),
                    where="published_at IS NULL",
                    note="The relay's queue: small, because published rows leave it.",
                ),
                Index(
                    names.claim(table, "published_at"),
                    ("published_at",),
                    where="published_at IS NOT NULL",
                    note="Clean-up of published rows after a grace period.",
                ),
            ],
            notes=notes,
        ),
        routes=routes,
    )


def _inboxes(
    design: Design, service: Service, schema: str, names: Namespace, not_exported: list[str]
) -> list[InboxPlan]:
    by_table: dict[str, list[Consumer]] = {}
    for consumer in design.consumers:
        if consumer.service != service.name or consumer.idempotency.strategy not in DEDUP_STRATEGIES:
            continue
        if not _is_postgres(consumer.idempotency.store, service):
            not_exported.append(
                f"consumer {consumer.name}: deduplicates in {consumer.idempotency.store}, not in PostgreSQL"
            )
            continue
        by_table.setdefault(_table_of(consumer.idempotency.store, "inbox"), []).append(consumer)
    plans = []
    for wanted, consumers in by_table.items():
        table = names.claim(wanted)
        retention = names.claim(table, "retention")
        groups = []
        seen: set[str] = set()
        for consumer in consumers:
            group = consumer.group or consumer.name
            if group in seen:
                continue
            seen.add(group)
            key = consumer.idempotency.key or (
                "event_id" if consumer.idempotency.strategy == "dedup_event_id" else "idempotency_key"
            )
            groups.append((group, consumer.idempotency.ttl_days, key))
        inbox = Table(
            schema=schema,
            name=table,
            comment=f"Inbox of {service.name}: the messages each consumer group has processed, to drop "
            "redeliveries.",
            columns=[
                Column("consumer_group", "text"),
                Column("message_id", "text", note="the event_id, or the idempotency key"),
                Column("processed_at", "timestamptz", default="now()"),
            ],
            primary_key=("consumer_group", "message_id"),
            primary_key_name=names.claim(table, "pkey"),
            indexes=[Index(names.claim(table, "processed_at"), ("processed_at",), note="Purging old keys.")],
            notes=[
                "Inbox: insert (consumer_group, message_id) ... ON CONFLICT DO NOTHING in the transaction that "
                "applies the message; no row inserted means a duplicate, which is acknowledged and skipped.",
                "A key must be kept longer than a duplicate can arrive: the broker's redelivery and replay window.",
                *(
                    f"{group}: keys on {key}, kept "
                    + (f"{ttl:g} days" if ttl is not None else "until purged by hand")
                    for group, ttl, key in groups
                ),
            ],
        )
        retention_table = Table(
            schema=schema,
            name=retention,
            comment=f"How long each consumer group's keys stay in {table}; purge_ functions read it.",
            columns=[Column("consumer_group", "text"), Column("keep_for", "interval", check="keep_for > interval '0'")],
            primary_key=("consumer_group",),
            primary_key_name=names.claim(retention, "pkey"),
        )
        plans.append(
            InboxPlan(
                table=inbox,
                retention=retention_table,
                purge_function=names.claim("purge", table),
                groups=groups,
            )
        )
    return plans


def _saga_home(design: Design, saga: Saga, by_name: dict[str, ServicePlan]) -> tuple[str | None, str]:
    store = saga.state_store or ""
    database = store.rsplit(".", 1)[0] if "." in store else store
    for plan in by_name.values():
        if plan.service.database and plan.service.database == database:
            return plan.service.name, _table_of(store, "saga_instances")
    orchestrator = by_name.get(saga.orchestrator or "")
    if orchestrator is not None and _is_postgres(store, orchestrator.service):
        return saga.orchestrator, _table_of(store, "saga_instances")
    return None, ""


def _place_sagas(
    design: Design,
    plans: list[ServicePlan],
    by_name: dict[str, ServicePlan],
    relations: dict[str, Namespace],
    not_exported: list[str],
) -> None:
    grouped: dict[tuple[str, str], list[Saga]] = {}
    for saga in design.sagas:
        home, table = _saga_home(design, saga, by_name)
        if home is None:
            not_exported.append(
                f"saga {saga.name}: its state store ({saga.state_store or 'none'}) is no service's PostgreSQL "
                "database and no orchestrator runs it"
            )
            continue
        grouped.setdefault((home, table), []).append(saga)
    for (home, wanted), sagas in grouped.items():
        plan = by_name[home]
        plan.sagas.append(_saga_tables(plan.schema, relations[home], wanted, sagas))


def _saga_tables(schema: str, names: Namespace, wanted: str, sagas: list[Saga]) -> SagaPlan:
    table = names.claim(wanted)
    steps = names.claim(table, "steps")
    outcomes = [sanitise(o.name) for saga in sagas for o in saga.outcomes]
    states = tuple(dict.fromkeys([*SAGA_STATES, *outcomes]))
    active = ", ".join(f"'{s}'" for s in ACTIVE_SAGA_STATES)
    notes = [
        "Saga state: one row per running or finished instance. Every change is "
        "UPDATE ... SET version = version + 1 WHERE saga_id = $1 AND version = $2; no row updated means another "
        "handler moved the saga first: reload and decide again.",
    ]
    for saga in sagas:
        steps_text = "; ".join(
            f"{i + 1}. {s.name} ({s.service})"
            + (f", timeout {s.timeout_s:g} s" if s.timeout_s else "")
            + (f", compensated by {s.compensation_command or s.compensation}" if s.compensation or s.compensation_command else "")
            + (", pivot" if s.pivot else "")
            for i, s in enumerate(saga.steps)
        )
        deadline = f", whole saga within {saga.timeout_s:g} s" if saga.timeout_s else ""
        notes.append(f"{saga.name} ({saga.coordination}{deadline}): {steps_text}")
    state_check = "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"
    instances = Table(
        schema=schema,
        name=table,
        comment="Saga instances: state, the step in flight, compensation progress and deadlines.",
        columns=[
            Column("saga_id", "uuid"),
            Column("saga_type", "text"),
            Column("trigger_key", "text", note="aggregate id of the trigger event: one saga per trigger"),
            Column("correlation_id", "uuid", not_null=False, note="carried on every command the saga sends"),
            Column("state", "text", default="'running'", check=state_check),
            Column("current_step", "text", not_null=False, note="the step in flight"),
            Column("step_index", "integer", default="0", note="0-based, as in the steps table"),
            Column("completed_steps", "text[]", default="'{}'", note="steps done, in order: what compensation undoes"),
            Column("compensated_steps", "text[]", default="'{}'", note="compensations confirmed so far"),
            Column("data", "jsonb", default="'{}'::jsonb", note="what later steps and compensations need"),
            Column("version", "bigint", default="0", note="optimistic concurrency"),
            Column("step_deadline", "timestamptz", not_null=False, note="when the step in flight times out"),
            Column("deadline", "timestamptz", not_null=False, note="when the whole saga times out"),
            Column("started_at", "timestamptz", default="now()"),
            Column("updated_at", "timestamptz", default="now()"),
            Column("finished_at", "timestamptz", not_null=False),
        ],
        primary_key=("saga_id",),
        primary_key_name=names.claim(table, "pkey"),
        uniques=[(names.claim(table, "trigger", "key"), ("saga_type", "trigger_key"))],
        indexes=[
            Index(
                names.claim(table, "step_deadline"),
                ("step_deadline",),
                where=f"state IN ({active})",
                note="The timeout sweeper: active sagas whose step is overdue.",
            ),
            Index(names.claim(table, "deadline"), ("deadline",), where=f"state IN ({active})"),
            Index(names.claim(table, "correlation"), ("correlation_id",)),
        ],
        notes=notes,
    )
    step_table = Table(
        schema=schema,
        name=steps,
        comment="The steps of each saga as the design defines them; handlers read timeouts and compensations here.",
        columns=[
            Column("saga_type", "text"),
            Column("step_index", "integer"),
            Column("step_name", "text"),
            Column("service", "text"),
            Column("command", "text", not_null=False),
            Column("success_event", "text", not_null=False),
            Column("failure_event", "text", not_null=False),
            Column("compensation_command", "text", not_null=False),
            Column("compensation_event", "text", not_null=False),
            Column("step_timeout", "interval", not_null=False),
            Column("retriable", "boolean"),
            Column("pivot", "boolean", note="past this step the saga only goes forward"),
        ],
        primary_key=("saga_type", "step_index"),
        primary_key_name=names.claim(steps, "pkey"),
    )
    return SagaPlan(instances=instances, steps=step_table, sagas=sagas, states=states)


def _projection_owner(design: Design, projection: Projection) -> str | None:
    if projection.service:
        return projection.service
    for name in projection.source_events:
        event = design.event(name)
        if event is not None and event.producer:
            return event.producer
    return None


def _projection(design: Design, projection: Projection, schema: str, names: Namespace) -> ProjectionPlan:
    fields: dict[str, PayloadField] = {}
    conflicts: set[str] = set()
    id_fields: list[str] = []
    for name in projection.source_events:
        event = design.event(name)
        if event is None:
            continue
        aggregate = design.aggregate(event.aggregate) if event.aggregate else None
        if aggregate is not None and sanitise(aggregate.id_field) not in id_fields:
            id_fields.append(sanitise(aggregate.id_field))
        for payload_field in event.fields:
            column = sanitise(payload_field.name)
            if column in fields and fields[column].type != payload_field.type:
                conflicts.add(column)
            fields.setdefault(column, payload_field)
    key = sanitise(projection.key) if projection.key else (id_fields[0] if id_fields else "id")
    # Keyed by something other than the aggregate (customer_id for an order history): one row per aggregate.
    key_columns: tuple[str, ...] = (key,)
    if key not in id_fields and len(id_fields) == 1:
        key_columns = (key, id_fields[0])
    table = names.claim(projection.name)
    reserved = {"last_applied_position", "last_event_id", "updated_at"}
    columns: list[Column] = []
    for column_name in key_columns:
        source = fields.get(column_name)
        columns.append(
            Column(
                column_name,
                FIELD_TYPES[source.type] if source and column_name not in conflicts else "text",
                note="" if source else "not a field of the source events: the projector derives it",
            )
        )
    field_columns = []
    for column_name, source in fields.items():
        if column_name in key_columns or column_name in reserved:
            continue
        sql_type = "jsonb" if column_name in conflicts else FIELD_TYPES[source.type]
        note = "types differ between the source events" if column_name in conflicts else ""
        if source.pii:
            note = f"personal data ({source.protection})" + (f"; {note}" if note else "")
        columns.append(Column(column_name, sql_type, not_null=False, note=note))
        field_columns.append(column_name)
    columns += [
        Column("last_applied_position", "bigint", note="position of the last event applied; older ones are skipped"),
        Column("last_event_id", "uuid", not_null=False),
        Column("updated_at", "timestamptz", default="now()"),
    ]
    notes = [
        f"Read model {projection.name}"
        + (f": {comment_text(projection.purpose)}" if projection.purpose else "")
        + f" From {', '.join(projection.source_events) or 'no events'}.",
        "Idempotent upsert: INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE the stored last_applied_position "
        "is lower than the event's, so a redelivered or older event changes nothing.",
    ]
    if projection.applies == "deltas":
        notes.append(
            "This read model adds up deltas: record each event in the service's inbox in the same transaction, "
            "because a position alone cannot tell an applied delta from a new one across partitions."
        )
    if projection.rebuild != "none":
        notes.append(f"Rebuild: {projection.rebuild.replace('_', ' ')}: truncate, reset its checkpoint, replay.")
    return ProjectionPlan(
        table=Table(
            schema=schema,
            name=table,
            comment=f"Read model {projection.name}" + (f": {projection.purpose}" if projection.purpose else ""),
            columns=columns,
            primary_key=key_columns,
            primary_key_name=names.claim(table, "pkey"),
            notes=notes,
        ),
        projection=projection,
        key_columns=key_columns,
        field_columns=field_columns,
    )


def _checkpoints(schema: str, names: Namespace) -> Table:
    table = names.claim("checkpoints")
    return Table(
        schema=schema,
        name=table,
        comment="Where each reader of this service stands: the relay and projectors catching up, or a Kafka "
        "partition's offset committed with the read model.",
        columns=[
            Column("subscription", "text", note="relay or projection name"),
            Column("source_partition", "integer", default="0", note="the Kafka partition; 0 for the event store"),
            Column("position", "bigint", note="the last global position or offset applied"),
            Column("transaction_id", "xid8", not_null=False, note="with position, for catching up on the event store"),
            Column("updated_at", "timestamptz", default="now()"),
        ],
        primary_key=("subscription", "source_partition"),
        primary_key_name=names.claim(table, "pkey"),
        notes=["Checkpoints: advance them in the transaction that applies the events they count."],
    )
