"""Run the rules over a design: choose rules, adjust severities, apply the design's suppressions, place findings.

``check`` is the simple entry point (a sorted list of findings); ``run`` returns the same findings plus what a
report needs around them: suppressed counts, unused suppressions and configuration warnings.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from archassist.agent.model.design import Design, Suppression
from archassist.agent.model.findings import SEVERITY_ORDER, Finding, Severity
from archassist.agent.model.io import InputError, SourceMap
from archassist.agent.rules import get_rule, groups, nearest_code, registry
from archassist.agent.rules.base import SEVERITIES, Rule
from archassist.agent.rules.index import DesignIndex

OFF_LEVELS = frozenset({"off", "none", "ignore", "disable", "disabled"})
_CODE_PREFIX = re.compile(r"^EDA\d{1,3}$")


class UnknownRuleWarning(UserWarning):
    """A configuration names a rule, prefix or group that does not exist."""


@dataclass
class CheckResult:
    findings: list[Finding]
    suppressed: dict[str, int] = field(default_factory=dict)
    unused_suppressions: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rules_run: int = 0

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def expand_selector(selector: str) -> list[Rule] | None:
    """The rules a selector names: ALL, a code, a code prefix (EDA3, EDA30), a group, or a rule name."""
    text = selector.strip()
    if text.upper() == "ALL":
        return list(registry())
    found = get_rule(text)
    if found is not None:
        return [found]
    if _CODE_PREFIX.match(text.upper()):
        matched = [r for r in registry() if r.code.startswith(text.upper())]
        return matched or None
    if text.lower() in groups():
        return [r for r in registry() if r.group == text.lower()]
    return None


def unknown_selector_message(selector: str, where: str) -> str:
    near = nearest_code(selector)
    hint = f"; did you mean {near}?" if near else "; see `archassist rules`"
    return f"unknown rule code '{selector}' in {where}{hint}"


def split_selectors(selectors: Iterable[str] | None) -> list[str]:
    """Accept repeated values and comma-separated lists alike."""
    out: list[str] = []
    for item in selectors or ():
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def unknown_selectors(selectors: Iterable[str] | None, outside: Collection[str] = ()) -> list[str]:
    """The selectors that name no rule, code prefix, group or rule name, nor one of the outside codes."""
    known_outside = {code.upper() for code in outside}
    return [s for s in split_selectors(selectors) if s.upper() not in known_outside and expand_selector(s) is None]


def nearest_selector(selector: str, outside: Collection[str] = ()) -> str | None:
    """The known rule code, name or group, or outside code, closest to a mistyped one."""
    if not selector.upper().startswith("EDA"):
        near = difflib.get_close_matches(selector.upper(), [c.upper() for c in outside], n=1, cutoff=0.6)
        if near:
            return near[0]
    return nearest_code(selector)


def require_known_selectors(selectors: Iterable[str] | None, where: str, outside: Collection[str] = ()) -> None:
    """Raise InputError naming every unknown selector (with the nearest known one): a typo must not quietly
    run no rule, or every rule."""
    unknown = unknown_selectors(selectors, outside)
    if not unknown:
        return
    hints = {s: nearest_selector(s, outside) for s in unknown}
    if len(unknown) == 1:
        near = hints[unknown[0]]
        hint = f"; did you mean {near}?" if near else "; see `archassist rules` for the codes"
        raise InputError(f"unknown rule code '{unknown[0]}' in {where}{hint}")
    listed = ", ".join(f"'{s}'" + (f" (did you mean {hints[s]}?)" if hints[s] else "") for s in unknown)
    raise InputError(f"unknown rule codes in {where}: {listed}; see `archassist rules` for the codes")


def resolve_rules(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> tuple[list[Rule], list[str]]:
    """The rules to run for these select / ignore lists, and a warning for each unknown selector."""
    messages: list[str] = []
    chosen: dict[str, Rule] = {}
    selectors = split_selectors(select)
    if not selectors:
        chosen = {r.code: r for r in registry()}
    for selector in selectors:
        rules = expand_selector(selector)
        if rules is None:
            messages.append(unknown_selector_message(selector, "select"))
            continue
        chosen.update((r.code, r) for r in rules)
    for selector in split_selectors(ignore):
        rules = expand_selector(selector)
        if rules is None:
            messages.append(unknown_selector_message(selector, "ignore"))
            continue
        for item in rules:
            chosen.pop(item.code, None)
    return sorted(chosen.values(), key=lambda r: r.code), messages


def resolve_severities(overrides: Mapping[str, str] | None) -> tuple[dict[str, Severity | None], list[str]]:
    """Code -> new severity (None switches the rule off), and warnings for unknown codes."""
    resolved: dict[str, Severity | None] = {}
    messages: list[str] = []
    for selector, level in (overrides or {}).items():
        wanted = str(level).strip().lower()
        if wanted not in SEVERITIES and wanted not in OFF_LEVELS:
            raise InputError(
                f"severity for '{selector}' is '{level}'; use one of error, warning, info or off"
            )
        rules = expand_selector(selector)
        if rules is None:
            messages.append(unknown_selector_message(selector, "severity"))
            continue
        for item in rules:
            resolved[item.code] = None if wanted in OFF_LEVELS else wanted  # type: ignore[assignment]
    return resolved, messages


def _pointer_covers(prefix: str | None, pointer: str) -> bool:
    if not prefix:
        return True
    prefix = prefix.rstrip("/")
    return pointer == prefix or pointer.startswith(prefix + "/")


# Reports sort the same findings several times (by file, for counts, for output); the key is worth keeping.
@lru_cache(maxsize=65_536)
def _natural(pointer: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in pointer.split("/"))


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            SEVERITY_ORDER[f.severity],
            f.file or "",
            f.line or 0,
            f.column or 0,
            f.code,
            _natural(f.pointer),
            f.message,
        ),
    )


def _applicable_suppressions(design: Design) -> dict[str, list[tuple[int, Suppression]]]:
    by_code: dict[str, list[tuple[int, Suppression]]] = defaultdict(list)
    for position, suppression in enumerate(design.suppressions):
        if not suppression.reason.strip():
            continue  # a suppression without a reason is refused (and reported by EDA927)
        target = get_rule(suppression.code)
        by_code[target.code if target else suppression.code.strip().upper()].append((position, suppression))
    return by_code


def locate(findings: Iterable[Finding], source: SourceMap) -> None:
    """Fill in file, line and column from where each pointer was written."""
    for finding in findings:
        finding.file = source.file
        position = source.locate(finding.pointer)
        if position is not None:
            finding.line, finding.column = position


def run(
    design: Design,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity_overrides: Mapping[str, str] | None = None,
    source: SourceMap | None = None,
    index: DesignIndex | None = None,
) -> CheckResult:
    """Check a design and return the findings with suppression counts and configuration warnings."""
    rules, messages = resolve_rules(select, ignore)
    severities, severity_messages = resolve_severities(severity_overrides)
    messages += severity_messages
    index = index or DesignIndex.build(design)
    suppressions = _applicable_suppressions(design)
    used: set[int] = set()
    suppressed: Counter[str] = Counter()
    findings: list[Finding] = []
    ran = 0
    for item in rules:
        if item.code in severities and severities[item.code] is None:
            continue
        ran += 1
        override = severities.get(item.code)
        for finding in item.check(design, index):
            matched = next(
                (
                    pos
                    for pos, s in suppressions.get(item.code, ())
                    if _pointer_covers(s.pointer, finding.pointer)
                ),
                None,
            )
            if matched is not None:
                used.add(matched)
                suppressed[item.code] += 1
                continue
            if override is not None:
                finding.severity = override
            findings.append(finding)
    if source is not None:
        locate(findings, source)
    unused = sorted(pos for entries in suppressions.values() for pos, _ in entries if pos not in used)
    return CheckResult(
        findings=sort_findings(findings),
        suppressed=dict(sorted(suppressed.items())),
        unused_suppressions=unused,
        warnings=messages,
        rules_run=ran,
    )


def check(
    design: Design,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity_overrides: Mapping[str, str] | None = None,
    source: SourceMap | None = None,
) -> list[Finding]:
    """Check a design with the chosen rules; findings sorted by severity, place, code and pointer.

    Unknown rule codes in ``select``, ``ignore`` or ``severity_overrides`` raise an :class:`UnknownRuleWarning`
    (with the nearest known code) and are otherwise ignored.
    """
    result = run(design, select=select, ignore=ignore, severity_overrides=severity_overrides, source=source)
    for message in result.warnings:
        warnings.warn(message, UnknownRuleWarning, stacklevel=2)
    return result.findings
