"""EDA2xx: every event is a contract: it has an envelope, a version, an owner, a producer and a sensible size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from archassist.agent.model.design import STANDARD_ENVELOPE, Design
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import BROKERS, DesignIndex

MAX_EVENT_BYTES = 256 * 1024

# Spellings that mean the same envelope field (snake, camel and CloudEvents attribute names).
_ENVELOPE_SYNONYMS: dict[str, frozenset[str]] = {
    "event_id": frozenset({"eventid", "id", "messageid"}),
    "event_type": frozenset({"eventtype", "type"}),
    "aggregate_id": frozenset({"aggregateid", "subject", "streamid", "entityid"}),
    "timestamp": frozenset({"timestamp", "time", "occurredat"}),
    "version": frozenset({"version", "schemaversion", "eventversion", "dataschema"}),
    "correlation_id": frozenset({"correlationid"}),
    "causation_id": frozenset({"causationid"}),
}


def _normal(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def missing_envelope_fields(fields: list[str]) -> list[str]:
    present = {_normal(f) for f in fields}
    return [std for std in STANDARD_ENVELOPE if not (_ENVELOPE_SYNONYMS[std] & present)]


@rule("EDA201", "envelope-incomplete", severity="error")
def envelope_incomplete(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """The event envelope lacks a standard field (event id, type, aggregate id, timestamp, version, correlation id,
    causation id).

    Why: The envelope is what lets any consumer handle any event safely: the event id makes deduplication
    possible, the aggregate id and version give ordering and optimistic concurrency, the timestamp supports
    replay and auditing, and the correlation and causation ids let you trace a business flow across services.
    A missing field is usually discovered only during an incident.

    Anti-pattern: `envelope: {fields: [event_id, event_type, timestamp]}`, or an event overriding the envelope
    with `envelope: [event_id, payload]`.

    Fix: Carry all seven standard fields on every event (`design.envelope.fields`); if an event overrides the
    envelope, its list must still include them.
    """
    missing = missing_envelope_fields(design.envelope.fields)
    if missing:
        yield Violation(
            "/envelope/fields",
            f"the envelope lacks {', '.join(missing)}",
            f"add {', '.join(missing)} to envelope.fields",
        )
    for position, event in enumerate(design.events):
        if event.envelope is None:
            continue
        missing = missing_envelope_fields(event.envelope)
        if missing:
            yield Violation(
                f"/events/{position}/envelope",
                f"event '{event.name}' overrides the envelope without {', '.join(missing)}",
                f"add {', '.join(missing)} to the event's envelope, or drop the override",
            )


@rule("EDA202", "event-version-missing", severity="error")
def event_version_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event has no schema version.

    Why: Schemas change. Without an explicit version, consumers cannot tell which shape they received, old events
    cannot be upcast during replay, and a registry cannot enforce compatibility between releases.

    Anti-pattern: `{name: OrderPlaced, version: null}`.

    Fix: Give every event a version, starting at 1, and raise it with every incompatible change.
    """
    for position, event in enumerate(design.events):
        if event.version is None:
            yield Violation(
                f"/events/{position}/version",
                f"event '{event.name}' has no schema version",
                "set version: 1 (and raise it with each incompatible change)",
            )


@rule("EDA203", "compatibility-mode-missing", severity="warning")
def compatibility_mode_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event declares no schema compatibility mode, or declares NONE.

    Why: The compatibility mode is the promise a producer makes to its consumers when the schema evolves.
    Without one, the registry accepts any change, and a renamed or removed field breaks consumers at run time
    instead of at publish time.

    Anti-pattern: `{name: PaymentCaptured, compatibility: NONE}`.

    Fix: Choose BACKWARD (consumers upgrade first) or FULL for shared integration events, and let the schema
    registry enforce it.
    """
    for position, event in enumerate(design.events):
        if event.compatibility in (None, "NONE"):
            shown = event.compatibility or "no"
            yield Violation(
                f"/events/{position}/compatibility",
                f"event '{event.name}' has {shown} compatibility mode; schema changes are unchecked",
                "set compatibility: BACKWARD (or FULL for widely shared events)",
            )


@rule("EDA204", "event-owner-missing", severity="warning")
def event_owner_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event has no owner.

    Why: Someone must decide how an event evolves, answer consumers' questions and approve breaking changes.
    Events without an owner drift: fields are added ad hoc and nobody can say whether a change is safe.

    Anti-pattern: `{name: InvoiceIssued, owner: null}`.

    Fix: Name the owning team or bounded context in `owner`, usually the team of the producing service.
    """
    for position, event in enumerate(design.events):
        if not (event.owner or "").strip():
            yield Violation(
                f"/events/{position}/owner",
                f"event '{event.name}' has no owner",
                "set owner to the team or bounded context that produces the event",
            )


@rule("EDA205", "event-producer-missing", severity="error")
def event_producer_missing(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event has no producer: neither `producer` nor any service's `publishes` names it.

    Why: An event nobody publishes is either dead documentation or a sign that the flow is incomplete; consumers
    waiting for it will wait forever.

    Anti-pattern: `{name: ShipmentDispatched, producer: null}` with no service publishing it.

    Fix: Set `producer` to the service that records the fact, and list the event in that service's `publishes`.
    """
    for position, event in enumerate(design.events):
        if not index.producers.get(event.name):
            yield Violation(
                f"/events/{position}/producer",
                f"event '{event.name}' has no producer",
                "set producer to the service that owns the fact and add the event to its publishes",
            )


@rule("EDA206", "event-multiple-producers", severity="warning")
def event_multiple_producers(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is published by more than one service.

    Why: An event is a fact about one aggregate, recorded by the service that owns it. Two producers mean two
    sources of truth for the same fact, conflicting schema changes, and no single place to order the stream.

    Anti-pattern: both `order-service` and `checkout-service` list `OrderPlaced` in `publishes`.

    Fix: Keep one producer; let the other service send a command to it, or publish its own, differently named
    event.
    """
    for position, event in enumerate(design.events):
        producers = index.producers.get(event.name, set())
        if len(producers) > 1:
            yield Violation(
                f"/events/{position}/producer",
                f"event '{event.name}' is published by {len(producers)} services: {', '.join(sorted(producers))}",
                "keep one producing service; others send it a command or publish their own event",
            )


@rule("EDA207", "event-payload-too-large", severity="warning", protocols=BROKERS)
def event_payload_too_large(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event carries binary data or is expected to exceed about 256 KiB.

    Why: Brokers are tuned for small messages (Kafka's default limit is 1 MB); large events slow every consumer,
    inflate storage and replication, and fail outright when they cross the broker's limit.

    Anti-pattern: `{name: DocumentUploaded, fields: [{name: content, type: bytes}]}`.

    Fix: Use a claim check: store the content in object storage and put its URI, size and checksum in the event.
    """
    for position, event in enumerate(design.events):
        if event.estimated_size_bytes is not None and event.estimated_size_bytes > MAX_EVENT_BYTES:
            yield Violation(
                f"/events/{position}/estimated_size_bytes",
                f"event '{event.name}' is expected to be {event.estimated_size_bytes / 1024:.0f} KiB, "
                f"over {MAX_EVENT_BYTES // 1024} KiB",
                "store the bulk in object storage and send a reference (claim check)",
            )
        for number, payload_field in enumerate(event.fields):
            if payload_field.type == "bytes" or payload_field.items == "bytes":
                yield Violation(
                    f"/events/{position}/fields/{number}/type",
                    f"event '{event.name}' carries binary field '{payload_field.name}'",
                    "store the bytes in object storage and send a uri, size and checksum (claim check)",
                )


def _is_identifier(name: str) -> bool:
    return name.lower() in ("id", "uuid") or name.lower().endswith("_id") or name.endswith(("Id", "ID"))


@rule("EDA208", "event-payload-thin", severity="info")
def event_payload_thin(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event carries nothing beyond an identifier.

    Why: An event that only says "order 42 changed" forces every consumer to call back the producer for the
    details, which couples them at run time, multiplies load on the producer, and races with later changes.

    Anti-pattern: `{name: OrderUpdated, fields: [{name: order_id, type: uuid}]}`.

    Fix: Carry the facts consumers need (what changed and the values that matter), while keeping the event
    small; split a vague "Updated" event into specific facts.
    """
    for position, event in enumerate(design.events):
        if not event.fields:
            yield Violation(
                f"/events/{position}/fields",
                f"event '{event.name}' declares no payload fields",
                "declare the fields consumers need to act without calling back",
            )
        elif len(event.fields) == 1 and _is_identifier(event.fields[0].name):
            yield Violation(
                f"/events/{position}/fields",
                f"event '{event.name}' carries only '{event.fields[0].name}'",
                "add the facts that changed so consumers need not call the producer back",
            )


# ---- against a baseline -------------------------------------------------------------------------------------------

# The deployed design that `archassist review NEW --baseline OLD` compares with. A rule sees one design, so the
# baseline travels beside it for the duration of one review; without one, the rules below have nothing to say.
_BASELINE: ContextVar[Design | None] = ContextVar("archassist_review_baseline", default=None)

# Rules that only report when a baseline is given; their failing cases live in tests/test_contract_diff.py.
BASELINE_RULES = frozenset({"EDA209"})


@contextmanager
def review_baseline(design: Design | None) -> Iterator[None]:
    """Review against ``design`` inside the block (None: no baseline)."""
    token = _BASELINE.set(design)
    try:
        yield
    finally:
        _BASELINE.reset(token)


@rule("EDA209", "breaking-change-without-version-bump", severity="error")
def breaking_change_without_version_bump(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event's contract changed incompatibly since the baseline design, and its version stayed the same.

    Why: Consumers and the schema registry tell contract versions apart by number. A breaking change (a removed
    or retyped field, a new required field, a rename) published under the old version reaches consumers that
    still expect the old shape: deserialization fails, or worse, succeeds with missing data, and replays of the
    topic mix two shapes under one version. Checked only when a review is given the deployed design with
    `--baseline`.

    Anti-pattern: removing the required `amount` from `PaymentCaptured` and keeping `version: 1`.

    Fix: Make the change compatible under the event's compatibility mode (optional fields with defaults), or
    raise the version and follow the breaking-change procedure: a new subject, dual publishing during the
    deprecation window, an upcaster for old events, and the consumers listed by `archassist contract diff`.
    """
    baseline = _BASELINE.get()
    if baseline is None:
        return
    from archassist.agent.contracts.diff import diff

    for change in diff(baseline, design).unannounced_breaks:
        name = f"{change.event}' (now '{change.new_name}" if change.new_name else change.event
        readers = sorted({r.service or r.name for r in change.readers})
        who = f"; it is read by {', '.join(readers)}" if readers else ""
        what = "; ".join(change.changes)
        yield Violation(
            f"/events/{change.new_position}/version" if change.new_position is not None else "/events",
            f"event '{name}' changed incompatibly under {change.mode} ({what}) but keeps version "
            f"{change.old_version}{who}",
            f"raise '{change.new_name or change.event}' to version {(change.old_version or 1) + 1} and follow the breaking-change procedure "
            "(`archassist contract diff` lists who to coordinate with), or make the change compatible",
        )
