"""Where one statement of a sentence ends and the next begins, and how possessives are written before that.

The splitter in clauses.py cuts at commas, "then" and relative pronouns; the rules here say when those cuts are
wrong or missing:

- "merchants' acquirers" is a possessive of a plural ("merchant acquirer"), and "next week's menu" is a time,
  not an owner, so it is no part of the thing's name;
- "the page shows who sits where" and "logged with who made it" are an embedded question, not a relative clause:
  a relative pronoun needs a noun before it to refer to;
- "when the auction closes the winner is charged": a leading condition written without a comma still ends where
  the next subject and its verb begin;
- "runs brackets: teams register, ...": a colon after a full statement (not a title) opens a list of statements.
"""

from __future__ import annotations

import re

_RELATIVE = re.compile(r"\s+(?=(?:that|which|who)\s)")
_CLAUSE_CUT = re.compile(r",\s*(?:and\s+then|then|and|or)?\s*|\s+then\s+|:\s+")
# Nouns of time: "next week's menu", "today's orders" say when, not whose.
_TIME_POSSESSIVE = re.compile(
    r"\b(?:(?:next|last|this|each|every|the|following|previous|same)\s+)?"
    r"(?:day|week|month|quarter|year|season|today|tomorrow|tonight|yesterday|morning|evening|night|weekend)'s\s+"
)
_PLURAL_POSSESSIVE = re.compile(r"\b([a-z][a-z-]*s)'(?=\s|$)")
_PREPOSITIONS = frozenset(
    ["to", "for", "on", "at", "by", "from", "with", "into", "of", "in", "through", "via", "between", "across", "after", "before", "about", "over", "under", "during", "until", "within", "without", "against", "around", "among", "upon"]
)
_DETERMINERS = frozenset({"a", "an", "the", "each", "every", "their", "its", "his", "her", "our", "your", "some", "all"})
_AUX = frozenset({"is", "are", "was", "were", "get", "gets", "got"})


def possessives(text: str) -> str:
    """ "next week's lunch menu" -> "lunch menu"; "merchants' acquirers" -> "merchant acquirers"."""
    from archassist.agent.planner.inflection import noun_lemma

    text = _TIME_POSSESSIVE.sub("", text)
    return _PLURAL_POSSESSIVE.sub(lambda m: noun_lemma(m.group(1)), text)


def parts(sentence: str) -> list[str]:
    """The statements of a sentence: cut at commas, "then", a colon and a relative pronoun that has a noun before it."""
    out: list[str] = []
    verb: str | None = None
    for piece in _CLAUSE_CUT.split(sentence):
        piece, verb = _list_object(piece, verb)
        start = 0
        for m in _RELATIVE.finditer(piece):
            if _refers_back(piece[start : m.start()]):
                out.append(piece[start : m.start()])
                start = m.end()
        out.append(piece[start:])
    return [p.strip() for p in out]


def _list_object(piece: str, verb: str | None) -> tuple[str, str | None]:
    """ "records wins, impressions and clicks": a plural noun alone after "verb + plural object" is another object of
    that verb, so it is read as "records impressions". Returns the piece and the verb a following item would share."""
    from archassist.agent.planner.inflection import is_dictionary_noun, verb_lemma

    words = piece.split()
    nouns = words[0::2]
    if verb and all(w.endswith("s") and is_dictionary_noun(w) for w in nouns) and all(j in ("and", "or") for j in words[1::2]):
        return f"{verb} {piece}", verb
    plural_object = len(words) >= 2 and words[-1].endswith("s") and is_dictionary_noun(words[-1])
    if plural_object and words[-2] not in _DETERMINERS | _PREPOSITIONS and verb_lemma(words[-2]) is not None:
        return piece, words[-2]
    return piece, None


def _refers_back(before: str) -> bool:
    """A relative pronoun refers to the noun before it: not after a preposition, nor right after a verb with no object
    ("the page shows who sits where")."""
    words = before.split()
    if not words or words[-1] in _PREPOSITIONS:
        return False
    content = [w for w in words if w not in _DETERMINERS]
    return not (len(content) == 2 and _finite(content[1]) and not _finite(content[0]))


def _finite(word: str) -> bool:
    from archassist.agent.planner.inflection import verb_lemma

    lemma = verb_lemma(word)
    return lemma is not None and lemma != word and (word.endswith("s") or word.endswith("ed"))


def leading_condition(condition: str) -> tuple[str, str] | None:
    """ "the auction closes the winner is charged" -> ("the auction closes", "the winner is charged"): where the
    statement after a leading condition begins when no comma marks it."""
    from archassist.agent.planner.clauses import _has_verb

    words = condition.split()
    for k in range(2, len(words) - 1):
        if words[k] not in _DETERMINERS or words[k - 1] in _PREPOSITIONS or words[k - 1] in _DETERMINERS:
            continue
        head, tail = " ".join(words[:k]), " ".join(words[k:])
        if _has_verb(head) and _statement(words[k:]) and _has_verb(tail):
            return head, tail
    return None


def _statement(words: list[str]) -> bool:
    """A determiner, a noun or two, then a verb: "the winner is charged", "the shopper proposes a substitute"."""
    from archassist.agent.planner.inflection import verb_lemma

    for i, w in enumerate(words[1:4], start=1):
        if w in _AUX:
            return True
        lemma = verb_lemma(w)
        if lemma is not None and lemma != w and w.endswith("s") and i >= 2 and not words[i - 1].endswith("s"):
            return True
    return False
