"""Tools over the rule registry: `list_rules` and `explain_rule`."""

from __future__ import annotations

from archassist.agent.errors import InputError
from archassist.tools.models import (
    ExplainRuleInput,
    ExplainRuleOutput,
    ListRulesInput,
    ListRulesOutput,
    RuleOut,
)
from archassist.tools.registration import add_model_tool, read_only
from archassist.tools.state import ServerState
from mcp.server.mcpserver import Context, MCPServer


def rule_rows() -> list[RuleOut]:
    from archassist.agent.rules import registry

    return [RuleOut(code=r.code, name=r.name, group=r.group, severity=r.severity, summary=r.summary) for r in registry()]


def explain(code: str) -> ExplainRuleOutput:
    """A rule's documentation; an unknown code is a user error naming the nearest one."""
    from archassist.agent.rules import get_rule, nearest_code
    from archassist.agent.rules.docs import render_rule_markdown

    found = get_rule(code)
    if found is None:
        near = nearest_code(code)
        hint = f"; did you mean {near}?" if near else ""
        raise InputError(f"unknown rule {code.strip()!r}{hint} The list_rules tool lists every rule")
    return ExplainRuleOutput(
        code=found.code,
        name=found.name,
        group=found.group,
        severity=found.severity,
        summary=found.summary,
        why=found.doc.why,
        anti_pattern=found.doc.anti_pattern,
        fix=found.doc.fix,
        markdown=render_rule_markdown(found, "#"),
    )


def register(server: MCPServer, state: ServerState) -> None:
    async def list_rules(args: ListRulesInput, ctx: Context) -> tuple[ListRulesOutput, str]:
        from archassist.agent.rules import groups

        known = groups()
        if args.group is not None and args.group.strip().lower() not in known:
            raise InputError(f"unknown rule group {args.group!r}; choose one of: {', '.join(known)}")
        rows = [
            r
            for r in rule_rows()
            if (args.group is None or r.group == args.group.strip().lower())
            and (args.severity is None or r.severity == args.severity)
        ]
        table = ["| code | name | severity | group | summary |", "|---|---|---|---|---|"]
        table += [f"| {r.code} | `{r.name}` | {r.severity} | {r.group} | {r.summary.replace('|', '/')} |" for r in rows]
        return ListRulesOutput(count=len(rows), groups=known, rules=rows), "\n".join(table) + "\n"

    async def explain_rule(args: ExplainRuleInput, ctx: Context) -> tuple[ExplainRuleOutput, str]:
        out = explain(args.code)
        return out, out.markdown

    add_model_tool(
        server,
        name="list_rules",
        title="List the design rules",
        description=(
            "List the rules a design is checked against: code, name, group, default severity and a one-line "
            "summary. Filter by group or severity."
        ),
        input_model=ListRulesInput,
        output_model=ListRulesOutput,
        handler=list_rules,
        annotations=read_only(),
    )
    add_model_tool(
        server,
        name="explain_rule",
        title="Explain a design rule",
        description="Explain one rule: why it matters, the anti-pattern it catches, and how to fix a finding.",
        input_model=ExplainRuleInput,
        output_model=ExplainRuleOutput,
        handler=explain_rule,
        annotations=read_only(),
    )
