"""The repair loop: check a model's design with the rules engine and send the findings back, a bounded number
of times, keeping the best design seen.

The loop only knows the :class:`DesignModel` protocol, so the Claude backend and the scripted fake model of the
tests run through exactly the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from archassist.agent.backends.base import BackendUnavailableError, Knowledge, Usage
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.precedents import Precedent

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

DEFAULT_REPAIR_ROUNDS = 2
MAX_REPAIR_ROUNDS = 10
# A repair prompt long enough to list every finding of a broken design would crowd out the design itself.
MAX_FINDINGS_IN_PROMPT = 40
REPAIR_SEVERITIES = ("error", "warning")

Checker = Callable[[Design], list[Finding]]


class DesignModel(Protocol):
    """A model that drafts a design and corrects it when given findings; ``usage`` sums every call it made."""

    usage: Usage

    def draft(
        self, brief: str, *, precedents: Sequence[Precedent], knowledge: Knowledge | None
    ) -> Design: ...

    def repair(self, design: Design, findings: Sequence[Finding], *, round: int, rounds: int) -> Design: ...


@dataclass
class LoopOutcome:
    design: Design
    findings: list[Finding]
    rounds_used: int
    notices: list[str] = field(default_factory=list)


def check_design(design: Design) -> list[Finding]:
    from archassist.agent.rules.engine import check

    return check(design)


def error_count(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "error")


def _template() -> jinja2.Template:
    from archassist.agent.backends.prompting import environment

    return environment().get_template("repair.md.j2")


def repair_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings worth a repair turn: errors first, then warnings; observations (info) are left out."""
    order = {s: i for i, s in enumerate(REPAIR_SEVERITIES)}
    return sorted((f for f in findings if f.severity in order), key=lambda f: order[f.severity])


def render_repair_prompt(findings: Sequence[Finding], *, round: int = 1, rounds: int = 1) -> str:
    """The repair turn's text (prompts/repair.md.j2): each finding with code, pointer, message and fix."""
    chosen = repair_findings(findings)
    shown = chosen[:MAX_FINDINGS_IN_PROMPT]
    text = _template().render(findings=shown, omitted=len(chosen) - len(shown), round=round, rounds=rounds)
    return text.strip() + "\n"


def run_repair_loop(
    model: DesignModel,
    brief: str,
    *,
    precedents: Sequence[Precedent] = (),
    knowledge: Knowledge | None = None,
    rounds: int = DEFAULT_REPAIR_ROUNDS,
    check: Checker = check_design,
) -> LoopOutcome:
    """Draft, then repair while errors remain and rounds are left; return the design with the fewest errors.

    Bounded by ``rounds`` whatever the model answers. A model that returns the design it was given has nothing
    more to offer, so the loop stops early. Draft failures propagate (the caller decides about falling back);
    a failure during repair keeps the best design so far and says so in a notice.
    """
    if rounds < 0:
        raise ValueError("repair rounds cannot be negative")
    rounds = min(rounds, MAX_REPAIR_ROUNDS)
    notices: list[str] = []
    design = model.draft(brief, precedents=precedents, knowledge=knowledge)
    findings = check(design)
    best, best_findings = design, findings
    used = 0
    while used < rounds and error_count(findings) > 0:
        used += 1
        log.info("repair round %d of %d: %d errors", used, rounds, error_count(findings))
        try:
            corrected = model.repair(design, findings, round=used, rounds=rounds)
        except BackendUnavailableError as exc:
            notices.append(f"repair round {used} failed ({exc}); kept the best design so far")
            break
        if corrected == design:
            notices.append(f"repair round {used} returned the design unchanged; stopped repairing")
            break
        design, findings = corrected, check(corrected)
        if error_count(findings) <= error_count(best_findings):
            best, best_findings = design, findings
    if best is not design:
        notices.append("a repair round made the design worse; kept the earlier design with fewer errors")
    remaining = error_count(best_findings)
    if remaining and used >= rounds:
        notices.append(
            f"{remaining} error{'s remain' if remaining != 1 else ' remains'} after {used} repair round"
            f"{'s' if used != 1 else ''}" + ("" if rounds else " (repair is off: --repair-rounds 0)")
        )
    return LoopOutcome(design=best, findings=best_findings, rounds_used=used, notices=notices)
