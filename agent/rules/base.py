"""What a rule is: a code, a slug, a group, a default severity, documentation, and a check.

A rule is written as a plain function decorated with :func:`rule`. The function receives the design and the shared
:class:`~archassist.agent.rules.index.DesignIndex` and yields :class:`Violation` records; the :class:`Rule` wrapper
turns them into :class:`~archassist.agent.model.findings.Finding` objects carrying the rule's code, name and severity.
The function's docstring is the rule's documentation: a summary (the first paragraph, one sentence), then
``Why:``, ``Anti-pattern:`` and ``Fix:`` sections.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archassist.agent.model.findings import Finding, Severity

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.agent.rules.index import DesignIndex

CODE_PATTERN = re.compile(r"^EDA[1-9]\d\d$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Groups by code: the hundreds digit names the concern; the 900s are split by their tens digit.
GROUPS: dict[str, str] = {
    "EDA1": "naming",
    "EDA2": "contracts",
    "EDA3": "topology",
    "EDA4": "reliability",
    "EDA5": "sagas",
    "EDA6": "projections",
    "EDA7": "event-sourcing",
    "EDA8": "coupling",
    "EDA90": "observability",
    "EDA91": "privacy",
    "EDA92": "references",
}
GROUP_TITLES: dict[str, str] = {
    "naming": "Naming: events are facts, commands are requests",
    "contracts": "Contracts and the envelope",
    "topology": "Topics, partitions and ordering",
    "reliability": "Consumers, retries, dead letters and publishing",
    "sagas": "Sagas",
    "projections": "Projections (read models)",
    "event-sourcing": "Event sourcing",
    "coupling": "Coupling between services",
    "observability": "Observability",
    "privacy": "Personal data",
    "references": "References, orphans and cycles",
}

_SECTION = re.compile(r"^(Why|Anti-pattern|Fix):\s*", re.MULTILINE)


def group_of(code: str) -> str:
    """The group a rule code belongs to, from its number."""
    return GROUPS.get(code[:5]) or GROUPS[code[:4]]


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check function reports: where, what, and how to fix it. The severity defaults to the rule's."""

    pointer: str
    message: str
    fix: str = ""
    severity: Severity | None = None

    def finding(self, code: str, name: str, default_severity: Severity) -> Finding:
        """The finding of the rule ``code`` that reported this violation."""
        return Finding(
            code=code,
            name=name,
            severity=self.severity or default_severity,
            message=self.message,
            pointer=self.pointer,
            fix=self.fix,
        )


CheckFunction = Callable[["Design", "DesignIndex"], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    summary: str
    why: str
    anti_pattern: str
    fix: str


def _reflow(text: str) -> str:
    """One line per paragraph: docstrings wrap for the source, outputs wrap for their reader."""
    return "\n\n".join(" ".join(part.split()) for part in text.strip().split("\n\n"))


def parse_doc(doc: str) -> RuleDoc:
    """Split a rule docstring into its summary and its Why / Anti-pattern / Fix sections."""
    text = inspect.cleandoc(doc)
    summary, _, body = text.partition("\n\n")
    sections: dict[str, str] = {}
    matches = list(_SECTION.finditer(body))
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(body)
        sections[match.group(1)] = _reflow(body[match.end() : end])
    return RuleDoc(
        summary=_reflow(summary),
        why=sections.get("Why", ""),
        anti_pattern=sections.get("Anti-pattern", ""),
        fix=sections.get("Fix", ""),
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """One check of the design, with the documentation that explains it."""

    code: str
    name: str
    severity: Severity
    function: CheckFunction
    doc: RuleDoc
    # The protocol families (index.PROTOCOL_FAMILIES) the rule speaks about; None: every design.
    protocols: frozenset[str] | None = None

    @property
    def group(self) -> str:
        return group_of(self.code)

    @property
    def summary(self) -> str:
        return self.doc.summary

    def applies_to(self, broker: str) -> bool:
        from archassist.agent.rules.index import protocol_family

        return self.protocols is None or protocol_family(broker) in self.protocols

    def check(self, design: Design, index: DesignIndex) -> Iterator[Finding]:
        if not self.applies_to(design.style.broker):
            return
        for violation in self.function(design, index):
            yield violation.finding(self.code, self.name, self.severity)


_REGISTERED: list[Rule] = []


def rule(
    code: str, name: str, *, severity: Severity, protocols: Iterable[str] | None = None
) -> Callable[[CheckFunction], Rule]:
    """Register the decorated check function as a rule; `protocols` limits it to those protocol families."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"rule code {code!r} must look like EDA101")
    if not NAME_PATTERN.match(name):
        raise ValueError(f"rule name {name!r} must be a lowercase slug")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {code}: unknown severity {severity!r}")
    from archassist.agent.rules.index import PROTOCOL_FAMILIES

    unknown = sorted(set(protocols or ()) - set(PROTOCOL_FAMILIES))
    if unknown:
        raise ValueError(f"rule {code}: unknown protocol families {unknown}; use {PROTOCOL_FAMILIES}")

    def register(function: CheckFunction) -> Rule:
        if not function.__doc__:
            raise ValueError(f"rule {code} needs a docstring")
        made = Rule(
            code=code, name=name, severity=severity, function=function, doc=parse_doc(function.__doc__),
            protocols=frozenset(protocols) if protocols is not None else None,
        )
        _REGISTERED.append(made)
        return made

    return register


def registered_rules() -> list[Rule]:
    return list(_REGISTERED)
