"""Can an Avro *reader* schema read data written with a *writer* schema? The schema-resolution rules of the Avro
specification, walked over schemas parsed by Apache Avro's own parser.

The verdicts are those of Apache Avro's ``avro.compatibility`` checker (the reference implementation, which the
tests compare against) with one addition from the specification: two ``decimal`` logical types match when their
precision and scale match, whatever their underlying ``bytes`` or ``fixed`` (the Java and Python checkers ignore
logical types; the Ruby one applies this rule). Unlike the reference, each problem is kept with its own place
and explanation, so a break can say exactly what changed.
"""

from __future__ import annotations

from typing import Any

from archassist.agent.contracts.problems import Problem, pointer

_PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def _describe(schema: Any) -> str:
    name = getattr(schema, "fullname", None)
    return f"{schema.type} {name}" if name and schema.type in ("record", "enum", "fixed", "error") else str(schema.type)


def _decimal(schema: Any) -> tuple[int, int] | None:
    props: dict[str, Any] = getattr(schema, "props", {}) or {}
    if props.get("logicalType") != "decimal" or schema.type not in ("bytes", "fixed"):
        return None
    precision: Any = props.get("precision")
    scale: Any = props.get("scale", 0) or 0
    try:
        return int(precision), int(scale)
    except (TypeError, ValueError):
        return None


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._in_progress: set[tuple[int, int]] = set()

    def add(self, kind: str, path: list[str], text: str, subject: str = "") -> None:
        self.problems.append(Problem(kind=kind, path=pointer(path), text=text, subject=subject))

    def fits(self, reader: Any, writer: Any) -> bool:
        probe = _Checker()
        probe._in_progress = set(self._in_progress)
        probe.compare(reader, writer, [])
        return not probe.problems

    def compare(self, reader: Any, writer: Any, path: list[str]) -> None:
        pair = (id(reader), id(writer))
        if pair in self._in_progress:
            return  # a recursive type already being compared: assume it fits, as the reference does
        self._in_progress.add(pair)
        try:
            self._compare(reader, writer, path)
        finally:
            self._in_progress.discard(pair)

    def _compare(self, reader: Any, writer: Any, path: list[str]) -> None:
        decimals = _decimal(reader), _decimal(writer)
        if decimals[0] is not None and decimals[0] == decimals[1]:
            return
        if reader.type == writer.type:
            self.same_type(reader, writer, path)
        elif writer.type == "union":
            for branch in writer.schemas:
                self.compare(reader, branch, path)
        elif reader.type == "union":
            if not any(self.fits(branch, writer) for branch in reader.schemas):
                self.add(
                    "missing-union-branch",
                    path,
                    f"the {{reader}} union has no branch that reads the {_describe(writer)} of the {{writer}} schema",
                )
        elif writer.type in _PROMOTIONS.get(reader.type, frozenset()):
            return
        else:
            self.add(
                "type-changed",
                path,
                f"the value is {_describe(writer)} in the {{writer}} schema but {_describe(reader)} in the {{reader}} "
                "schema, and Avro does not promote one to the other",
            )

    def same_type(self, reader: Any, writer: Any, path: list[str]) -> None:
        kind = reader.type
        if kind in _PRIMITIVES:
            return
        if kind == "array":
            self.compare(reader.items, writer.items, [*path, "items"])
        elif kind == "map":
            self.compare(reader.values, writer.values, [*path, "values"])
        elif kind == "fixed":
            self.names(reader, writer, path)
            if reader.size != writer.size:
                self.add(
                    "fixed-size-changed",
                    [*path, "size"],
                    f"fixed {reader.name} is {writer.size} bytes in the {{writer}} schema but {reader.size} in the "
                    "{reader} schema",
                )
        elif kind == "enum":
            self.names(reader, writer, path)
            self.symbols(reader, writer, path)
        elif kind in ("record", "error"):
            self.names(reader, writer, path)
            self.fields(reader, writer, path)
        elif kind == "union":
            for position, branch in enumerate(writer.schemas):
                if not self.fits(reader, branch):
                    self.add(
                        "missing-union-branch",
                        [*path, str(position)],
                        f"the {{writer}} union can write {_describe(branch)}, which no branch of the {{reader}} "
                        "union reads",
                    )

    def names(self, reader: Any, writer: Any, path: list[str]) -> None:
        aliases = (reader.props or {}).get("aliases") or []
        if reader.name == writer.name or writer.fullname in aliases:
            return
        self.add(
            "name-changed",
            [*path, "name"],
            f"the named type is {writer.fullname} in the {{writer}} schema but {reader.fullname} in the {{reader}} "
            "schema",
            reader.name,
        )

    def symbols(self, reader: Any, writer: Any, path: list[str]) -> None:
        missing = [s for s in writer.symbols if s not in reader.symbols]
        default = (reader.props or {}).get("default")
        if missing and not (default and default in reader.symbols):
            self.add(
                "enum-symbols-removed",
                [*path, "symbols"],
                f"enum {reader.name} of the {{reader}} schema lacks {', '.join(missing)}, which the {{writer}} "
                "schema can write",
                reader.name,
            )

    def fields(self, reader: Any, writer: Any, path: list[str]) -> None:
        written = writer.fields_dict
        for position, field in enumerate(reader.fields):
            where = [*path, "fields", str(position)]
            match = written.get(field.name)
            if match is None:
                for alias in (field.props or {}).get("aliases") or []:
                    match = written.get(alias)
                    if match is not None:
                        break
            if match is not None:
                self.compare(field.type, match.type, [*where, "type"])
            elif field.has_default:
                continue
            elif field.type.type == "enum" and (field.type.props or {}).get("default"):
                # The reference checker lets an enum field with an enum-level default stand in for a missing field.
                self.compare(field.type, writer, [*where, "type"])
            else:
                self.add(
                    "field-without-default",
                    where,
                    f"the {{reader}} schema has field '{field.name}' without a default, and the {{writer}} schema "
                    "does not write it",
                    field.name,
                )


def avro_problems(reader: Any, writer: Any) -> list[Problem]:
    """Every place where the reader cannot resolve data of the writer (both parsed by ``avro.schema``)."""
    checker = _Checker()
    checker.compare(reader, writer, [])
    return checker.problems
