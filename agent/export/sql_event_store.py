"""The event store of an event-sourced service as PostgreSQL tables: the append-only events table and snapshots.

The events table follows the event-store facts of the field: one row per event, immutable; a stream is the
events of one aggregate in version order, and the unique (aggregate_id, version) is the optimistic lock (two
writers that loaded version n both append n+1, and the second fails); a global position orders all events for
readers that catch up (projections, the relay to the broker); the payload and the metadata are JSONB.

A global position from a sequence is handed out at insert, not at commit, so a reader that only asks for
positions above its last one can miss an event whose transaction commits late with a lower number. Each row
therefore records its transaction id (`xid8`), and readers catch up on (transaction_id, global_position) while
staying below the oldest transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archassist.agent.errors import InputError
from archassist.agent.export.sql_names import Namespace, comment_text, sanitise
from archassist.agent.export.sql_tables import Column, Index, Table
from archassist.agent.model.design import Design, EventStore, Service

DEFAULT_TABLE = "events"

# role -> names a design may give that column (the first is the name used when the design declares none)
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "position": ("global_position", "position", "global_sequence", "global_seq", "log_position"),
    "transaction_id": ("transaction_id", "xid"),
    "event_id": ("event_id", "id"),
    "aggregate_type": ("aggregate_type", "stream_type"),
    "aggregate_id": ("aggregate_id", "stream_id"),
    "version": ("version", "stream_version", "sequence", "sequence_number", "aggregate_version"),
    "event_type": ("event_type", "type"),
    "event_version": ("event_version", "schema_version"),
    "payload": ("payload", "data", "body"),
    "metadata": ("metadata", "meta"),
    "recorded_at": ("recorded_at", "created_at", "stored_at", "appended_at"),
}
# Envelope fields kept as their own columns when the design declares no columns; others live in metadata.
ENVELOPE_COLUMNS: dict[str, Column] = {
    "timestamp": Column("occurred_at", "timestamptz", note="when the fact happened (the envelope's timestamp)"),
    "correlation_id": Column("correlation_id", "uuid", not_null=False, note="the flow this event belongs to"),
    "causation_id": Column("causation_id", "uuid", not_null=False, note="the message that caused this one"),
}
# An index a design asks for by a name that is not a column: the column that holds it.
INDEX_ALIASES = {"timestamp": "occurred_at", "occurred_at": "occurred_at", "created_at": "recorded_at"}

_TYPE = re.compile(
    r"^(?P<base>[a-z][a-z0-9_ ]*?)\s*(?P<size>\(\s*\d{1,5}\s*(,\s*\d{1,5}\s*)?\))?\s*(?P<array>\[\])?$"
)
KNOWN_TYPES = frozenset(
    {
        "text", "varchar", "character varying", "char", "character", "citext", "uuid", "smallint", "integer",
        "int", "int2", "int4", "int8", "bigint", "numeric", "decimal", "real", "double precision", "float4",
        "float8", "boolean", "bool", "timestamptz", "timestamp", "timestamp with time zone",
        "timestamp without time zone", "date", "time", "timetz", "interval", "json", "jsonb", "bytea", "inet",
        "cidr", "xid8", "serial", "bigserial", "smallserial",
    }
)  # fmt: skip
_SERIAL = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}


def column_type(declared: str, where: str) -> str:
    """A declared column type checked against the PostgreSQL types the export writes; one clear error if not."""
    text = " ".join(declared.strip().lower().split())
    match = _TYPE.match(text)
    if not match or match.group("base").strip() not in KNOWN_TYPES:
        raise InputError(
            f"{where}: column type '{declared}' is not a PostgreSQL type the SQL export knows; use one of "
            "text, varchar(n), uuid, integer, bigint, numeric(p,s), boolean, timestamptz, date, interval, jsonb, "
            "bytea"
        )
    base = match.group("base").strip()
    if base in _SERIAL:  # a sequence default belongs to identity columns, which the export writes itself
        base = _SERIAL[base]
    return base + (match.group("size") or "").replace(" ", "") + (match.group("array") or "")


@dataclass
class EventStorePlan:
    """The event-store tables of one service and the column playing each role (tests and docs read these)."""

    events: Table
    snapshots: Table | None
    roles: dict[str, str]
    append_only_function: str
    append_only_trigger: str
    hash_partitions: int | None
    skipped: list[str] = field(default_factory=list)  # what the design asks that these tables do not do


def is_event_sourced(design: Design, service: Service) -> bool:
    """The service keeps its state as events: it says so (or the design does) and it has state to keep."""
    if service.publishing == "event_store":
        return True
    flag = service.event_sourced if service.event_sourced is not None else design.style.event_sourcing
    return bool(flag and service.aggregates)


def _hash_partitions(text: str) -> int | None:
    lowered = text.lower()
    count = re.search(r"(\d{1,4})\s*(?:hash\s+)?partitions?", lowered)
    if "hash" in lowered and count and 2 <= int(count.group(1)) <= 1024:
        return int(count.group(1))
    return None


def _asks_for_table_partitions(text: str) -> bool:
    """The text asks for table partitions, not only for streams keyed by aggregate (the usual 'by aggregate_id')."""
    lowered = text.lower()
    return any(word in lowered for word in ("hash", "range", "list", "month", "day", "week", "year", "time", "date"))


def _role_of(name: str) -> str | None:
    lowered = name.lower()
    return next((role for role, names in ROLE_NAMES.items() if lowered in names), None)


def plan_event_store(design: Design, service: Service, schema: str, relations: Namespace) -> EventStorePlan:
    store = design.event_store or EventStore(table=DEFAULT_TABLE)
    declared = {c.name.lower(): c for c in store.columns} if design.event_store else {}
    where = "event_store.columns"
    roles: dict[str, str] = {}
    extras: list[Column] = []
    for column in design.event_store.columns if design.event_store else []:
        declared_type = column_type(column.type, f"{where}.{column.name}")  # checked even where a role decides
        role = _role_of(column.name)
        if role is not None and role not in roles:
            roles[role] = sanitise(column.name)
        else:
            extras.append(Column(sanitise(column.name), declared_type, not column.nullable))
    for role, aliases in ROLE_NAMES.items():
        roles.setdefault(role, aliases[0])
    if not design.event_store or not store.columns:
        extras = [column for key, column in ENVELOPE_COLUMNS.items() if key in design.envelope.fields]
    aggregate_id_column = next((c for n, c in declared.items() if _role_of(n) == "aggregate_id"), None)
    aggregate_id_type = (
        column_type(aggregate_id_column.type, f"{where}.{aggregate_id_column.name}") if aggregate_id_column else "text"
    )
    partitions = _hash_partitions(store.partitioning)
    skipped: list[str] = []
    if partitions is None and _asks_for_table_partitions(store.partitioning):
        skipped.append(
            f"partitioning '{comment_text(store.partitioning)}' is not applied: the export writes hash "
            "partitions on the stream only ('hash, N partitions'); add range partitions with a partition manager"
        )
    table = relations.claim(store.table if design.event_store else DEFAULT_TABLE)
    r = roles
    columns = [
        Column(r["position"], "bigint", identity=True, note="order of all events of this store"),
        Column(r["transaction_id"], "xid8", default="pg_current_xact_id()", note="the appending transaction"),
        Column(r["event_id"], "uuid", note="the envelope's event_id"),
        Column(r["aggregate_type"], "text"),
        Column(r["aggregate_id"], aggregate_id_type, note="the stream"),
        Column(r["version"], "bigint", check=f"{r['version']} >= 1", note="position in the stream, from 1"),
        Column(r["event_type"], "text"),
        Column(r["event_version"], "integer", default="1", check=f"{r['event_version']} >= 1",
               note="schema version of the payload"),
        Column(r["payload"], "jsonb"),
        Column(r["metadata"], "jsonb", default="'{}'::jsonb", note="envelope fields without a column of their own"),
        Column(r["recorded_at"], "timestamptz", default="now()"),
    ]  # fmt: skip
    taken = {c.name for c in columns}
    columns += [c for c in extras if c.name not in taken]
    names = {c.name for c in columns}
    notes = [
        f"Event store of {service.name}: append-only, one row per event, never updated or deleted.",
        f"Partitioning in the design: {comment_text(store.partitioning)}.",
        "Events are kept forever."
        if store.retention_days is None
        else f"Events are kept {store.retention_days:g} days, then archived by an operator job (never by the "
        "application).",
    ]
    stream = (r["aggregate_id"], r["version"])
    uniques: list[tuple[str, tuple[str, ...]]] = []
    primary_key: tuple[str, ...]
    wanted: list[tuple[str, ...]]
    if partitions:
        # A unique constraint of a partitioned table must include the partition key: the stream is the key,
        # the global position stays unique by its identity, and event_id is unique within its stream.
        primary_key, primary_key_name = stream, relations.claim(table, "pkey")
        wanted = [(r["aggregate_id"], r["event_id"])]
        notes.append(
            f"Hash-partitioned on {r['aggregate_id']} into {partitions} partitions, so one stream lives in one "
            f"partition; {r['event_id']} is unique within a stream (a partitioned table cannot enforce more)."
        )
    else:
        primary_key, primary_key_name = (r["position"],), relations.claim(table, "pkey")
        wanted = [stream, (r["event_id"],)]
    for unique in [*wanted, *(tuple(sanitise(c) for c in u) for u in store.unique)]:
        resolved = tuple(_resolve(c, names, roles) or c for c in unique)
        missing = [c for c in resolved if c not in names]
        if missing:
            raise InputError(
                f"event_store.unique: column '{missing[0]}' is not a column of the event store; name one of "
                f"{', '.join(sorted(names))}"
            )
        if partitions and r["aggregate_id"] not in resolved:
            skipped.append(f"unique ({', '.join(resolved)}) is not enforced: it leaves out the partition key")
            continue
        covered = {u for _, u in uniques} | {primary_key}
        if resolved not in covered:
            uniques.append((relations.claim(table, *resolved, "key"), resolved))
    indexes = [
        Index(
            relations.claim(table, "catch_up"),
            (r["transaction_id"], r["position"]),
            note="Catching up: read (transaction_id, global_position) after the last one seen, below the "
            "oldest running transaction.",
        )
    ]
    wanted_indexes = store.indexes if design.event_store else ["correlation_id"]
    leading = {primary_key[0], *(u[0] for _, u in uniques)}
    for spec in wanted_indexes:
        columns_of = [c.strip().strip('"') for c in spec.strip().strip("()").split(",") if c.strip()]
        resolved_index = [_resolve(c, names, roles) for c in columns_of]
        if not columns_of or any(c is None for c in resolved_index):
            skipped.append(f"index '{comment_text(spec)}' is not created: it names no column of the event store")
            continue
        cols = tuple(c for c in resolved_index if c is not None)
        if len(cols) == 1 and cols[0] in leading:
            continue  # the primary key or a unique constraint already leads with it
        if any(existing.columns == cols for existing in indexes):
            continue
        indexes.append(Index(relations.claim(table, *cols, "idx"), cols))
    partition_tables = []
    if partitions:
        width = len(str(partitions - 1))
        for remainder in range(partitions):
            name = relations.claim(table, f"p{remainder:0{width}d}")
            partition_tables.append((name, f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {remainder})"))
    events = Table(
        schema=schema,
        name=table,
        comment=f"Event store of {service.name}: append-only; a stream is one aggregate's events in version order.",
        columns=columns,
        primary_key=primary_key,
        primary_key_name=primary_key_name,
        uniques=uniques,
        indexes=indexes,
        notes=notes,
        partition_by=f"HASH ({r['aggregate_id']})" if partitions else None,
        partitions=partition_tables,
    )
    return EventStorePlan(
        events=events,
        snapshots=_snapshots(design, service, store, schema, relations, aggregate_id_type),
        roles=roles,
        append_only_function=relations.claim(table, "append_only"),
        append_only_trigger=f"{table}_append_only"[:63],
        hash_partitions=partitions,
        skipped=skipped,
    )


def _resolve(name: str, names: set[str], roles: dict[str, str]) -> str | None:
    key = sanitise(name)
    if key in names:
        return key
    role = _role_of(key)
    if role is not None:
        return roles[role]
    alias = INDEX_ALIASES.get(key)
    return alias if alias in names else None


def _snapshots(
    design: Design, service: Service, store: EventStore, schema: str, relations: Namespace, aggregate_id_type: str
) -> Table | None:
    if store.snapshot_table is None:
        return None
    table = relations.claim(store.snapshot_table)
    notes = ["Snapshots: the state of an aggregate at a stream version; loading replays only later events."]
    for name in service.aggregates:
        aggregate = design.aggregate(name)
        if aggregate is None:
            continue
        if aggregate.snapshot_interval_s is not None:
            notes.append(f"{name}: a snapshot every {aggregate.snapshot_interval_s:g} s.")
        elif (aggregate.snapshot_every or store.snapshot_every) is not None:
            notes.append(f"{name}: a snapshot every {aggregate.snapshot_every or store.snapshot_every} events.")
        else:
            notes.append(f"{name}: the design sets no snapshot interval.")
    return Table(
        schema=schema,
        name=table,
        comment=f"Snapshots of {service.name}'s aggregates; the newest one at or below a version is loaded.",
        columns=[
            Column("aggregate_id", aggregate_id_type),
            Column("aggregate_type", "text"),
            Column("version", "bigint", check="version >= 1", note="the last event the state includes"),
            Column("state", "jsonb"),
            Column("state_version", "integer", default="1", note="shape of the state: an older one is ignored"),
            Column("taken_at", "timestamptz", default="now()"),
        ],
        primary_key=("aggregate_id", "version"),
        primary_key_name=relations.claim(table, "pkey"),
        notes=notes,
    )
