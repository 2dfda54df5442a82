"""Rules that check a Design against the discipline of event-driven architecture.

Each rule lives in the module of its group (``naming``, ``contracts``, ``topology``, ``reliability``, ``sagas``,
``projections``, ``event_sourcing``, ``coupling``, ``observability``, ``privacy``, ``references``) and registers
itself with the :func:`~archassist.agent.rules.base.rule` decorator. :func:`registry` imports them all once and
returns them ordered by code; :mod:`archassist.agent.rules.engine` runs them.
"""

from __future__ import annotations

import difflib
import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archassist.agent.rules.base import GROUP_TITLES, Rule
    from archassist.agent.rules.mqtt import MqttRule

# The rule machinery (rules.base) is imported when first asked for: the planner reads words with
# archassist.agent.rules.words and never runs a rule.
_FROM_BASE = frozenset({"GROUP_TITLES", "Rule"})


def __getattr__(name: str) -> Any:
    if name in _FROM_BASE:
        from archassist.agent.rules import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

RULE_MODULES: tuple[str, ...] = (
    "naming",
    "contracts",
    "topology",
    "partitioning",
    "reliability",
    "publishing",
    "sagas",
    "projections",
    "event_sourcing",
    "coupling",
    "observability",
    "privacy",
    "references",
    "capacity",
)

__all__ = ["GROUP_TITLES", "Rule", "catalog", "catalog_groups", "get_rule", "groups", "nearest_code", "registry"]


@cache
def registry() -> tuple[Rule, ...]:
    """Every rule, ordered by code."""
    from archassist.agent.rules.base import registered_rules

    for module in RULE_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    rules = sorted(registered_rules(), key=lambda r: r.code)
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    if len(set(codes)) != len(codes) or len(set(names)) != len(names):
        raise RuntimeError("two rules share a code or a name")
    return tuple(rules)


@cache
def _by_key() -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for item in registry():
        found[item.code] = item
        found[item.name] = item
    return found


def get_rule(code: str) -> Rule | None:
    """The rule with this code (``EDA301``, any case) or slug name (``topic-name-shape``), if any."""
    key = code.strip()
    return _by_key().get(key.upper()) or _by_key().get(key.lower())


def catalog() -> tuple[Rule | MqttRule, ...]:
    """Every rule a review runs, as `archassist rules` lists them: the design rules by code, then the MQTT rules
    (AAPI201…) that AsyncAPI documents with MQTT channels also get."""
    from archassist.agent.rules.mqtt import MQTT_RULES

    return (*registry(), *sorted(MQTT_RULES, key=lambda r: r.code))


def catalog_groups() -> list[str]:
    """The groups of :func:`catalog`, in its order."""
    return list(dict.fromkeys(item.group for item in catalog()))


def groups() -> list[str]:
    """Group names in code order."""
    seen: dict[str, None] = {}
    for item in registry():
        seen.setdefault(item.group, None)
    return list(seen)


def nearest_code(text: str) -> str | None:
    """The rule code, name or group closest to a mistyped one, for 'did you mean' hints."""
    candidates = [r.code for r in registry()] + [r.name for r in registry()] + groups()
    probe = text.strip()
    upper = probe.upper()
    if upper.startswith("EDA"):
        # letters typed for look-alike digits: EDA4O3 -> EDA403, EDA9l1 -> EDA911
        probe = "EDA" + upper[3:].translate(str.maketrans("OILS", "0115"))
        if get_rule(probe) is not None:
            return probe
    for candidate_probe, pool in ((probe.upper(), [r.code for r in registry()]), (probe.lower(), candidates)):
        match = difflib.get_close_matches(candidate_probe, pool, n=1, cutoff=0.6)
        if match:
            return match[0]
    return None
