"""Render the rule catalog (docs/rules.md) from the registry, and write or check the committed file.

python -m archassist.agent.rules.docs            # rewrite docs/rules.md
python -m archassist.agent.rules.docs --check    # exit 1 when docs/rules.md is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archassist.agent.rules import GROUP_TITLES, Rule, groups, registry

REVIEW_FORMATS_SECTION = """\
## Review output

`archassist review PATH... [--format text|json|sarif|github] [-o FILE] [--select ...] [--ignore ...] [--fail-on LEVEL]`
exits 0 when no finding is at or above `--fail-on` (default `error`; `never` always exits 0), 1 when one is,
2 on a usage or input error (one line on stderr) and 3 on an internal error (a bug; one line names a log).

A PATH is a design file, an AsyncAPI document, `-` for stdin, or a folder: every `.yaml`, `.yml` and `.json`
file below it that is a design or an AsyncAPI document is reviewed (hidden folders, `node_modules` and virtual
environments are skipped, and so are files such as CI workflows or `package.json`). A file that cannot be read
or loaded (missing, bad YAML, a field the Design model does not have…) does not stop the review: it is an
`EDA000` error of that file, placed at the line the problem is on, and the other files are still reviewed, as a
compiler reports a file it cannot parse. When no input at all can be read (a single broken file, a folder with no
design in it), nothing was reviewed: that is an input error, one line per input and exit 2.

Selectors in `--select`, `--ignore` and the configuration accept a code (`EDA403`), a code prefix (`EDA4`,
`EDA40`), a group (`reliability`), a rule name (`retry-unbounded`) or `ALL`, and the codes that are not rules
(`EDA000`, the AsyncAPI importer's `AAPI…`); repeat the option or separate values with commas. A selector that
names nothing is an error (exit 2) with the nearest known code, on the command line and in the configuration
alike, so a typo never runs no rule. `--select` replaces the configured `select` and `ignore` lists; `--ignore`
adds to the configured `ignore` list. `archassist explain CODE` documents every code review prints.

Configuration is read from the first `.archassist.toml` or `pyproject.toml` with a `[tool.archassist]` table
found walking up from the current directory:

```toml
[tool.archassist]
select = ["ALL"]
ignore = ["EDA104"]
severity = { EDA601 = "error", EDA208 = "off" }
fail-on = "warning"
```

A design can accept a finding with a reason, optionally limited to a JSON pointer and everything below it:

```yaml
suppressions:
  - {code: EDA801, reason: "the fraud check must answer before capture", pointer: /services/2/sync_calls/0}
```

### JSON (`--format json`)

```text
{
  "version": 1,                      # of this structure; fields are only ever added
  "tool": {"name": "archassist", "version": "..."},
  "fail_on": "error", "exit_code": 1,
  "summary": {"files": 1, "error": 2, "warning": 1, "info": 0, "suppressed": 3},
  "files": [{"path": "...", "kind": "design" | "asyncapi" | "unreadable", "design": "...",
             "counts": {"error": 2, "warning": 1, "info": 0},
             "suppressed": {"EDA801": 1}, "unused_suppressions": [2]}],
  "findings": [{"code": "EDA403", "name": "retry-unbounded", "group": "reliability", "severity": "error",
                "message": "...", "pointer": "/consumers/0/retry/max_attempts", "fix": "...",
                "file": "...", "line": 120, "column": 7,
                "places": []}],               # a folded finding: every place, [{"pointer", "message", "line", "column"}]
  "warnings": []                     # notes about the run that are not findings
}
```

### SARIF (`--format sarif`)

SARIF 2.1.0 for GitHub code scanning: one run, every rule in `tool.driver.rules` (id, name, short and full
description, help, default level), results with `ruleId`, `level`, `message`, a physical location (URI relative
to the current directory, line and column, at least 1) and a logical location whose `fullyQualifiedName` is the
JSON pointer into the reviewed file (also in `properties.pointer`). A finding folded over several places (more
than three of one code in one file, or a "not declared" note that many channels share) lists every place in
`relatedLocations`: each with its JSON pointer as a logical location, its line where known, and its own message.

### GitHub (`--format github`)

Workflow commands, one per finding: `::error file=...,line=...,col=...,title=EDA403 retry-unbounded::message`
(`::warning` for warnings, `::notice` for info).
"""


_FAMILY_WORDS = {"stream": "HTTP and WebSocket streams", "kafka": "Kafka", "amqp": "AMQP", "mqtt": "MQTT",
                 "nats": "NATS", "unspecified": "documents that name no protocol", "other": "other brokers"}


def _protocol_line(rule: Rule) -> list[str]:
    """Where a rule limited to some protocol families stays silent (see rules.index.PROTOCOL_FAMILIES)."""
    if rule.protocols is None:
        return []
    from archassist.agent.rules.index import PROTOCOL_FAMILIES

    silent = [_FAMILY_WORDS[f] for f in PROTOCOL_FAMILIES if f not in rule.protocols]
    return [f"*Silent on {', '.join(silent)}: it does not apply there.*", ""] if silent else []


def render_rule_markdown(rule: Rule, heading: str = "###") -> str:
    parts = [
        f"{heading} {rule.code} `{rule.name}`",
        "",
        f"**{rule.severity}** · {rule.group} · {rule.summary}",
        "",
        *_protocol_line(rule),
        f"**Why.** {rule.doc.why}",
        "",
        f"**Anti-pattern.** {rule.doc.anti_pattern}",
        "",
        f"**Fix.** {rule.doc.fix}",
        "",
    ]
    return "\n".join(parts)


MQTT_SECTION_INTRO = """\
On AsyncAPI documents, archassist also checks MQTT's own conventions from the document's MQTT bindings and
topic addresses, which a design does not carry: what each message costs when it is lost or replayed (a command,
request, reply or state change, against a state or a reading of telemetry), the quality of service and retained
flag of each operation, the session of each server, and the levels of each topic. A channel is MQTT when its
operations, the channel or its messages have an `mqtt` binding, or when its servers (or, if it names none, the
document's) speak MQTT. The codes are the AsyncAPI importer's (`AAPI2xx`); their findings point into the
document.
"""


def mqtt_rules_markdown() -> list[str]:
    """The MQTT rules (AAPI201…) as a section of the catalog."""
    from archassist.agent.rules.mqtt import MQTT_RULES

    out = ["## AsyncAPI documents: MQTT conventions", "", MQTT_SECTION_INTRO]
    out += ["| code | name | severity | summary |", "|---|---|---|---|"]
    out += [f"| {r.code} | `{r.name}` | {r.severity} | {r.summary.replace('|', '/')} |" for r in MQTT_RULES]
    out.append("")
    for r in MQTT_RULES:
        out += [
            f"### {r.code} `{r.name}`",
            "",
            f"**{r.severity}** · mqtt · {r.summary}",
            "",
            f"**Why.** {r.doc.why}",
            "",
            f"**Anti-pattern.** {r.doc.anti_pattern}",
            "",
            f"**Fix.** {r.doc.fix}",
            "",
        ]
    return out


def render_rules_markdown() -> str:
    """The whole rule catalog as Markdown, generated from the registry."""
    rules = registry()
    out = [
        "# archassist rules",
        "",
        "<!-- Generated by `python -m archassist.agent.rules.docs` from the rule registry; do not edit. -->",
        "",
        f"{len(rules)} rules check a design against the practice of event-driven architecture. Severities: "
        "**error** for what loses data or breaks correctness, **warning** for weak practice, **info** for "
        "observations. `archassist explain CODE` prints one rule; `archassist rules` lists them.",
        "",
        "| code | name | severity | summary |",
        "|---|---|---|---|",
    ]
    out += [f"| {r.code} | `{r.name}` | {r.severity} | {r.summary.replace('|', '/')} |" for r in rules]
    out.append("")
    for group in groups():
        members = [r for r in rules if r.group == group]
        out += [f"## {GROUP_TITLES.get(group, group)}", ""]
        out += [render_rule_markdown(r) for r in members]
    out += mqtt_rules_markdown()
    out.append(REVIEW_FORMATS_SECTION)
    return "\n".join(out).rstrip("\n") + "\n"


def default_path() -> Path:
    """docs/rules.md of the source checkout this module lives in, else of the current directory."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "docs").is_dir():
        return checkout / "docs" / "rules.md"
    return Path("docs") / "rules.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archassist.agent.rules.docs", description=__doc__)
    parser.add_argument(
        "path", nargs="?", type=Path, default=None, help="file to write (default docs/rules.md)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the registry")
    args = parser.parse_args(argv)
    path: Path = args.path or default_path()
    text = render_rules_markdown()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale; run python -m archassist.agent.rules.docs", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(registry())} rules)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
