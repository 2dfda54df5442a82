"""Splitting a brief into the clauses event storming reads: sentences, list items, conditions and time phrases.

A clause keeps what it says about time ("for 10 minutes", "within 24 hours", "weekly") and its relation to the
clause before it (a list item sharing the subject, a "when"/"if" condition, an "otherwise" branch), so the
storming step can turn it into an action without re-reading the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archassist.agent.planner.boundaries import leading_condition, parts, possessives

_UNIT_S = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
    "month": 2_592_000,
    "year": 31_536_000,
}
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"
_SCHEDULE_WORDS = {"hourly": 3600, "daily": 86400, "nightly": 86400, "weekly": 604800, "monthly": 2_592_000}

_DURATION = re.compile(rf"\bfor\s+(?:up to\s+)?(\d+(?:\.\d+)?)\s*{_UNIT}\b")
_WITHIN = re.compile(rf"\bwithin\s+(\d+(?:\.\d+)?)\s*{_UNIT}\b")
_AFTER_TIME = re.compile(rf"\bafter\s+(?:the\s+)?(\d+(?:\.\d+)?)[\s-]*{_UNIT}\b")
_BEFORE_TIME = re.compile(rf"\b(\d+(?:\.\d+)?)\s*{_UNIT}\s+(?:before|ahead|in advance)\b")
_EVERY = re.compile(rf"\bevery\s+(?:(\d+(?:\.\d+)?)\s*)?{_UNIT}\b")
_SCHEDULE = re.compile(r"\b(hourly|daily|nightly|weekly|monthly)\b")
# "every Friday", "on Mondays": a weekly schedule, not a thing the clause is about
_WEEKDAY = re.compile(r"\b(?:every|each|on)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b")
_AT_TIME = re.compile(r"\bat\s+t\s*\+\s*(\d+)\b")
_DEADLINE = re.compile(r"\bby\s+the\s+(deadline|due date|end date|cut-?off)\b")
_NUMBER_SPAN = re.compile(rf"\b(\d+(?:\.\d+)?)[\s-]*{_UNIT}\b")
# "pick two orders at once": "at once" says how, it opens no condition
_CONDITION = re.compile(r"(?<!\bat )\b(?:only\s+)?(when|whenever|if|unless|once|after|before|until)\s+")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|(?<=[.;!?])$")


def seconds(number: str, unit: str) -> float:
    base = unit.rstrip("s") if unit not in ("secs", "mins", "hrs") else unit[:-1]
    return float(number) * _UNIT_S.get(base, _UNIT_S.get(base.rstrip("s"), 1))


@dataclass
class Clause:
    """One statement of a brief, with the time it names and how it relates to its neighbours."""

    text: str
    sentence: int
    continues: bool = False  # a list item: shares the subject of the clause before it
    joined_by_and: bool = False  # "screen and enroll patients": shares the object of the clause after it
    condition_of: int | None = None  # index of the clause this one is the condition of
    condition_word: str | None = None
    otherwise: bool = False
    duration_s: float | None = None
    within_s: float | None = None
    delay_s: float | None = None
    lead_s: float | None = None
    every_s: float | None = None
    schedule: str | None = None
    deadline: bool = False
    listed: bool = False  # an item of a parenthesised list of things: nouns, not actions
    relative: bool = False  # "orders that are delivered weekly": the subject is the object before
    rated: bool = False  # named a rate ("see 10k bids per second"), now read as the bare noun
    source: str = ""


def _times(clause: Clause) -> None:
    text = clause.text
    if m := _DURATION.search(text):
        clause.duration_s = seconds(m.group(1), m.group(2))
    if m := _WITHIN.search(text):
        clause.within_s = seconds(m.group(1), m.group(2))
    if m := _AFTER_TIME.search(text):
        clause.delay_s = seconds(m.group(1), m.group(2))
    if m := _BEFORE_TIME.search(text):
        clause.lead_s = seconds(m.group(1), m.group(2))
    if m := _EVERY.search(text):
        clause.every_s = seconds(m.group(1) or "1", m.group(2))
        clause.schedule = m.group(0)
    if m := _SCHEDULE.search(text):
        clause.every_s = clause.every_s or float(_SCHEDULE_WORDS[m.group(1)])
        clause.schedule = clause.schedule or m.group(1)
    if m := _WEEKDAY.search(text):
        clause.every_s = clause.every_s or float(_SCHEDULE_WORDS["weekly"])
        clause.schedule = clause.schedule or m.group(0)
    if m := _AT_TIME.search(text):
        clause.delay_s = clause.delay_s or float(m.group(1)) * 86400
        clause.schedule = clause.schedule or f"T+{m.group(1)}"
    if _DEADLINE.search(text):
        clause.deadline = True
    for pattern in (_DURATION, _WITHIN, _AFTER_TIME, _BEFORE_TIME, _EVERY, _SCHEDULE, _WEEKDAY, _AT_TIME, _DEADLINE):
        text = pattern.sub(" ", text)
    # "the 14-day return window": the number qualifies the noun, it is not a word of the clause.
    if m := _NUMBER_SPAN.search(text):
        clause.duration_s = clause.duration_s or seconds(m.group(1), m.group(2))
    text = _NUMBER_SPAN.sub(" ", text)
    clause.text = " ".join(text.split())


_RATE_PHRASE = re.compile(
    r"\b\d[\d.,]*\s*(?:k|m|b|thousand|million|billion)?\s+(?P<noun>(?:[a-z-]+\s+){0,2}?)(?:per|a|an|each|/)\s*"
    r"(?:second|sec|s|minute|min|hour|hr|day|month)s?\b"
)


def normalise(brief: str) -> str:
    text = brief.replace("→", " then ").replace("->", " then ").replace("=>", " then ")
    text = re.sub(r"\(([^)]*)\)", lambda m: ", " + ", ".join(f"§{p.strip()}" for p in m.group(1).split(",")) + ",", text)
    text = re.sub(r"[\[\]\"“”]", " ", text)
    text = possessives(" ".join(text.lower().split()))
    text = re.sub(r"(?<=[a-z])'s\b", "", text)
    return " ".join(text.split())


def split(brief: str) -> tuple[str | None, list[Clause]]:
    """The brief's title (the words before a leading colon) and its clauses in the order they are written."""
    text = normalise(brief)
    title: str | None = None
    head, colon, rest = text.partition(":")
    if colon and len(head.split()) <= 5:
        title, text = head.strip(), rest
    out: list[Clause] = []
    for number, sentence in enumerate(s for s in _SENTENCE.split(text) if s and s.strip(" .;!?")):
        sentence = sentence.strip(" .;!?")
        first_of_sentence = True
        for part in parts(sentence):
            if not part:
                continue
            _split_conditions(part, number, first_of_sentence, out)
            first_of_sentence = False
    for clause in out:
        clause.source = clause.text
        if clause.text.startswith("§"):
            clause.text = clause.source = clause.text.lstrip("§")
            clause.listed = True
        if clause.text.startswith(("that ", "which ", "who ")):
            clause.text = clause.text.split(" ", 1)[1]
            clause.continues = True
            clause.relative = True
        if not _RATE_PHRASE.match(clause.text):
            clause.rated = bool(_RATE_PHRASE.search(clause.text))
            clause.text = _RATE_PHRASE.sub(lambda m: f" {m.group('noun')} ", clause.text)
        _times(clause)
    return title, [c for c in out if c.text]


def _split_conditions(part: str, sentence: int, first: bool, out: list[Clause]) -> None:
    otherwise = False
    if part.startswith("otherwise "):
        otherwise, part = True, part[len("otherwise ") :]
    match = _CONDITION.search(part)
    condition: str | None = None
    word: str | None = None
    timed = _AFTER_TIME.match(part, match.start()) if match else None
    if timed and len(part[timed.end() :].split()) >= 2:
        timed = None  # "after the 14-day return window closes": a condition that names a period
    if match and not timed and not _BEFORE_TIME.search(part):
        condition, word = part[match.end() :].strip(), match.group(1)
        part = part[: match.start()].strip()
        if not part and (cut := leading_condition(condition)):
            condition, part = cut
    for index, piece in enumerate(_split_and(part)):
        clause = Clause(text=piece, sentence=sentence, continues=not first or index > 0, otherwise=otherwise)
        if index > 0:
            out[-1].joined_by_and = True
        out.append(clause)
    if condition:
        owner = len(out) - 1 if part else None
        for piece in _split_and(condition):
            out.append(Clause(text=piece, sentence=sentence, condition_of=owner, condition_word=word))
        if owner is None:
            out[-1].continues = False


def _split_and(part: str) -> list[str]:
    """ "sites screen and enroll patients" -> two clauses; "positions and cash balances are updated" stays one."""
    # "approves or rejects it" coordinates two verbs as "and" does; "a refund or exchange" stays one phrase.
    split = re.split(r"\s+(and|or)\s+", part)
    pieces, joints = split[0::2], ["and", *split[1::2]]
    if len(pieces) < 2:
        return [part] if part else []
    from archassist.agent.planner.inflection import verb_lemma

    merged: list[str] = [pieces[0]]
    for piece, joint in zip(pieces[1:], joints[1:], strict=True):
        first = piece.split()[0]
        subject_list = _has_aux(piece) and not _has_aux(merged[-1]) and not _has_verb(merged[-1])
        adjective = first.endswith("ed") and not _has_aux(merged[-1])  # "... and automated underwriting"
        if _inside_preposition(merged[-1], piece):
            merged[-1] = f"{merged[-1]} {joint} {piece}"
        elif _second_object(merged[-1], piece):
            merged.append(f"{merged[-1].split()[-2]} {piece}")  # "delete questions and answers": delete answers
        elif verb_lemma(first) is not None and not _is_determiner(first) and not subject_list and not adjective:
            merged.append(piece)
        elif _has_verb(merged[-1]) and _has_verb(piece):
            merged.append(piece)  # "bills are computed and outages trigger alerts": two statements
        else:
            merged[-1] = f"{merged[-1]} {joint} {piece}"
    return merged


def _inside_preposition(before: str, piece: str) -> bool:
    """ "screened against sanctions and pep lists": a noun joined to the object of a preposition, not a new verb."""
    from archassist.agent.planner.inflection import can_be_noun

    words, after = before.split(), piece.split()
    if len(after) < 2 or _has_aux(piece) or after[1] in _PRONOUNS or _is_determiner(after[1]):
        return False
    if not (after[1].endswith("s") and can_be_noun(after[1]) and can_be_noun(after[0])):
        return False
    return any(w in _PREPOSITIONS for w in words[1:-1]) and words[-1] not in _PREPOSITIONS


def _second_object(before: str, piece: str) -> bool:
    """ "delete questions and answers": a plural noun alone after a verb's plural object is a second object."""
    from archassist.agent.planner.inflection import can_be_noun, verb_lemma

    words = before.split()
    if " " in piece or not piece.endswith("s") or not can_be_noun(piece) or len(words) < 2:
        return False
    last = words[-1]
    return last.endswith("s") and can_be_noun(last) and verb_lemma(words[-2]) is not None and not _has_aux(before)


_PRONOUNS = frozenset({"it", "them", "him", "her", "us", "me", "one"})
_PREPOSITIONS = frozenset({"against", "from", "with", "into", "to", "for", "on", "at", "by", "of", "in", "through"})


def _has_verb(text: str) -> bool:
    """A subject followed by a verb: "outages trigger alerts", "the carrier paid", "bills are computed"."""
    from archassist.agent.planner.inflection import verb_lemma

    words = [w for w in text.split() if not _is_determiner(w)]
    if _has_aux(text):
        return True
    if len(words) >= 2 and words[0].endswith("s") and verb_lemma(words[1]) == words[1]:
        return True  # "authors submit manuscripts": a plural subject and its verb
    return any(
        verb_lemma(w) is not None and not w.endswith("ing") and (w.endswith("s") or w.endswith("ed") or w == "paid")
        for w in words[1:4]
    )


def _has_aux(text: str) -> bool:
    return bool(re.search(r"\b(is|are|was|were|get|gets|got)\b", text))


def _is_determiner(word: str) -> bool:
    return word in {"a", "an", "the", "their", "its", "his", "her", "our", "your", "some", "all", "each", "every"}
