"""The Claude Code plugin in `tools/claude-plugin/`: where it lives, and its architect agent, generated from the
role prompt so that the agent and the prompts never drift apart.

    python -m archassist.tools.plugin            # rewrite agents/event-driven-architect.md
    python -m archassist.tools.plugin --check    # exit 1 when it is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent / "claude-plugin"
AGENT_FILE = PLUGIN_DIR / "agents" / "event-driven-architect.md"

AGENT_FRONT_MATTER = """\
---
name: event-driven-architect
description: Event-driven architecture specialist. Use for designing event flows, topics, partition keys, consumers, retries, dead letters, sagas and event contracts, for reviewing designs or AsyncAPI documents, and for planning migrations to events. Not for synchronous REST or GraphQL API design or batch ETL.
---
"""

AGENT_TOOLS_SECTION = """\
## Working with the archassist tools

The archassist MCP server gives you the team's tools. Use them instead of guessing:

- Before designing or changing a flow, call `recall` with the key words of the task and follow the accepted
  decisions it returns, citing their ids.
- To design, call `design` with the brief: it returns a complete, checked offline draft to refine rather than
  starting from a blank page, with the full Design behind the `archassist://designs/{id}` resource it links.
- To check a design, call `review` (a file path inside the project, or the document as text; AsyncAPI works too)
  or `check_design` (a Design as YAML or JSON text, or a file path). Fix every error finding, and use
  `explain_rule` when a finding is unclear.
- The resources `archassist://knowledge/domains/{name}` and `archassist://knowledge/patterns/{name}` hold the
  catalog of business domains and patterns; `archassist://schema/design` is the Design file format.
- When the user confirms a decision, record it with `remember` so later designs follow it.
"""


def agent_markdown() -> str:
    """The agent file: front matter, the architect role prompt, and how to use the archassist tools."""
    from archassist.agent.backends.prompting import environment

    role = environment().get_template("architect.md.j2").render().strip("\n")
    return AGENT_FRONT_MATTER + "\n" + role + "\n\n" + AGENT_TOOLS_SECTION


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    wanted = agent_markdown()
    if "--check" in args:
        current = AGENT_FILE.read_text(encoding="utf-8") if AGENT_FILE.exists() else ""
        if current != wanted:
            print(f"{AGENT_FILE} is stale; run: python -m archassist.tools.plugin", file=sys.stderr)
            return 1
        return 0
    AGENT_FILE.write_text(wanted, encoding="utf-8")
    print(f"wrote {AGENT_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
