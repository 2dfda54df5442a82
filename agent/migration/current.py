"""Reading the current system out of a migration brief: what runs today and which side effects it names.

A migration brief describes a system that exists ("our monolith's checkout sends confirmation emails, awards
loyalty points and updates stock synchronously"). What it says about the present is as important as what it
wants: a side effect that is not listed cannot be planned, so every named side effect becomes one, and what the
brief leaves out is stated as an assumption rather than invented silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archassist.agent.migration.model import CurrentPath, CurrentSystem, SyncCall
from archassist.agent.model.naming import words_of
from archassist.agent.planner.inflection import noun_lemma as singular

_LIST_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bor\b|&|\+)\s*")
# "side effects (a, b, c)", "side effects such as a, b and c", "side effects: a, b and c"
_NAMED_EFFECTS = re.compile(
    r"side[- ]effects?\s*(?:\(([^)]*)\)|(?:such as|like|including|:)\s*([^.;()]+?)(?=\s+(?:to|into|onto|from)\b|[.;]|$))",
    re.IGNORECASE,
)
# "... calls email, loyalty and inventory services synchronously"
_SYNC_CALLS = re.compile(
    r"\bcalls?\s+(?:the\s+)?([a-z][a-z ,&-]*?)\s*(?:services?|apis?|endpoints?)?\s+(?:synchronously|directly|inline|in[- ]line|over http|via rest|in the request)",
    re.IGNORECASE,
)
_CRON = re.compile(r"\b(nightly|hourly|daily|weekly)?\s*(?:cron(?: job)?|batch(?: job)?|scheduled job)s?\b([^.;,]*)", re.IGNORECASE)
_SHARED_DB = re.compile(r"\bshared\s+(?:[a-z]+\s+)?(?:database|db|schema|tables?)\b|\bshare[sd]?\s+(?:a|the|one)\s+(?:[a-z]+\s+)?(?:database|db|schema)\b", re.IGNORECASE)
_DUAL_WRITE = re.compile(r"\bdual[- ]writes?\b|\bwrites? to the database and (?:then )?publish", re.IGNORECASE)
_NO_CODE_CHANGE = re.compile(
    r"\b(?:cannot|can't|can not|must not|unable to)\s+(?:change|modify|touch)\s+(?:its|the|their)?\s*code\b|\bvendor\b|\bclosed[- ]source\b|\boff[- ]the[- ]shelf\b|\bno access to (?:the )?(?:source|code)\b|\bcots\b",
    re.IGNORECASE,
)
# The business action whose side effects move: "a monolith's checkout", "the order flow", "checkout side effects".
_ACTION_POSSESSIVE = re.compile(r"\bmonolith'?s\s+([a-z]+)", re.IGNORECASE)
_ACTION_BEFORE_EFFECTS = re.compile(r"\b([a-z]+)\s+side[- ]effects?", re.IGNORECASE)
_ACTION_BEFORE_SYSTEM = re.compile(r"\b([a-z]+)\s+(?:monolith|legacy system|application)\b", re.IGNORECASE)
_SYSTEM = re.compile(r"\b(monolith|legacy system|legacy application|erp|mainframe|legacy [a-z]+ system)\b", re.IGNORECASE)

_NOT_ACTIONS = {
    "the", "its", "our", "a", "all", "monolith", "synchronous", "sync", "legacy", "inline", "existing", "old",
    # verbs of the migration itself, never the business action
    "move", "migrate", "replace", "split", "break", "decompose", "convert", "extract", "refactor", "modernize", "modernise",
}


@dataclass
class BriefReading:
    """What a migration brief says about today's system."""

    current: CurrentSystem
    action: str | None
    side_effects: list[tuple[str, str, CurrentPath]] = field(default_factory=list)  # name phrase, as written, path
    assumptions: list[str] = field(default_factory=list)


def _verb_stem(word: str) -> str:
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _job_effect(what: str) -> str:
    """'exports invoices to the ERP' → 'invoice export': the object, then what the job does to it."""
    words = [w for w in words_of(what) if w not in {"that", "which", "the", "a", "an", "all"}]
    if len(words) >= 2 and words[0].endswith("s"):
        return f"{singular(words[1])} {_verb_stem(words[0])}"
    return " ".join(words[:3])


def _phrases(raw: str) -> list[tuple[str, str]]:
    """Each listed item as (its singular name phrase, the words as written)."""
    out: list[tuple[str, str]] = []
    for part in _LIST_SPLIT.split(raw):
        words = [w for w in words_of(part) if w not in {"the", "a", "an", "etc", "its", "their", "our"}]
        if words:
            written = " ".join(words)
            words[-1] = singular(words[-1])
            out.append((" ".join(words), written))
    return out


def read_brief(brief: str) -> BriefReading:
    """Recognise the current system (monolith, shared database, synchronous calls, cron jobs, dual writes) and the
    side effects a migration brief names."""
    system_match = _SYSTEM.search(brief)
    system_word = system_match.group(1).lower() if system_match else "monolith"
    action = None
    for pattern in (_ACTION_POSSESSIVE, _ACTION_BEFORE_EFFECTS, _ACTION_BEFORE_SYSTEM):
        found = pattern.search(brief)
        if found and found.group(1).lower() not in _NOT_ACTIONS | set(system_word.split()):
            action = found.group(1).lower()
            break
    name = f"{action}-{system_word}" if action else system_word
    current = CurrentSystem(name="-".join(words_of(name)), kind="monolith")
    reading = BriefReading(current=current, action=action)

    seen: set[str] = set()

    def add(phrase: str, written: str, path: CurrentPath) -> None:
        if phrase and phrase not in seen:
            seen.add(phrase)
            reading.side_effects.append((phrase, written, path))

    for match in _NAMED_EFFECTS.finditer(brief):
        for phrase, written in _phrases(match.group(1) or match.group(2) or ""):
            add(phrase, written, "in_process")
    for match in _SYNC_CALLS.finditer(brief):
        for phrase, written in _phrases(match.group(1)):
            add(phrase, written, "sync_call")
            current.sync_calls.append(SyncCall(caller=current.name, target=phrase, purpose=f"{phrase} on {action or 'each request'}"))
    for match in _CRON.finditer(brief):
        what = " ".join(words_of(match.group(2)))[:60].strip()
        job = " ".join(filter(None, [(match.group(1) or "").lower(), "job", what]))
        current.cron_jobs.append(job)
        effect = _job_effect(what)
        if effect:
            add(effect, effect, "cron")
    if _SHARED_DB.search(brief):
        current.databases.append(f"{current.name}-db")
        current.shared_tables.append(f"{action or 'core'} tables shared by every module")
    if _DUAL_WRITE.search(brief):
        current.dual_writes.append(f"{current.name} writes its database and then publishes")
    if _NO_CODE_CHANGE.search(brief):
        current.can_change_code = False
        reading.assumptions.append(
            "The current system's code cannot change, so its events come from its database log (change data capture)."
        )
    if not current.databases:
        current.databases.append(f"{current.name}-db")
    return reading
