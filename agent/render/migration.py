"""Migration plans rendered: the Markdown document, JSON, and a Mermaid diagram of the phases."""

from __future__ import annotations

import json
from typing import Any

from archassist.agent.migration.model import MigrationPlan, Phase
from archassist.agent.model.findings import Finding

MIGRATION_FORMATS = ("markdown", "json", "mermaid")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _label(text: str) -> str:
    return text.replace('"', "'")


def phase_diagram(plan: MigrationPlan) -> str:
    """The phases as a left-to-right flowchart (one diagram, no fences)."""
    lines = ["flowchart LR"]
    for phase in plan.phases:
        lines.append(f'  {phase.id}["{phase.id} · {_label(phase.name)}"]')
    for before, after in zip(plan.phases, plan.phases[1:], strict=False):
        lines.append(f"  {before.id} --> {after.id}")
    return "\n".join(lines) + "\n"


def _phase_section(phase: Phase) -> list[str]:
    out = [f"### {phase.id} · {phase.name}", "", f"**Goal:** {phase.goal}", ""]
    facts = []
    if phase.mechanism != "none":
        facts.append(f"**Mechanism:** {'transactional outbox' if phase.mechanism == 'outbox' else phase.mechanism}")
    if phase.duration:
        facts.append(f"**Duration:** {phase.duration}")
    if phase.publishes:
        facts.append("**Publishes:** " + ", ".join(f"`{e}`" for e in phase.publishes))
    if phase.enables:
        facts.append("**Turns on:** " + ", ".join(f"`{c}` ({mode})" for c, mode in phase.enables.items()))
    if phase.backfills:
        facts.append("**Backfills:** " + ", ".join(f"`{e}`" for e in phase.backfills))
    if phase.decommissions:
        facts.append("**Removes the old path of:** " + ", ".join(phase.decommissions))
    if phase.splits:
        facts.append("**Splits:** " + ", ".join(phase.splits))
    if facts:
        out += [" · ".join(facts), ""]
    out += ["Changes:", ""] + [f"- {c}" for c in phase.changes] + [""]
    if phase.verification is not None:
        v = phase.verification
        out += [f"Verification: {v.kind.replace('_', ' ')}, {v.period}.", ""]
        if v.parity_checks:
            out += ["| Parity check | How | Tolerance |", "|---|---|---|"]
            out += [f"| {_cell(c.what)} | {_cell(c.method)} | {_cell(c.tolerance)} |" for c in v.parity_checks]
            out.append("")
    for cutover in phase.cutovers:
        ramp = " → ".join(f"{r} %" for r in cutover.ramp)
        out += [f"Cutover of {cutover.side_effect} behind `{cutover.flag}`: {ramp}. {cutover.deduplication}", ""]
    if phase.rollback is not None:
        out += [f"Rollback — when: {phase.rollback.trigger}", ""]
        out += [f"{i}. {step}" for i, step in enumerate(phase.rollback.steps, 1)]
        if phase.rollback.reconcile:
            out += ["", f"Reconcile: {phase.rollback.reconcile}"]
        out.append("")
    out += ["Exit criteria:", ""] + [f"- {c}" for c in phase.exit_criteria] + [""]
    return out


def render_markdown(plan: MigrationPlan, findings: list[Finding], target_findings: list[Finding]) -> str:
    current = plan.current
    mechanism = plan.phases[0].mechanism if plan.phases else "none"
    out = [
        f"# Migration plan: {current.name} to events",
        "",
        f"{len(plan.phases)} phases move {len(plan.side_effects)} side effects of the {current.name} onto durable "
        f"events ({'transactional outbox' if mechanism == 'outbox' else 'change data capture'}), each verified in "
        f"shadow before it is cut over behind its own flag, towards the target design `{plan.target_design}`.",
        "",
        "## Today",
        "",
        f"- **System:** {current.name} ({current.kind}); databases: {', '.join(current.databases) or 'not stated'}",
    ]
    if current.shared_tables:
        out.append("- **Shared data:** " + "; ".join(current.shared_tables))
    out += [f"- **Synchronous call:** {c.caller} → {c.target} ({c.purpose})" for c in current.sync_calls]
    out += [f"- **Scheduled job:** {job}" for job in current.cron_jobs]
    out += [f"- **Dual write:** {w}" for w in current.dual_writes]
    out += [
        "",
        "## Side effects",
        "",
        "| Side effect | Today | Trigger event | New owner | Consumer | Flag |",
        "|---|---|---|---|---|---|",
    ]
    out += [
        f"| {_cell(e.description)} | {e.current_path.replace('_', ' ')} | `{e.trigger_event}` | `{e.target_service}` "
        f"| `{e.consumer}` | `{e.flag}` |"
        for e in plan.side_effects
    ]
    out += ["", "## Phases", "", "```mermaid", phase_diagram(plan).rstrip(), "```", ""]
    for phase in plan.phases:
        out += _phase_section(phase)
    out += ["## Risks", "", "| Risk | Impact | Mitigation |", "|---|---|---|"]
    out += [f"| {_cell(r.title)} | {_cell(r.impact)} | {_cell(r.mitigation)} |" for r in plan.risks]
    out += ["", "## Success metrics", ""] + [f"- {m}" for m in plan.success_metrics]
    out += ["", "## Timeline", "", "| Phase | Duration |", "|---|---|"]
    out += [f"| {p.id} · {_cell(p.name)} | {_cell(p.duration)} |" for p in plan.phases]
    if plan.assumptions:
        out += ["", "## Assumptions", ""] + [f"- {a}" for a in plan.assumptions]
    if plan.not_modelled:
        out += ["", "## Not modelled", ""] + [f"- {n}" for n in plan.not_modelled]
    out += ["", "## Checks", ""]
    if findings:
        out += [f"- {f.severity} {f.code} {f.message} (`{f.pointer}`)" for f in findings]
    else:
        out.append("- The plan passes every plan rule (MIG101–MIG109).")
    errors = sum(f.severity == "error" for f in target_findings)
    warnings = sum(f.severity == "warning" for f in target_findings)
    out.append(f"- The target design has {errors} errors and {warnings} warnings under the design rules.")
    return "\n".join(out) + "\n"


def plan_data(plan: MigrationPlan, findings: list[Finding], target_findings: list[Finding]) -> dict[str, Any]:
    data = plan.model_dump(mode="json")
    data["findings"] = [f.to_dict() for f in findings]
    data["target_review"] = {
        "errors": sum(f.severity == "error" for f in target_findings),
        "warnings": sum(f.severity == "warning" for f in target_findings),
    }
    return data


def render_plan(plan: MigrationPlan, fmt: str, findings: list[Finding], target_findings: list[Finding]) -> str:
    if fmt == "json":
        return json.dumps(plan_data(plan, findings, target_findings), indent=2) + "\n"
    if fmt == "mermaid":
        return "```mermaid\n" + phase_diagram(plan) + "```\n"
    return render_markdown(plan, findings, target_findings)
