"""Self-consistency: the offline planner's designs pass the rules with no error and no warning.

Briefs per knowledge domain (its first synonym, alone and as "... platform"), several briefs that span
domains, the shared development briefs and the briefs of the shipped eval scenarios. The rules are the
standard; a finding here means the planner produced a design an architect would send back.
"""

from __future__ import annotations

import pytest

planner = pytest.importorskip("archassist.agent.planner.compose")

import json  # noqa: E402

from archassist.agent.planner.knowledge import domains  # noqa: E402
from archassist.agent.rules.engine import check  # noqa: E402
from archassist.evals.scenario import load_scenarios  # noqa: E402

from tests.conftest import SHARED  # noqa: E402

DEV_BRIEFS = SHARED / "briefs" / "dev.json"

MULTI_DOMAIN_BRIEFS = [
    "order fulfillment across payments, inventory and shipping",
    "ride hailing trips with payments and notifications",
    "IoT telemetry at 100k events/sec with audit and GDPR",
    "food delivery with restaurant orders, courier dispatch and payments",
    "subscription billing with invoicing and a payments ledger",
    "hotel reservations with payments and loyalty points",
    "insurance claims with fraud checks and payments",
    "product returns with refunds and inventory restock",
    "online auctions with bids, payments and notifications",
    "event sourced bank ledger with audit for 10 years",
    "chat messaging with content moderation at 50k messages per second",
    "KYC onboarding of customers with fraud screening and GDPR",
]


def domain_briefs() -> list[str]:
    """Each domain's first synonym, alone and as a platform ("payment", "payment platform")."""
    firsts = [domain.synonyms[0] for domain in domains().values()]
    return firsts + [f"{first} platform" for first in firsts]


def dev_briefs() -> list[str]:
    """The shared development briefs (../shared/briefs/dev.json), when they are there."""
    if not DEV_BRIEFS.is_file():
        return []
    return [str(item["brief"]) for item in json.loads(DEV_BRIEFS.read_text(encoding="utf-8"))]


def scenario_briefs() -> list[str]:
    """The briefs of the eval scenarios shipped with the package: the designs an eval run starts from."""
    return [scenario.brief for scenario in load_scenarios()]


@pytest.mark.parametrize("brief", domain_briefs() + MULTI_DOMAIN_BRIEFS + dev_briefs() + scenario_briefs())
def test_planner_design_has_no_error_or_warning(brief: str) -> None:
    design = planner.plan(brief).design
    problems = [
        f"{f.code} {f.pointer}: {f.message}"
        for f in check(design)
        if f.severity != "info"
    ]
    assert problems == [], f"planner design for {brief!r} fails review:\n" + "\n".join(problems)

