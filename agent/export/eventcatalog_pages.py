"""The Markdown bodies and one-line summaries of the catalog's pages.

The frontmatter carries what EventCatalog links and draws; the body carries what an engineer reads before
depending on a resource: who produces and consumes, the partition key and ordering, the consumers' idempotency,
retries and dead letters, the payload and how it may evolve. Every piece of design text is escaped (`text`,
`code`); the only MDX are EventCatalog's built-in components, which need no import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.agent.export.eventcatalog_index import UNASSIGNED_TEAM, CatalogIndex, Message, Team
from archassist.agent.export.eventcatalog_text import (
    badge,
    bullets,
    code,
    first_sentence,
    page,
    plural,
    section,
    table,
    text,
)
from archassist.agent.rules.index import LOG_BROKERS, protocol_family

if TYPE_CHECKING:
    from archassist.agent.contracts.model import Contract
    from archassist.agent.model.design import Consumer

NODE_GRAPH = "<NodeGraph />"
_KIND_WORD = {"events": "event", "commands": "command", "queries": "query"}
_PUBLISHING = {
    "outbox": "transactional outbox: events are written with the state change and relayed to the broker",
    "cdc": "change data capture: the database log is relayed to the broker",
    "event_store": "from its event store: appended events are the published events",
    "direct": "direct dual write: the state change and the publish can disagree after a crash",
    "none": "publishes nothing",
}


def _names(names: list[str]) -> str:
    shown = [code(n) for n in names]
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else "".join(shown)


def _plain(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _days(days: float | None) -> str:
    return "forever" if days is None else f"{days:g} day{'s' if days != 1 else ''}"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def _facts(rows: list[tuple[str, str]]) -> str:
    """Labelled facts as a list; a fact without a value is left out."""
    return bullets(f"**{label}:** {value}" for label, value in rows if value)


# -- teams -------------------------------------------------------------------------------------------------------


def team_summary(index: CatalogIndex, team: Team) -> str:
    if team.id == UNASSIGNED_TEAM:
        return "Stands in as the owner of every part the design names no team for; replace it with the real team."
    return f"Owns {plural(len(team.owns), 'part')} of the design {index.design.name}."


def team_page(index: CatalogIndex, team: Team) -> str:
    lead = (
        "The design names no owning team for these parts. EventCatalog needs an owner for each, so this team "
        "stands in; give each part its real owner in the design and export again."
        if team.id == UNASSIGNED_TEAM
        else f"The team the design {text(index.design.name)} names as {text(team.name)}."
    )
    return page(section("Overview", lead), section("Owns", bullets(text(item) for item in team.owns)))


# -- domains -----------------------------------------------------------------------------------------------------


def domain_summary(index: CatalogIndex, context: str) -> str:
    return f"The {context} bounded context: {_plain(index.domains[context])}."


def domain_page(index: CatalogIndex, context: str) -> str:
    members = index.domains[context]
    rows = []
    for name in members:
        service = index.services[name]
        rows.append([code(name), text(first_sentence(service.description)), _names(list(service.aggregates))])
    sagas = [s for s in index.design.sagas if index.domain_of(s.orchestrator) == context]
    saga_part = bullets(
        f"{code(s.name)}: {plural(len(s.steps), 'step')}"
        + (f", started by {code(s.trigger_event)}" if s.trigger_event else "")
        for s in sagas
    )
    return page(
        section(
            "Overview",
            f"The {text(context)} bounded context of {text(index.design.name)} holds "
            f"{plural(len(members), 'service')}.",
            table(["Service", "Responsibility", "Aggregates"], rows),
        ),
        section("Sagas", saga_part),
        section("Architecture", NODE_GRAPH),
    )


# -- services ----------------------------------------------------------------------------------------------------


def service_summary(index: CatalogIndex, name: str) -> str:
    sent = [m.name for m in index.sent_by(name) if m.collection == "events"]
    if sent:
        return f"Publishes {_plain(sent[:3])}{' and more' if len(sent) > 3 else ''}."
    return f"Service {name} of the design {index.design.name}."


def _retry(consumer: Consumer) -> str:
    retry = consumer.retry
    if retry.max_attempts is None:
        return "retries forever"
    schedule = f"{retry.backoff} backoff from {_ms(retry.initial_delay_ms)}" if retry.backoff != "none" else ""
    if retry.backoff != "none" and retry.max_delay_ms:
        schedule += f" up to {_ms(retry.max_delay_ms)}"
    if retry.jitter and schedule:
        schedule += " with jitter"
    return f"{plural(retry.max_attempts, 'attempt')}" + (f", {schedule}" if schedule else "")


def _idempotency(consumer: Consumer) -> str:
    found = consumer.idempotency
    if found.strategy == "none":
        return "none"
    parts = [found.strategy.replace("_", " ")]
    if found.key:
        parts.append(f"on {code(found.key)}")
    if found.store:
        parts.append(f"in {code(found.store)}")
    if found.ttl_days:
        parts.append(f"kept {_days(found.ttl_days)}")
    return " ".join(parts)


def _consumers(index: CatalogIndex, name: str) -> str:
    rows = []
    for consumer in index.design.consumers:
        if consumer.service != name:
            continue
        dead_letter = code(consumer.dead_letter.topic) if consumer.dead_letter else "none"
        rows.append(
            [
                code(consumer.group or consumer.name),
                _names(consumer.subscriptions),
                _idempotency(consumer),
                text(_retry(consumer)),
                dead_letter,
                str(consumer.concurrency),
            ]
        )
    headers = ["Consumer group", "Reads", "Idempotency", "Retries", "Dead letters", "Concurrency"]
    return table(headers, rows) if rows else ""


def _message_rows(messages: list[Message]) -> list[list[str]]:
    rows = []
    for message in messages:
        channels = _names(message.channels) if message.channels else "synchronous (no topic)"
        rows.append([code(message.name), _KIND_WORD[message.collection], message.version, channels])
    return rows


def service_page(index: CatalogIndex, name: str) -> str:
    design = index.design
    service = index.services[name]
    event_sourced = service.event_sourced if service.event_sourced is not None else design.style.event_sourcing
    facts = _facts(
        [
            ("Bounded context", text(service.bounded_context)),
            ("Owner", text(service.owner) if service.owner.strip() else "not named in the design"),
            ("Database", code(service.database) if service.database else ""),
            ("Publishing", text(_PUBLISHING[service.publishing])),
            ("State", "event-sourced" if event_sourced else ""),
            ("Ingestion", text(service.ingestion or "")),
        ]
    )
    headers = ["Message", "Kind", "Version", "Channels"]
    sends = _message_rows(index.sent_by(name))
    receives = _message_rows(index.received_by(name))
    triggered = [
        f"{code(received)} → {_names([t.message for t in found])}" + (f": {text(found[0].condition)}" if
                                                                       found[0].condition else "")
        for (owner, received), found in index.triggers.items()
        if owner == name
    ]
    projections = [
        [code(p.name), text(p.purpose), _names(p.source_events), text(p.store), p.update_strategy, p.rebuild]
        for p in design.projections
        if p.service == name
    ]
    calls = [
        [code(c.target), text(c.purpose), "yes" if c.on_event_path else "no"] for c in service.sync_calls
    ]
    return page(
        section("Overview", text(service.description) if service.description.strip() else "", facts),
        section("Sends", table(headers, sends) if sends else ""),
        section("Receives", table(headers, receives) if receives else ""),
        section("Reactions", bullets(triggered) if triggered else ""),
        section("Consumers", _consumers(index, name)),
        section(
            "Read models",
            table(["Projection", "Purpose", "Reads", "Store", "Updates", "Rebuild"], projections)
            if projections
            else "",
        ),
        section(
            "Synchronous calls", table(["Calls", "Purpose", "While handling a message"], calls) if calls else ""
        ),
        section("Architecture", NODE_GRAPH),
    )


# -- messages ----------------------------------------------------------------------------------------------------


def message_summary(index: CatalogIndex, message: Message) -> str:
    described = message.event.description if message.event else message.command.description if message.command else ""
    if described.strip():
        return first_sentence(described)
    kind = _KIND_WORD[message.collection]
    by = f" sent by {_plain(message.senders)}" if message.senders else ""
    to = f" to {_plain(message.receivers)}" if message.receivers else ""
    return f"The {message.name} {'reply' if message.is_reply else kind}{by}{to}."


def message_badges(index: CatalogIndex, message: Message, contract: Contract) -> list[dict[str, str]]:
    event = message.event
    badges = []
    if message.collection == "events" and event is not None:
        if message.is_reply:
            badges.append(badge("Reply", "green"))
        else:
            badges.append(badge("Integration event" if event.kind == "integration" else "Domain event", "blue"))
        if event.external:
            badges.append(badge("Published outside the design", "purple"))
    if message.collection != "events" and not message.channels:
        badges.append(badge("Synchronous", "gray"))
    if any(f.classification == "pii" for f in contract.fields):
        badges.append(badge("Personal data", "red"))
    if event is not None and contract.compatibility != "NONE":
        badges.append(badge(f"Compatibility {contract.compatibility}", "gray"))
    return badges


def _payload(contract: Contract) -> str:
    rows = [
        [
            code(f.name),
            f"array of {f.items or 'string'}" if f.type == "array" else f.type,
            "yes" if f.required else "no",
            f.classification.replace("_", " "),
            "" if f.protection == "none" else f.protection.replace("_", " "),
            text(f.description),
        ]
        for f in contract.fields
    ]
    headers = ["Field", "Type", "Required", "Classification", "Protection", "Description"]
    return table(headers, rows) if rows else "The design declares no payload fields."


def message_page(index: CatalogIndex, message: Message, contract: Contract) -> str:
    design = index.design
    event = message.event
    command = message.command
    described = event.description if event else command.description if command else ""
    facts: list[tuple[str, str]] = [
        ("Sent by", _names(message.senders) if message.senders else "no service in the design"),
        ("Received by", _names(message.receivers) if message.receivers else "no service in the design"),
        ("Channels", _names(message.channels) if message.channels else "synchronous (no topic)"),
        ("Partition key", code(contract.partition_key) if contract.partition_key and message.channels else ""),
        ("Ordering", text(contract.ordering_guarantee) if message.channels else ""),
        ("Aggregate", code(contract.aggregate) if contract.aggregate else ""),
    ]
    if command is not None:
        facts += [
            ("Issued by", text(command.issued_by)),
            ("Idempotency key", code(command.idempotency_key) if command.idempotency_key else ""),
            ("Reads before deciding", _names(command.reads) if command.reads else ""),
            ("Consistency", text(command.consistency or "")),
        ]
    if event is not None:
        facts.append(("Compatibility", f"{contract.compatibility}: {text(contract.compatibility_reason)}"))
        if event.expects_reply:
            facts.append(("Reply", "the sender waits for an answer"))
    readers = [f"{r.kind} {code(r.name)}" + (f" in {code(r.service)}" if r.service else "") for r in contract.consumers]
    schema_file = "schema.avsc" if design.style.schema_format == "avro" and event is not None else "schema.json"
    evolution = ""
    if event is not None:
        evolution = page(
            bullets(text(rule) for rule in contract.evolution_rules),
            f"Deprecation window: {contract.deprecation_window_days} days ({text(contract.deprecation_reason)}).",
            ("Upcasters: " + "; ".join(text(u) for u in contract.upcasters) + ".") if contract.upcasters else "",
        )
    return page(
        section("Overview", text(described) if described.strip() else "", _facts(facts)),
        section("Readers", bullets(readers) if readers and message.collection == "events" else ""),
        section("Payload", _payload(contract)),
        section("Envelope", _names([e.name for e in contract.envelope])),
        section("Schema", f'<SchemaViewer file="{schema_file}" />'),
        section("Evolution", evolution),
        section("Assumptions", bullets(text(a) for a in contract.assumptions) if contract.assumptions else ""),
        section("Architecture", NODE_GRAPH),
    )


# -- channels ----------------------------------------------------------------------------------------------------


def channel_summary(index: CatalogIndex, topic_name: str) -> str:
    topic = index.topics[topic_name]
    carried = [m.name for m in index.messages_on(topic_name)]
    if carried:
        shown = _plain(carried[:4]) + (" and more" if len(carried) > 4 else "")
        return f"Carries {shown}."
    if topic is not None and topic.purpose in ("dead_letter", "retry"):
        return f"{'Dead-letter' if topic.purpose == 'dead_letter' else 'Retry'} topic {topic_name}."
    return f"Topic {topic_name}; the design puts no message on it."


def channel_page(index: CatalogIndex, topic_name: str) -> str:
    topic = index.topics[topic_name]
    messages = index.messages_on(topic_name)
    rows = [
        [code(m.name), _KIND_WORD[m.collection], m.version, _names(m.senders), _names(m.receivers)] for m in messages
    ]
    settings = ""
    capacity = ""
    if topic is None:
        settings = "The design names this topic on a message but does not declare it, so it has no settings here."
    elif protocol_family(index.design.style.broker) not in LOG_BROKERS:
        # partitions, replicas and retention are a log's settings; a queue or a socket has none of them
        settings = _facts(
            [
                ("Purpose", topic.purpose.replace("_", " ")),
                ("Peak rate", f"{topic.throughput_eps:g} events/s" if topic.throughput_eps is not None else ""),
            ]
        )
    else:
        settings = _facts(
            [
                ("Purpose", topic.purpose.replace("_", " ")),
                ("Partitions", str(topic.partitions) if topic.partitions is not None else "not sized"),
                ("Partition key", code(topic.partition_key) if topic.partition_key else ""),
                ("Replication factor", str(topic.replication_factor or "")),
                ("Min in-sync replicas", str(topic.min_insync_replicas or "")),
                ("Retention", _days(topic.retention_days)),
                ("Cleanup policy", topic.cleanup_policy),
                ("Compression", text(topic.compression)),
                ("Peak rate", f"{topic.throughput_eps:g} events/s" if topic.throughput_eps is not None else ""),
                ("History beyond retention", text(topic.replay_source or "")),
            ]
        )
        if topic.capacity is not None and topic.capacity.derivation:
            capacity = f"Partition count: {text(topic.capacity.derivation)}."
    feeding = [code(c.group or c.name) for c in index.failed_into.get(topic_name, [])]
    return page(
        section("Overview", settings, capacity),
        section("Messages", table(["Message", "Kind", "Version", "Sent by", "Received by"], rows) if rows else ""),
        section("Written by consumers", ("Failed messages of " + _names(feeding) + ".") if feeding else ""),
        section("Channel", "<ChannelInformation />"),
        section("Architecture", NODE_GRAPH),
    )


# -- entities and containers -------------------------------------------------------------------------------------


def entity_summary(index: CatalogIndex, name: str) -> str:
    service = index.aggregates.get(name)
    return f"Aggregate of {service}." if service else f"Aggregate {name}."


def entity_page(index: CatalogIndex, name: str) -> str:
    aggregate = index.design.aggregate(name)
    if aggregate is None:
        return page(section("Overview", f"The design names the aggregate {code(name)} but does not describe it."))
    snapshot = ""
    if aggregate.snapshot_every:
        snapshot = f"every {aggregate.snapshot_every} events"
    elif aggregate.snapshot_interval_s:
        snapshot = f"every {aggregate.snapshot_interval_s:g} s"
    facts = _facts(
        [
            ("Service", code(aggregate.service)),
            ("Identity", code(aggregate.id_field)),
            ("Handles", _names(aggregate.commands)),
            ("Records", _names(aggregate.events)),
            ("Snapshots", snapshot),
            ("Typical stream length", f"{aggregate.expected_stream_length} events" if aggregate.expected_stream_length
             is not None else ""),
        ]
    )
    return page(
        section("Overview", facts),
        section("Invariants", bullets(text(i) for i in aggregate.invariants) if aggregate.invariants else ""),
    )


def container_summary(index: CatalogIndex, database: str) -> str:
    return f"Database of {_plain(index.databases[database])}."


def container_page(index: CatalogIndex, database: str) -> str:
    design = index.design
    writers = index.databases[database]
    holds: list[str] = []
    store = design.event_store
    if store is not None and any(
        (index.services[w].event_sourced if index.services[w].event_sourced is not None else design.style.event_sourcing)
        for w in writers
    ):
        holds.append(f"the event store table {code(store.table)}")
        if store.snapshot_table:
            holds.append(f"snapshots in {code(store.snapshot_table)}")
    prefix = f"{database}."
    for consumer in design.consumers:
        kept = consumer.idempotency.store or ""
        if kept.startswith(prefix):
            entry = f"the processed-message table {code(kept[len(prefix):])} of {code(consumer.group or consumer.name)}"
            if entry not in holds:
                holds.append(entry)
    for saga in design.sagas:
        if (saga.state_store or "").startswith(prefix):
            holds.append(f"the state of saga {code(saga.name)} in {code((saga.state_store or '')[len(prefix):])}")
    if any(index.services[w].publishing == "outbox" for w in writers):
        holds.append("the transactional outbox")
    return page(
        section("Overview", f"Written by {_names(writers)}."),
        section("Holds", bullets(holds) if holds else ""),
    )
