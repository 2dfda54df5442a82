"""The shipped scenarios and the scenario loader: strict, one line per problem, with the file, line and fix."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from archassist.agent.model.design import Design, Event, Saga, SagaStep, Service, Topic
from archassist.evals.concepts import Concept, match_concepts, parse_concept
from archassist.evals.scenario import (
    SCENARIO_FOLDER,
    ScenarioError,
    find_scenario,
    load_scenario_file,
    load_scenarios,
    scenario_files,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

DEV_BRIEFS = ROOT.parent / "shared" / "briefs" / "dev.json"
GOOD = """\
brief: A library lends books and sends reminders.
domain: libraries
difficulty: small
requirements:
  peak_eps: [1, 10]
  pii: true
expected_concepts:
  services: [loan]
  events: ['Book\\w*Lent']
  saga_steps: 2
  keys: [[Loan, 'loan|book']]
  forbid: [Payment]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- the shipped set ------------------------------------------------------------------------------------------


def test_the_shipped_scenarios_load_and_spread_over_domains_and_difficulty() -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 30
    assert [s.id for s in scenarios] == sorted(p.stem for p in scenario_files())
    assert len({s.domain for s in scenarios}) >= 15
    assert set(Counter(s.difficulty for s in scenarios)) == {"small", "medium", "hard"}
    small_flows = [s for s in scenarios if not s.event_driven_fits]
    assert len(small_flows) >= 4 and all(s.difficulty == "small" for s in small_flows)
    with_concepts = [s for s in scenarios if s.expected_concepts]
    assert len(with_concepts) >= 25
    assert any(not s.expected_concepts and not s.requirements for s in scenarios)  # domain coverage n/a
    for chosen in scenarios:
        for text in chosen.expected_concepts:
            assert parse_concept(text).text == text


def test_the_shipped_briefs_are_our_own() -> None:
    if not DEV_BRIEFS.exists():
        pytest.skip(f"the shared brief set is not here: {DEV_BRIEFS}")
    theirs = [case["brief"].lower() for case in json.loads(DEV_BRIEFS.read_text(encoding="utf-8"))]
    for chosen in load_scenarios():
        ours = chosen.brief.lower()
        closest = max(difflib.SequenceMatcher(None, ours, brief).ratio() for brief in theirs)
        assert closest < 0.5, (chosen.id, closest)


def test_a_scenario_file_reads_into_a_scenario(tmp_path: Path) -> None:
    found = load_scenario_file(write(tmp_path, "lending.yaml", GOOD))
    assert found.id == "lending" and found.difficulty == "small" and found.domain == "libraries"
    assert found.requirements == {"peak_eps": [1.0, 10.0], "pii": True}
    assert found.expected_concepts == (
        "service: loan",
        "event: Book\\w*Lent",
        "forbid: Payment",
        "saga_steps: 2",
        "key: Loan => loan|book",
    )
    assert found.event_driven_fits


# ---- loader errors --------------------------------------------------------------------------------------------

BAD = [
    ("brief: [x]\n", "lending.yaml:1: scenario field 'brief' is required"),
    ("domain: x\n", "scenario field 'brief' is required"),
    ("brief: b\nbreif: c\n", "field 'breif' is not known; did you mean 'brief'?"),
    ("brief: b\ndifficulty: easy\n", "lending.yaml:2: scenario field 'difficulty' must be one of small, medium, hard"),
    ("brief: b\nevent_driven_fits: maybe\n", "'event_driven_fits' must be true or false"),
    ("brief: b\nid: other\n", "field 'id' is 'other' but the file is lending.yaml"),
    ("brief: b\nrequirements:\n  peak_eps: 700\n", "lending.yaml:3: scenario field 'requirements.peak_eps' must be a [low, high] range"),
    ("brief: b\nrequirements:\n  peak_eps: [9, 1]\n", "'requirements.peak_eps' must be a [low, high] range"),
    ("brief: b\nrequirements:\n  retention_days: -1\n", "'requirements.retention_days' must be a number of days above 0"),
    ("brief: b\nrequirements:\n  consistency: total\n", "must be one of eventual, strong, read_your_writes"),
    ("brief: b\nrequirements:\n  rate: 1\n", "'requirements.rate' is not known"),
    ("brief: b\nexpected_concepts:\n  pii: true\n", "it is a stated requirement: move it under 'requirements'"),
    ("brief: b\nexpected_concepts:\n  events: ['Order(Placed']\n", "lending.yaml:3: scenario field 'expected_concepts.events[0]' is not a valid regular expression"),
    ("brief: b\nexpected_concepts:\n  services: order\n", "'expected_concepts.services' must be a list of regular expressions"),
    ("brief: b\nexpected_concepts:\n  saga_steps: 0\n", "'expected_concepts.saga_steps' must be a whole number of at least 1"),
    ("brief: b\nexpected_concepts:\n  keys: [Order]\n", "'expected_concepts.keys[0]' must be an [event regex, key regex] pair"),
    ("- brief\n", "a scenario is a mapping with at least 'brief'"),
    ("brief: [unclosed\n", "invalid YAML/JSON"),
    ("", "the document is empty"),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_a_bad_scenario_is_refused_in_one_line_naming_file_field_and_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "lending.yaml", text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario_file(path)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path) in message and expected in message, message


def test_file_names_are_scenario_ids(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="the file name is the scenario id"):
        load_scenario_file(write(tmp_path, "Lending Books.yaml", GOOD))
    with pytest.raises(ScenarioError, match=r"a scenario is a \.yaml file"):
        load_scenario_file(write(tmp_path, "lending.txt", GOOD))
    write(tmp_path, "lending.yaml", GOOD)
    write(tmp_path, "lending.yml", GOOD)
    with pytest.raises(ScenarioError, match="two files give scenario 'lending'"):
        load_scenarios(folder=tmp_path)


def test_scenarios_are_chosen_by_globs_over_ids_and_file_names(tmp_path: Path) -> None:
    for name in ("lending.yaml", "late-fees.yaml", "holds.yaml"):
        write(tmp_path, name, GOOD)
    assert [s.id for s in load_scenarios(folder=tmp_path)] == ["holds", "late-fees", "lending"]
    assert [s.id for s in load_scenarios("l*", folder=tmp_path)] == ["late-fees", "lending"]
    assert [s.id for s in load_scenarios("holds.yaml, lending", folder=tmp_path)] == ["holds", "lending"]
    with pytest.raises(ScenarioError, match=r"no scenario matches 'loans' in .*; ids look like: holds, late-fees"):
        load_scenarios("loans", folder=tmp_path)
    with pytest.raises(ScenarioError, match="no such scenario folder"):
        load_scenarios(folder=tmp_path / "missing")


def test_a_scenario_is_found_by_id_or_by_file(tmp_path: Path) -> None:
    assert find_scenario("home-claims").id == "home-claims"
    assert find_scenario(str(SCENARIO_FOLDER / "home-claims.yaml")).id == "home-claims"
    assert find_scenario("lending", folder=Path(write(tmp_path, "lending.yaml", GOOD)).parent).id == "lending"
    with pytest.raises(ScenarioError, match="unknown scenario 'home-claim'; did you mean 'home-claims'"):
        find_scenario("home-claim")


# ---- the concept matcher --------------------------------------------------------------------------------------


def concept_design() -> Design:
    return Design(
        name="lending",
        services=[Service(name="loan-service"), Service(name="notification-service")],
        topics=[Topic(name="loans.events", partition_key="loan_id")],
        events=[Event(name="BookLent", topic="loans.events"), Event(name="ReminderSent", partition_key="member_id")],
        sagas=[Saga(name="lend", steps=[SagaStep(name="a", service="loan-service"),
                                        SagaStep(name="b", service="notification-service")])],
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("service: LOAN", True),
        ("service: fee|fine", False),
        ("event: Book\\w*Lent", True),
        ("event: Lent$", True),
        ("saga_steps: 2", True),
        ("saga_steps: 3", False),
        ("key: Book => loan", True),  # the topic's key when the event has none
        ("key: Reminder => member", True),
        ("key: Reminder => loan", False),
        ("forbid: Payment", True),
        ("forbid: Reminder", False),
    ],
)
def test_concepts_are_matched_like_the_brief_sets_do(text: str, found: bool) -> None:
    concept = parse_concept(text)
    [result] = match_concepts(concept_design(), (concept,))
    assert result.found is found


@pytest.mark.parametrize("text", ["thing: x", "service:", "saga_steps: two", "key: Book", "event: (unclosed"])
def test_a_concept_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_concept(text)


def test_a_concept_labels_itself_for_reasons() -> None:
    assert Concept("key", "Seat", "seat_id").label == "an event /Seat/ keyed by /seat_id/"
    assert Concept("saga_steps", count=3).text == "saga_steps: 3"


_SCALARS = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)
_FIELDS = st.sampled_from(["brief", "domain", "difficulty", "event_driven_fits", "requirements",
                           "expected_concepts", "id", "notes"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(_FIELDS, _VALUES, max_size=5),
    requirements=st.dictionaries(st.sampled_from(["peak_eps", "pii", "consistency", "retention_days"]), _VALUES),
)
def test_any_document_loads_or_is_refused_in_one_line(
    tmp_path: Path, data: dict[str, object], requirements: dict[str, object]
) -> None:
    document = {"brief": "a brief", **data}
    if requirements:
        document["requirements"] = requirements
    path = tmp_path / "lending.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    try:
        found = load_scenario_file(path)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert found.id == "lending" and found.brief.strip()
