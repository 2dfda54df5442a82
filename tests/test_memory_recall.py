"""Recall and precedents: what the memory hands the planner, and queries that can never break FTS5."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from archassist.agent.memory import (
    MemoryStore,
    add_decision,
    add_decisions,
    open_store,
    precedents_for_brief,
    recall,
    record_design,
    similar_designs,
    supersede,
)
from archassist.agent.memory.recall import MAX_TERMS, SCORE_BUDGET, fts_query, query_terms
from archassist.agent.model.design import Decision, Design
from archassist.agent.model.precedents import Precedent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BRIEF = "order fulfillment across payments, inventory and shipping"


@pytest.fixture()
def store(tmp_path: Path) -> MemoryStore:
    with open_store(tmp_path / "memory.db") as opened:
        yield opened  # type: ignore[misc]


def test_an_accepted_decision_becomes_a_precedent_until_it_is_superseded(store: MemoryStore) -> None:
    old = add_decision(
        store,
        title="Order workflows use orchestration",
        context="Fulfilment spans payment, inventory and shipping services.",
        decision="An orchestrated saga in the order service drives each step and its compensation.",
        tags=["sagas"],
    )
    add_decision(store, title="Telemetry ingestion batches device readings", decision="Batch per device")
    found = precedents_for_brief(store, BRIEF)
    assert [p.id for p in found] == [old.ref]
    precedent = found[0]
    assert isinstance(precedent, Precedent)
    assert (precedent.title, precedent.status, precedent.tags) == (old.title, "accepted", ("sagas",))
    assert precedent.decision == old.decision and precedent.context == old.context
    assert precedent.score > 0

    new = add_decision(
        store,
        title="Order workflows use choreography",
        decision="Services react to order events; no central orchestrator.",
        tags=["choreography"],
    )
    supersede(store, old.ref, new.ref)
    assert [p.id for p in precedents_for_brief(store, BRIEF)] == [new.ref]


@pytest.mark.parametrize("status", ["proposed", "rejected", "deprecated", "superseded"])
def test_only_accepted_decisions_are_precedents(store: MemoryStore, status: str) -> None:
    add_decision(store, title="Order workflows use orchestration", status=status)
    assert precedents_for_brief(store, BRIEF) == []
    assert [r.status for r in recall(store, "order orchestration")] == [status]


def test_precedents_ignore_words_every_brief_shares(store: MemoryStore) -> None:
    add_decision(store, title="Event-driven system design uses services", decision="We need to build a platform")
    assert precedents_for_brief(store, "Design an event-driven system with services") == []
    assert precedents_for_brief(store, "") == []


def test_a_decision_recorded_by_several_designs_is_stored_once(store: MemoryStore) -> None:
    design = Design(name="orders", brief=BRIEF, decisions=[Decision(title="Order workflows use orchestration")])
    ids = [record_design(store, design, backend="offline") for _ in range(3)]
    assert len(precedents_for_brief(store, BRIEF)) == 1
    assert [r.id for r in recall(store, "orchestration")] == [1]
    assert store.query("SELECT count(*) FROM design_decisions WHERE decision_id = 1")[0][0] == 3
    assert len(ids) == 3
    assert [d.name for d in similar_designs(store, "order fulfillment")] == ["orders"] * 3


def test_recall_ranks_title_matches_first_and_filters_status(store: MemoryStore) -> None:
    body = add_decision(store, title="Ledger entries are immutable", context="Refunds reverse a payment entry.")
    title = add_decision(store, title="Refunds go through the payment saga", decision="Saga step")
    add_decision(store, title="Refund notifications", status="rejected")
    found = recall(store, "refund payment")
    assert found[0].id == title.id and body.id in [r.id for r in found]
    assert all(a.score is not None and b.score is not None and a.score >= b.score for a, b in itertools.pairwise(found))
    assert [r.status for r in recall(store, "refund", status="rejected")] == ["rejected"]
    assert len(recall(store, "refund", limit=1)) == 1
    assert recall(store, "refund", limit=0) == []


def test_porter_stemming_matches_word_forms(store: MemoryStore) -> None:
    record = add_decision(store, title="Consumers retry with exponential backoff")
    assert [r.id for r in recall(store, "retrying consumer")] == [record.id]


def test_a_query_without_words_recalls_nothing(store: MemoryStore) -> None:
    add_decision(store, title="Anything")
    for query in ("", "   ", "---", '"', "()", "*", "- + ^ :"):
        assert recall(store, query) == []


def test_stopword_only_queries_still_search_their_words(store: MemoryStore) -> None:
    record = add_decision(store, title="What we do about it")
    assert [r.id for r in recall(store, "what about")] == [record.id]


def test_query_terms_are_bounded_and_quoted() -> None:
    many = " ".join(f"word{i}" for i in range(1000))
    assert len(query_terms(many)) == MAX_TERMS
    assert query_terms('order-workflow "AND" NEAR(x) OR payments*') == [
        "order", "workflow", "near", "x", "payments"
    ]
    assert fts_query(["and", "near"]) == '"and" OR "near"'


def test_large_matches_stay_ranked_within_the_budget(store: MemoryStore) -> None:
    rows = [{"title": f"Shipping label {i}", "decision": "carrier integration"} for i in range(SCORE_BUDGET + 50)]
    rows.append({"title": "Rare pallet rule", "decision": "carrier integration for pallets"})
    add_decisions(store, rows)
    found = recall(store, "pallet carrier", limit=5)
    assert found[0].title == "Rare pallet rule"  # a selective word wins over a very common one
    assert len(found) == 5
    assert len(recall(store, "carrier", limit=5)) == 5


SPECIAL = st.sampled_from(
    ['"', "'", "-", "*", "^", ":", "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(", "{", "}", "+", "_", "\\",
     "\x00", "é", "ß", "ﬁ", "İ", "日本", "🙂", "\u200b", "title:", "a*", "-x", '""', "' OR 1=1 --"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.text(max_size=30), SPECIAL), max_size=12).map(" ".join))
def test_any_query_string_is_safe(store: MemoryStore, query: str) -> None:
    if not store.query("SELECT 1 FROM decisions LIMIT 1"):
        add_decision(store, title="Payments use the outbox", decision="AND OR NOT NEAR déjà vu 日本 🙂")
    recall(store, query)
    recall(store, query, status="accepted")
    precedents_for_brief(store, query)
    similar_designs(store, query)
