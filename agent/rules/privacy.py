"""EDA91x: personal data in events is marked and protected, so it can be found, secured and erased."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from archassist.agent.model.design import Design, Event
from archassist.agent.rules.base import Violation, rule
from archassist.agent.rules.index import DesignIndex
from archassist.agent.rules.words import split_words, word_set

# A field is personal when its name ends in one of these (the head noun of the name decides what it holds).
PII_LAST_WORDS = word_set(
    """
    address birth birthdate birthday cvv dob email firstname fullname iban lastname msisdn passport
    phone postcode ssn surname telephone
    """
)
PII_LAST_PAIRS = frozenset(
    {
        ("address", "line"),
        ("birth", "date"),
        ("card", "number"),
        ("customer", "name"),
        ("family", "name"),
        ("first", "name"),
        ("full", "name"),
        ("given", "name"),
        ("last", "name"),
        ("license", "number"),
        ("licence", "number"),
        ("mobile", "number"),
        ("national", "id"),
        ("passport", "number"),
        ("phone", "number"),
        ("social", "security"),
        ("tax", "id"),
        ("zip", "code"),
    }
)
PROTECTIONS = ("encrypted", "crypto_shredding", "tokenized", "hashed")


@lru_cache(maxsize=65536)
def looks_personal(field_name: str) -> bool:
    words = tuple(w for w in split_words(field_name) if not w.isdigit())
    if not words:
        return False
    return words[-1] in PII_LAST_WORDS or words[-2:] in PII_LAST_PAIRS


@rule("EDA911", "pii-unprotected", severity="error")
def pii_unprotected(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A field marked as personal data has no protection.

    Why: Events are copied to every consumer, every replica and every backup, and kept for days or forever. Personal
    data in clear text there cannot be erased on request (GDPR's right to erasure) and leaks with any of those
    copies.

    Anti-pattern: `{name: customer_email, pii: true, protection: none}`.

    Fix: Encrypt the field with a per-subject key and delete the key to erase it (crypto-shredding), tokenize it,
    or hash it when only equality checks are needed.
    """
    for position, event in enumerate(design.events):
        for number, payload_field in enumerate(event.fields):
            if payload_field.pii and payload_field.protection == "none":
                yield Violation(
                    f"/events/{position}/fields/{number}/protection",
                    f"personal field '{payload_field.name}' of '{event.name}' is unprotected",
                    f"set protection to one of {', '.join(PROTECTIONS)} (crypto_shredding allows erasure)",
                )


@rule("EDA912", "pii-unmarked", severity="warning")
def pii_unmarked(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """A field looks like personal data (email, phone, address, birth date, passport...) but is not marked `pii`.

    Why: Unmarked personal data escapes every control built on the marking: encryption, masking in logs, erasure
    requests and data-protection reviews. Marking is cheap; finding the field after an incident is not.

    Anti-pattern: `{name: customer_email, type: string}` without `pii: true`.

    Fix: Mark the field `pii: true` and give it a protection; if it is not personal (a support mailbox), rename it
    or suppress this finding with a reason.
    """
    for position, event in enumerate(design.events):
        for number, payload_field in enumerate(event.fields):
            if not payload_field.pii and looks_personal(payload_field.name):
                yield Violation(
                    f"/events/{position}/fields/{number}/pii",
                    f"field '{payload_field.name}' of '{event.name}' looks like personal data but is not marked pii",
                    "set pii: true and a protection (e.g. crypto_shredding)",
                )


def _is_personal_field(event: Event, name: str) -> bool:
    return looks_personal(name) or any(f.pii for f in event.fields if f.name == name)


@rule("EDA913", "pii-partition-key", severity="warning")
def pii_partition_key(design: Design, index: DesignIndex) -> Iterator[Violation]:
    """An event is partitioned by a personal field.

    Why: Keys are stored in clear text, logged by brokers and tools, and kept by compaction; a key cannot be
    encrypted away or crypto-shredded without breaking partitioning. A key such as an email address leaks
    personal data everywhere the topic goes.

    Anti-pattern: `{name: CustomerRegistered, partition_key: email}`.

    Fix: Key by an opaque identifier (`customer_id`) and keep the personal value, protected, in the payload.
    """
    for position, event in enumerate(design.events):
        key = index.partition_key_of(position)
        if key and _is_personal_field(event, key):
            yield Violation(
                f"/events/{position}/partition_key",
                f"event '{event.name}' is keyed by personal field '{key}'",
                "key by an opaque id such as customer_id",
            )
