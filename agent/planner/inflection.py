"""Word forms for event storming: can a word be a verb or a noun, its lemma, and a verb's past participle.

lemminflect answers these from its dictionaries, but loading them costs more than a whole design run, so every
answer is kept in a small JSON file in the user's cache folder: a brief whose words were seen before never loads
lemminflect at all. The verb lexicon (knowledge/verbs.yaml) wins over the dictionary where it says otherwise.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

_CACHE_VERSION = 1

# Forms lemminflect reads as something else in a brief's telegraphic style ("fans", "books" and "holds" are
# verbs too); a brief's subject is a noun, so these are decided by position, not here.
_UNCOUNTABLE = frozenset({"news", "series", "species", "analytics", "logistics", "telemetry", "data", "status"})


class _Store:
    def __init__(self) -> None:
        self.path = _cache_path()
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if self.path is not None:
            try:
                found = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(found, dict) and found.get("version") == _CACHE_VERSION:
                    self.entries = dict(found.get("entries") or {})
            except (OSError, ValueError):
                self.entries = {}

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": _CACHE_VERSION, "entries": self.entries}), encoding="utf-8")
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass  # a read-only cache only costs speed


def _cache_path() -> Path | None:
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("archassist")) / "word-forms.json"
    except Exception:  # no usable cache location: answers are computed each run
        return None


@cache
def _store() -> _Store:
    return _Store()


def _lemmas(word: str) -> dict[str, list[str]]:
    store = _store()
    key = f"l:{word}"
    if key not in store.entries:
        from lemminflect import getAllLemmas

        found = getAllLemmas(word)
        store.entries[key] = {pos: list(forms) for pos, forms in found.items() if pos in ("VERB", "NOUN", "ADJ")}
        store.dirty = True
    entry: dict[str, list[str]] = store.entries[key]
    return entry


def verb_lemma(word: str) -> str | None:
    """The verb this word is a form of, or None when it cannot be a verb."""
    forms = _lemmas(word.lower()).get("VERB")
    return forms[0] if forms else None


def noun_lemma(word: str) -> str:
    """The singular of a noun ("holds" -> "hold", "boarding passes" -> "boarding pass"); the word itself if unknown."""
    w = word.lower()
    if w in _UNCOUNTABLE:
        return w
    forms = _lemmas(w).get("NOUN")
    if forms:
        return forms[0]
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def can_be_noun(word: str) -> bool:
    """True for nouns, gerunds ("underwriting") and words the dictionary does not know ("cardholders")."""
    w = word.lower()
    found = _lemmas(w)
    return bool(found.get("NOUN")) or w.endswith("ing") or not found or "-" in w


def is_dictionary_noun(word: str) -> bool:
    """True only when the dictionary knows the word as a noun ("booking" yes, "asking" no)."""
    return bool(_lemmas(word.lower()).get("NOUN"))


def can_be_adjective(word: str) -> bool:
    return bool(_lemmas(word.lower()).get("ADJ"))


def participle(lemma: str) -> str:
    """The past participle of a verb: hold -> held, ship -> shipped."""
    store = _store()
    key = f"p:{lemma}"
    if key not in store.entries:
        from lemminflect import getInflection

        forms = getInflection(lemma, tag="VBN")
        store.entries[key] = forms[0] if forms else _regular_participle(lemma)
        store.dirty = True
    value: str = store.entries[key]
    return value


def _regular_participle(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def save() -> None:
    """Keep what this run learnt about words for the next run."""
    _store().save()
