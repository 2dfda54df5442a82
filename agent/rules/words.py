"""Small word tools the naming, coupling and privacy rules share: splitting names and telling verb forms apart."""

from __future__ import annotations

import re
from functools import lru_cache

from archassist.agent.rules.verb_forms import irregular_past_words, past_forms

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block, which reads better than a long list."""
    return frozenset(text.split())


# Words that name plumbing rather than a business domain (EDA306 on topic names; the planner's context names).
TECHNICAL_WORDS = word_set(
    """
    app backend broker bus cdc change changes common data database db default generic in input internal
    kafka kinesis misc mq nats out output pulsar queue rabbitmq service sns sqs stream streams svc
    system table temp test tmp topic
    """
)


# Past participles that do not end in -ed.
IRREGULAR_PAST = word_set(
    """
    agreed begun bid bought bound broadcast brought built burnt caught chosen cleared clung come cost
    cut dealt decreed done drawn driven dug eaten fallen fed felt fled flown forbidden forecast forgiven
    forgotten found freed frozen given gone got gotten ground grown guaranteed held heard hidden hit
    hung kept knit known laid led left lent let lit lost made meant met overdrawn overridden overrun
    paid put quit read rebuilt rebound refereed reset rewritten rid risen run said sat seen sent set
    shaken shed shot shown shut slid sold sought spat spent split spoken spread spun stolen stood struck
    stuck stung sung sunk sworn swung taken taught thought thrown told torn undone understood upheld
    upset withdrawn withheld won worn wound woven written
    """
)

# Past participles spelt like the verb itself: after an imperative verb they are read as nouns ("PlaceBid").
SAME_AS_VERB = word_set(
    """
    bid broadcast cost cut forecast hit knit let put quit read reset rid run set shed shut split spread
    upset
    """
)

# Words ending in -ed that are not past participles.
NOT_PAST = word_set(
    """
    bed bleed breed creed deed embed feed greed heed hundred naked need red reed seed shred sled speed
    steed weed wicked
    """
)

# Verbs a command (or a mis-named event) typically starts with.
IMPERATIVE_VERBS = word_set(
    """
    accept activate add adjust allocate apply approve archive assign authorise authorize begin block
    book calculate call cancel capture change charge check close compute confirm create deactivate debit
    decline delete deliver deposit disable dispatch do emit enable end enroll escalate execute export
    fetch finalize finish flag generate get grant handle hold import initiate invite invoke issue launch
    load lock log make mark modify notify open pay perform place post print process publish read record
    refund register reject release remove request reserve reset resolve restore resume retry return
    reverse revoke rollback run save schedule send set settle ship start stop store submit subscribe
    suspend sync synchronise synchronize track transfer trigger unblock unlock unsubscribe update upload
    validate verify void withdraw write
    """
)

# Last words that mark a message as a request rather than a fact.
REQUEST_NOUNS = frozenset({"command", "cmd", "request", "instruction"})

# Words that state a reached state without a verb: "ItemOutOfStock", "DriverOnline", "HoldReadyForPickup".
STATE_WORDS = word_set(
    """
    available due empty full idle ineligible eligible late offline online overdue ready stale unavailable
    """
)
STATE_PHRASES: tuple[tuple[str, ...], ...] = (("out", "of"), ("in", "stock"), ("back", "in"), ("on", "hold"))

# First words that are nouns as often as verbs: "Hold", "Run", "Log" start a noun phrase ("HoldReadyForPickup",
# "RunStart", "LogRotation") as readily as an instruction, so they only read as one before a plain object.
NOUN_OR_VERB = word_set(
    """
    book call change check end flag hold issue load lock log mark post print process record release request
    reset return run schedule set start stop store track transfer update
    """
)
# Second words that make such a first word a noun: the pair is a compound noun, not verb + object.
_COMPOUND_HEADS = word_set(
    """
    start started stop end change update request response result status event events info data
    """
)


@lru_cache(maxsize=65536)
def split_words(name: str) -> tuple[str, ...]:
    """The words of a PascalCase, camelCase, snake_case or kebab-case name, lowercased."""
    return tuple(w.lower() for w in _WORD.findall(name))


def is_past_participle(word: str) -> bool:
    """A past participle or simple past form: reserved, held, went, became."""
    word = word.lower()
    if word in IRREGULAR_PAST or word in irregular_past_words():
        return True
    return len(word) > 3 and word.endswith("ed") and word not in NOT_PAST


def states_a_state(words: tuple[str, ...]) -> bool:
    """Names a reached state without a verb: ItemOutOfStock, DriverOnline, LoanOverdue."""
    if any(w in STATE_WORDS for w in words[1:]):
        return True
    return any(words[i : i + len(p)] == p for p in STATE_PHRASES for i in range(1, len(words)))


def has_past_tense_word(name: str) -> bool:
    """States a fact: a past-tense verb (OrderPlaced, DriverWentOnline) or a reached state (ItemOutOfStock)."""
    words = split_words(name)
    return any(is_past_participle(w) for w in words) or states_a_state(words)


def reads_as_command(name: str) -> bool:
    """Starts with an imperative verb and states no past fact, or ends in 'Command' / 'Request'."""
    words = split_words(name)
    if not words:
        return False
    if words[-1] in REQUEST_NOUNS:
        return True
    if words[0] not in IMPERATIVE_VERBS or states_a_state(words):
        return False
    if words[0] in NOUN_OR_VERB and (len(words) == 1 or words[1] in _COMPOUND_HEADS):
        return False
    # "Reset", "Set" or "Run" are past forms too; as a first word they are read as the imperative, and after
    # one ("PlaceBid", "ApplyReset") as nouns.
    return not any(is_past_participle(w) and w not in SAME_AS_VERB for w in words[1:])


def pascal_case(name: str) -> str:
    return "".join(w.capitalize() for w in split_words(name))


def past_participle(verb: str) -> str:
    """The past participle, capitalised: reserve -> Reserved, send -> Sent, hold -> Held, cancel -> Canceled."""
    return past_forms(verb)[1].capitalize()


def as_fact(name: str) -> str | None:
    """The event name for a command-like name: SubmitOrder -> OrderSubmitted; None when there is no verb."""
    words = split_words(name)
    if len(words) < 2 or words[0] not in IMPERATIVE_VERBS:
        return None
    rest: list[str] = []
    for word in words[1:]:
        if word in ("to", "for"):  # "SendEmailToBilling": the addressee is not part of the fact
            break
        if word not in REQUEST_NOUNS:
            rest.append(word)
    rest = rest or list(words[1:])
    return "".join(w.capitalize() for w in rest) + past_participle(words[0])


# Words that say nothing about the fact and are dropped from a suggested event name.
_FILLER = word_set("event events msg info notification payload v")


def fact_name(name: str) -> str:
    """A past-tense event name for a message name without one: serviceChangeEvent -> ServiceChanged,
    PaymentStatus -> PaymentStatusUpdated. Never empty."""
    command = as_fact(name)
    if command:
        return command
    words = [w for w in split_words(name) if w not in _FILLER and not w.isdigit()] or list(split_words(name))
    for position in range(len(words) - 1, -1, -1):
        word = words[position]
        if word in IMPERATIVE_VERBS or past_forms(word)[1] != regular_guess(word):
            rest = words[:position] + words[position + 1 :]
            if rest:
                return "".join(w.capitalize() for w in rest) + past_participle(word)
    return "".join(w.capitalize() for w in words) + "Updated"


def regular_guess(word: str) -> str:
    """What past_forms answers for a word it has no entry for (used to tell known verbs from other words)."""
    from archassist.agent.rules.verb_forms import regular_past

    return regular_past(word)
