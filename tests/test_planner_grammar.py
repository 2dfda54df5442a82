"""How the planner reads clause boundaries, noun phrases and references when it names facts.

Every brief here is written for these tests; each checks one general rule of reading, not an answer to a known brief.
"""

from __future__ import annotations

from archassist.agent.planner.storming import storm


def events(brief: str) -> list[str]:
    return [a.event for a in storm(brief).actions]


def commands(brief: str) -> list[str]:
    return [a.command for a in storm(brief).actions]


def test_a_pronoun_object_after_coordinated_verbs_is_the_thing_named_before() -> None:
    found = events("Permit office: each permit request is reviewed by two inspectors, then the board grants or refuses it")
    assert "PermitRequestGranted" in found and "PermitRequestRefused" in found
    assert not any(e.startswith("Board") for e in found)


def test_at_once_is_no_condition() -> None:
    found = events("Bakery: bakers bake three loaves at once and wrap them")
    assert found == ["LoafBaked", "LoafWrapped"]


def test_a_plural_possessive_is_the_singular_owner() -> None:
    found = storm("Insurance: brokers' agents submit policy applications")
    assert found.actions[0].actor == "broker agent"


def test_a_time_possessive_is_not_part_of_the_name() -> None:
    assert events("Canteen: the kitchen publishes tomorrow's dinner plan") == ["DinnerPlanPublished"]


def test_a_negated_participle_qualifies_the_noun() -> None:
    assert events("Library: books not returned within 30 days are flagged") == ["BookFlagged"]


def test_a_prepositional_phrase_after_the_subject_is_not_its_name() -> None:
    assert events("Survey: answers from the same respondent within an hour are merged") == ["AnswerMerged"]


def test_an_object_complement_belongs_to_the_verb() -> None:
    found = storm("Repair shop: mechanics fix the bike and mark the bike done")
    assert "BikeMarkedDone" in [a.event for a in found.actions]
    assert "MarkBikeDone" in [a.command for a in found.actions]


def test_an_embedded_question_is_not_a_relative_clause() -> None:
    found = events("Parking: a driver reserves a space and the screen shows who parks where")
    assert not any("Park" in e and e != "SpaceReserved" and not e.startswith("Screen") for e in found)


def test_a_relative_pronoun_refers_to_the_noun_right_before_it() -> None:
    found = storm("Taxi: the operator offers the job to a nearby cab, who accepts it")
    accepted = next(a for a in found.actions if a.event == "JobAccepted")
    assert accepted.actor == "nearby cab"


def test_a_leading_condition_without_a_comma_ends_where_the_next_statement_begins() -> None:
    found = events("Lottery: when the draw closes the ticket holder is notified")
    assert "DrawClosed" in found and "TicketHolderNotified" in found


def test_a_colon_after_a_statement_opens_a_list_of_statements() -> None:
    found = events("A club secretary keeps the roster of members: add a member, rename it or remove it")
    assert {"MemberAdded", "MemberRenamed", "MemberRemoved"} <= set(found)


def test_bare_verbs_in_a_list_share_the_object_at_its_end() -> None:
    found = events("Wiki: editors draft pages in a tool: create, review, translate and archive articles")
    assert {"ArticleCreated", "ArticleReviewed", "ArticleTranslated", "ArticleArchived"} <= set(found)


def test_plural_nouns_listed_after_a_verb_and_object_are_more_objects() -> None:
    found = events("Analytics: the tracker logs visits, scrolls and purchases")
    assert {"VisitLogged", "ScrollLogged", "PurchaseLogged"} <= set(found)


def test_a_stand_in_subject_is_the_thing_just_named() -> None:
    found = events("Returns: every parcel is weighed by a clerk; each is labelled, then shipped")
    assert "ParcelLabeled" in found or "ParcelLabelled" in found


def test_indefinite_pronouns_name_nothing() -> None:
    found = storm("Travel: when a trip is cancelled, everything booked so far is refunded")
    assert not any(a.event.startswith("Everything") for a in found.actions)


def test_a_causative_verb_records_what_its_object_does() -> None:
    assert "QuoteExpired" in events("Sales: the client accepts the quote or lets the quote expire")


def test_a_double_object_names_the_party_as_recipient() -> None:
    found = storm("Alerts: the monitor sends the engineer a page")
    action = found.actions[0]
    assert action.obj == "page" and action.recipient == "engineer"


def test_a_verb_whose_object_is_renamed_keeps_its_own_participle_in_the_passive() -> None:
    assert events("Visas: each visa application is checked against the watch list") == ["VisaApplicationChecked"]


def test_a_third_person_form_that_is_no_noun_is_the_verb_after_a_gerund_subject() -> None:
    found = storm("Hiring: recruiters screen candidates, and scheduling allocates interview slots")
    assert "InterviewSlotAllocated" in [a.event for a in found.actions]
