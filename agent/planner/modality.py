"""Modal verbs in a brief: what they say about an action, and why they are never part of a name.

"a student may appeal a grade" and "staff can cancel it" name actions that happen some of the time: the modal
goes and the action stays. "orders must be acknowledged within 20 ms", "bids must beat the current high bid"
and "a desk must never be booked twice" state a rule or a requirement the design has to keep: they are read
into requirements and invariants, not stormed as business facts. Either way "must", "may" or "need to" never
end up in an event, a command or a topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archassist.agent.planner import inflection

Modality = Literal["obligation", "possibility"]

_OBLIGATION = frozenset({"must", "should", "shall", "ought"})
_POSSIBILITY = frozenset({"can", "could", "may", "might", "will", "would"})
_NEGATED = frozenset({"cannot", "can't", "won't", "mustn't", "shouldn't", "shan't", "wouldn't", "couldn't"})
# "need to", "has to", "is required to", "are able to": an auxiliary written as a verb and "to".
_PERIPHRASTIC: dict[tuple[str, ...], Modality] = {
    ("need", "to"): "obligation",
    ("needs", "to"): "obligation",
    ("have", "to"): "obligation",
    ("has", "to"): "obligation",
    ("had", "to"): "obligation",
    ("is", "required", "to"): "obligation",
    ("are", "required", "to"): "obligation",
    ("is", "able", "to"): "possibility",
    ("are", "able", "to"): "possibility",
    ("be", "able", "to"): "possibility",
}
_BETWEEN = frozenset({"not", "never", "always", "also", "only", "still", "then", "just", "optionally", "ever"})
NEGATIONS = frozenset({"not", "never"})


@dataclass(frozen=True)
class Reading:
    """A clause's words without their modal, what the modal said, and whether the action is denied."""

    words: list[str]
    modality: Modality | None = None
    negated: bool = False
    verb_at: int | None = None  # where the verb the modal governed now stands

    @property
    def rule(self) -> bool:
        """An obligation or a prohibition: a rule to keep, not an action that happens."""
        return self.modality == "obligation" or self.negated


def _verb_follows(words: list[str], at: int) -> tuple[int, bool] | None:
    """Where the verb after a modal starts (adverbs skipped) and whether a negation came before it."""
    negated = False
    while at < len(words) and words[at] in _BETWEEN:
        negated = negated or words[at] in NEGATIONS
        at += 1
    if at >= len(words):
        return None
    word = words[at]
    if word == "be" or inflection.verb_lemma(word) == word:
        return at, negated
    return None


def read_modality(words: list[str]) -> Reading:
    """The clause with its first modal taken out, when a verb follows it ("must show" -> "show")."""
    for i, word in enumerate(words):
        for phrase, periphrastic in _PERIPHRASTIC.items():
            if tuple(words[i : i + len(phrase)]) == phrase:
                found = _verb_follows(words, i + len(phrase))
                if found is not None:
                    at, negated = found
                    return Reading([*words[:i], *words[at:]], periphrastic, negated, i)
        if word in _OBLIGATION or word in _POSSIBILITY or word in _NEGATED:
            found = _verb_follows(words, i + 1)
            if found is None:
                continue
            at, negated = found
            kind: Modality = "obligation" if word in _OBLIGATION else "possibility"
            return Reading([*words[:i], *words[at:]], kind, negated or word in _NEGATED, i)
    return Reading(words)
