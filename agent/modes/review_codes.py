"""Every code a review can print, with its documentation: the registry's rules (EDA101…), EDA000 for an input
that could not be reviewed, and the AsyncAPI importer's codes (AAPI001…). `archassist explain` and the MCP
`explain_rule` tool both look codes up here, so neither knows less than review prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from archassist.agent.errors import InputError
from archassist.agent.model.findings import Severity


@dataclass(frozen=True)
class CodeDoc:
    code: str
    name: str
    group: str
    severity: Severity
    summary: str
    why: str
    anti_pattern: str
    fix: str

    def markdown(self, heading: str = "###") -> str:
        return "\n".join(
            [
                f"{heading} {self.code} `{self.name}`",
                "",
                f"**{self.severity}** · {self.group} · {self.summary}",
                "",
                f"**Why.** {self.why}",
                "",
                f"**Anti-pattern.** {self.anti_pattern}",
                "",
                f"**Fix.** {self.fix}",
                "",
            ]
        )


# What an importer code's group means for the review, and the shape of document that earns one.
_ASYNCAPI_WHY: dict[str, tuple[str, str]] = {
    "schema": (
        "Every tool that reads the document (code generators, documentation portals, brokers' gateways) assumes "
        "it follows the specification of its version; a document that breaks the official schema is read "
        "differently by each of them, and what archassist imports from it is a best effort.",
        "A channel whose `messages` is a list where AsyncAPI 3.0 expects a map, or an operation without `action`.",
    ),
    "not-declared": (
        "The document does not say this, so the imported design cannot either, and the rules that would check "
        "it have nothing to look at. The note is the review's way of saying what was not checked, and what to "
        "declare so that it can be.",
        "A Kafka channel with messages but no message key, partition count or retention: every producer and "
        "consumer team has to guess them, and each guesses differently.",
    ),
    "limitation": (
        "The importer used the document only in part, so the imported design, and the review of it, are only as "
        "complete as what could be read.",
        "An `x-retry` extension whose `max_attempts` is a word instead of a number.",
    ),
    "reference": (
        "A `$ref` that cannot be followed leaves a hole in the imported design: the messages and schemas behind "
        "it are neither imported nor checked.",
        "`$ref: './schemas/order.yaml'` pointing at a file that was renamed, or a chain of references that "
        "points back at itself.",
    ),
    "hygiene": (
        "Other AsyncAPI tools (Spectral, the AsyncAPI CLI) flag the same thing, and a document that fails them "
        "fails in every pipeline that runs them; a broken or guessed reference also means some readers see a "
        "different document than others.",
        "A component key `order/created` referenced without escaping the `/` (`~1`), a message in `components` "
        "that nothing uses, or a 2.x operation without an `operationId`.",
    ),
}


def _rule_doc(code: str) -> CodeDoc | None:
    from archassist.agent.rules import get_rule

    found = get_rule(code)
    if found is None:
        return None
    doc = found.doc
    return CodeDoc(found.code, found.name, found.group, found.severity, doc.summary, doc.why, doc.anti_pattern, doc.fix)


def _unreadable_doc(code: str) -> CodeDoc | None:
    from archassist.agent.modes.review_inputs import UNREADABLE as u

    if code.strip().upper() not in (u.code, u.name.upper()):
        return None
    return CodeDoc(u.code, u.name, u.group, "error", u.summary, u.why, u.anti_pattern, u.fix)


def _asyncapi_doc(code: str) -> CodeDoc | None:
    from archassist.agent.asyncapi.codes import CODES

    wanted = code.strip()
    found = CODES.get(wanted.upper()) or next((c for c in CODES.values() if c.name == wanted.lower()), None)
    if found is None:
        return None
    why, anti_pattern = _ASYNCAPI_WHY[found.group]
    return CodeDoc(
        found.code, found.name, f"asyncapi ({found.group})", found.severity, found.title, why, anti_pattern, found.fix
    )


def _mqtt_doc(code: str) -> CodeDoc | None:
    from archassist.agent.rules.mqtt import get_mqtt_rule

    found = get_mqtt_rule(code)
    if found is None:
        return None
    doc = found.doc
    return CodeDoc(found.code, found.name, "asyncapi (mqtt)", found.severity, doc.summary, doc.why,
                   doc.anti_pattern, doc.fix)


def _plan_doc(code: str) -> CodeDoc | None:
    from archassist.agent.migration.rules import get_plan_rule

    found = get_plan_rule(code)
    if found is None:
        return None
    doc = found.doc
    return CodeDoc(found.code, found.name, found.group, found.severity, doc.summary, doc.why, doc.anti_pattern, doc.fix)


def describe_code(code: str) -> CodeDoc | None:
    """The documentation of any code (or rule name) archassist can print, migration-plan rules (MIG…) included;
    None when there is no such code."""
    return _rule_doc(code) or _unreadable_doc(code) or _asyncapi_doc(code) or _mqtt_doc(code) or _plan_doc(code)


def require_code(code: str, hint_tail: str = "see `archassist rules`") -> CodeDoc:
    """The documentation of code, or an InputError with the nearest known code."""
    found = describe_code(code)
    if found is not None:
        return found
    from archassist.agent.modes.review import outside_codes
    from archassist.agent.rules.engine import nearest_selector

    probe = code.strip()
    near = nearest_selector(probe, outside_codes())
    hint = f"did you mean {near}?" if near else hint_tail
    raise InputError(f"unknown rule code '{probe}'; {hint}")
