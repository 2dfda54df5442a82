"""Which words of a subject or an object name the thing, and which only qualify it.

A name is a head noun and a modifier or two. What follows the head is a qualifier and never part of the name:
a negated participle ("orders not collected within 3 days"), a participle or an "-ing" form with its own
complement ("a push notification asking to confirm it"), a prepositional phrase ("duplicates from the same
listener") or an embedded question ("shows who sits where"). An adjective after the object is the state the
verb puts it in ("mark the order ready"), so it belongs to the verb. Pronouns that stand for earlier actions
("everything done so far") name nothing at all.
"""

from __future__ import annotations

from collections.abc import Collection

from archassist.agent.planner import inflection

NEGATIONS = frozenset({"not", "never", "no"})
INTERROGATIVES = frozenset({"who", "whom", "whose", "what", "where", "when", "why", "how", "whether"})
# Pronouns for whatever was done before, not for one thing: they cannot name an aggregate.
INDEFINITES = frozenset({"everything", "anything", "nothing", "something", "all", "whatever"})
_KEEP = frozenset({"of"})  # "proof of delivery": "of" joins a noun to its complement inside a name


def head_words(words: list[str], prepositions: frozenset[str]) -> list[str]:
    """The words up to where the name ends: before a negation, an embedded question, a preposition other than "of",
    or a participle that qualifies the noun before it."""
    out: list[str] = []
    for i, w in enumerate(words):
        if w in NEGATIONS or w in INTERROGATIVES:
            break
        if w in prepositions and w not in _KEEP and out:
            break
        if out and _qualifying_verb(w, words[i + 1 : i + 2]):
            break
        out.append(w)
    return out


def _qualifying_verb(word: str, after: list[str]) -> bool:
    """ "a notification asking to confirm", "duplicates seen within a day": a verb form after the noun, with a
    complement of its own, qualifies the noun."""
    if not after or not word.endswith(("ing", "ed")):
        return False
    if inflection.verb_lemma(word) is None or (word.endswith("ing") and inflection.is_dictionary_noun(word)):
        return False  # "booking", "boarding": an -ing form that is a noun too
    return after[0] in {"to", "by", "for", "within", "from", "with", "in", "on", "at", "so", "that", "it", "them"}


def complement(words: list[str], states: Collection[str]) -> tuple[list[str], str | None]:
    """ "the order ready" -> (["the", "order"], "ready"): an adjective after the object is the state it is put in."""
    if len(words) < 2:
        return words, None
    last = words[-1]
    if last in states or (inflection.can_be_adjective(last) and not inflection.can_be_noun(last)):
        return words[:-1], last
    return words, None


def indefinite(words: list[str]) -> bool:
    """ "everything done so far": the phrase stands for earlier actions, not for a thing."""
    content = [w for w in words if w not in {"the", "a", "an"}]
    if not content:
        return False
    return content == ["all"] or (content[0] in INDEFINITES and content[0] != "all")
