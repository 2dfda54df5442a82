"""Migration mode: plans from briefs and from two designs, the plan rules, the renderers and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from archassist.agent.migration.current import read_brief
from archassist.agent.migration.model import Cutover, MigrationPlan, Phase, Rollback, Verification
from archassist.agent.migration.rules import PLAN_RULES, check_plan, get_plan_rule
from archassist.agent.model.io import load_design
from archassist.agent.modes.migration import plan_migration
from archassist.agent.planner.inflection import noun_lemma as singular
from archassist.agent.render.migration import render_plan

FIXTURES = Path(__file__).parent / "fixtures" / "migration"
CHECKOUT = "migrate a monolith's checkout side effects (confirmation emails, loyalty points, stock updates) to events"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archassist.agent.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def checkout_plan() -> MigrationPlan:
    return plan_migration(CHECKOUT).plan


@pytest.fixture(scope="module")
def design_plan() -> MigrationPlan:
    from archassist.agent.planner.compose import plan

    target = plan("order fulfillment across payments, inventory, and shipping, with loyalty points and emails").design
    return plan_migration(current=load_design(FIXTURES / "current.yaml"), target=target).plan


def test_reading_a_brief_finds_the_system_and_its_side_effects() -> None:
    reading = read_brief(
        "our order monolith calls the email, loyalty and inventory services synchronously; a nightly cron job "
        "exports invoices to the ERP; orders and billing share one database"
    )
    assert reading.current.name == "order-monolith" and reading.action == "order"
    assert [p for p, _, _ in reading.side_effects] == ["email", "loyalty", "inventory", "invoice export"]
    assert [c.target for c in reading.current.sync_calls] == ["email", "loyalty", "inventory"]
    assert reading.current.cron_jobs and reading.current.shared_tables
    vendor = read_brief("move the legacy ERP's side effects such as shipment notices to events; we cannot change its code")
    assert vendor.current.can_change_code is False


@pytest.mark.parametrize(("plural", "one"), [("emails", "email"), ("updates", "update"), ("analytics", "analytics"),
                                              ("deliveries", "delivery"), ("batches", "batch"), ("address", "address")])
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_brief_plan_has_the_phases_the_issue_asks_for(checkout_plan: MigrationPlan) -> None:
    phases = checkout_plan.phases
    assert len(phases) >= 4
    assert all(p.rollback and p.rollback.steps and p.exit_criteria for p in phases)
    assert phases[0].mechanism in {"outbox", "cdc"}
    shadow = [p for p in phases if p.verification and p.verification.kind == "shadow"]
    assert shadow and shadow[0].verification and shadow[0].verification.parity_checks
    cut = [c.side_effect for p in phases for c in p.cutovers]
    assert sorted(cut) == sorted(e.name for e in checkout_plan.side_effects) and len(cut) == 3
    assert all(len(p.cutovers) <= 1 for p in phases), "one side effect per cutover phase"
    assert phases[-1].decommissions or any(p.decommissions for p in phases)
    assert check_plan(checkout_plan) == []


def test_side_effects_map_onto_the_target_design(checkout_plan: MigrationPlan) -> None:
    by_name = {e.name: e for e in checkout_plan.side_effects}
    assert by_name["confirmation_email"].target_service == "notification-service"
    assert by_name["confirmation_email"].externally_visible
    assert by_name["loyalty_point"].target_service == "loyalty-service"
    assert by_name["stock_update"].target_service == "inventory-service"
    # Emails reach customers: they move last, after the internal side effects have proven the path.
    order = [c.side_effect for p in checkout_plan.phases for c in p.cutovers]
    assert order[-1] == "confirmation_email"


def test_a_brief_without_side_effects_states_its_assumption() -> None:
    result = plan_migration("move monolith side effects to events")
    assert result.plan.side_effects and any("names no side effects" in a for a in result.plan.assumptions)
    assert result.findings == []


def test_from_two_designs_every_sync_call_maps_to_an_event_and_a_cutover(design_plan: MigrationPlan) -> None:
    calls = design_plan.current.sync_calls
    assert len(calls) == 3
    cut = {c.side_effect for p in design_plan.phases for c in p.cutovers}
    published = {e for p in design_plan.phases for e in p.publishes}
    for call in calls:
        effect = next(e for e in design_plan.side_effects if e.target_service == call.target)
        assert effect.trigger_event in published and effect.name in cut
    assert any(p.splits for p in design_plan.phases), "the shared shop-db is split"
    assert check_plan(design_plan) == []
    positions = {p.id: i for i, p in enumerate(design_plan.phases)}
    split = next(p for p in design_plan.phases if p.splits)
    last_cut = max(i for i, p in enumerate(design_plan.phases) if p.cutovers)
    assert positions[split.id] > last_cut


def _mutate(plan: MigrationPlan, index: int, **update: object) -> MigrationPlan:
    phases = list(plan.phases)
    phases[index] = phases[index].model_copy(update=update)
    return plan.model_copy(update={"phases": phases})


def _codes(plan: MigrationPlan) -> set[str]:
    return {f.code for f in check_plan(plan)}


def test_rule_phase_without_rollback(checkout_plan: MigrationPlan) -> None:
    assert "MIG101" in _codes(_mutate(checkout_plan, 1, rollback=None))
    assert "MIG101" in _codes(_mutate(checkout_plan, 1, rollback=Rollback(trigger="", steps=["x"])))


def test_rule_phase_without_exit_criteria(checkout_plan: MigrationPlan) -> None:
    assert "MIG102" in _codes(_mutate(checkout_plan, 0, exit_criteria=[]))


def test_rule_cutover_without_parity_check(checkout_plan: MigrationPlan) -> None:
    shadow = next(i for i, p in enumerate(checkout_plan.phases) if p.verification and p.verification.kind == "shadow")
    assert "MIG103" in _codes(_mutate(checkout_plan, shadow, verification=None))
    empty = Verification(kind="shadow", side_effects=[e.name for e in checkout_plan.side_effects])
    assert "MIG103" in _codes(_mutate(checkout_plan, shadow, verification=empty))


def test_rule_dual_write(checkout_plan: MigrationPlan) -> None:
    assert "MIG104" in _codes(_mutate(checkout_plan, 0, mechanism="dual_write"))


def test_rule_consumer_before_its_events(checkout_plan: MigrationPlan) -> None:
    consumer = checkout_plan.side_effects[0].consumer
    assert "MIG105" in _codes(_mutate(checkout_plan, 0, enables={consumer: "shadow"}))
    assert "MIG105" in _codes(_mutate(checkout_plan, 0, publishes=[]))


def test_rule_decommission_before_cutover(checkout_plan: MigrationPlan) -> None:
    early = _mutate(checkout_plan, 1, decommissions=[checkout_plan.side_effects[0].name])
    assert "MIG106" in _codes(early)


def test_rule_side_effect_never_cut_over_and_shared_flag(checkout_plan: MigrationPlan) -> None:
    first = next(i for i, p in enumerate(checkout_plan.phases) if p.cutovers)
    assert "MIG107" in _codes(_mutate(checkout_plan, first, cutovers=[]))
    other = checkout_plan.phases[first + 1].cutovers[0]
    shared = _mutate(checkout_plan, first, cutovers=[Cutover(side_effect=checkout_plan.phases[first].cutovers[0].side_effect, flag=other.flag)])
    assert "MIG108" in _codes(shared)


def test_rule_unknown_side_effect(checkout_plan: MigrationPlan) -> None:
    phase = Phase(id="P9", name="x", goal="y", cutovers=[Cutover(side_effect="sms_reminder", flag="f")],
                  rollback=Rollback(trigger="t", steps=["s"]), exit_criteria=["e"])
    plan = checkout_plan.model_copy(update={"phases": [*checkout_plan.phases, phase]})
    assert "MIG109" in _codes(plan)


def test_every_plan_rule_is_documented_and_found_by_code() -> None:
    assert len(PLAN_RULES) == 9
    for rule in PLAN_RULES:
        assert rule.doc.summary and rule.doc.why and rule.doc.anti_pattern and rule.doc.fix
        assert get_plan_rule(rule.code) is rule and get_plan_rule(rule.name) is rule


def test_markdown_json_and_mermaid(checkout_plan: MigrationPlan) -> None:
    md = render_plan(checkout_plan, "markdown", [], [])
    for heading in ("## Today", "## Side effects", "## Phases", "## Risks", "## Success metrics", "## Timeline"):
        assert heading in md
    assert md.count("```mermaid") == 1 and "Rollback — when:" in md
    data = json.loads(render_plan(checkout_plan, "json", [], []))
    assert MigrationPlan.model_validate({k: v for k, v in data.items() if k not in {"findings", "target_review"}})
    mermaid = render_plan(checkout_plan, "mermaid", [], [])
    assert mermaid.startswith("```mermaid\nflowchart LR") and mermaid.count("```") == 2


def test_cli_json_meets_the_issue(tmp_path: Path) -> None:
    done = cli("migration", "move monolith side effects to events", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["phases"]) >= 4 and data["findings"] == []
    assert data["phases"][0]["mechanism"] in {"outbox", "cdc"}


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    for args in (["migration"], ["migration", "x", "--format", "pdf"], ["migration", "--from", str(tmp_path / "nope.yaml")]):
        done = cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_mcp_migration_tool_over_stdio(tmp_path: Path) -> None:
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    (tmp_path / "current.yaml").write_text((FIXTURES / "current.yaml").read_text(), encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "archassist.agent.cli", "serve", "--root", str(tmp_path), "--db", str(tmp_path / "m.db")],
    )

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            done = await session.call_tool(
                "migration", {"current_path": "current.yaml", "brief": "order fulfillment with loyalty points"}
            )
            assert not done.is_error, done.content
            data = done.structured_content
            assert data is not None and len(data["phases"]) >= 4 and len(data["side_effects"]) == 3
            assert "# Migration plan" in done.content[0].text
            refused = await session.call_tool("migration", {"brief": "x", "current_text": "a", "current_path": "b"})
            assert refused.is_error

    anyio.run(run)


def test_explain_knows_every_plan_rule() -> None:
    for rule in PLAN_RULES:
        done = cli("explain", rule.code)
        assert done.returncode == 0 and rule.code in done.stdout and rule.doc.fix.split()[0] in done.stdout
