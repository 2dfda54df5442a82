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
    from archassist.agent.rules import catalog

    return [RuleOut(code=r.code, name=r.name, group=r.group, severity=r.severity, summary=r.summary) for r in catalog()]


def explain(code: str) -> ExplainRuleOutput:
    """The documentation of any code a review reports (rules, EDA000, AAPI codes); an unknown code is a user
    error naming the nearest one."""
    from archassist.agent.modes.review_codes import require_code

    found = require_code(code, hint_tail="the list_rules tool lists every rule")
    return ExplainRuleOutput(
        code=found.code,
        name=found.name,
        group=found.group,
        severity=found.severity,
        summary=found.summary,
        why=found.why,
        anti_pattern=found.anti_pattern,
        fix=found.fix,
        markdown=found.markdown("#"),
    )


def register(server: MCPServer, state: ServerState) -> None:
    async def list_rules(args: ListRulesInput, ctx: Context) -> tuple[ListRulesOutput, str]:
        from archassist.agent.rules import catalog_groups

        known = catalog_groups()
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
        description=(
            "Explain one finding code a review reports (a rule such as EDA401, EDA000 for an unreadable file, or "
            "an AsyncAPI code such as AAPI104): why it matters, the anti-pattern it catches, and how to fix it."
        ),
        input_model=ExplainRuleInput,
        output_model=ExplainRuleOutput,
        handler=explain_rule,
        annotations=read_only(),
    )
