"""domain_coverage: the design has what the brief is about, carries what it requires, and knows when to stop."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archassist.evals.base import Scenario, Score
from archassist.evals.concepts import match_concepts, parse_concept
from archassist.evals.scorers.common import ParamScorer, rate
from archassist.evals.scorers.scalability import design_peak_eps
from archassist.evals.scorers.sheet import Check, Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {"concepts": 3.0, "requirements": 2.0, "fit": 2.0}
THRESHOLDS = {"max_small_services": 3.0}
# Words with which a design says that events are more than the brief needs.
CONCEDES = re.compile(
    r"\bcrud\b|overkill|over-engineer|simpler|\bsynchronous (?:api|call|request|update|write)|request[/-]response"
    r"|plain (?:database|table|rest|http)|\bmonolith|single service|not (?:need|warrant|justify)|no need for",
    re.IGNORECASE,
)


def _text_of(design: Design) -> str:
    parts = [design.summary, *design.assumptions, *design.notices]
    parts += [f"{d.title} {d.context} {d.decision} {d.consequences} {' '.join(d.alternatives)}" for d in design.decisions]
    parts += [f"{t.title} {t.benefit} {t.cost} {t.mitigation}" for t in design.tradeoffs]
    parts += [f"{n.text} {n.reason}" for n in design.not_modelled]
    return "\n".join(parts)


def _bounds(bounds: list[float]) -> str:
    return f"{bounds[0]:,g}–{bounds[1]:,g}/s"


def _within(value: float | None, bounds: list[float]) -> bool:
    return value is not None and bounds[0] <= value <= bounds[1]


class DomainCoverageScorer(ParamScorer):
    """Applies when the scenario lists expected concepts or stated requirements, or says events do not fit.

    Checks (weight):

    - concepts (3): each expected concept is in the design (services, events, the longest saga, keyed events,
      and no forbidden concept), matched as described in :mod:`archassist.evals.concepts`.
    - requirements (2): each requirement the scenario states is carried into the design: the peak and sustained
      rates within the stated range, history kept at least the retention (in the requirements or by a topic,
      event store or archive), personal data flagged (and at least one field marked pii), audit flagged, the
      consistency asked for (strong: stated, or a strong command), a latency target at least as tight.
    - fit (2): for a scenario where event-driven design is overkill (``event_driven_fits: false``), the design
      stays small (at most ``max_small_services`` services, no saga, no event sourcing: a third each) and says
      so (a decision, trade-off, notice or assumption concedes that a simpler, synchronous or CRUD design fits).
    """

    name = "domain_coverage"
    description = "Expected concepts present, stated requirements carried, and small flows kept small."
    default_weights = WEIGHTS
    default_thresholds = THRESHOLDS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        sheet = Sheet(self.name, self._params.weights)
        if scenario is None:
            return sheet.score("no scenario, so no expected concepts or requirements to cover")
        concepts = sheet.check("concepts", "expected concepts present")
        parsed = tuple(parse_concept(text) for text in scenario.expected_concepts)
        for result in match_concepts(design, parsed):
            if result.concept.kind == "forbid":
                concepts.record(result.found, f"has {result.detail}, which the brief does not have")
            else:
                detail = f" ({result.detail})" if result.detail and result.concept.kind == "saga_steps" else ""
                concepts.record(result.found, f"no {result.concept.label.removeprefix('a ').removeprefix('an ')}{detail}")
        _requirements(design, scenario.requirements, sheet.check("requirements", "stated requirements carried"))
        if not scenario.event_driven_fits:
            fit = sheet.check("fit", "kept small and says events are overkill")
            small = [
                len(design.services) <= self._params.thresholds["max_small_services"],
                not design.sagas,
                not (design.style.event_sourcing or any(s.event_sourced for s in design.services)),
            ]
            fit.record(sum(small) / 3, f"{len(design.services)} services, {len(design.sagas)} sagas"
                       + (", event sourcing" if not small[2] else ""))
            fit.record(bool(CONCEDES.search(_text_of(design))), "never says a simpler design would do")
        return sheet.score("the scenario lists no expected concepts or requirements")


def _requirements(design: Design, stated: Mapping[str, Any], check: Check) -> None:
    wants = design.requirements
    if "peak_eps" in stated:
        peak = design_peak_eps(design)
        check.record(_within(peak, stated["peak_eps"]), f"peak {rate(peak or 0)} outside {_bounds(stated['peak_eps'])}")
    if "throughput_eps" in stated:
        check.record(_within(wants.throughput_eps, stated["throughput_eps"]),
                     f"throughput {rate(wants.throughput_eps or 0)} outside {_bounds(stated['throughput_eps'])}")
    if "retention_days" in stated:
        days = float(stated["retention_days"])
        kept = (wants.retention_days or 0) >= days or _history_kept(design, days)
        check.record(kept, f"history is not kept {days:g} days")
    if "pii" in stated:
        if stated["pii"]:
            marked = any(f.pii for e in design.events for f in e.fields)
            check.record((wants.pii + marked) / 2, "personal data " + ("not flagged" if not wants.pii else "in no field"))
        else:
            check.record(not wants.pii, "personal data flagged though the brief has none")
    if "audit" in stated:
        check.record(wants.audit == stated["audit"], f"audit is {wants.audit}")
    if "consistency" in stated:
        asked = stated["consistency"]
        strong_command = any(c.consistency == "strong" for c in design.commands)
        ok = {
            "strong": wants.consistency == "strong" or strong_command,
            "read_your_writes": wants.consistency in ("strong", "read_your_writes") or strong_command,
            "eventual": True,
        }[asked]
        check.record(ok, f"consistency {wants.consistency}, the brief asks {asked}")
    if "latency_p99_ms" in stated:
        target = wants.latency_p99_ms
        check.record(target is not None and target <= stated["latency_p99_ms"],
                     f"latency target {target or 'none'} ms, the brief asks {stated['latency_p99_ms']:g} ms")


def _history_kept(design: Design, days: float) -> bool:
    """Whether an event store, an archive or a topic keeps events at least ``days`` (None keeps them forever)."""
    from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic
    from archassist.agent.rules.topology import store_keeps_history

    if store_keeps_history(design, days):
        return True
    archive = design.archive
    if archive is not None and (archive.retention_days is None or archive.retention_days >= days):
        return True
    return any(
        (t.retention_days is None or t.retention_days >= days) and t.events
        and not (is_dead_letter_topic(t) or is_retry_topic(t))
        for t in design.topics
    )
