"""Event storming over a brief: who does what to which thing, in which order, recorded as which fact.

Each clause is read as subject + verb + object (or the passive: object + "is" + participle + "by" agent). The
verb lexicon (knowledge/verbs.yaml) says what an action means: the fact that records it, whether it can be
undone and how, whether it moves money or claims a resource, and which context owns it. Whatever the reading
cannot place is kept with the reason, so the design can list it as not modelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archassist.agent.model.naming import pascal
from archassist.agent.planner import inflection
from archassist.agent.planner.clauses import Clause, split
from archassist.agent.planner.knowledge import KVerb, Lexicon, lexicon
from archassist.agent.planner.modality import read_modality
from archassist.agent.planner.phrases import complement, head_words, indefinite
from archassist.agent.planner.reference import antecedent, causative, double_object, stands_for_last_object
from archassist.agent.rules.words import is_past_participle

DETERMINERS = frozenset(
    ["a", "an", "the", "their", "its", "his", "her", "our", "your", "my", "some", "all", "each", "every", "any", "this", "that", "these", "those"]
)
AUX = frozenset(["is", "are", "was", "were", "be", "been", "being", "get", "gets", "got"])
PREPOSITIONS = frozenset(
    ["to", "for", "on", "at", "by", "from", "with", "into", "of", "in", "through", "via", "between", "across", "after", "before", "about", "over", "under", "including",
     "during", "until", "within", "without", "against", "around", "among", "upon", "throughout"]
)
# Determiners that open a new noun phrase after a noun ("the event each household's reduction"); an article
# after a noun is too often the object of a word read as a noun ("transfers above the limit").
_RESTARTING = frozenset({"each", "every", "all", "some", "any", "their", "its", "his", "her", "our", "your", "my"})
# "who sits where", "what changed": question words stand for a thing, they never name one.
_INTERROGATIVES = frozenset({"who", "whom", "whose", "what", "where", "when", "why", "how", "which", "whether"})
PARTICLES = frozenset({"up", "in", "out", "back", "off"})
PRONOUNS = frozenset({"it", "them", "they", "one", "someone", "him", "her"})
_FILLER = frozenset({"automatically", "online", "immediately", "only", "also", "then", "directly", "live"})
_NUMBER_WORDS = frozenset({"k", "m", "b", "thousand", "million", "billion", "concurrent", "per"})
# Counts say how many, never what: "six seats" names seats.
_CARDINALS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "fifty", "hundred", "dozen",
})
# Verbs that only say how much arrives when their object is a rate, and verbs that say how long data is kept.
_VOLUME_VERBS = frozenset({"see", "handle", "process", "reach", "average", "hit", "experience", "expect", "peak", "total"})
_RETENTION_VERBS = frozenset({"keep", "retain", "store", "archive", "preserve"})
_DAY_S = 86400.0
_RULE = "a rule or requirement the design keeps (must, never), not a business action"
_LOAD = re.compile(r"^\d[\d.,]*\s*(k|m|b|thousand|million|billion)?\b")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")
# "hold up to six seats", "at least two reviewers": a bound on a quantity, not a particle or a preposition.
_QUANTIFIER = re.compile(
    r"\b(?:up to|at least|at most|no more than|more than|fewer than|less than|a maximum of|a minimum of)\s+"
    r"(?=\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|a dozen"
    r"|dozen|a hundred|hundred)\b)"
)


@dataclass
class Action:
    """One action of the brief and the fact that records it."""

    order: int
    verb: str
    obj: str
    event: str
    command: str
    actor: str | None
    recipient: str | None
    context: str | None
    source: str
    clause: Clause
    sense: KVerb
    machine_actor: bool = False
    conditional: bool = False
    otherwise: bool = False
    state: bool = False

    @property
    def money(self) -> bool:
        return self.sense.money or _head(self.obj) in lexicon().money_nouns

    @property
    def message(self) -> bool:
        return self.sense.message


@dataclass
class Storm:
    title: str | None
    actions: list[Action] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    not_modelled: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    process: str | None = None
    clauses: list[Clause] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _noun_phrase(words: list[str], lex: Lexicon) -> str:
    """The singular noun phrase a run of words names: "the unpaid holds" -> "hold", "late fees" -> "late fee"."""
    words = words[len(words) - 1 - words[::-1].index("and") + 1 :] if "and" in words else words
    # "the event each household's reduction": a determiner after a noun starts the phrase that is meant
    starts = [
        i for i, w in enumerate(words) if i > 0 and w in _RESTARTING and words[i - 1] not in DETERMINERS | PREPOSITIONS
    ]
    if starts:
        words = words[starts[-1] :]
    kept = [
        w
        for w in words
        if w not in DETERMINERS and w not in _INTERROGATIVES and w not in PARTICLES and w not in _FILLER and w not in lex.weak_modifiers and w not in _NUMBER_WORDS
        and w not in _CARDINALS
    ]
    kept = [w for w in kept if not is_past_participle(w.split("-")[0])]  # "checked-out copies": a state, not a name
    kept = [w.removeprefix("e-") if w.startswith("e-") and w != "e-ticket" else w for w in kept]
    kept = [inflection.noun_lemma(w) if "-" in w else w for w in kept]
    kept = [w for w in kept if "-" not in w or w in lex.documents or w in lex.occurrences]
    if not kept:
        return ""
    head = inflection.noun_lemma(kept[-1])
    modifiers = kept[-3:-1]
    return " ".join([*modifiers, head])


def _verb_sense(lemma: str, lex: Lexicon) -> KVerb:
    verb, _, particle = lemma.partition(" ")
    if lex.verb(lemma) is None and particle in PARTICLES and lex.verb(verb) is not None:
        return lex.sense(verb)  # "pay out" still moves money: a phrasal verb the lexicon lacks means its verb
    return lex.sense(lemma)


def _participle(lemma: str, sense: KVerb) -> str:
    if sense.participle:
        return sense.participle
    words = lemma.split()
    return pascal(" ".join([inflection.participle(words[0]), *words[1:]]))


class _Reader:
    def __init__(self, brief: str) -> None:
        self.lex = lexicon()
        self.title, self.clauses = split(brief)
        self.storm = Storm(title=self.title, clauses=self.clauses)
        self.last_object: str | None = None
        self.last_subject: str | None = None
        self.last_passive_subject: str | None = None
        self.last_claim: Action | None = None
        self.passive_open = False
        self.skipped: set[int] = set()
        self.conditions: dict[int, list[Action]] = {}
        self.objects: list[str] = []
        self.last_verb_form: str | None = None

    def read(self) -> Storm:
        for index, clause in enumerate(self.clauses):
            if clause.condition_of is not None and clause.condition_of in self.skipped:
                self.skipped.add(index)
                continue
            before = len(self.storm.actions)
            saved = self.last_object
            self._clause(index, clause)
            if clause.condition_of is not None:
                self.last_object = saved  # "pick it up after a damage inspection": "it" is still the vehicle
                self.conditions.setdefault(clause.condition_of, []).extend(self.storm.actions[before:])
        self._otherwise()
        self.storm.process = self._process()
        return self.storm

    def _otherwise(self) -> None:
        """ "charged only if the goal is reached by the deadline, otherwise released": the condition can fail."""
        for clause in self.clauses:
            if not clause.otherwise:
                continue
            for cause in (a for a in self.storm.actions if a.conditional and a.sense.event_verb != "miss"):
                missed = KVerb(participle="Missed")
                self._add(
                    Action(
                        order=len(self.storm.actions),
                        verb="miss",
                        obj=cause.obj,
                        event=pascal(cause.obj) + "Missed",
                        command="Evaluate" + pascal(cause.obj),
                        actor=None,
                        recipient=None,
                        context=None,
                        source=cause.source,
                        clause=cause.clause,
                        sense=missed,
                        conditional=True,
                        otherwise=True,
                        state=True,
                    )
                )
                break

    def _process(self) -> str | None:
        """The business process a title names ("Airline check-in", "Consumer loan origination")."""
        if not self.title:
            return None
        words = [w for w in _words(self.title) if w not in DETERMINERS]
        return " ".join(words[-2:]) if words else None

    # -- one clause ------------------------------------------------------------------------------------------

    def _clause(self, index: int, clause: Clause) -> None:
        words = [w for w in _words(_QUANTIFIER.sub("", clause.text)) if w not in _NUMBER_WORDS or w == "per"]
        if not words:
            return
        if clause.listed:
            self._noun_clause(words, clause)
            return
        modal = read_modality(words)
        if modal.rule:
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, _RULE))
            return
        words = modal.words
        numbered = bool(_LOAD.match(clause.source))
        if numbered and not self._has_verb_after_subject(words):
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, "a load figure: read as the rate the design is sized for"))
            return
        if words[0] in ("regulators", "regulator", "require", "requires") or "require" in words[:2]:
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, "a requirement: read into the design's requirements"))
            return
        if self._task(index, clause, words):
            # "migrate a monolith's checkout ...": a task for the architect, not an action of the business
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, "the task the brief sets, not a business action"))
            return
        hyphen = self._hyphen_fact(words, clause)
        if hyphen:
            return
        subject, verb_at, passive = self._find_verb(words, clause)
        if verb_at is None and modal.verb_at is not None and words[modal.verb_at] not in AUX:
            # "a student may appeal a grade": the verb after a modal is in its base form, whatever the subject
            subject, verb_at, passive = words[: modal.verb_at], modal.verb_at, False
        repeated = clause.continues and words[0] == self.last_verb_form
        if verb_at is not None and verb_at == 0 and len(words) == 2 and self._is_nominal(words[1]) and not repeated:
            verb_at = None  # "email sync": a noun phrase naming an action
        if verb_at is None:
            if any(w in AUX for w in words) and not any(w in self.lex.states for w in words):
                self.storm.not_modelled.append((clause.source, "a statement about the data, read into requirements"))
                return
            self._noun_clause(words, clause)
            return
        raw = words[verb_at]
        self.last_verb_form = raw
        lemma = _lemma(raw)
        rest = words[verb_at + 1 :]
        if lemma.startswith("e-"):
            lemma = lemma[2:]
        if rest and rest[0] in PARTICLES and (f"{lemma} {rest[0]}" in self.lex.verbs or _particle_ends(rest)):
            lemma, rest = f"{lemma} {rest[0]}", rest[1:]
        elif len(rest) >= 2 and rest[0] in PRONOUNS and rest[1] in PARTICLES and f"{lemma} {rest[1]}" in self.lex.verbs:
            lemma, rest = f"{lemma} {rest[1]}", [rest[0], *rest[2:]]
        if lemma == "get" and rest and inflection.verb_lemma(rest[0]) and is_past_participle(rest[0]):
            # "get notified": the passive of notify with the subject as its recipient
            lemma, rest, passive = inflection.verb_lemma(rest[0]) or rest[0], rest[1:], True
            subject = subject or (self.last_subject or "").split()
        if clause.rated and lemma in _VOLUME_VERBS:
            # "popular auctions see 10k bids per second": how much arrives, not something anyone does
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, "a load figure: read as the rate the design is sized for"))
            return
        if lemma in _RETENTION_VERBS and clause.duration_s and clause.duration_s >= _DAY_S:
            # "grades are kept 5 years": how long history lives, a requirement rather than a business fact
            self.skipped.add(index)
            self.storm.not_modelled.append((clause.source, "a retention requirement: read into the design's requirements"))
            return
        self._implied(subject, clause)
        self._occurrence_subject(subject, clause)
        subjects = self._conjuncts(subject) if passive else [subject]
        for one in subjects:
            self._action(index, clause, one, lemma, rest, passive)

    def _task(self, index: int, clause: Clause, words: list[str]) -> bool:
        if index != 0 or clause.continues or len(words) < 2 or not self._base_verb(words[0]):
            return False
        if inflection.can_be_noun(words[0]):
            return False
        return words[1] in DETERMINERS or not inflection.verb_lemma(words[1])

    def _hyphen_fact(self, words: list[str], clause: Clause) -> bool:
        """ "user-created": a thing and what happened to it, written as one word."""
        if len(words) != 1 or "-" not in words[0]:
            return False
        thing, _, happened = words[0].partition("-")
        if not is_past_participle(happened):
            return False
        lemma = inflection.verb_lemma(happened) or happened
        self._action(0, clause, [thing], lemma, [], True)
        return True

    def _conjuncts(self, words: list[str]) -> list[list[str]]:
        out: list[list[str]] = [[]]
        for w in words:
            if w in ("and", "or"):
                out.append([])
            else:
                out[-1].append(w)
        return [part for part in out if part] or [words]

    def _occurrence_subject(self, subject: list[str], clause: Clause) -> None:
        """ "no-shows forfeit the deposit", "outages trigger alerts": the subject is itself a fact."""
        phrase = _noun_phrase(subject, self.lex)
        for occurrence, verb in self.lex.occurrences.items():
            if not phrase or not (phrase == occurrence or phrase.endswith(" " + occurrence)):
                continue
            if verb == occurrence:
                thing = phrase[: -len(occurrence)].strip()  # "gate changes": the gate changed
                if thing:
                    self._nominal_fact(clause, verb, thing)
            else:
                self._nominal_fact(clause, verb, occurrence)

    def _has_verb_after_subject(self, words: list[str]) -> bool:
        skip = [w for w in words if w not in DETERMINERS]
        return (
            len(skip) >= 2
            and inflection.verb_lemma(skip[1]) is not None
            and skip[1] not in PREPOSITIONS
            and not skip[1].endswith("ing")
            and (skip[0].endswith("s") or skip[1].endswith("s"))
            and skip[1] not in ("matches",)
        )

    def _find_verb(self, words: list[str], clause: Clause) -> tuple[list[str], int | None, bool]:
        """The subject words, the position of the verb and whether the clause is passive."""
        for i, w in enumerate(words):
            if w in AUX and i + 1 < len(words):
                j = i + 1
                if w in ("get", "gets", "got") and not is_past_participle(words[j]):
                    continue
                while j < len(words) and words[j] in _FILLER:
                    j += 1
                if j < len(words) and _lemma(words[j]) != words[j] and is_past_participle(words[j]):
                    if not words[:i] and w in ("get", "gets", "got"):
                        return (self.last_subject or "").split(), j, True  # "members ... get notified"
                    return (words[:i] or self._passive_subject(clause)), j, True
                if i == 0 and j < len(words) and is_past_participle(words[j]):
                    return self._passive_subject(clause), j, True
                return words, None, False
        if clause.continues and words[0] == self.last_verb_form:
            return [], 0, False  # "logs visits, scrolls and purchases": the list repeats the verb it shares
        if clause.continues and _lemma(words[0]) in self.lex.verbs and self._base_verb(words[0]):
            passive = self.passive_open and is_past_participle(words[0]) and _lemma(words[0]) != words[0]
            return (self._passive_subject(clause) if passive else []), 0, passive
        found = self._agreeing_verb(words)
        if found is not None:
            return found
        if clause.continues and self._base_verb(words[0]):
            passive = self.passive_open and is_past_participle(words[0]) and _lemma(words[0]) != words[0]
            return (self._passive_subject(clause) if passive else []), 0, passive
        if clause.continues and inflection.verb_lemma(words[0]):
            return [], 0, self.passive_open and is_past_participle(words[0])
        return words, None, False

    def _agreeing_verb(self, words: list[str]) -> tuple[list[str], int, bool] | None:
        """A verb that agrees with the subject before it: "fans hold", "the engine fills", "the carrier paid"."""
        begin = 1 if words[0] in DETERMINERS else 0
        for i in range(begin + 1, len(words)):
            w = words[i]
            if w in PREPOSITIONS or w in DETERMINERS:
                break
            if inflection.verb_lemma(w) is None or w.endswith("ing") or w in ("and", "or"):
                continue
            previous = words[i - 1]
            if previous in ("and", "or") or previous in self.lex.weak_modifiers:
                continue
            nxt = words[i + 1] if i + 1 < len(words) else None
            noun_before = inflection.can_be_noun(previous) or previous == "someone"
            plural_subject = noun_before and previous.endswith("s") and not previous.endswith("ss")
            lemma = _lemma(w)
            third_person = w.endswith("s") and not plural_subject and lemma != w and noun_before
            verb_only = not inflection.is_dictionary_noun(w)  # "learning assigns training": "assigns" is no noun
            if third_person and not (begin == 1 or previous == "someone" or nxt in DETERMINERS or nxt in PRONOUNS or verb_only):
                third_person = False  # "confirmation emails", "loyalty points": a compound noun, not a verb
            if is_past_participle(w) and lemma != w and noun_before and begin == 1:
                return words[:i], i, True  # "the carrier paid": the passive with its auxiliary left out
            if (plural_subject and lemma == w) or third_person:
                return words[:i], i, False
        return None

    def _is_nominal(self, word: str) -> bool:
        single = inflection.noun_lemma(word)
        return any(single in v.nominal or word in v.nominal for v in self.lex.verbs.values())

    def _implied(self, subject: list[str], clause: Clause) -> None:
        """ "the winning carrier is tracked": the bid was accepted before."""
        for word in subject:
            implied = self.lex.implied.get(word)
            if implied is not None:
                self._nominal_fact(clause, implied.verb, implied.object)

    def _passive_subject(self, clause: Clause) -> list[str]:
        if clause.relative and self.last_object:
            return self.last_object.split()
        return (self.last_passive_subject or "").split()

    def _base_verb(self, word: str) -> bool:
        lemma = _lemma(word)
        if inflection.verb_lemma(word.removeprefix("e-")) is None:
            return False
        return lemma == word.removeprefix("e-") or is_past_participle(word) or word == lemma + "s" or word == lemma + "es"

    # -- naming ----------------------------------------------------------------------------------------------

    def _action(
        self, index: int, clause: Clause, subject_words: list[str], lemma: str, rest: list[str], passive: bool
    ) -> None:
        lex = self.lex
        if indefinite(subject_words) or indefinite(rest[:2]):
            # "everything done so far is undone": the phrase stands for earlier steps, which the workflow undoes
            self.storm.not_modelled.append((clause.source, "refers to earlier actions, not to one thing"))
            return
        if found := causative(lemma, rest, DETERMINERS):
            lemma, rest = found  # "lets the offer time out": the offer times out
        sense = _verb_sense(lemma, lex)
        self.passive_open = passive
        subject_words = head_words(subject_words, PREPOSITIONS)
        subject = _noun_phrase(subject_words, lex) if subject_words else ""
        if subject_words and stands_for_last_object(subject_words, subject, DETERMINERS):
            subject = self.last_object or subject  # "each is checked", "a suspicious one sends ..."
        inherited = not subject
        if not subject and clause.relative and not passive:
            subject = antecedent(self.clauses, index, self.last_object, PREPOSITIONS, DETERMINERS)
        if not subject and clause.continues and not passive:
            subject = self.last_subject or ""
        if passive and subject:
            self.last_passive_subject = subject
        obj_words: list[str] = []
        recipient: str | None = None
        for w in head_words(rest, PREPOSITIONS):
            if w in PREPOSITIONS or w == "and" or w == "or":
                break
            obj_words.append(w)
        obj_words, state_word = complement([w for w in obj_words if w not in _FILLER], lex.states)
        if two := double_object(obj_words, DETERMINERS, lex.parties):
            # "sends the cardholder a push notification": the party receives, the notification is sent
            recipient, obj_words = _noun_phrase(two[0], lex), two[1]
        if len(obj_words) > 1 and obj_words[-1] in PARTICLES and " " not in lemma:
            # "claw the gems back": the particle belongs to the verb, written after its object
            lemma, obj_words = f"{lemma} {obj_words[-1]}", obj_words[:-1]
            sense = _verb_sense(lemma, lex)
        if "to" in rest:
            after = rest[rest.index("to") + 1 :]
            target = _noun_phrase([w for w in after[:3] if w not in PREPOSITIONS], lex)
            if target.split()[-1:] and target.split()[-1] in lex.parties + lex.workforce:
                recipient = target
        self._with_charges(rest, clause)
        obj = _noun_phrase(obj_words, lex)
        if obj_words[:1] == ["its"] and obj:
            # "the campaign reaches its goal": the campaign's goal; "rename it, change its code": the thing's code
            owner = self.last_object if inherited else subject
            obj = f"{_head(owner or '')} {obj}".strip()
        head_of = lambda phrase: phrase.split()[-1] if phrase else ""  # noqa: E731
        actor: str | None
        if passive:
            actor = None
            if "by" in rest:
                actor = _noun_phrase(rest[rest.index("by") + 1 :][:3], lex) or None
            if head_of(subject) in lex.parties and (sense.money or sense.message or obj):
                recipient = subject
            else:
                obj, subject = subject, ""
        else:
            actor = subject or None
            itself = not inherited or actor == self.last_object  # "the trip starts ... and ends": still the trip
            shared = clause.joined_by_and and index + 1 < len(self.clauses) and bool(self._object_ahead(index + 1))
            if not obj and actor and itself and not shared and head_of(actor) not in lex.parties + lex.machines + ["someone"] and not (
                sense.object
            ):
                obj, actor = actor, None  # "unpaid holds expire", "trades settle": the subject changes itself
        if head_of(obj) in PRONOUNS:
            obj = self.last_object or ""
        event_verb = sense.event_verb or lemma
        fallback = False
        if sense.event_verb and sense.object and obj and not passive:
            obj = sense.object  # "cardholders dispute a transaction": the dispute is the thing recorded
        if sense.event_verb and sense.object and obj and obj != sense.object:
            event_verb = lemma  # "each claim is checked": the claim was checked, not a check completed
        if not obj and sense.object_class:
            obj = next((o for o in reversed(self.objects) if o.split()[-1] in getattr(lex, sense.object_class)), "")
        if obj and head_of(obj) in lex.generic_objects:
            obj, fallback = "", True
        bare = len(_words(clause.text)) == 1 and index + 1 < len(self.clauses) and self._bare_verb(index + 1)
        if not obj and (clause.joined_by_and or bare) and index + 1 < len(self.clauses):
            obj = self._object_ahead(index + 1)
        if not obj:
            if recipient and sense.received_as:
                obj, event_verb = sense.received_as, "send"
            elif sense.object:
                obj, fallback = sense.object, True
            elif sense.intransitive and actor:
                obj = actor
            elif self.last_claim is not None and (lemma == "cancel" or lemma == sense.reverse):
                obj = _nominal(self.last_claim, lex) or self.last_claim.obj
            else:
                obj = self.last_object or (actor or "")
        if fallback and sense.fallback_verb:
            event_verb = sense.fallback_verb
        if not obj:
            self.storm.not_modelled.append((clause.source, "an action without anything it acts on"))
            return
        machine = bool(actor and head_of(actor) in lex.machines)
        if sense.perspective and recipient is None and not machine:
            # "fans receive e-tickets": the fans are the recipients; the system issues (or sends) the thing.
            recipient, actor = actor, None
            event_verb = "send" if head_of(obj) in lex.messages else sense.perspective
            sense = _verb_sense(event_verb, lex).model_copy(update={"message": head_of(obj) in lex.messages})
            lemma = event_verb
        elif sense.from_party and actor and not machine and head_of(obj) not in lex.messages:
            # "clients send events": what a party sends, the system receives
            event_verb = sense.from_party
            sense = _verb_sense(event_verb, lex)
            lemma = event_verb
        if head_of(obj) in lex.messages and not sense.message:
            sense = sense.model_copy(update={"message": True})
        if sense.read_model:
            sense = sense.model_copy(update={"read_model": True})
            event_verb = "update"
        participle = _participle(event_verb, _verb_sense(event_verb, lex) if event_verb != lemma else sense)
        command_verb = event_verb if (fallback or sense.event_verb) and event_verb != lemma else lemma
        if sense.read_model:
            command_verb = "refresh"
        state = pascal(state_word) if state_word else ""  # "mark the order ready": OrderMarkedReady, MarkOrderReady
        action = Action(
            order=len(self.storm.actions),
            verb=lemma,
            obj=obj,
            event=pascal(obj) + participle + state,
            command=pascal(command_verb) + pascal(obj) + state,
            actor=actor,
            recipient=recipient,
            context=sense.context,
            source=clause.source,
            clause=clause,
            sense=sense,
            machine_actor=machine,
            conditional=clause.condition_of is not None,
            otherwise=clause.otherwise,
            state=sense.read_model,
        )
        self._add(action)
        self.objects.append(obj)
        if (
            recipient
            and "to" in rest
            and not (sense.money or sense.message or sense.pivot or sense.claim or sense.perspective)
            and head_of(recipient) not in lex.workforce
        ):
            noun = (sense.nominal or ["notice"])[0]
            self._nominal_fact(clause, "send", f"{obj} {noun}")  # "report adverse events to the sponsor"
        if subject and not passive:
            self.last_subject = subject
        if not (sense.message and head_of(obj) in lex.messages):
            self.last_object = obj
        if sense.claim:
            self.last_claim = action
        for party in (actor, recipient):
            if party and party not in self.storm.actors:
                self.storm.actors.append(party)
        if recipient and head_of(recipient) in lex.workforce and sense.message:
            self._nominal_fact(clause, "dispatch", recipient)

    def _with_charges(self, rest: list[str], clause: Clause) -> None:
        """ "with late fees after 5 days" (a charge), "for matchmaking" (the action it leads to), "with proof of
        delivery" (a document received)."""
        for preposition in ("with", "for"):
            if preposition not in rest:
                continue
            after = rest[rest.index(preposition) + 1 :]
            cut: list[str] = []
            for w in after:
                if (w in PREPOSITIONS and w != "of") or w == "and":
                    break
                cut.append(w)
            if cut and cut[0] in self.lex.evidence and "of" in cut:
                self._nominal_fact(clause, "receive", " ".join(cut))
                continue
            phrase = _noun_phrase([w for w in cut if w != "of"], self.lex)
            if not phrase:
                continue
            if phrase.split()[-1] in self.lex.charges:
                self._nominal_fact(clause, "charge", phrase)
            elif preposition == "for" and len(cut) == 1 and self._is_nominal(cut[0]):
                nominal = self._nominal_action(cut, bare=True)
                if nominal is not None:
                    self._nominal_fact(clause, *nominal)

    def _bare_verb(self, index: int) -> bool:
        """A list item that is a verb alone ("create, edit, reorder and delete questions")."""
        ahead = self.clauses[index]
        words = _words(ahead.text)
        return ahead.continues and len(words) == 1 and self._base_verb(words[0])

    def _object_ahead(self, index: int) -> str:
        ahead = self.clauses[index]
        words = _words(ahead.text)
        if len(words) == 1 and self._base_verb(words[0]) and index + 1 < len(self.clauses):
            # "create, edit, reorder and delete questions": each bare verb shares the object at the end of the list
            return self._object_ahead(index + 1)
        if len(words) < 2 or words[0] in DETERMINERS or inflection.verb_lemma(words[0]) is None:
            return ""  # "renew monthly and an invoice is issued": a new statement, not a verb sharing an object
        lemma = inflection.verb_lemma(words[0]) or ""
        if _verb_sense(lemma, self.lex).money:
            return ""  # "accepts and pays the premium": what is paid is not what was accepted
        rest = words[1:]
        if found := causative(lemma, rest, DETERMINERS):
            rest = found[1]
        cut: list[str] = []
        for w in head_words(rest, PREPOSITIONS):
            if w in PREPOSITIONS or w in ("and", "or"):
                break
            cut.append(w)
        found_object = _noun_phrase(cut, self.lex)
        if found_object.split()[-1:] and found_object.split()[-1] in PRONOUNS:
            return self.last_object or ""  # "allocates and ships them": both act on what "them" stands for
        return found_object

    def _add(self, action: Action) -> None:
        if any(a.event == action.event for a in self.storm.actions):
            return
        action.order = len(self.storm.actions)
        self.storm.actions.append(action)

    def _noun_clause(self, words: list[str], clause: Clause) -> None:
        """A clause without a verb: a state ("a hold is ready"), an occurrence, or a nominal action."""
        lex = self.lex
        text = " ".join(words)
        for adjective, state in lex.states.items():
            m = re.search(rf"\b(?:is|are|becomes?|gets?)\s+{adjective}\b", text)
            if m:
                subject = _noun_phrase(_words(text[: m.start()]), lex) or self.last_object or ""
                if subject in PRONOUNS:
                    subject = self.last_object or ""
                if subject:
                    self._state(clause, subject, state.verb)
                return
        found = False
        for part in self._conjuncts([w for w in words if w not in DETERMINERS]):
            nominal = self._nominal_action(part)
            if nominal is not None:
                lemma, obj = nominal
                self._nominal_fact(clause, lemma, obj)
                found = True
            self._with_charges(part, clause)
        if not found:
            self.storm.not_modelled.append((clause.source, "no action recognised in this part of the brief"))

    def _nominal_action(self, phrase: list[str], bare: bool = False) -> tuple[str, str] | None:
        """ "table reservations" -> (reserve, table); "webhook ingestion" -> (ingest, webhook); "a no-show"."""
        joined = " ".join(inflection.noun_lemma(w) for w in phrase)
        for occurrence, verb in self.lex.occurrences.items():
            if occurrence in joined and occurrence != "change":
                return verb, occurrence
        head = [w for w in phrase if w not in PREPOSITIONS]
        cut = len(head)
        for i, w in enumerate(phrase):
            if w in PREPOSITIONS:
                cut = i
                break
        words = phrase[:cut]
        for i in range(len(words) - 1, -1, -1):
            w = words[i]
            single = inflection.noun_lemma(w)
            for lemma, sense in self.lex.verbs.items():
                if single not in sense.nominal and w not in sense.nominal:
                    continue
                before = [x for x in words[:i] if x not in PREPOSITIONS]
                if single in self.lex.processes:
                    return lemma, _noun_phrase([*before, single], self.lex)
                obj = _noun_phrase(before, self.lex) if before else ""
                if not obj and not bare and single not in self.lex.charges:
                    return None  # a bare "payments" or "confirmation": an area the brief names, not an action
                return lemma, obj or sense.object or single
        return None

    def _nominal_fact(self, clause: Clause, lemma: str, obj: str) -> None:
        sense = _verb_sense(lemma, self.lex)
        event_verb = sense.event_verb or lemma
        if sense.object and obj == sense.object and sense.fallback_verb:
            event_verb = sense.fallback_verb
        if obj.split()[-1] in self.lex.processes:
            event_verb = "complete"
        participle = _participle(event_verb, _verb_sense(event_verb, self.lex) if event_verb != lemma else sense)
        action = Action(
            order=len(self.storm.actions),
            verb=lemma,
            obj=obj,
            event=pascal(obj) + participle,
            command=pascal(event_verb if event_verb != lemma else lemma) + pascal(obj),
            actor=None,
            recipient=None,
            context=sense.context,
            source=clause.source,
            clause=clause,
            sense=sense,
            conditional=clause.condition_of is not None,
            otherwise=clause.otherwise,
        )
        self._add(action)
        if clause.condition_of is None:
            self.last_object = obj
        if sense.claim:
            self.last_claim = action

    def _state(self, clause: Clause, subject: str, verb: str) -> None:
        sense = _verb_sense(verb.split()[0], self.lex)
        words = verb.split()
        participle = pascal(" ".join([inflection.participle(words[0]), *words[1:]]))
        action = Action(
            order=len(self.storm.actions),
            verb=verb,
            obj=subject,
            event=pascal(subject) + participle,
            command=pascal(words[0]) + pascal(subject) + pascal(" ".join(words[1:])),
            actor=None,
            recipient=None,
            context=None,
            source=clause.source,
            clause=clause,
            sense=sense,
            conditional=clause.condition_of is not None,
            otherwise=clause.otherwise,
            state=True,
        )
        self._add(action)


def _particle_ends(rest: list[str]) -> bool:
    """ "opt out during the event", "fall back to a plastic card": a particle with no object after it is part of
    the verb ("in" only before another preposition: "check in at the desk", not "sign in the visitor")."""
    after = rest[1] if len(rest) > 1 else None
    if after is None or after in PREPOSITIONS:
        return True
    return rest[0] != "in" and after in DETERMINERS


def _head(phrase: str) -> str:
    return phrase.split()[-1] if phrase else ""


def _lemma(word: str) -> str:
    bare = word.removeprefix("e-")
    return inflection.verb_lemma(bare) or bare


def _nominal(action: Action, lex: Lexicon) -> str | None:
    sense = lex.verb(action.verb)
    return sense.nominal[0] if sense and sense.nominal else None


def storm(brief: str) -> Storm:
    """Read a brief as an event-storming session: its actors, actions, objects and what was left aside."""
    reader = _Reader(brief)
    found = reader.read()
    inflection.save()
    return found
