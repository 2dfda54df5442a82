"""Can a JSON Schema *reader* accept every document a *writer* schema allows? A rule set in the spirit of the
Schema Registry checkers (Confluent's and Karapace's): compare keyword by keyword, not by set inclusion.

The rules follow the registries where they deliberately differ from pure set inclusion, because a contract
checked here must pass the registry too:

- an object schema without ``additionalProperties``/``patternProperties`` is an *open* content model: it lets a
  writer put any value under any undeclared name, so a reader that starts declaring a property breaks;
- a closed content model (``additionalProperties: false``) lets a reader add optional properties freely;
- the ``true`` schema and ``{}`` stand for an open object: against a writer of another type they are a type change;
- a constraint the reader introduces or tightens (bounds, lengths, pattern, multipleOf, enum) breaks, one the
  reader relaxes or drops does not;
- ``anyOf``/``oneOf``/``allOf`` branches are matched one to one in any order (a maximum bipartite matching).

Schemas reach this module with their local ``$ref`` already inlined (see :mod:`.schema_input`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from archassist.agent.contracts.problems import Problem, pointer

_ABSENT: Any = None
_NUMBERS = frozenset({"number", "integer"})
_COMBINATORS = ("allOf", "anyOf", "oneOf")

# keyword -> (reader value breaks when it is ..., wording). "lower" bounds break when the reader's is higher.
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")


def _kind(schema: Any) -> str:
    """The shape that decides how two schemas are compared."""
    if isinstance(schema, bool):
        return "boolean-schema"
    if not isinstance(schema, dict):
        return "object"
    if isinstance(schema.get("type"), list):
        return "anyOf"
    for keyword in _COMBINATORS:
        if schema.get(keyword) is not None:
            return keyword
    if schema.get("not") is not None:
        return "not"
    declared = schema.get("type")
    if isinstance(declared, str) and declared:
        return declared
    if "enum" in schema:
        return "enum"
    return "object"


def _branches(schema: Any) -> list[Any] | None:
    """The branches of a combinator; a list of types counts as an anyOf of one schema per type."""
    if not isinstance(schema, dict):
        return None
    declared = schema.get("type")
    if isinstance(declared, list):
        return [{**schema, "type": one} for one in declared]
    for keyword in _COMBINATORS:
        found = schema.get(keyword)
        if found is not None:
            return list(found)
    return None


def _tuple_items(schema: dict[str, Any]) -> tuple[list[Any] | None, Any]:
    """(positional item schemas or None, the schema of further items) for draft-7 and 2020-12 spellings."""
    if isinstance(schema.get("prefixItems"), list):
        return list(schema["prefixItems"]), schema.get("items", True)
    if isinstance(schema.get("items"), list):
        return list(schema["items"]), schema.get("additionalItems", True)
    return None, schema.get("items", _ABSENT)


def _open_object(schema: dict[str, Any]) -> bool:
    return not schema.get("patternProperties") and schema.get("additionalProperties", True) is True


def _schema_for_undeclared(schema: dict[str, Any], name: str) -> Any:
    """The schema that an object applies to a property it does not declare (None when it declares no rule)."""
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        try:
            if re.match(pattern, name):
                return sub
        except re.error:
            continue
    return schema.get("additionalProperties", _ABSENT)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    # -- plumbing ------------------------------------------------------------------------------------------

    def add(self, kind: str, path: list[str], text: str, subject: str = "") -> None:
        self.problems.append(Problem(kind=kind, path=pointer(path), text=text, subject=subject))

    def fits(self, reader: Any, writer: Any, path: list[str]) -> bool:
        """Compare without recording: does the reader accept everything the writer allows?"""
        probe = _Checker()
        probe.compare(reader, writer, path)
        return not probe.problems

    # -- dispatch ------------------------------------------------------------------------------------------

    def compare(self, reader: Any, writer: Any, path: list[str]) -> None:
        if writer is _ABSENT and reader is not _ABSENT:
            self.add(
                "schema-added",
                path,
                "the {reader} schema constrains values here that the {writer} schema left unconstrained",
            )
            return
        if reader is _ABSENT and writer is not _ABSENT:
            self.add("schema-removed", path, "the {reader} schema drops the rule the {writer} schema had here")
            return
        if reader is _ABSENT:
            return
        reader_kind, writer_kind = _kind(reader), _kind(writer)
        both_numbers = reader_kind in _NUMBERS and writer_kind in _NUMBERS
        either_combined = reader_kind in _COMBINATORS or writer_kind in _COMBINATORS
        both_objects = (reader_kind == "object" or reader is True) and (writer_kind == "object" or writer is True)
        if both_numbers:
            self.numbers(reader, writer, path)
        elif either_combined:
            self.combined(reader, writer, path)
        elif both_objects:
            self.objects(
                {"type": "object"} if reader is True else reader,
                {"type": "object"} if writer is True else writer,
                path,
            )
        elif reader_kind != writer_kind:
            self.type_changed(reader_kind, writer_kind, path)
        elif reader_kind == "not":
            # not X accepts what X rejects: the reader's excluded set must lie inside the writer's.
            self.compare(writer["not"], reader["not"], [*path, "not"])
        elif reader_kind == "string":
            self.bounds(reader, writer, path, ("maxLength", "minLength"))
            self.pattern(reader, writer, path)
        elif reader_kind == "array":
            self.arrays(reader, writer, path)
        elif reader_kind == "enum":
            self.enums(reader, writer, path)
        # boolean, null and two boolean schemas of the same kind accept each other.

    def type_changed(self, reader_kind: str, writer_kind: str, path: list[str]) -> None:
        self.add(
            "type-changed",
            path,
            f"the value is {writer_kind} in the {{writer}} schema but {reader_kind} in the {{reader}} schema",
        )

    # -- scalars -------------------------------------------------------------------------------------------

    def bounds(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str], keywords: tuple[str, ...]) -> None:
        for keyword in keywords:
            mine, theirs = reader.get(keyword), writer.get(keyword)
            if mine is None:
                continue
            if theirs is None:
                self.add(
                    "constraint-added",
                    [*path, keyword],
                    f"the {{reader}} schema introduces {keyword} {_show(mine)}",
                    keyword,
                )
            elif (keyword in _UPPER and mine < theirs) or (keyword in _LOWER and mine > theirs):
                self.add(
                    "constraint-tightened",
                    [*path, keyword],
                    f"{keyword} tightens from {_show(theirs)} in the {{writer}} schema to {_show(mine)} in the "
                    "{reader} schema",
                    keyword,
                )

    def pattern(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        mine, theirs = reader.get("pattern"), writer.get("pattern")
        if mine is None or mine == theirs:
            return
        if theirs is None:
            self.add("constraint-added", [*path, "pattern"], f"the {{reader}} schema introduces pattern {mine!r}", "pattern")
        else:
            self.add(
                "constraint-tightened",
                [*path, "pattern"],
                f"pattern changes from {theirs!r} in the {{writer}} schema to {mine!r} in the {{reader}} schema",
                "pattern",
            )

    def numbers(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        self.bounds(reader, writer, path, ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"))
        mine, theirs = reader.get("multipleOf"), writer.get("multipleOf")
        if mine is not None and theirs is None:
            self.add(
                "constraint-added", [*path, "multipleOf"], f"the {{reader}} schema introduces multipleOf {mine}", "multipleOf"
            )
        elif mine is not None and mine != theirs and (mine > theirs or theirs % mine != 0):
            self.add(
                "constraint-tightened",
                [*path, "multipleOf"],
                f"multipleOf changes from {theirs} in the {{writer}} schema to {mine} in the {{reader}} schema",
                "multipleOf",
            )
        if _kind(reader) == "integer" and _kind(writer) == "number":
            self.add(
                "type-narrowed",
                path,
                "the {writer} schema allows any number where the {reader} schema accepts only integers",
            )

    def enums(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        accepted = list(reader.get("enum") or [])
        dropped = [value for value in writer.get("enum") or [] if value not in accepted]
        if dropped:
            shown = ", ".join(_show(v) for v in dropped)
            self.add(
                "enum-narrowed",
                [*path, "enum"],
                f"the {{reader}} schema no longer accepts {shown}, which the {{writer}} schema allows",
            )

    # -- arrays --------------------------------------------------------------------------------------------

    def arrays(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        reader_tuple, reader_rest = _tuple_items(reader)
        writer_tuple, writer_rest = _tuple_items(writer)
        if (reader_tuple is None) != (writer_tuple is None):
            shape = "a tuple" if writer_tuple is not None else "a list"
            other = "a tuple" if reader_tuple is not None else "a list"
            self.add("type-changed", [*path, "items"], f"the array is {shape} in the {{writer}} schema but {other} in the {{reader}} schema")
            return
        if reader_tuple is not None and writer_tuple is not None:
            for position, (mine, theirs) in enumerate(zip(reader_tuple, writer_tuple, strict=False)):
                self.compare(mine, theirs, [*path, "items", str(position)])
            if len(writer_tuple) > len(reader_tuple):
                self.extra_writer_items(reader_rest, writer_tuple[len(reader_tuple) :], len(reader_tuple), path)
            if len(reader_tuple) > len(writer_tuple):
                self.add(
                    "tuple-extended",
                    [*path, "items", str(len(writer_tuple))],
                    f"the {{reader}} schema constrains tuple positions from {len(writer_tuple)} on, which the "
                    "{writer} schema leaves free",
                )
            if reader_rest is False and writer_rest is not False:
                self.add(
                    "items-closed",
                    [*path, "additionalItems"],
                    "the {reader} schema no longer accepts items beyond the tuple; the {writer} schema allows them",
                )
            elif reader_rest not in (True, False, _ABSENT) and writer_rest is not False:
                self.compare(reader_rest, True if writer_rest is _ABSENT else writer_rest, [*path, "additionalItems"])
        else:
            self.compare(reader_rest, writer_rest, [*path, "items"])
        self.bounds(reader, writer, path, ("maxItems", "minItems"))
        if reader.get("uniqueItems") is True and writer.get("uniqueItems") is not True:
            self.add("constraint-added", [*path, "uniqueItems"], "the {reader} schema introduces uniqueItems", "uniqueItems")

    def extra_writer_items(self, reader_rest: Any, extra: list[Any], start: int, path: list[str]) -> None:
        if reader_rest is False:
            self.add(
                "items-closed",
                [*path, "additionalItems"],
                f"the {{reader}} schema accepts no tuple items from position {start} on; the {{writer}} schema writes them",
            )
            return
        if reader_rest in (True, _ABSENT):
            return
        for offset, theirs in enumerate(extra):
            self.compare(reader_rest, theirs, [*path, "items", str(start + offset)])

    # -- objects -------------------------------------------------------------------------------------------

    def objects(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        mine_props: dict[str, Any] = reader.get("properties") or {}
        their_props: dict[str, Any] = writer.get("properties") or {}
        mine_required = set(reader.get("required") or [])
        their_required = set(writer.get("required") or [])
        for name in [n for n in mine_props if n in their_props]:
            where = [*path, "properties", name]
            if name in mine_required and name not in their_required and not _has_default(mine_props[name]):
                self.add("required-added", where, f"property '{name}' is optional in the {{writer}} schema but required in the {{reader}} schema", name)
            self.compare(mine_props[name], their_props[name], where)
        if not _open_object(reader):
            for name in [n for n in their_props if n not in mine_props]:
                rule = _schema_for_undeclared(reader, name)
                where = [*path, "properties", name]
                if rule is _ABSENT or rule is False:
                    self.add(
                        "property-removed",
                        where,
                        f"the {{reader}} schema no longer accepts property '{name}' (its content model is closed), "
                        "but the {writer} schema writes it",
                        name,
                    )
                elif not self.fits(rule, their_props[name], where):
                    self.add(
                        "property-removed",
                        where,
                        f"property '{name}' of the {{writer}} schema does not fit the {{reader}} schema's rule for "
                        "undeclared properties",
                        name,
                    )
        self.added_properties(reader, writer, mine_props, their_props, mine_required, path)
        self.dependencies(reader, writer, path)
        self.bounds(reader, writer, path, ("maxProperties", "minProperties"))
        self.additional(reader, writer, path)
        self.property_names(reader, writer, their_props, path)

    def property_names(
        self, reader: dict[str, Any], writer: dict[str, Any], their_props: dict[str, Any], path: list[str]
    ) -> None:
        rule = reader.get("propertyNames", _ABSENT)
        if rule is _ABSENT or _accepts_any_name(rule):
            return
        where = [*path, "propertyNames"]
        if "propertyNames" in writer:
            self.compare(rule, writer["propertyNames"], where)
        elif _open_object(writer):
            self.add("schema-added", where, "the {reader} schema restricts property names that the {writer} schema leaves free")
        else:
            rejected = [name for name in their_props if not _name_fits(rule, name)]
            if rejected:
                self.add(
                    "schema-added",
                    where,
                    f"the {{reader}} schema's propertyNames rejects {', '.join(repr(n) for n in rejected)}, which the "
                    "{writer} schema writes",
                )

    def added_properties(
        self,
        reader: dict[str, Any],
        writer: dict[str, Any],
        mine_props: dict[str, Any],
        their_props: dict[str, Any],
        mine_required: set[str],
        path: list[str],
    ) -> None:
        added = [n for n in mine_props if n not in their_props]
        if not added:
            return
        if _open_object(writer):
            self.add(
                "property-added-to-open-model",
                [*path, "properties"],
                f"the {{reader}} schema declares {', '.join(repr(n) for n in added)}, which the {{writer}} schema's "
                "open content model lets writers fill with any value",
                added[0],
            )
            return
        for name in added:
            where = [*path, "properties", name]
            rule = _schema_for_undeclared(writer, name)
            if rule not in (_ABSENT, False, True) and not self.fits(mine_props[name], rule, where):
                self.add(
                    "property-type-conflict",
                    where,
                    f"property '{name}' of the {{reader}} schema does not accept what the {{writer}} schema allows "
                    "for undeclared properties",
                    name,
                )
            if name in mine_required and not _has_default(mine_props[name]):
                self.add(
                    "required-added",
                    where,
                    f"the {{reader}} schema requires property '{name}', which the {{writer}} schema never writes, "
                    "and gives it no default",
                    name,
                )

    def dependencies(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        mine: dict[str, Any] = {**(reader.get("dependencies") or {}), **(reader.get("dependentRequired") or {})}
        theirs: dict[str, Any] = {**(writer.get("dependencies") or {}), **(writer.get("dependentRequired") or {})}
        for name, needed in mine.items():
            if not isinstance(needed, list):
                continue
            extra = set(needed) - set(theirs.get(name) or [])
            if extra:
                self.add(
                    "dependency-added",
                    [*path, "dependencies", name],
                    f"when '{name}' is present the {{reader}} schema also requires {', '.join(sorted(extra))}",
                    name,
                )
        mine_schemas: dict[str, Any] = reader.get("dependentSchemas") or {}
        their_schemas: dict[str, Any] = writer.get("dependentSchemas") or {}
        for name, sub in mine_schemas.items():
            self.compare(sub, their_schemas.get(name, _ABSENT), [*path, "dependentSchemas", name])

    def additional(self, reader: dict[str, Any], writer: dict[str, Any], path: list[str]) -> None:
        mine, theirs = reader.get("additionalProperties", _ABSENT), writer.get("additionalProperties", _ABSENT)
        where = [*path, "additionalProperties"]
        if mine is not _ABSENT and theirs is _ABSENT:
            self.add(
                "content-model-closed",
                where,
                "the {reader} schema restricts undeclared properties, which the {writer} schema allows freely",
            )
        elif isinstance(mine, dict) and isinstance(theirs, dict) and mine and theirs:
            self.compare(mine, theirs, where)

    # -- combinators ---------------------------------------------------------------------------------------

    def combined(self, reader: Any, writer: Any, path: list[str]) -> None:
        reader_kind, writer_kind = _kind(reader), _kind(writer)
        mine, theirs = _branches(reader), _branches(writer)
        reader_combined, writer_combined = reader_kind in _COMBINATORS, writer_kind in _COMBINATORS
        where = [*path, reader_kind if reader_combined else writer_kind]
        if reader_combined and not writer_combined and mine is not None and len(mine) == 1:
            if not self.fits(mine[0], writer, where):
                self.type_changed(reader_kind, writer_kind, where)
            return
        if writer_combined and not reader_combined and theirs is not None and len(theirs) == 1:
            if not self.fits(reader, theirs[0], where):
                self.type_changed(reader_kind, writer_kind, where)
            return
        if reader_kind in ("anyOf", "oneOf") and not writer_combined and mine is not None:
            if not any(self.fits(branch, writer, where) for branch in mine):
                self.add("union-narrowed", where, f"no branch of the {{reader}} schema's {reader_kind} accepts the {{writer}} schema's {writer_kind}")
            return
        if mine is None or theirs is None:
            self.type_changed(reader_kind, writer_kind, where)
            return
        if reader_kind not in ("anyOf", writer_kind):
            self.add("combinator-changed", where, f"the combinator changes from {writer_kind} in the {{writer}} schema to {reader_kind} in the {{reader}} schema")
            return
        if reader_kind == "allOf" and len(theirs) < len(mine):
            self.add("all-of-extended", where, f"the {{reader}} schema's allOf requires {len(mine)} schemas where the {{writer}} schema's had {len(theirs)}")
            return
        if reader_kind in ("anyOf", "oneOf") and len(theirs) > len(mine):
            self.add("union-narrowed", where, f"the {{reader}} schema's {reader_kind} has {len(mine)} branches where the {{writer}} schema's had {len(theirs)}")
            return
        needed = len(mine) if reader_kind == "allOf" else len(theirs)
        matched = _matching(len(mine), len(theirs), lambda r, w: self.fits(mine[r], theirs[w], [*where, str(w)]))
        if matched < needed:
            self.add("branches-incompatible", where, f"only {matched} of {needed} branches of the {{writer}} schema find a branch of the {{reader}} schema that accepts them")


_ANCHORS = re.compile(r"[\^$]|\\[AZbB]|\(\?")


def _accepts_any_name(rule: Any) -> bool:
    """True for a propertyNames rule that every string passes, like an unanchored pattern matching ''."""
    if rule is True or rule == {}:
        return True
    if not isinstance(rule, dict) or set(rule) - {"pattern", "type"} or rule.get("type", "string") != "string":
        return False
    pattern = rule.get("pattern")
    if not isinstance(pattern, str) or _ANCHORS.search(pattern):
        return False
    try:
        return re.search(pattern, "") is not None
    except re.error:
        return False


def _name_fits(rule: Any, name: str) -> bool:
    if not isinstance(rule, dict):
        return rule is not False
    pattern = rule.get("pattern")
    try:
        if isinstance(pattern, str) and re.search(pattern, name) is None:
            return False
    except re.error:
        return False
    return len(name) <= rule.get("maxLength", len(name)) and len(name) >= rule.get("minLength", 0)


def _has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def _matching(readers: int, writers: int, fits: Callable[[int, int], bool]) -> int:
    """The size of a maximum matching of reader branches to writer branches that accept each other (Kuhn)."""
    edges = [[w for w in range(writers) if fits(r, w)] for r in range(readers)]
    owner: dict[int, int] = {}

    def augment(reader: int, seen: set[int]) -> bool:
        for writer in edges[reader]:
            if writer in seen:
                continue
            seen.add(writer)
            if writer not in owner or augment(owner[writer], seen):
                owner[writer] = reader
                return True
        return False

    return sum(1 for reader in range(readers) if augment(reader, set()))


def json_schema_problems(reader: Any, writer: Any) -> list[Problem]:
    """Every place where the reader schema rejects a document the writer schema allows."""
    checker = _Checker()
    checker.compare(reader, writer, [])
    return checker.problems
