"""Fold repeats: many findings of one code in one file become one finding that lists its places.

A reader acts on "47 message names are not PascalCase" once; 47 lines saying it bury the findings that differ.
Every output format renders the folded finding like any other, at the first place, with the others in its message;
the finding's `places` keeps every place with its own message, so SARIF can list them all as related locations.
"""

from __future__ import annotations

from collections.abc import Sequence

from archassist.agent.model.findings import Finding, Place

FOLD_ABOVE = 3  # up to this many findings of one code in one file are shown one by one
_LISTED = 12  # places named in a folded finding's message


def _place(finding: Finding) -> str:
    return f"line {finding.line}" if finding.line else finding.pointer or "/"


def places_of(finding: Finding) -> list[Place]:
    """The places a finding stands for: those it lists when it is already folded, else its own."""
    return list(finding.places) or [Place(finding.pointer, finding.message, finding.line, finding.column)]


def fold_repeats(findings: Sequence[Finding], above: int = FOLD_ABOVE) -> list[Finding]:
    """The findings with every code that occurs more than `above` times in one file folded into one finding.

    The folded finding keeps the first finding's code, severity, pointer, position and fix; its message is the
    first message followed by how many places there are in all and which (the first dozen by position), and its
    `places` lists every one of them.
    The order of the list is kept: a folded finding stands where its first finding stood.
    """
    groups: dict[tuple[str | None, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.file, finding.code, finding.severity), []).append(finding)
    out: list[Finding] = []
    for finding in findings:
        group = groups[(finding.file, finding.code, finding.severity)]
        if len(group) <= above:
            out.append(finding)
            continue
        if finding is not group[0]:
            continue
        ordered = sorted(group, key=lambda f: (f.line or 0, f.column or 0, f.pointer))
        first = ordered[0]
        places = ", ".join(_place(f) for f in ordered[:_LISTED]) + (", …" if len(ordered) > _LISTED else "")
        out.append(
            Finding(
                code=first.code,
                name=first.name,
                severity=first.severity,
                message=f"{first.message} — and {len(ordered) - 1} more like it; {len(ordered)} places in all: "
                f"{places}",
                pointer=first.pointer,
                fix=first.fix,
                file=first.file,
                line=first.line,
                column=first.column,
                places=[place for f in ordered for place in places_of(f)],
            )
        )
    return out
