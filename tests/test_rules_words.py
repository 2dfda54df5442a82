"""Naming words: facts, states, imperatives, and the verb forms the fix hints use."""

from __future__ import annotations

import pytest
from archassist.agent.rules.verb_forms import past_forms, verb_of_past
from archassist.agent.rules.words import fact_name, has_past_tense_word, reads_as_command


@pytest.mark.parametrize(
    "name", ["DriverWentOnline", "LoanBecameOverdue", "ItemOutOfStock", "HoldReadyForPickup", "OrderPlaced",
             "PaymentSent", "SeatHeld", "DriverOffline"],
)
def test_facts_and_reached_states_read_as_facts(name: str) -> None:
    assert has_past_tense_word(name) and not reads_as_command(name)


@pytest.mark.parametrize("name", ["ReserveStock", "PlaceOrder", "HoldSeat", "SubmitPayment", "CancelOrder"])
def test_imperatives_read_as_commands(name: str) -> None:
    assert reads_as_command(name)


@pytest.mark.parametrize("name", ["runStart", "HoldReadyForPickup", "RunStatus", "StopEvent"])
def test_a_noun_that_is_also_a_verb_is_not_an_imperative(name: str) -> None:
    assert not reads_as_command(name)


@pytest.mark.parametrize(
    ("name", "fact"),
    [("ReserveStock", "StockReserved"), ("HoldSeat", "SeatHeld"), ("SendInvoice", "InvoiceSent"),
     ("SubmitOrder", "OrderSubmitted"), ("serviceChangeEvent", "ServiceChanged"),
     ("PaymentStatus", "PaymentStatusUpdated"), ("BeginCheckout", "CheckoutBegun")],
)
def test_fix_hints_name_a_real_past_tense_form(name: str, fact: str) -> None:
    assert fact_name(name) == fact


def test_irregular_forms_come_from_the_table() -> None:
    assert past_forms("go") == ("went", "gone")
    assert past_forms("become") == ("became", "become")
    assert past_forms("stop") == ("stopped", "stopped")
    assert verb_of_past("went") == "go"


def test_the_table_matches_lemminflect() -> None:
    lemminflect = pytest.importorskip("lemminflect")
    for verb in ("go", "become", "hold", "send", "begin", "write", "submit", "ship", "reserve", "apply"):
        assert past_forms(verb)[0] == lemminflect.getInflection(verb, "VBD")[0].lower(), verb
