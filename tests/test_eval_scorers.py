"""The scorers are valid, not decorative: each one falls when a good design is broken in the way it is about,
the others hardly move, the same design always gets the same scores, and the offline planner beats the naive
baseline on every criterion over the shipped scenarios."""

from __future__ import annotations

import inspect
import json
import math
import random
from collections.abc import Callable
from functools import cache
from statistics import mean

import pytest
from archassist.agent.errors import InputError
from archassist.agent.model.design import Decision, Design, Suppression
from archassist.agent.rules.engine import run
from archassist.evals.base import CRITERIA, Scenario, Score, Scorer
from archassist.evals.contestants.baseline import BaselineContestant, entities
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.scenario import find_scenario, load_scenarios
from archassist.evals.scorers.rules import RulesScorer
from archassist.evals.scorers.scalability import ScalabilityScorer, design_peak_eps, scaled_to
from archassist.evals.scoring import applies, default_scorers, score_design, scorer_by_name, total
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import eval_mutations as mutate

# A criterion's own mutation must cost it at least this much; an unrelated criterion may move at most this much.
DROP = 15.0
STILL = 5.0
# The good designs mutated: the offline planner's designs of scenarios with sagas, hot topics and concepts.
GOOD = ("timed-auctions", "home-claims")


@cache
def scenario(scenario_id: str) -> Scenario:
    return find_scenario(scenario_id)


@cache
def _planned(scenario_id: str) -> str:
    return OfflineContestant().design(scenario(scenario_id)).model_dump_json()


def planned(scenario_id: str) -> Design:
    """A fresh copy of the planner's design (tests mutate designs; the cache keeps only JSON)."""
    return Design.model_validate_json(_planned(scenario_id))


def values(design: Design, chosen: Scenario | None) -> dict[str, float]:
    return {name: s.value for name, s in score_design(design, chosen).items()}


# ---- sensitivity ----------------------------------------------------------------------------------------------

# criterion → (mutation, the other criteria the same change legitimately reaches)
SENSITIVITY: dict[str, tuple[Callable[[Design, Scenario], Design], frozenset[str]]] = {
    "idempotency": (lambda d, s: mutate.remove_idempotency(d), frozenset({"rules"})),
    "coupling": (lambda d, s: mutate.sync_calls_on_saga_path(d), frozenset({"rules"})),
    # outage drain (resilience) rests on the same capacity figures as the partition count
    "scalability": (lambda d, s: mutate.under_partition_hot_topic(d), frozenset({"rules", "resilience"})),
    "resilience": (lambda d, s: mutate.drop_dead_letters_and_retries(d), frozenset({"rules"})),
    "evolvability": (lambda d, s: mutate.drop_versions(d), frozenset({"rules"})),
    "observability": (lambda d, s: mutate.drop_observability(d), frozenset({"rules"})),
    "domain_coverage": (mutate.remove_expected_concepts, frozenset({"rules"})),
    "rules": (lambda d, s: mutate.plant_rule_violations(d), frozenset()),
}


def test_every_criterion_has_a_sensitivity_mutation() -> None:
    assert set(SENSITIVITY) == set(CRITERIA)


@pytest.mark.parametrize("scenario_id", GOOD)
@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_scorer_falls_when_its_criterion_is_broken_and_the_others_hold(criterion: str, scenario_id: str) -> None:
    chosen = scenario(scenario_id)
    good = planned(scenario_id)
    before = values(good, chosen)
    mutation, related = SENSITIVITY[criterion]
    after = values(mutation(good, chosen), chosen)
    assert before[criterion] - after[criterion] >= DROP, (criterion, before[criterion], after[criterion])
    for other in set(CRITERIA) - {criterion} - related:
        assert abs(after[other] - before[other]) <= STILL, (criterion, other, before[other], after[other])
    assert values(good, chosen) == before  # the mutation worked on a copy


@pytest.mark.parametrize("scenario_id", GOOD)
def test_the_good_designs_are_good_on_what_is_mutated(scenario_id: str) -> None:
    # a mutation can only show a fall from a design that did well on the criterion in the first place
    found = values(planned(scenario_id), scenario(scenario_id))
    for criterion in set(CRITERIA) - {"domain_coverage"}:
        assert found[criterion] >= 90, (criterion, found[criterion])
    assert found["domain_coverage"] >= 60


def test_stating_less_load_does_not_buy_scalability() -> None:
    chosen = scenario("timed-auctions")
    good = planned("timed-auctions")
    understated = scaled_to(good, 0.01)
    scorer = ScalabilityScorer()
    assert design_peak_eps(understated) < chosen.requirements["peak_eps"][0]
    honest, shy = scorer.score(good, chosen), scorer.score(understated, chosen)
    assert shy.value < honest.value
    assert any("brief's peak" in reason for reason in shy.reasons)


def test_under_partitioning_is_reported_with_the_group_and_the_counts() -> None:
    good = planned("home-claims")
    hot = mutate.hottest_topic(good)
    found = scorer_by_name("scalability").score(mutate.under_partition_hot_topic(good), scenario("home-claims"))
    assert any(hot in reason and "1 of" in reason for reason in found.reasons), found.reasons


def test_a_small_flow_scores_fit_when_the_design_concedes_events_are_overkill() -> None:
    chosen = scenario("desk-booking")
    assert not chosen.event_driven_fits
    design = OfflineContestant().design(chosen)
    plain = scorer_by_name("domain_coverage").score(design, chosen)
    design.decisions.append(
        Decision(title="A plain CRUD service", decision="One service with a database and a synchronous API; "
                 "events are overkill for 300 bookings a day.")
    )
    conceded = scorer_by_name("domain_coverage").score(design, chosen)
    assert conceded.value > plain.value
    assert conceded.details["checks"]["fit"]["share"] > plain.details["checks"]["fit"]["share"]


# ---- what a score says ----------------------------------------------------------------------------------------


def test_every_scorer_documents_its_criteria_and_records_its_params() -> None:
    scorers = default_scorers()
    assert [s.name for s in scorers] == list(CRITERIA)
    for scorer in scorers:
        assert isinstance(scorer, Scorer) and scorer.description
        doc = inspect.getdoc(type(scorer)) or ""
        params = dict(scorer.params)
        json.dumps(params)  # recorded with runs
        for key in params.get("weights", {}):
            assert f"{key} (" in doc or key in ("error", "warning", "info", "suppressed"), (scorer.name, key)


def test_scores_are_between_0_and_100_with_reasons() -> None:
    for chosen in load_scenarios("card-*,desk-*,esports-*"):
        for contestant in (OfflineContestant(), BaselineContestant()):
            for name, found in score_design(contestant.design(chosen), chosen).items():
                assert found.criterion == name
                assert 0 <= found.value <= 100 and math.isfinite(found.value)
                assert found.reasons and all(isinstance(r, str) and r for r in found.reasons)


def test_a_criterion_without_anything_to_judge_says_so_and_is_left_out_of_the_total() -> None:
    empty = Design(name="empty")
    scores = score_design(empty, None)
    for name in ("idempotency", "resilience", "evolvability", "observability", "domain_coverage"):
        assert not applies(scores[name]) and scores[name].value == 100.0
        assert scores[name].reasons[0].startswith("does not apply")
    judged = [s.value for s in scores.values() if applies(s)]
    assert total(scores) == round(mean(judged), 2)
    assert not applies(score_design(planned("home-claims"), None)["domain_coverage"])
    assert not applies(score_design(planned("home-claims"), scenario("esports-brackets"))["domain_coverage"])


def test_total_weights_the_criteria_that_apply() -> None:
    scores = {
        "a": Score("a", 80.0, details={"applies": True}),
        "b": Score("b", 40.0, details={"applies": True}),
        "c": Score("c", 100.0, details={"applies": False}),
    }
    assert total(scores) == 60.0
    assert total(scores, {"a": 3.0}) == 70.0
    assert total({}) == 0.0


def test_params_can_be_overridden_and_unknown_ones_are_refused() -> None:
    design, chosen = planned("home-claims"), scenario("home-claims")
    broken = mutate.remove_idempotency(design)
    only_consumers = scorer_by_name(
        "idempotency", weights={"keys": 0, "dedup_window": 0, "commands": 0, "compensations": 0, "projections": 0}
    )
    assert only_consumers.params["weights"]["keys"] == 0
    assert only_consumers.score(broken, chosen).value == 0.0
    assert list(only_consumers.score(design, chosen).details["checks"]) == ["consumers"]
    with pytest.raises(ValueError, match="unknown weight 'consumer'"):
        scorer_by_name("idempotency", weights={"consumer": 1})
    with pytest.raises(ValueError, match="at least 0"):
        scorer_by_name("coupling", thresholds={"max_dependencies": -1})
    with pytest.raises(InputError, match="did you mean 'coupling'"):
        scorer_by_name("couplng")


def test_the_rules_score_follows_its_documented_formula() -> None:
    design = mutate.drop_dead_letters_and_retries(planned("home-claims"))
    scorer = RulesScorer()
    found = scorer.score(design, None)
    weights = scorer.params["weights"]
    findings = run(design).findings
    penalty = sum(weights[f.severity] for f in findings)
    assert found.details["penalty"] == pytest.approx(penalty)
    assert found.value == round(100 * 50 / (50 + penalty), 2)
    assert found.details["counts"]["error"] == sum(f.severity == "error" for f in findings)


def test_suppressing_findings_does_not_buy_a_clean_rules_score() -> None:
    design = mutate.drop_dead_letters_and_retries(planned("home-claims"))
    codes = sorted({f.code for f in run(design).findings})
    silenced = design.model_copy(update={"suppressions": [Suppression(code=c, reason="accepted") for c in codes]})
    assert run(silenced).findings == [] or all(f.code == "EDA927" for f in run(silenced).findings)
    scorer = RulesScorer()
    assert scorer.score(design, None).value < scorer.score(silenced, None).value < 100


# ---- determinism ----------------------------------------------------------------------------------------------


def test_the_same_design_gets_the_same_scores() -> None:
    chosen = scenario("timed-auctions")
    design = planned("timed-auctions")
    first = score_design(design, chosen)
    again = score_design(Design.model_validate_json(design.model_dump_json()), chosen)
    assert first == again
    assert OfflineContestant().design(chosen) == OfflineContestant().design(chosen)
    assert BaselineContestant().design(chosen) == BaselineContestant().design(chosen)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_the_order_parts_are_listed_in_does_not_change_a_score(seed: int) -> None:
    design, chosen = planned("home-claims"), scenario("home-claims")
    shuffler = random.Random(seed)
    shuffled = design.model_copy(deep=True)
    for part in ("services", "events", "topics", "consumers", "projections", "commands", "aggregates"):
        items = list(getattr(shuffled, part))
        shuffler.shuffle(items)
        setattr(shuffled, part, items)
    before, after = values(design, chosen), values(shuffled, chosen)
    assert after == pytest.approx(before, abs=0.01)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_more_consumers_without_idempotency_never_raise_the_idempotency_score(data: st.DataObject) -> None:
    design = planned("timed-auctions")
    names = [c.name for c in design.consumers]
    more = data.draw(st.sets(st.sampled_from(names)))
    fewer = data.draw(st.sets(st.sampled_from(sorted(more)))) if more else set()
    scorer = scorer_by_name("idempotency")

    def without(chosen: set[str]) -> float:
        copy = design.model_copy(deep=True)
        for consumer in copy.consumers:
            if consumer.name in chosen:
                consumer.idempotency.strategy = "none"
        return scorer.score(copy, None).value

    assert without(more) <= without(fewer)
    if more != fewer:
        assert without(more) < without(fewer)


# ---- contestants on the shipped scenarios ---------------------------------------------------------------------

OFFLINE_LEAD = 10.0  # points on the mean of every criterion


def test_the_offline_planner_beats_the_baseline_on_every_criterion() -> None:
    scenarios = load_scenarios()
    means: dict[str, dict[str, float]] = {}
    for contestant in (OfflineContestant(), BaselineContestant()):
        found: dict[str, list[float]] = {name: [] for name in CRITERIA}
        for chosen in scenarios:
            for name, score in score_design(contestant.design(chosen), chosen).items():
                if applies(score):
                    found[name].append(score.value)
        means[contestant.name] = {name: mean(vals) for name, vals in found.items()}
    for name in CRITERIA:
        assert means["offline"][name] - means["baseline"][name] >= OFFLINE_LEAD, (name, means)


def test_the_baseline_is_the_newcomers_sketch_of_the_brief() -> None:
    chosen = scenario("home-claims")
    design = BaselineContestant().design(chosen)
    assert [t.name for t in design.topics] == ["events"] and design.topics[0].partitions is None
    assert all(e.partition_key is None and e.version is None and e.compatibility is None for e in design.events)
    assert all(c.dead_letter is None and c.idempotency.strategy == "none" for c in design.consumers)
    assert len({s.database for s in design.services}) == 1
    assert [f"{n}-service" for n in entities(chosen.brief)] == [s.name for s in design.services]
    assert "claim" in entities(chosen.brief)
