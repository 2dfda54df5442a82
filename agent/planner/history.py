"""Where history lives when the brief keeps it longer than the broker does.

The broker keeps a few days of each topic: enough to ride out an outage and let a consumer catch up. A brief
that keeps history for years ("grades are kept 5 years", "history kept 7 years") asks for a system of record
for that history. Without event sourcing, a sink connector copies every business topic to object storage,
each archived topic names the archive as its replay source, and read models are rebuilt from it. Event
sourcing is chosen elsewhere (audit, replay); this module only covers designs whose state lives in tables.
"""

from __future__ import annotations

from archassist.agent.model.design import Archive, Decision, Requirements, Topic, Tradeoff

ARCHIVE_STORE = "object storage (data lake), written by a sink connector"
ARCHIVE_SOURCE = "archive"
_ARCHIVED_PURPOSES = ("operational", "audit")


def plan_archive(requirements: Requirements, topics: list[Topic]) -> Archive | None:
    """The archive tier a design needs: one when history is kept longer than the longest-lived topic keeps it."""
    retention = requirements.retention_days
    longest = max((t.retention_days or 0 for t in topics if t.purpose != "dead_letter"), default=0)
    if retention is None or retention <= longest:
        return None
    return Archive(
        store=ARCHIVE_STORE,
        retention_days=retention,
        format="parquet",
        source_topics=[t.name for t in topics if t.purpose in _ARCHIVED_PURPOSES],
    )


def archived_topics(topics: list[Topic], archive: Archive | None) -> list[Topic]:
    """The topics, each one the archive copies naming it as where its older history is replayed from."""
    if archive is None:
        return topics
    sources = set(archive.source_topics)
    return [
        t.model_copy(update={"replay_source": ARCHIVE_SOURCE})
        if t.name in sources and not t.replay_source and (t.retention_days or 0) < (archive.retention_days or 0)
        else t
        for t in topics
    ]


def _years(days: float) -> str:
    if days >= 365 and days % 365 == 0:
        years = int(days // 365)
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{days:g} days"


def archive_decision(number: int, archive: Archive, broker_days: float) -> Decision:
    """The decision to keep long history in an archive rather than in the broker or an event store."""
    kept = _years(archive.retention_days) if archive.retention_days else "forever"
    return Decision(
        id=f"D{number}",
        title="Archive topic history to object storage",
        context=(
            f"The brief keeps history for {kept}; topics keep {broker_days:g} days, enough to survive an outage "
            "and let consumers catch up, and the services keep current state in tables, not an event store."
        ),
        decision=(
            f"A sink connector copies every business topic to {archive.format} files in object storage, kept "
            f"{kept}; each archived topic names the archive as its replay source, and read models are rebuilt "
            "from the archive followed by the topic."
        ),
        consequences=(
            "Years of history at object-storage cost, queryable by analytics; a rebuild reads two sources, and the "
            "sink's lag must be monitored so nothing expires from a topic before it is archived."
        ),
        alternatives=[
            f"topic retention of {kept} (tiered storage): one replay source, but the broker becomes the system of "
            "record",
            "event-source the aggregates: the store keeps history, at the cost of event-sourced services",
        ],
        tags=["retention", "archive", "replay"],
    )


def archive_tradeoff() -> Tradeoff:
    return Tradeoff(
        title="History in an archive tier",
        benefit="Long history is cheap to keep and does not grow the broker.",
        cost="A sink connector to run; replays older than the topic's retention read the archive first.",
        mitigation="Alert on sink lag well below the topic retention; rebuild tooling reads archive then topic.",
    )
