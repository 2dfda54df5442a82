"""Irregular English verb forms (went, became, held …), read from a table generated from lemminflect.

lemminflect takes about a second to load its dictionaries, far too slow for `archassist review`, so the irregular
forms it knows are written once into verb_forms.json (regenerate with `python -m archassist.agent.rules.verb_forms`;
a test checks the table against lemminflect). Regular forms (-ed, -ied, doubled consonants) need no table.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("verb_forms.json")


def regular_past(verb: str) -> str:
    """The regular past form of a verb: reserve -> reserved, apply -> applied, stop -> stopped."""
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    if (
        len(verb) >= 3
        and verb[-1] in "bdgmnprt"
        and verb[-2] in "aeiou"
        and verb[-3] not in "aeiou"
        and len(verb) <= 4
    ):
        return verb + verb[-1] + "ed"
    return verb + "ed"


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return data


def past_forms(verb: str) -> tuple[str, str]:
    """(simple past, past participle) of a verb in its base form, lowercased."""
    verb = verb.lower()
    forms = _table()["irregular"].get(verb)
    if forms:
        return forms[0], forms[1]
    regular = _table()["regular"].get(verb) or regular_past(verb)
    return regular, regular


@lru_cache(maxsize=1)
def irregular_past_words() -> frozenset[str]:
    """Every irregular simple-past or past-participle form that differs from its verb: went, gone, became, held."""
    return frozenset(form for verb, pair in _table()["irregular"].items() for form in pair if form != verb)


def verb_of_past(word: str) -> str | None:
    """The base verb of an irregular past form (went -> go), or None."""
    return _table()["lemma_of"].get(word.lower())


def generate() -> dict[str, Any]:
    """Build the table from lemminflect: every verb whose past forms are not the regular ones."""
    from lemminflect import Inflections, getInflection

    irregular: dict[str, list[str]] = {}
    regular: dict[str, str] = {}
    for lemma, forms in Inflections()._getInflDict().items():
        if not lemma.isalpha() or not lemma.islower() or "VBD" not in forms:
            continue
        past = (getInflection(lemma, "VBD") or (lemma,))[0].lower()
        participle = (getInflection(lemma, "VBN") or (past,))[0].lower()
        if past == participle == regular_past(lemma):
            continue
        if past == participle and past.endswith("ed"):
            regular[lemma] = past  # doubled consonants: submit -> submitted, cancel -> canceled
            continue
        irregular[lemma] = [past, participle]
    lemma_of: dict[str, str] = {}
    for lemma, (past, participle) in sorted(irregular.items()):
        for form in (past, participle):
            if form != lemma:
                lemma_of.setdefault(form, lemma)
    return {"source": "lemminflect", "irregular": irregular, "regular": regular, "lemma_of": lemma_of}


if __name__ == "__main__":
    TABLE.write_text(json.dumps(generate(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TABLE}")
