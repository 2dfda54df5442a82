"""scalability: the topics and consumer groups absorb the peak the brief states, and no key is hot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer, index_of, rate
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {
    "load_stated": 1.0,
    "sized_for_brief": 2.0,
    "partition_counts": 1.0,
    "partitions_for_peak": 2.0,
    "consumer_capacity": 3.0,
    "bottleneck": 2.0,
    "hot_keys": 2.0,
    "hot_aggregates": 1.0,
}
THRESHOLDS = {
    "target_utilisation": 0.7,  # the capacity model's sizing target
    "saturated_credit": 0.3,  # credit of a group at exactly 100 % utilisation (linear from the target)
    "unkeyed_credit": 0.5,  # an unkeyed event spreads load but cannot scale keyed, stateful work out
}
# Keys with few distinct values put a large share of the load on one partition.
LOW_CARDINALITY_KEYS = frozenset(
    {
        "type", "kind", "status", "state", "region", "country", "currency", "category", "level", "priority",
        "severity", "source", "channel", "env", "environment", "zone", "shard", "bool", "flag", "true", "false",
    }
)


def design_peak_eps(design: Design) -> float | None:
    """The peak rate the design states: its sustained rate times the peak factor, else its busiest topic's."""
    sustained = design.requirements.throughput_eps
    if sustained is not None:
        return sustained * design.requirements.peak_factor
    stated = [t.throughput_eps for t in design.topics if t.throughput_eps is not None]
    return max(stated) if stated else None


def scaled_to(design: Design, factor: float) -> Design:
    """A copy of the design carrying ``factor`` times its stated load (the design itself is not changed)."""
    requirements = design.requirements.model_copy(
        update={"throughput_eps": (design.requirements.throughput_eps or 0) * factor or None}
    )
    topics = [
        t.model_copy(update={"throughput_eps": t.throughput_eps * factor}) if t.throughput_eps is not None else t
        for t in design.topics
    ]
    return design.model_copy(update={"requirements": requirements, "topics": topics})


def _key_is_hot(key: str) -> str | None:
    """Why a partition key concentrates load (a constant, a low-cardinality attribute), or None."""
    if key[:1] in ("'", '"') and key[-1:] == key[:1]:
        return "a constant key"
    from archassist.agent.rules.words import split_words

    words = split_words(key)
    if words and words[-1] in LOW_CARDINALITY_KEYS:
        return f"'{key}' has few distinct values"
    return None


class ScalabilityScorer(ParamScorer):
    """Checks (weight):

    - load_stated (1): the design states its load (a sustained rate, or per-topic rates), so it can be sized.
    - sized_for_brief (2): when the scenario states a peak, the design's own peak is at least the scenario's
      lower bound (credit: the ratio). The other load checks then use the scenario's peak: the design's stated
      rates are scaled up to it, so a design cannot score well by under-stating its load.
    - partition_counts (1): every operational topic declares its partition count.
    - partitions_for_peak (2): each consumer group's topic has the partitions the capacity model needs for the
      peak at ``target_utilisation`` (credit: have / need), weighted by the topic's peak rate.
    - consumer_capacity (3): each consumer group absorbs its topic's peak: full credit up to
      ``target_utilisation`` (70 %), falling linearly to ``saturated_credit`` at 100 % and 0 above, weighted by
      the peak rate, so a hot topic counts for more than a quiet one.
    - bottleneck (2): the tightest consumer group on the same scale (one item): a flow is only as fast as its
      slowest stage, so one saturated group costs the design even when it carries little of the total load.
    - hot_keys (2): every event is partitioned by a key that spreads its load: a constant or a low-cardinality
      attribute (status, region, type) scores 0, an event with no key ``unkeyed_credit``.
    - hot_aggregates (1): an aggregate that states its per-instance rate stays within one partition's share at
      the target utilisation.
    """

    name = "scalability"
    description = "Partitions and consumer groups absorb the stated peak; no hot keys or hot aggregates."
    default_weights = WEIGHTS
    default_thresholds = THRESHOLDS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        from archassist.agent.capacity.analysis import WhatIf, analyse
        from archassist.agent.rules.index import is_dead_letter_topic, is_retry_topic

        limits = self._params.thresholds
        target = limits["target_utilisation"]
        sheet = Sheet(self.name, self._params.weights)
        stated_peak = design_peak_eps(design)
        sheet.check("load_stated", "the design states its load").record(
            stated_peak is not None, "no throughput in the requirements or on any topic"
        )
        floor = _scenario_floor(scenario)
        judged = design
        if floor is not None:
            sized = sheet.check("sized_for_brief", "sized for the brief's peak")
            have = stated_peak or 0.0
            sized.record(have / floor if floor else 1.0, f"sized for {rate(have)}, the brief implies {rate(floor)}")
            if stated_peak and stated_peak < floor:
                judged = scaled_to(design, floor / stated_peak)
                sheet.note(f"load checks use the brief's peak ({rate(floor)}, {floor / stated_peak:.3g}× the design's)")
            elif not stated_peak:
                judged = design.model_copy(
                    update={"requirements": design.requirements.model_copy(
                        update={"throughput_eps": floor / design.requirements.peak_factor})}
                )
                sheet.note(f"load checks use the brief's peak ({rate(floor)}); the design states none")
        counts = sheet.check("partition_counts", "operational topics declare partitions")
        for topic in design.topics:
            if not (is_dead_letter_topic(topic) or is_retry_topic(topic)):
                counts.record(topic.partitions is not None, f"'{topic.name}'")
        partitions = sheet.check("partitions_for_peak", "topics have the partitions their peak needs")
        capacity = sheet.check("consumer_capacity", "consumer groups absorb the peak")
        worst: tuple[float, str] | None = None
        index = index_of(judged)
        if judged.consumers:
            analysis = analyse(judged, WhatIf(target_utilisation=target), index=index)
            for row in analysis.capacity:
                if row.peak_eps is None or row.peak_eps <= 0:
                    continue
                weight = row.peak_eps
                where = f"'{row.group}' on '{row.topic}'"
                need = row.partitions_needed or 1
                partitions.record(
                    min(1.0, row.partitions / need), f"{where}: {row.partitions} of {need} partitions", weight=weight
                )
                use = row.utilisation if row.utilisation is not None else 0.0
                credit = _capacity_credit(use, target, limits["saturated_credit"])
                capacity.record(credit, f"{where} at {use:.0%} of capacity", weight=weight)
                if worst is None or credit < worst[0]:
                    worst = (credit, f"{where} at {use:.0%} of capacity")
        if worst is not None:
            sheet.check("bottleneck", "the tightest group keeps up").record(worst[0], worst[1])
        keys = sheet.check("hot_keys", "partition keys spread the load")
        for position, event in enumerate(design.events):
            carrier = index.topic(index.event_topic[position]) if position < len(index.event_topic) else None
            if carrier is not None and (is_dead_letter_topic(carrier) or is_retry_topic(carrier)):
                continue
            key = index.partition_key_of(position)
            if not key:
                keys.record(limits["unkeyed_credit"], f"'{event.name}' has no partition key")
                continue
            hot = _key_is_hot(key)
            keys.record(hot is None, f"'{event.name}': {hot}")
        aggregates = sheet.check("hot_aggregates", "no aggregate instance outruns a partition")
        share = design.requirements.partition_capacity_eps * target
        for aggregate in design.aggregates:
            if aggregate.events_per_s is not None:
                aggregates.record(
                    aggregate.events_per_s <= share,
                    f"one '{aggregate.name}' takes {rate(aggregate.events_per_s)}, a partition {rate(share)}",
                )
        return sheet.score("the design has no topics, consumers, events or aggregates to size")


def _scenario_floor(scenario: Scenario | None) -> float | None:
    if scenario is None:
        return None
    peak = scenario.requirements.get("peak_eps")
    if peak:
        return float(peak[0]) or None
    sustained = scenario.requirements.get("throughput_eps")
    return float(sustained[0]) or None if sustained else None


def _capacity_credit(use: float, target: float, saturated: float) -> float:
    if use <= target:
        return 1.0
    if use > 1.0:
        return 0.0
    return 1.0 - (1.0 - saturated) * (use - target) / max(1.0 - target, 1e-9)

