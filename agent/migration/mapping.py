"""Tying each side effect of the current system to the target design: which event triggers it and which consumer
of which service takes it over."""

from __future__ import annotations

from dataclasses import dataclass

from archassist.agent.model.design import Consumer, Design
from archassist.agent.model.naming import kebab, pascal, words_of
from archassist.agent.planner.inflection import noun_lemma as singular

_PROJECTOR_WORDS = {"projector", "projection", "view", "history"}
_COMPLETION = ("placed", "completed", "confirmed", "submitted", "created", "paid", "accepted", "finished")
# Side effects that reach people or partners: a duplicate during cutover is visible, not just wasted work.
_VISIBLE = {"email", "sms", "notification", "message", "letter", "push", "webhook", "invoice", "receipt", "charge", "payment", "shipment", "export"}


_FILLER = {"the", "a", "an", "for", "on", "of", "to", "s", "service", "and", "with", "from", "in", "by"}


def _stems(text: str) -> set[str]:
    return {singular(w) for w in words_of(text)} - _FILLER


@dataclass(frozen=True)
class Placement:
    """Where one side effect lives in the target design (or would, when the design lacks it)."""

    service: str
    consumer: str
    trigger_event: str
    in_design: bool


def _domain_service(phrase: str) -> str | None:
    """The service of the knowledge-base domain whose synonyms the phrase uses."""
    from archassist.agent.planner.knowledge import domains

    stems = _stems(phrase)
    best: tuple[int, str] | None = None
    for domain in domains().values():
        for synonym in domain.synonyms:
            words = _stems(synonym)
            if words and words <= stems and (best is None or len(words) > best[0]):
                best = (len(words), domain.service)
    return best[1] if best else None


def _saga_trigger(design: Design, subscriptions: list[str]) -> str | None:
    """For a consumer of a saga's command, the event that starts that saga: the orchestrator reacts to it and sends
    the command, so the event is what the current system must publish."""
    for saga in design.sagas:
        if saga.trigger_event and any(step.command in subscriptions for step in saga.steps):
            return saga.trigger_event
    return None


def is_side_effecting(consumer: Consumer) -> bool:
    return not (_stems(consumer.name) & _PROJECTOR_WORDS)


def externally_visible(phrase: str) -> bool:
    return bool(_stems(phrase) & _VISIBLE)


def action_event(design: Design, action: str | None) -> str | None:
    """The event that records the business action the side effects hang off."""
    stems = _stems(action or "")
    candidates = [e for e in design.events if e.producer]
    for event in candidates:
        words = _stems(event.name)
        if stems & words and words & set(_COMPLETION):
            return event.name
    for event in candidates:
        if _stems(event.name) & set(_COMPLETION):
            return event.name
    return candidates[0].name if candidates else None


def place(phrase: str, design: Design, *, action: str | None, target_hint: str | None = None) -> Placement:
    """Find the consumer that takes over ``phrase`` in the target design, or name the one the design lacks."""
    producers = {e.name: e.producer for e in design.events}
    anchor = action_event(design, action)
    action_service = producers.get(anchor) if anchor else None
    effect_services = {target_hint} if target_hint else set()
    service = target_hint if target_hint and design.service(target_hint) else _domain_service(phrase)
    if service is None or design.service(service) is None:
        # A service whose name shares a word with the phrase ("loyalty" → loyalty-service).
        stems = _stems(phrase)
        service = next((s.name for s in design.services if _stems(s.name) & stems - {"service"}), service)
    stems = _stems(phrase)
    if service is not None:
        effect_services.add(service)
        options = [c for c in design.consumers if c.service == service and is_side_effecting(c)]

        def score(consumer: Consumer) -> tuple[int, int, int, str]:
            external = [s for s in consumer.subscriptions if producers.get(s) not in (None, service)]
            saga_trigger = _saga_trigger(design, consumer.subscriptions)
            external += [saga_trigger] if saga_trigger else []
            from_action = any(producers.get(s) == action_service for s in external)
            from_elsewhere = any(producers.get(s) not in effect_services for s in external)
            # Most shared words first, then a trigger from the business action itself; the name breaks ties.
            return (len(_stems(consumer.name) & stems), int(from_action), int(from_elsewhere), consumer.name)

        ranked = sorted(options, key=score, reverse=True)
        for consumer in ranked:
            trigger = next((s for s in consumer.subscriptions if producers.get(s) not in (None, service)), None)
            trigger = trigger or _saga_trigger(design, consumer.subscriptions)
            if trigger:
                return Placement(service=service, consumer=consumer.name, trigger_event=trigger, in_design=True)
    head = words_of(phrase)[0] if words_of(phrase) else "side-effect"
    service = service or f"{kebab(head)}-service"
    trigger = action_event(design, action) or f"{pascal(action or 'request')}Completed"
    return Placement(
        service=service, consumer=f"{service}.{kebab(phrase)}-on-{kebab(trigger)}", trigger_event=trigger, in_design=False
    )
