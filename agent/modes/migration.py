"""Migration mode: a phased, reversible plan from synchronous side effects to durable events.

From a brief, it recognises today's system and the side effects it names, designs the target with the offline
planner and plans the path; from two designs (current and target), the plan follows their difference. The plan is
checked by the plan rules and the target design by the design rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archassist.agent.errors import InputError
from archassist.agent.migration.model import MigrationPlan
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding


@dataclass
class MigrationResult:
    plan: MigrationPlan
    target: Design
    findings: list[Finding] = field(default_factory=list)
    target_findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _design_offline(brief: str) -> Design:
    from archassist.agent.planner.compose import plan

    return plan(brief).design


def plan_migration(
    brief: str | None = None, *, current: Design | None = None, target: Design | None = None
) -> MigrationResult:
    """Plan a migration from a brief, from a current and a target design, or from a brief and a target design."""
    from archassist.agent.migration.assemble import plan_from_brief, plan_from_designs, target_brief
    from archassist.agent.migration.current import read_brief
    from archassist.agent.migration.rules import check_plan
    from archassist.agent.rules.engine import run

    notices: list[str] = []
    if current is not None:
        if target is None:
            if not brief:
                raise InputError("--from needs the target too: pass --to TARGET_DESIGN, or a brief of the target")
            target = _design_offline(brief)
            notices.append(f"target designed offline from the brief as '{target.name}'")
        plan = plan_from_designs(current, target)
    else:
        if not brief or not brief.strip():
            raise InputError("give a migration brief, or --from CURRENT_DESIGN with --to TARGET_DESIGN")
        if target is None:
            target = _design_offline(target_brief(read_brief(brief), brief))
            notices.append(f"target designed offline as '{target.name}'")
        plan = plan_from_brief(brief, target)
    findings = check_plan(plan)
    target_findings = run(target).findings
    return MigrationResult(plan=plan, target=target, findings=findings, target_findings=target_findings, notices=notices)
