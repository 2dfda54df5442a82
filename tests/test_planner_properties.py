"""Property tests over generated briefs: every design is complete, clean under the rules and deterministic.

Briefs are built from actors, verbs and objects in the shapes real briefs take (lists, passives, conditions,
time phrases, rates), so the planner meets combinations nobody wrote by hand.
"""

from __future__ import annotations

from archassist.agent.backends.repair import check_design
from archassist.agent.planner.compose import plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACTORS = ["customers", "members", "drivers", "tenants", "agents", "students", "vendors", "patients"]
VERBS = ["book", "reserve", "submit", "approve", "cancel", "upload", "pay for", "return", "inspect", "schedule"]
OBJECTS = ["rooms", "slots", "claims", "orders", "documents", "parcels", "courses", "vehicles", "licences"]
TAILS = [
    "",
    " for 15 minutes",
    " within 24 hours",
    " weekly",
    " when a slot is free",
    "; 30k requests per minute at peak",
    "; 1 million devices report status every 30 seconds",
    "; answers within 100 ms p99",
    "; 4k requests per second at peak, each answered in under 50 ms",
]


@st.composite
def briefs(draw: st.DrawFn) -> str:
    actor = draw(st.sampled_from(ACTORS))
    steps = draw(st.lists(st.tuples(st.sampled_from(VERBS), st.sampled_from(OBJECTS)), min_size=1, max_size=4))
    clauses = [f"{verb} {obj}" for verb, obj in steps]
    body = ", ".join(clauses[:-1]) + (", and " if len(clauses) > 1 else "") + clauses[-1]
    shape = draw(st.sampled_from(["active", "passive", "receive"]))
    if shape == "passive":
        extra = f", then the {draw(st.sampled_from(OBJECTS))} are approved"
    elif shape == "receive":
        extra = f", and receive {draw(st.sampled_from(['tickets', 'reminders', 'invoices']))}"
    else:
        extra = ""
    return f"{actor} {body}{extra}{draw(st.sampled_from(TAILS))}"


def complete(d: dict) -> list[str]:  # the scorer's completeness criteria, restated
    out: list[str] = []
    topics = {t["name"] for t in d["topics"]}
    services = {s["name"] for s in d["services"]}
    if len(services) < 2:
        out.append("fewer than 2 services")
    for e in d["events"]:
        for key in ("producer", "topic", "partition_key", "version"):
            if not e.get(key):
                out.append(f"{e['name']} lacks {key}")
        if e.get("topic") not in topics or e.get("producer") not in services:
            out.append(f"{e['name']} references an unknown topic or producer")
    for c in d["consumers"]:
        for key in ("idempotency", "retry", "dead_letter"):
            if not c.get(key):
                out.append(f"{c['name']} lacks {key}")
    for s in d["sagas"]:
        if len(s["steps"]) < 2:
            out.append(f"saga {s['name']} has fewer than 2 steps")
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(briefs())
def test_generated_briefs_give_complete_clean_deterministic_designs(brief: str) -> None:
    first = plan(brief).design
    assert plan(brief).design == first
    assert complete(first.model_dump(mode="json")) == []
    findings = [f for f in check_design(first) if f.severity in ("error", "warning")]
    assert findings == [], [f"{f.code} {f.message}" for f in findings]
