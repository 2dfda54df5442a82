"""SARIF 2.1.0 output for GitHub code scanning and other static-analysis viewers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from archassist.agent.__about__ import __version__
from archassist.agent.model.findings import Finding
from archassist.agent.rules import get_rule, registry
from archassist.agent.rules.base import RuleDoc
from archassist.agent.rules.words import pascal_case


class _ReviewedFile(Protocol):
    path: str


class ReviewLike(Protocol):
    """What SARIF needs of a review (archassist.agent.modes.review.ReviewReport)."""

    @property
    def files(self) -> Sequence[_ReviewedFile]: ...

    @property
    def findings(self) -> list[Finding]: ...


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def relative_uri(path: str, base: Path | None = None) -> str:
    """A URI reference relative to base (the current directory), with forward slashes."""
    start = base or Path.cwd()
    try:
        relative = os.path.relpath(Path(path).resolve(), start.resolve())
    except ValueError:  # another drive on Windows
        relative = str(Path(path).resolve())
    return Path(relative).as_posix().replace(" ", "%20")


class _Documented(Protocol):
    """A rule with its documentation: a design rule, or a protocol rule on AsyncAPI documents (AAPI2xx)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def group(self) -> str: ...

    @property
    def doc(self) -> RuleDoc: ...


def rule_descriptor(rule: _Documented) -> dict[str, Any]:
    doc = rule.doc
    help_text = f"{doc.summary}\n\nWhy: {doc.why}\n\nAnti-pattern: {doc.anti_pattern}\n\nFix: {doc.fix}"
    help_markdown = f"**{doc.summary}**\n\n**Why.** {doc.why}\n\n**Anti-pattern.** {doc.anti_pattern}\n\n**Fix.** {doc.fix}"
    return {
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": f"{doc.summary} {doc.why}"},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["event-driven-architecture", rule.group], "slug": rule.name},
    }


def outside_descriptor(finding: Finding) -> dict[str, Any]:
    """A descriptor for a code that is not a registry rule (AsyncAPI importer findings)."""
    summary = finding.name.replace("-", " ").capitalize() or finding.code
    return {
        "id": finding.code,
        "name": pascal_case(finding.name) or finding.code,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": finding.fix or summary},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {"tags": ["asyncapi"], "slug": finding.name},
    }


def _protocol_rule(code: str) -> _Documented | None:
    """The documented protocol rule (AAPI2xx) behind an AsyncAPI finding code, if it is one."""
    if not code.startswith("AAPI2"):
        return None
    from archassist.agent.rules.mqtt import get_mqtt_rule

    return get_mqtt_rule(code)


def _fingerprint(finding: Finding, uri: str) -> str:
    return hashlib.sha256(f"{finding.code}|{uri}|{finding.pointer}".encode()).hexdigest()[:32]


def _region(line: int | None, column: int | None) -> dict[str, int]:
    return {"startLine": max(1, line or 1), "startColumn": max(1, column or 1)}


def _logical(pointer: str) -> list[dict[str, str]]:
    return [{"fullyQualifiedName": pointer or "/", "kind": "element"}]


def related_locations(finding: Finding, uri: str) -> list[dict[str, Any]]:
    """Every place a folded finding stands for, each with its JSON pointer, its line where known and its own
    message; nothing for a finding about one place."""
    out: list[dict[str, Any]] = []
    for number, place in enumerate(finding.places, start=1):
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}}
        if place.line:
            physical["region"] = _region(place.line, place.column)
        out.append(
            {
                "id": number,
                "physicalLocation": physical,
                "logicalLocations": _logical(place.pointer),
                "message": {"text": place.message},
            }
        )
    return out


def sarif_log(report: ReviewLike, base: Path | None = None) -> dict[str, Any]:
    """The SARIF log of a review: every registry rule as a descriptor, one result per finding."""
    descriptors = [rule_descriptor(r) for r in registry()]
    rule_index = {d["id"]: i for i, d in enumerate(descriptors)}
    findings = report.findings
    for finding in findings:
        if finding.code not in rule_index and get_rule(finding.code) is None:
            rule_index[finding.code] = len(descriptors)
            documented = _protocol_rule(finding.code)
            descriptors.append(rule_descriptor(documented) if documented else outside_descriptor(finding))
    results = []
    for finding in findings:
        uri = relative_uri(finding.file or report.files[0].path, base)
        message = finding.message + (f". Fix: {finding.fix}" if finding.fix else "")
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                        "region": _region(finding.line, finding.column),
                    },
                    "logicalLocations": _logical(finding.pointer),
                }
            ],
            "partialFingerprints": {"archassistFinding/v1": _fingerprint(finding, uri)},
            "properties": {"pointer": finding.pointer, "fix": finding.fix},
        }
        related = related_locations(finding, uri)
        if related:
            result["relatedLocations"] = related
        results.append(result)
    root = (base or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "archassist",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root}},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
