"""Who breaks: the contract changes between two designs, judged under each event's compatibility mode.

Each event of the old design is matched in the new one by name, or, when its name is gone, by a renamed event
with the same aggregate and (nearly) the same payload. Its payload is turned into the contract's JSON Schema and
Avro schema on both sides and checked with the same checkers as `contract check`; the parts of the *new*
design that read the event (consumers, projections, sagas) are the ones to coordinate with before the deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from archassist.agent.contracts.define import readers_of
from archassist.agent.contracts.model import Consumer
from archassist.agent.model.design import Design, Event

ChangeKind = Literal["changed", "renamed", "removed", "added"]
RENAME_SIMILARITY = 0.6


@dataclass
class EventChange:
    event: str
    kind: ChangeKind
    new_name: str | None
    mode: str
    changes: list[str]
    breaking: bool
    breaks: list[dict[str, str]]
    old_version: int | None
    new_version: int | None
    readers: list[Consumer] = field(default_factory=list)
    old_position: int | None = None
    new_position: int | None = None

    @property
    def version_bumped(self) -> bool:
        return self.new_version is not None and (self.new_version or 1) > (self.old_version or 1)

    @property
    def unannounced(self) -> bool:
        """Breaking, and the event (renamed or not) keeps its version: consumers get no signal of the change."""
        return self.breaking and self.kind in ("changed", "renamed") and not self.version_bumped

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "kind": self.kind,
            "new_name": self.new_name,
            "mode": self.mode,
            "changes": self.changes,
            "breaking": self.breaking,
            "version": {"old": self.old_version, "new": self.new_version, "bumped": self.version_bumped},
            "unannounced": self.unannounced,
            "breaks": self.breaks,
            "readers": [r.model_dump() for r in self.readers],
        }


@dataclass
class DesignDiff:
    old: str
    new: str
    events: list[EventChange]

    @property
    def unannounced_breaks(self) -> list[EventChange]:
        return [e for e in self.events if e.unannounced]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "changed": len(self.events),
            "breaking": sum(1 for e in self.events if e.breaking),
            "unannounced": len(self.unannounced_breaks),
            "events": [e.to_dict() for e in self.events],
        }

    def render_text(self) -> str:
        if not self.events:
            return f"no event contract changed between {self.old} and {self.new}\n"
        lines = []
        for change in self.events:
            title = change.event if change.kind != "renamed" else f"{change.event} -> {change.new_name}"
            verdict = "BREAKING" if change.breaking else "compatible"
            version = f"v{change.old_version} -> v{change.new_version}" if change.new_version else f"v{change.old_version}"
            flag = "  (breaking without a version bump)" if change.unannounced else ""
            lines.append(f"{title}: {change.kind}, {verdict} under {change.mode}, {version}{flag}")
            lines += [f"  - {text}" for text in change.changes]
            for item in change.breaks:
                lines.append(f"  ! {item['path']} breaks {item['breaks']}: {item['change']}")
            if change.readers:
                who = ", ".join(f"{r.kind} {r.name}" + (f" ({r.service})" if r.service else "") for r in change.readers)
                lines.append(f"  coordinate with: {who}")
        breaking = sum(1 for e in self.events if e.breaking)
        lines.append(
            f"{len(self.events)} event contract(s) changed, {breaking} breaking, "
            f"{len(self.unannounced_breaks)} without a version bump"
        )
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        lines = [f"# Contract changes: {self.old} → {self.new}", ""]
        if not self.events:
            return "\n".join([*lines, "No event contract changed.", ""])
        lines += ["| event | change | verdict | version | coordinate with |", "|---|---|---|---|---|"]
        for change in self.events:
            title = change.event if change.kind != "renamed" else f"{change.event} → {change.new_name}"
            verdict = ("**breaking**" if change.breaking else "compatible") + f" ({change.mode})"
            version = f"v{change.old_version} → v{change.new_version}" if change.new_version else f"v{change.old_version}"
            if change.unannounced:
                version += " (not bumped)"
            who = ", ".join(f"`{r.service or r.name}`" for r in change.readers) or "—"
            lines.append(f"| `{title}` | {'; '.join(change.changes)} | {verdict} | {version} | {who} |")
        return "\n".join(lines) + "\n"


def _field_map(event: Event) -> dict[str, tuple[str, str | None, bool]]:
    return {f.name: (f.type, f.items, f.required) for f in event.fields}


def _field_changes(old: Event, new: Event) -> list[str]:
    before, after = _field_map(old), _field_map(new)
    out = []
    for name in before:
        if name not in after:
            out.append(f"field '{name}' removed" + (" (it was required)" if before[name][2] else ""))
    for name in after:
        if name not in before:
            out.append(f"field '{name}' added" + (" as required" if after[name][2] else " as optional"))
        elif before[name] != after[name]:
            was, now = before[name], after[name]
            if (was[0], was[1]) != (now[0], now[1]):
                out.append(f"field '{name}' type {was[0]} -> {now[0]}")
            if was[2] != now[2]:
                out.append(f"field '{name}' became {'required' if now[2] else 'optional'}")
    return out


def _similarity(old: Event, new: Event) -> float:
    before, after = set(_field_map(old)), set(_field_map(new))
    if not before and not after:
        return 1.0
    return len(before & after) / len(before | after)


def _find_renames(old: Design, new: Design) -> dict[str, str]:
    """Old event name -> new event name for events whose name is gone but whose contract lives on."""
    old_names, new_names = {e.name for e in old.events}, {e.name for e in new.events}
    gone = [e for e in old.events if e.name not in new_names]
    fresh = [e for e in new.events if e.name not in old_names]
    renames: dict[str, str] = {}
    for event in gone:
        best = max(
            (c for c in fresh if c.name not in renames.values() and c.aggregate == event.aggregate),
            key=lambda c: _similarity(event, c),
            default=None,
        )
        if best is not None and _similarity(event, best) >= RENAME_SIMILARITY:
            renames[event.name] = best.name
    return renames


def _verdict(old_design: Design, old: Event, new_design: Design, new: Event, mode: str) -> tuple[bool, list[dict[str, str]]]:
    from archassist.agent.contracts.artifacts import avro_schema, json_schema
    from archassist.agent.contracts.compatibility import check_docs
    from archassist.agent.contracts.define import from_design
    from archassist.agent.contracts.schema_input import load_schema

    if mode == "NONE":
        return False, []
    before = from_design(old_design, old, source="old")
    after = from_design(new_design, new.model_copy(update={"name": old.name}), source="new")
    if new_design.style.schema_format == "avro":
        docs = [load_schema(avro_schema(c), label, "avro") for c, label in ((before, "old"), (after, "new"))]
    else:
        docs = [load_schema(json_schema(c), label, "json") for c, label in ((before, "old"), (after, "new"))]
    result = check_docs([docs[0]], docs[1], mode)
    return not result.compatible, [b.to_dict() for b in result.breaks]


def diff(old: Design, new: Design) -> DesignDiff:
    renames = _find_renames(old, new)
    events: list[EventChange] = []
    new_positions = {e.name: i for i, e in enumerate(new.events)}
    for position, event in enumerate(old.events):
        mode = event.compatibility or "NONE"
        target_name = renames.get(event.name, event.name)
        target = new.event(target_name)
        if target is None:
            events.append(
                EventChange(
                    event=event.name, kind="removed", new_name=None, mode=mode, changes=["event removed"],
                    breaking=True, breaks=[], old_version=event.version, new_version=None,
                    readers=readers_of(old, event.name), old_position=position,
                )
            )
            continue
        changes = _field_changes(event, target)
        if target_name != event.name:
            changes.insert(0, f"renamed to {target_name}")
        if (event.version or 1) != (target.version or 1):
            changes.append(f"version {event.version} -> {target.version}")
        if event.topic != target.topic:
            changes.append(f"topic {event.topic} -> {target.topic}")
        if event.partition_key != target.partition_key:
            changes.append(f"partition key {event.partition_key} -> {target.partition_key}")
        if not changes:
            continue
        breaking, breaks = _verdict(old, event, new, target, target.compatibility or mode)
        # A rename, a new topic or a new key is breaking for every reader whatever the schema says.
        structural = target_name != event.name or event.topic != target.topic or event.partition_key != target.partition_key
        readers = readers_of(new, target_name) + [
            r for r in readers_of(new, event.name) if target_name != event.name
        ]
        events.append(
            EventChange(
                event=event.name,
                kind="renamed" if target_name != event.name else "changed",
                new_name=target_name if target_name != event.name else None,
                mode=target.compatibility or mode,
                changes=changes,
                breaking=breaking or structural,
                breaks=breaks,
                old_version=event.version,
                new_version=target.version,
                readers=readers or readers_of(old, event.name),
                old_position=position,
                new_position=new_positions.get(target_name),
            )
        )
    return DesignDiff(old=old.name, new=new.name, events=events)
