"""What a word that stands for something else refers to: relative pronouns, "one", a bare "each", "let X do".

- "the dispatcher offers it to the nearest driver, who accepts": "who" is the noun right before it (the driver),
  not the subject of the sentence nor its object;
- "each is checked", "a suspicious one sends ...": a subject with no noun of its own is the thing just named;
- "lets the offer time out": a causative verb names no fact of its own; the fact is what its object does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from archassist.agent.planner import inflection

_STAND_INS = frozenset({"one", "it", "ones"})
_CAUSATIVES = frozenset({"let", "have", "make"})
_PARTICLES = frozenset({"out", "up", "off", "back", "in", "down"})


class _Texted(Protocol):
    text: str


def stands_for_last_object(words: list[str], phrase: str, determiners: frozenset[str]) -> bool:
    """A subject with no noun of its own: "each", "a suspicious one", "it"."""
    if not phrase:
        return all(w in determiners for w in words)
    return bool(words) and words[-1] in _STAND_INS


def antecedent(
    clauses: Sequence[_Texted], index: int, last_object: str | None, prepositions: frozenset[str],
    determiners: frozenset[str],
) -> str:
    """The noun a relative clause refers to: the noun phrase that ends the clause before it (after its last
    preposition or finite verb), else the last object named."""
    from archassist.agent.planner.knowledge import lexicon
    from archassist.agent.planner.storming import _noun_phrase

    if index == 0:
        return last_object or ""
    words = clauses[index - 1].text.split()
    at = max((i for i, w in enumerate(words) if w in prepositions or _finite(w)), default=None)
    if at is not None and at + 1 < len(words):
        found = _noun_phrase([w for w in words[at + 1 :] if w not in determiners], lexicon())
        if found:
            return found
    return last_object or ""


def _finite(word: str) -> bool:
    lemma = inflection.verb_lemma(word)
    return lemma is not None and lemma != word and word.endswith(("s", "ed")) and not inflection.is_dictionary_noun(word)


def _person(noun: str, parties: list[str]) -> bool:
    """A party the lexicon knows, or an agent noun ("engineer", "inspector", "pharmacist")."""
    return noun in parties or (noun.endswith(("er", "or", "ist", "ian")) and inflection.is_dictionary_noun(noun))


def double_object(words: list[str], determiners: frozenset[str], parties: list[str]) -> tuple[list[str], list[str]] | None:
    """ "sends the cardholder a push notification" -> (["the", "cardholder"], ["a", "push", "notification"])."""
    for k in range(1, len(words)):
        if words[k] in determiners and words[k - 1] not in determiners:
            first = [w for w in words[:k] if w not in determiners]
            if first and _person(inflection.noun_lemma(first[-1]), parties):
                return words[:k], words[k:]
            return None
    return None


def causative(lemma: str, rest: list[str], determiners: frozenset[str]) -> tuple[str, list[str]] | None:
    """ "let the offer time out" -> ("time out", ["the", "offer"]): the verb and the object that does it."""
    if lemma not in _CAUSATIVES or len(rest) < 3 or rest[0] not in determiners:
        return None
    for j in range(2, len(rest)):
        word = rest[j]
        after = rest[j + 1] if j + 1 < len(rest) else None
        if inflection.verb_lemma(word) == word and (after is None or after in _PARTICLES):
            verb = f"{word} {after}" if after else word
            return verb, rest[:j] + rest[j + 2 if after else j + 1 :]
    return None
