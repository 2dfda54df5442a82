"""EDA7xx: an event-sourced design has a trustworthy store, snapshots for long streams, and upcasters for old events.

These rules apply only when `style.event_sourcing` is true.
"""

from __future__ import annotations

from collections.abc import Iterator

from archassist.agent.model.design import Aggregate, Design, Event
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex

SNAPSHOT_MIN, SNAPSHOT_MAX = 100, 500
LONG_STREAM = 100
STREAM_COLUMNS = frozenset({"aggregate_id", "stream_id"})
SEQUENCE_COLUMNS = frozenset({"version", "sequence", "sequence_number", "stream_version"})


@rule("EDA701", "event-store-missing", severity="error")
def event_store_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The design is event-sourced but declares no event store.

    Why: In an event-sourced system the event store is the database: the only source of truth from which every
    aggregate and read model is rebuilt. Leaving it undefined leaves its schema, uniqueness and retention to
    chance.

    Anti-pattern: `style: {event_sourcing: true}` with `event_store: null`.

    Fix: Declare the event store: table, columns, the unique (aggregate_id, version) constraint, indexes and
    snapshot table.
    """
    event_sourced = design.style.event_sourcing or any(s.event_sourced for s in design.services)
    if event_sourced and design.event_store is None:
        yield Violation(
            "/event_store",
            "the design is event-sourced but has no event store",
            "declare event_store with its columns and unique: [[aggregate_id, version]]",
        )


def _is_stream_version_pair(columns: list[str]) -> bool:
    lowered = {c.lower() for c in columns}
    return len(lowered) == 2 and bool(lowered & STREAM_COLUMNS) and bool(lowered & SEQUENCE_COLUMNS)


@rule("EDA702", "event-store-version-not-unique", severity="error")
def event_store_version_not_unique(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The event store does not enforce a unique (aggregate_id, version).

    Why: The unique constraint is the optimistic lock of event sourcing: two writers that loaded the same
    version of an aggregate both try to append version n+1, and exactly one must fail. Without it both succeed
    and the stream holds two contradictory histories.

    Anti-pattern: `event_store: {unique: []}` or a unique constraint on `event_id` alone.

    Fix: `unique: [[aggregate_id, version]]`, and append with the expected version.
    """
    store = design.event_store
    if not design.style.event_sourcing or store is None:
        return
    if not any(_is_stream_version_pair(columns) for columns in store.unique):
        yield Violation(
            "/event_store/unique",
            f"event store '{store.table}' does not enforce unique (aggregate_id, version)",
            "add unique: [[aggregate_id, version]] and append with the expected version",
        )


def _snapshot_every(design: Design, aggregate_snapshot: int | None) -> int | None:
    if aggregate_snapshot is not None:
        return aggregate_snapshot
    return design.event_store.snapshot_every if design.event_store else None


@rule("EDA703", "snapshot-missing", severity="warning")
def snapshot_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event-sourced aggregate with a long (or unknown) stream takes no snapshots.

    Why: Loading an aggregate replays its whole stream. Past a few hundred events, every command pays that cost
    and latency grows with the aggregate's age. Snapshots cap the replay at the last snapshot.

    Anti-pattern: an `Account` aggregate with `expected_stream_length: 5000` and no `snapshot_every`.

    Fix: Snapshot every 100 to 500 events (`snapshot_every: 200`), or state the expected stream length when it is
    short.
    """
    if not design.style.event_sourcing:
        return
    for position, aggregate in enumerate(design.aggregates):
        length = aggregate.expected_stream_length
        if (length is None or length > LONG_STREAM) and _snapshot_every(
            design, aggregate.snapshot_every
        ) is None:
            how_long = "an unknown number of" if length is None else f"about {length}"
            yield Violation(
                f"/aggregates/{position}/snapshot_every",
                f"aggregate '{aggregate.name}' replays {how_long} events on every load and takes no snapshots",
                f"set snapshot_every between {SNAPSHOT_MIN} and {SNAPSHOT_MAX}, or expected_stream_length",
            )


@rule("EDA704", "snapshot-interval-out-of-range", severity="warning")
def snapshot_interval_out_of_range(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A snapshot interval is outside 100 to 500 events.

    Why: Snapshotting very often writes a large state for little saved replay; snapshotting rarely leaves long
    replays. Between about 100 and 500 events the trade-off is good for most aggregates.

    Anti-pattern: `snapshot_every: 5` or `snapshot_every: 10000`.

    Fix: Choose an interval between 100 and 500 and measure load times. A hot aggregate that takes thousands of
    events a second snapshots by time instead (`snapshot_interval_s`), or by count at least once a minute given
    its `events_per_s`; the count range does not apply to it.
    """
    if not design.style.event_sourcing:
        return
    places: list[tuple[str, int | None]] = [
        (f"/aggregates/{position}/snapshot_every", aggregate.snapshot_every)
        for position, aggregate in enumerate(design.aggregates)
        if not _snapshots_by_time(aggregate)
    ]
    if design.event_store is not None:
        places.append(("/event_store/snapshot_every", design.event_store.snapshot_every))
    for pointer, every in places:
        if every is not None and not SNAPSHOT_MIN <= every <= SNAPSHOT_MAX:
            yield Violation(
                pointer,
                f"snapshots every {every} events is outside {SNAPSHOT_MIN}-{SNAPSHOT_MAX}",
                f"set snapshot_every between {SNAPSHOT_MIN} and {SNAPSHOT_MAX}",
            )


# A hot aggregate snapshotting by count still snapshots at least this often, which bounds its replay.
HOT_SNAPSHOT_MAX_S = 60.0


def _snapshots_by_time(aggregate: Aggregate) -> bool:
    """Snapshots by time, or takes events so fast that a large count still means a snapshot a minute."""
    if aggregate.snapshot_interval_s is not None:
        return True
    every, rate = aggregate.snapshot_every, aggregate.events_per_s
    return every is not None and rate is not None and every > SNAPSHOT_MAX and every / rate <= HOT_SNAPSHOT_MAX_S


def missing_upcast_versions(event: Event, limit: int = 100) -> list[int]:
    """Versions below the event's current one that no upcaster chain from version 1 reaches (the first `limit`).

    Works from the versions the upcasters reach, never from the range of all versions, so a version in the
    thousands costs no more than the upcasters themselves.
    """
    target = event.version or 1
    steps: dict[int, set[int]] = {}
    for upcaster in event.upcasters:
        steps.setdefault(upcaster.from_version, set()).add(upcaster.to_version)
    reached, frontier = {1}, [1]
    while frontier:
        version = frontier.pop()
        for following in steps.get(version, ()):
            if following not in reached and following <= target:
                reached.add(following)
                frontier.append(following)
    if target in reached:
        return []
    missing: list[int] = []
    candidate = 2
    for version in sorted(v for v in reached if v >= 2):
        while candidate < version and len(missing) < limit:
            missing.append(candidate)
            candidate += 1
        candidate = version + 1
    while candidate <= target and len(missing) < limit:
        missing.append(candidate)
        candidate += 1
    return missing


@rule("EDA705", "upcaster-chain-incomplete", severity="error")
def upcaster_chain_incomplete(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event at version 2 or later has no upcaster chain from version 1.

    Why: The event store keeps every old event in the shape it was written. Replay reads them all, so each old
    version must be transformed, step by step, into the shape today's code understands.

    Anti-pattern: `{name: OrderPlaced, version: 3, upcasters: [{from_version: 2, to_version: 3}]}` with no
    1 to 2 step.

    Fix: Add an upcaster for each step from version 1 to the current version.
    """
    if not design.style.event_sourcing:
        return
    for position, event in enumerate(design.events):
        if event.version is None or event.version < 2:
            continue
        missing = missing_upcast_versions(event)
        if missing:
            yield Violation(
                f"/events/{position}/upcasters",
                f"event '{event.name}' is at version {event.version} but old events cannot be upcast to "
                f"version {missing[0]}",
                f"add upcasters from version 1 up to {event.version}",
            )


@rule("EDA706", "event-store-deletes-history", severity="error")
def event_store_deletes_history(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The event store of an event-sourced design deletes events after a retention period.

    Why: In event sourcing the events are the state. Deleting them deletes the aggregates they describe and
    makes every rebuild wrong. Old events can be archived to cheaper storage, but not dropped.

    Anti-pattern: `event_store: {retention_days: 90}`.

    Fix: Keep events forever (`retention_days: null`); archive cold streams to cheaper storage, and erase
    personal data by crypto-shredding instead of deleting events.
    """
    store = design.event_store
    if design.style.event_sourcing and store is not None and store.retention_days is not None:
        yield Violation(
            "/event_store/retention_days",
            f"event store '{store.table}' deletes events after {store.retention_days:g} days, and with them the state",
            "keep events forever (retention_days: null) and archive cold streams instead",
        )
