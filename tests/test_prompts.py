"""Role prompts: every mode renders, the system part is a stable prefix, context carries precedents and knowledge,
and `archassist prompt` prints the prompt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from archassist.agent.backends.prompting import MODES, RenderedPrompt, knowledge_for, render_prompt
from archassist.agent.cli.root import app
from archassist.agent.errors import InputError
from archassist.agent.model.precedents import Precedent
from archassist.agent.planner.knowledge import domains, patterns
from typer.testing import CliRunner

TARGETS = {
    "design": "order fulfillment across payments, inventory and shipping",
    "review": "event flow for user-created -> email sync",
    "contract": "invoice.paid",
    "reliability": "retry strategy for webhook ingestion",
    "migration": "move monolith side effects to events",
}
# What each mode's output requirements must insist on (the seeds' rules, in the prompts' own words).
REQUIRED = {
    "design": ["producer", "topic", "partition key", "consumers", "failure strategy"],
    "review": ["severity", "fix"],
    "contract": ["ownership", "versioning"],
    "reliability": ["idempotency", "dead-letter"],
    "migration": ["rollback", "old path"],
}
PRECEDENT = Precedent(
    id="ADR-0042", title="Coordinate order workflows by orchestration", decision="An orchestrator owns the saga."
)


def test_modes_are_the_five_of_the_product() -> None:
    assert MODES == ("design", "review", "contract", "reliability", "migration")


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_renders(mode: str) -> None:
    rendered = render_prompt(mode, TARGETS[mode])
    assert isinstance(rendered, RenderedPrompt) and rendered.mode == mode
    assert rendered.system.startswith("# Role\n") and f"# Mode: {mode}\n" in rendered.system
    for heading in ("## Inputs", "## Steps"):
        assert heading in rendered.system
    assert "## Output requirements" in rendered.task
    assert f"<target>\n{TARGETS[mode]}\n</target>" in rendered.task
    for phrase in REQUIRED[mode]:
        assert phrase in rendered.task.lower(), f"{mode}: output requirements do not mention {phrase!r}"
    text = rendered.text()
    assert text.index("# Role") < text.index("# Task") and text.endswith("\n") and not text.endswith("\n\n")
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("mode", MODES)
def test_system_part_is_identical_across_targets(mode: str) -> None:
    first = render_prompt(mode, "ride hailing with payments", precedents=[PRECEDENT])
    second = render_prompt(mode, "IoT telemetry at 100k events/sec with audit and GDPR")
    assert first.system == second.system
    assert first.task != second.task and first.context != second.context


def test_the_role_prompt_is_shared_by_every_mode() -> None:
    role = render_prompt("design", "x y").system.split("# Mode:")[0]
    assert all(render_prompt(mode, "x y").system.startswith(role) for mode in MODES)
    for term in ("partition key", "idempotency key", "dead-letter topic", "outbox", "saga", "contract version"):
        assert term in role


def test_context_carries_precedents_and_knowledge() -> None:
    rendered = render_prompt(
        "design", "order fulfillment with payments, orchestrated, with an outbox and GDPR", precedents=[PRECEDENT]
    )
    context = rendered.context
    assert "ADR-0042" in context and "Coordinate order workflows by orchestration" in context
    assert "An orchestrator owns the saga." in context
    assert "### Orders (`orders`)" in context and "### Payments (`payments`)" in context
    assert "`OrderPlaced`" in context
    for pattern in ("transactional_outbox", "saga_orchestration", "crypto_shredding"):
        assert f"(`{pattern}`)" in context
    assert rendered.text().index("# Context") < rendered.text().index("# Task")


def test_context_is_empty_without_precedents_or_knowledge() -> None:
    rendered = render_prompt("contract", "a thing happened", domains=[], patterns=[])
    assert rendered.context == ""
    assert "# Context" not in rendered.text()


def test_explicit_knowledge_overrides_the_automatic_choice() -> None:
    rendered = render_prompt(
        "design", "order fulfillment", domains=[domains()["ledger"]], patterns=[patterns()["claim_check"]]
    )
    assert "(`ledger`)" in rendered.context and "(`orders`)" not in rendered.context
    assert "(`claim_check`)" in rendered.context


def test_knowledge_for_reads_domains_and_pattern_keywords() -> None:
    found_domains, found_patterns = knowledge_for(
        "Ride trips with payments; consumers must be idempotent and poison messages go to a DLQ"
    )
    assert [d.name for d in found_domains] == ["ride_trips", "payments"]
    names = [p.name for p in found_patterns]
    assert {"idempotent_consumer", "dead_letter_queue"} <= set(names)
    assert names == [n for n in patterns() if n in names]  # catalog order
    assert knowledge_for("hello world") == ([], [])


def test_targets_are_data_not_template_code() -> None:
    rendered = render_prompt("review", "{{ 7 * 7 }} {% if true %}x{% endif %}")
    assert "{{ 7 * 7 }} {% if true %}x{% endif %}" in rendered.task


def test_unknown_mode_and_empty_target_are_user_errors() -> None:
    with pytest.raises(InputError, match=r"unknown mode 'desing'; choose one of: design, review"):
        render_prompt("desing", "x")
    with pytest.raises(InputError, match="target is empty"):
        render_prompt("design", "  ")


def test_template_names_left_free_for_the_backend() -> None:
    folder = Path(__file__).resolve().parents[1] / "prompts"
    mine = {"architect", "context", *MODES}
    assert mine <= {p.name.removesuffix(".md.j2") for p in folder.glob("*.md.j2")}


# ---- the command line --------------------------------------------------------------------------------------------


def test_prompt_command_prints_the_prompt() -> None:
    result = CliRunner().invoke(app, ["prompt", "design", TARGETS["design"], "--no-memory"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == render_prompt("design", TARGETS["design"]).text()


def test_prompt_command_recalls_precedents(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    added = CliRunner().invoke(
        app, ["memory", "add", "--db", str(db), "--title", "Order workflows are orchestrated", "--tag", "orders"]
    )
    assert added.exit_code == 0, added.stderr
    with_memory = CliRunner().invoke(app, ["prompt", "design", "orders workflow", "--db", str(db)])
    assert with_memory.exit_code == 0, with_memory.stderr
    assert "Order workflows are orchestrated" in with_memory.stdout
    without = CliRunner().invoke(app, ["prompt", "design", "orders workflow", "--db", str(db), "--no-memory"])
    assert "Order workflows are orchestrated" not in without.stdout


def test_prompt_command_includes_a_named_file(tmp_path: Path) -> None:
    design = tmp_path / "design.yaml"
    design.write_text("name: orders\nservices: []\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["prompt", "review", str(design), "--no-memory"])
    assert result.exit_code == 0
    assert f"{design}:\n\nname: orders" in result.stdout


def test_prompt_command_unknown_mode_is_one_line_exit_2() -> None:
    result = CliRunner().invoke(app, ["prompt", "desing", "orders"])
    assert result.exit_code == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert re.fullmatch(r"archassist: unknown mode 'desing'; choose one of: design, review, contract, "
                        r"reliability, migration", line)
