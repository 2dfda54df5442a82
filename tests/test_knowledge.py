"""Integrity of the curated knowledge base (knowledge/domains/*.yaml and knowledge/patterns.yaml).

The planner turns this data directly into designs, so every cross-reference must resolve and every event must
follow the conventions the rules engine enforces on designs. Each check is a small function returning the
problems it finds; the tests run it over the whole catalog and, to prove the check bites, over a deliberately
broken copy.
"""

from __future__ import annotations

import re

import pytest
from archassist.agent.planner.knowledge import Domain, KEvent, KField, domains, patterns

REQUIRED_DOMAINS = {
    "orders", "payments", "inventory", "shipping", "customers", "notifications", "invoicing", "subscriptions",
    "reservations", "ride_trips", "iot_telemetry", "ledger", "insurance_claims", "appointments", "loyalty",
    "returns", "catalog", "fraud", "kyc", "parcel_tracking", "food_delivery", "ad_clicks", "chat",
    "content_moderation", "course_enrollment",
}  # fmt: skip

REQUIRED_PATTERNS = {
    "transactional_outbox", "idempotent_consumer", "saga_orchestration", "saga_choreography", "cqrs_projection",
    "event_sourcing", "event_upcasting", "dead_letter_queue", "retry_with_backoff", "claim_check",
    "competing_consumers", "partition_by_key", "change_data_capture", "strangler_fig",
    "event_carried_state_transfer", "event_notification", "schema_registry", "crypto_shredding",
    "consumer_lag_monitoring", "correlation_causation_ids",
}  # fmt: skip

# Past participles that do not end in -ed.
IRREGULAR_PARTICIPLES = frozenset({
    "sent", "paid", "held", "won", "lost", "written", "built", "given", "taken", "begun", "withdrawn",
    "frozen", "chosen", "drawn", "read", "found", "made", "done", "sold", "bought", "told", "kept", "spent",
    "seen", "known", "shown", "thrown", "driven", "ridden", "overridden", "rewritten", "forgotten",
    "upheld", "undone",
})  # fmt: skip
# Words ending in -ed that are not participles.
NOT_PARTICIPLES = frozenset(
    {"bed", "bleed", "breed", "embed", "feed", "need", "red", "seed", "shred", "speed", "weed"}
)

# Words a user writes in almost any brief; none of them may select a domain on its own.
GENERIC_SYNONYMS = frozenset({
    "system", "systems", "service", "services", "data", "event", "events", "platform", "app", "application",
    "api", "user", "users", "message", "messages", "record", "records", "process", "item", "items",
    "status",
})  # fmt: skip

_PASCAL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_WORDS = re.compile(r"[A-Z][a-z0-9]*")

# Field names that hold personal data: contact details, names of people, birth dates, network and document ids.
# As in English, the last word of a name says what it holds: `email` is personal, `email_count` is not.
_PII_NAME = re.compile(
    r"(^|_)(email|phone|phone_number|mobile_number|msisdn|address|birth|dob|passport|passport_number|ssn|iban|"
    r"postcode|zip_code|document_number|national_id|tax_id)$"
    r"|(^|_)(full|first|last|given|family|middle|display|customer|recipient|guest|client|claimant|patient|"
    r"holder|cardholder|student|rider|driver|member|sender|reviewer|author|bidder)_name$"
    r"|^name$"
)
# Field names that hold money; they must be decimals accompanied by a currency.
_MONEY_NAME = re.compile(r"(^|_)(amount|price|fare|fee|total|balance|cost|deposit)(_|$)")


def words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def is_past_participle(word: str) -> bool:
    word = word.lower()
    if word in IRREGULAR_PARTICIPLES:
        return True
    return len(word) > 3 and word.endswith("ed") and word not in NOT_PARTICIPLES


def is_past_tense_name(name: str) -> bool:
    """An event name ends in a past participle: PaymentCaptured, NotificationSent, AuctionWon."""
    parts = words(name)
    return bool(parts) and is_past_participle(parts[-1])


def looks_pii(field_name: str) -> bool:
    return bool(_PII_NAME.search(field_name))


def looks_money(field: KField) -> bool:
    return bool(_MONEY_NAME.search(field.name)) and "points" not in field.name and field.type in (
        "decimal", "number", "integer", "string",
    )  # fmt: skip


def catalog() -> dict[str, Domain]:
    return domains()


def initiators() -> set[str]:
    return {d.name for d in catalog().values() if d.saga.initiates is not None}


# -- checks: each returns the problems it finds in one domain ------------------------------------------------


def check_names(d: Domain) -> list[str]:
    problems: list[str] = []
    if not _SNAKE.match(d.name):
        problems.append(f"domain name {d.name!r} is not snake_case")
    if not _KEBAB.match(d.service) or not d.service.endswith("-service"):
        problems.append(f"service {d.service!r} is not a kebab-case '*-service' name")
    for a in d.aggregates:
        if not _PASCAL.match(a.name):
            problems.append(f"aggregate {a.name!r} is not PascalCase")
        if not _SNAKE.match(a.id_field):
            problems.append(f"id field {a.id_field!r} of {a.name} is not snake_case")
        if not 1 <= len(a.invariants) <= 3:
            problems.append(f"aggregate {a.name} has {len(a.invariants)} invariants; expected 1 to 3")
        if a.expected_stream_length is None or a.expected_stream_length < 1:
            problems.append(f"aggregate {a.name} has no expected stream length")
    for name in [*(e.name for e in d.events), *(c.name for c in d.commands)]:
        if not _PASCAL.match(name):
            problems.append(f"{name!r} is not PascalCase")
    return problems


def check_events(d: Domain) -> list[str]:
    problems: list[str] = []
    if len(d.events) < 4:
        problems.append(f"{d.name} has {len(d.events)} events; expected at least 4")
    aggregates = {a.name: a for a in d.aggregates}
    for e in d.events:
        if not is_past_tense_name(e.name):
            problems.append(f"event {e.name} does not end in a past participle")
        if e.name.endswith("Requested"):
            problems.append(f"event {e.name} is a request in disguise")
        if not e.description.strip():
            problems.append(f"event {e.name} has no description")
        aggregate = aggregates.get(e.aggregate)
        if aggregate is None:
            problems.append(f"event {e.name} names unknown aggregate {e.aggregate}")
        elif not e.fields or e.fields[0].name != aggregate.id_field:
            problems.append(f"the first field of {e.name} is not its aggregate id {aggregate.id_field}")
        if len(e.fields) < 2:
            problems.append(f"event {e.name} has fewer than 2 fields")
        names = [f.name for f in e.fields]
        if len(names) != len(set(names)):
            problems.append(f"event {e.name} repeats a field name")
        problems.extend(check_fields(e))
    return problems


def check_fields(e: KEvent) -> list[str]:
    problems: list[str] = []
    names = {f.name for f in e.fields}
    for f in e.fields:
        where = f"{e.name}.{f.name}"
        if not _SNAKE.match(f.name):
            problems.append(f"field {where} is not snake_case")
        if f.type == "bytes" or f.items == "bytes":
            problems.append(f"field {where} carries bytes; store the content and send a uri (claim check)")
        if looks_pii(f.name) and not f.pii:
            problems.append(f"field {where} looks like personal data but is not marked pii")
        if f.type == "array" and f.items is None:
            problems.append(f"array field {where} does not declare its item type")
        if f.type != "array" and f.items is not None:
            problems.append(f"field {where} declares items but is not an array")
        if f.name.endswith("_at") and f.type != "timestamp":
            problems.append(f"field {where} ends in _at but is not a timestamp")
        if f.name.endswith("_url") and f.type != "uri":
            problems.append(f"field {where} ends in _url but is not a uri")
        if f.name.endswith("_urls") and (f.type != "array" or f.items != "uri"):
            problems.append(f"field {where} ends in _urls but is not an array of uri")
        if f.name.endswith("_id") and f.type not in ("uuid", "string"):
            problems.append(f"identifier {where} is neither uuid nor string")
        if looks_money(f):
            if f.type != "decimal":
                problems.append(f"money field {where} is {f.type}, not decimal")
            if "currency" not in names:
                problems.append(f"money field {where} has no currency next to it")
    return problems


def check_commands(d: Domain) -> list[str]:
    problems: list[str] = []
    events = {e.name for e in d.events}
    aggregates = {a.name for a in d.aggregates}
    for c in d.commands:
        middle = words(c.name)[1:-1]
        if is_past_tense_name(c.name) or any(w.endswith("ed") and is_past_participle(w) for w in middle):
            problems.append(f"command {c.name} reads like an event")
        if c.aggregate not in aggregates:
            problems.append(f"command {c.name} names unknown aggregate {c.aggregate}")
        if not c.emits:
            problems.append(f"command {c.name} emits nothing")
        for name in c.emits:
            if name not in events:
                problems.append(f"command {c.name} emits {name}, which {d.name} does not define")
    emitted = {name for c in d.commands for name in c.emits}
    for e in d.events:
        if e.name not in emitted:
            problems.append(f"no command of {d.name} emits {e.name}")
    return problems


def check_reactions(d: Domain, everything: dict[str, Domain]) -> list[str]:
    problems: list[str] = []
    own = {e.name for e in d.events}
    for r in d.reacts_to:
        source = everything.get(r.domain)
        if source is None:
            problems.append(f"{d.name} reacts to unknown domain {r.domain}")
        elif r.domain == d.name:
            problems.append(f"{d.name} reacts to its own event {r.event}")
        elif source.event(r.event) is None:
            problems.append(f"{d.name} reacts to {r.domain}.{r.event}, which does not exist")
        if not r.action.strip():
            problems.append(f"{d.name}'s reaction to {r.event} has no action")
        for name in r.emits:
            if name not in own:
                problems.append(f"{d.name}'s reaction to {r.event} emits {name}, not an event of {d.name}")
    for name in d.related:
        if name not in everything or name == d.name:
            problems.append(f"{d.name} is related to unknown domain {name}")
    return problems


def check_projections(d: Domain) -> list[str]:
    problems: list[str] = []
    events = {e.name: e for e in d.events}
    if not 1 <= len(d.projections) <= 2:
        problems.append(f"{d.name} has {len(d.projections)} projections; expected 1 or 2")
    for p in d.projections:
        if not _SNAKE.match(p.name) or not _SNAKE.match(p.key):
            problems.append(f"projection {p.name} or its key {p.key} is not snake_case")
        if not p.source_events:
            problems.append(f"projection {p.name} has no source events")
        for name in p.source_events:
            if name not in events:
                problems.append(f"projection {p.name} reads {name}, not an event of {d.name}")
        carried = {f.name for name in p.source_events if name in events for f in events[name].fields}
        if p.key not in carried:
            problems.append(f"projection {p.name} is keyed by {p.key}, which none of its source events carry")
    return problems


def check_saga(d: Domain, everything: dict[str, Domain]) -> list[str]:
    problems: list[str] = []
    commands = {c.name: c for c in d.commands}
    events = {e.name: e for e in d.events}

    def emits(command: str | None, event: str | None, what: str) -> None:
        if command not in commands:
            problems.append(f"{d.name}: {what} command {command} is not a command of {d.name}")
        elif event not in events:
            problems.append(f"{d.name}: {what} event {event} is not an event of {d.name}")
        elif event not in commands[command].emits:
            problems.append(f"{d.name}: {what} command {command} does not emit {event}")

    init = d.saga.initiates
    if init is not None:
        if init.trigger_event not in events:
            problems.append(f"{d.name}: trigger {init.trigger_event} is not an event of {d.name}")
        emits(init.completion_command, init.completion_event, "completion")
        emits(init.failure_command, init.failure_event, "failure")
        ends = [
            events[n].aggregate
            for n in (init.trigger_event, init.completion_event, init.failure_event)
            if n in events
        ]
        if len(set(ends)) > 1:
            problems.append(
                f"{d.name}: trigger, completion and failure events belong to different aggregates"
            )
        # The planner correlates the saga by the aggregate of the domain's first event.
        if ends and d.events[0].aggregate != ends[0]:
            problems.append(f"{d.name}: the first event must belong to the saga's aggregate {ends[0]}")
        if init.completion_event == init.failure_event:
            problems.append(f"{d.name}: completion and failure events are the same")

    step = d.saga.participates
    if step is not None:
        emits(step.command, step.success_event, "step")
        emits(step.command, step.failure_event, "step")
        if step.success_event == step.failure_event:
            problems.append(f"{d.name}: the step's success and failure events are the same")
        if step.timeout_s <= 0:
            problems.append(f"{d.name}: the step has no positive timeout")
        if not step.action.strip():
            problems.append(f"{d.name}: the step has no action")
        if step.side_effect:
            if not (step.compensation and step.compensation_command and step.compensation_event):
                problems.append(
                    f"{d.name}: a side-effecting step needs compensation, its command and its event"
                )
            else:
                emits(step.compensation_command, step.compensation_event, "compensation")
        elif step.compensation_command or step.compensation_event:
            problems.append(f"{d.name}: a step without side effects declares a compensation")
        starters = {n for n, other in everything.items() if other.saga.initiates is not None}
        for name in step.serves:
            if name not in starters:
                problems.append(f"{d.name}: the step serves {name}, which initiates no workflow")
    return problems


# -- the catalog as a whole ---------------------------------------------------------------------------------


def test_catalog_has_required_domains_and_patterns() -> None:
    assert len(catalog()) >= 25
    assert set(catalog()) >= REQUIRED_DOMAINS
    assert len(patterns()) >= 15
    assert set(patterns()) >= REQUIRED_PATTERNS


@pytest.mark.parametrize("name", sorted(domains()))
def test_domain_integrity(name: str) -> None:
    d = catalog()[name]
    everything = catalog()
    problems = [
        *check_names(d),
        *check_events(d),
        *check_commands(d),
        *check_reactions(d, everything),
        *check_projections(d),
        *check_saga(d, everything),
    ]
    assert not problems, "\n".join(problems)


def test_message_names_are_unique_across_the_catalog() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for d in catalog().values():
        for name in [*(e.name for e in d.events), *(c.name for c in d.commands)]:
            if name in seen:
                clashes.append(f"{name} in {seen[name]} and {d.name}")
            seen[name] = d.name
    assert not clashes, clashes


def test_services_and_aggregates_are_unique() -> None:
    services = [d.service for d in catalog().values()]
    aggregates = [a.name for d in catalog().values() for a in d.aggregates]
    assert len(services) == len(set(services))
    assert len(aggregates) == len(set(aggregates))


def test_synonyms_are_unique_and_specific() -> None:
    owner: dict[str, str] = {}
    problems = []
    for d in catalog().values():
        if not d.synonyms:
            problems.append(f"{d.name} has no synonyms")
        for synonym in d.synonyms:
            key = " ".join(synonym.lower().split())
            if key in GENERIC_SYNONYMS:
                problems.append(f"{d.name}: synonym {synonym!r} is too generic")
            if key in owner and owner[key] != d.name:
                problems.append(f"synonym {synonym!r} belongs to {owner[key]} and {d.name}")
            owner[key] = d.name
    assert not problems, "\n".join(problems)


def test_synonyms_stay_unique_after_stemming() -> None:
    """The brief reader matches stemmed words, so 'payment' and 'payments' are one key: no key may name two domains."""
    brief = pytest.importorskip("archassist.agent.planner.brief")
    owner: dict[tuple[str, ...], str] = {}
    clashes = []
    for d in catalog().values():
        for synonym in (*d.synonyms, d.name.replace("_", " ")):
            key = tuple(brief.stem(w) for w in brief.tokens(synonym))
            if key in owner and owner[key] != d.name:
                clashes.append(f"{synonym!r} of {d.name} matches like a synonym of {owner[key]}")
            owner[key] = d.name
    assert not clashes, clashes


def test_every_initiator_has_a_participant() -> None:
    lonely = []
    for name in initiators():
        served = [
            d.name
            for d in catalog().values()
            if d.saga.participates is not None
            and d.name != name
            and (not d.saga.participates.serves or name in d.saga.participates.serves)
        ]
        if not served:
            lonely.append(name)
    assert not lonely, f"initiators that no participant serves: {lonely}"


def test_known_sagas_have_sensible_step_order() -> None:
    ranks = {n: d.saga.participates.rank for n, d in catalog().items() if d.saga.participates is not None}
    # Screening decides before anything with a side effect; stock is held before money moves; goods ship last.
    assert ranks["fraud"] < ranks["inventory"] < ranks["payments"] < ranks["shipping"]
    screening = catalog()["fraud"].saga.participates
    assert screening is not None and screening.side_effect is False
    expected = {"orders", "subscriptions", "reservations", "ride_trips", "food_delivery", "insurance_claims"}
    assert expected <= initiators()


@pytest.mark.parametrize("name", sorted(patterns()))
def test_pattern_integrity(name: str) -> None:
    p = patterns()[name]
    assert _SNAKE.match(p.name)
    assert p.title.strip() and p.summary.strip()
    assert p.when_to_use and p.tradeoffs
    assert len(p.rules_expect) >= 2, "a pattern must say what a design using it contains"
    assert all(s.strip() for s in [*p.when_to_use, *p.when_not_to_use, *p.tradeoffs, *p.rules_expect])
    unknown = [r for r in p.related_patterns if r not in patterns() or r == name]
    assert not unknown, f"{name} relates to unknown patterns {unknown}"


# -- the checks themselves catch what they claim to catch ---------------------------------------------------


def test_name_helpers() -> None:
    for name in ("PaymentCaptured", "NotificationSent", "AuctionWon", "MessageRead", "ClaimPaid"):
        assert is_past_tense_name(name), name
    for name in ("ReserveStock", "OrderStatus", "PaymentRequest", "StockFeed", "CustomerCheckedIn"):
        assert not is_past_tense_name(name), name
    for field in ("customer_email", "phone_number", "shipping_address", "ip_address", "date_of_birth",
                  "full_name", "document_number", "name"):  # fmt: skip
        assert looks_pii(field), field
    for field in ("product_name", "template", "address_type", "address_id", "email_count", "order_id"):
        assert not looks_pii(field), field


def _broken(name: str, **changes: object) -> Domain:
    return catalog()[name].model_copy(update=changes)


def test_checks_catch_planted_errors() -> None:
    everything = catalog()
    payments = catalog()["payments"]
    first = payments.events[0]

    present_tense = first.model_copy(update={"name": "PaymentAuthorize"})
    assert check_events(_broken("payments", events=[present_tense, *payments.events[1:]]))

    reordered = first.model_copy(update={"fields": [*first.fields[1:], first.fields[0]]})
    assert check_events(_broken("payments", events=[reordered, *payments.events[1:]]))

    unmarked = [
        f.model_copy(update={"pii": False}) if f.pii else f for f in catalog()["customers"].events[0].fields
    ]
    customer_events = catalog()["customers"].events
    assert check_events(_broken("customers", events=[customer_events[0].model_copy(update={"fields": unmarked}),
                                                   *customer_events[1:]]))  # fmt: skip

    binary = first.model_copy(update={"fields": [*first.fields, KField(name="receipt_pdf", type="bytes")]})
    assert check_events(_broken("payments", events=[binary, *payments.events[1:]]))

    assert check_events(_broken("payments", events=payments.events[:3]))

    command = payments.commands[0].model_copy(update={"emits": ["OrderPlaced"]})
    assert check_commands(_broken("payments", commands=[command, *payments.commands[1:]]))

    reaction = payments.reacts_to[0].model_copy(update={"event": "NoSuchEvent"})
    assert check_reactions(_broken("payments", reacts_to=[reaction]), everything)

    step = payments.saga.participates
    assert step is not None
    no_compensation = step.model_copy(update={"compensation_command": None})
    saga = payments.saga.model_copy(update={"participates": no_compensation})
    assert check_saga(_broken("payments", saga=saga), everything)

    wrong_serves = step.model_copy(update={"serves": ["inventory"]})
    saga = payments.saga.model_copy(update={"participates": wrong_serves})
    assert check_saga(_broken("payments", saga=saga), everything)

    projection = payments.projections[0].model_copy(update={"key": "customer_id"})
    assert check_projections(_broken("payments", projections=[projection]))
