"""evolvability: every event is a versioned contract with a compatibility promise, in a complete envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archassist.evals.base import Scenario, Score
from archassist.evals.scorers.common import ParamScorer
from archassist.evals.scorers.sheet import Sheet

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

WEIGHTS = {"versions": 3.0, "compatibility": 2.0, "envelope": 2.0, "owners": 1.0, "upcasters": 1.0}


class EvolvabilityScorer(ParamScorer):
    """Checks (weight):

    - versions (3): every event has a schema version.
    - compatibility (2): every event declares a compatibility mode other than NONE (the registry then refuses a
      breaking change at publish time).
    - envelope (2): the design's envelope carries the seven standard fields (event id, type, aggregate id,
      timestamp, version, correlation id, causation id; credit per field present, spelled any common way), and so
      does every event that overrides it.
    - owners (1): every event names an owner (a team or its producing service) who decides how it evolves.
    - upcasters (1): an event-sourced event above version 1 has an upcaster for each older version, so old
      streams still replay.
    """

    name = "evolvability"
    description = "Events are versioned, compatibility-checked contracts with a complete envelope and an owner."
    default_weights = WEIGHTS

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        from archassist.agent.model.design import STANDARD_ENVELOPE
        from archassist.agent.rules.contracts import missing_envelope_fields

        sheet = Sheet(self.name, self._params.weights)
        versions = sheet.check("versions", "events are versioned")
        compatibility = sheet.check("compatibility", "events declare a compatibility mode")
        owners = sheet.check("owners", "events have an owner")
        upcasters = sheet.check("upcasters", "old versions of event-sourced events upcast")
        envelope = sheet.check("envelope", "envelopes are complete")
        sourced = {s.name for s in design.services if (s.event_sourced if s.event_sourced is not None
                                                       else design.style.event_sourcing)}
        for event in design.events:
            versions.record(event.version is not None, f"'{event.name}'")
            compatibility.record(event.compatibility not in (None, "NONE"),
                                 f"'{event.name}' {event.compatibility or 'none'}")
            owners.record(bool(event.owner or event.producer), f"'{event.name}'")
            if event.version and event.version > 1 and event.producer in sourced:
                covered = {u.from_version for u in event.upcasters}
                owed = set(range(1, event.version))
                upcasters.record(len(owed & covered) / len(owed), f"'{event.name}' v{event.version}")
        if design.events:
            missing = missing_envelope_fields(design.envelope.fields)
            envelope.record(1 - len(missing) / len(STANDARD_ENVELOPE), f"the envelope lacks {', '.join(missing)}")
            for event in design.events:
                if event.envelope is not None:
                    gaps = missing_envelope_fields(event.envelope)
                    envelope.record(1 - len(gaps) / len(STANDARD_ENVELOPE), f"'{event.name}' lacks {', '.join(gaps)}")
        return sheet.score("the design has no events")
