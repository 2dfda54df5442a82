"""Reading and writing Design files (YAML or JSON), with one-line errors that point at the line and field.

Loading keeps a map from RFC 6901 JSON pointers to (line, column) so that rule findings about a file can name the
exact place, the way a compiler does.
"""

from __future__ import annotations

import difflib
import json
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from archassist.agent.errors import InputError
from archassist.agent.model.design import Design
from archassist.agent.model.files import write_text_atomic
from archassist.agent.model.limits import (
    LimitExceeded,
    LoaderLimits,
    check_plain_data,
    compose,
    default_limits,
    json_value_bound,
)
from archassist.agent.model.yaml_nodes import Position, build, escape_pointer_token, positions_of
from pydantic import BaseModel, ValidationError

try:
    _Loader: Any = yaml.CSafeLoader
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper

DesignFormat = Literal["json", "yaml"]

# The byte cap is read at call time so that tests and embedders can lower it; the other limits live in
# LoaderLimits (archassist.agent.model.limits), documented in docs/design-model.md.
MAX_INPUT_BYTES = default_limits().max_bytes


class DesignLoadError(InputError):
    """A design file could not be read or does not fit the Design model."""


@dataclass
class SourceMap:
    """Where each part of a document was written: JSON pointer → (1-based line, 1-based column)."""

    file: str
    positions: dict[str, Position] = field(default_factory=dict)

    def locate(self, pointer: str) -> Position | None:
        """The position of the pointer, or of its nearest ancestor that was written in the file."""
        probe = pointer
        while True:
            found = self.positions.get(probe)
            if found is not None:
                return found
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]


@dataclass
class LoadedDesign:
    design: Design
    source: SourceMap


@dataclass
class ParsedDocument:
    """A YAML/JSON document as plain data, with its source map."""

    data: Any
    source: SourceMap


def pointer_of(loc: tuple[str | int, ...]) -> str:
    return "".join("/" + escape_pointer_token(part) for part in loc)


def limits_in_force() -> LoaderLimits:
    """The loader limits every input is held to (the byte cap from MAX_INPUT_BYTES, read at call time)."""
    return LoaderLimits(max_bytes=MAX_INPUT_BYTES)


def _mib(count: int) -> str:
    return f"{count / 1048576:.1f}".removesuffix(".0")


def read_text(path: str | Path, *, limits: LoaderLimits | None = None) -> str:
    """The UTF-8 text of a file, refusing what cannot be a document: folders, devices, pipes, sockets, binary
    files and files over the byte cap. Every refusal is a one-line DesignLoadError naming the file and the fix."""
    limits = limits or limits_in_force()
    cap = limits.max_bytes
    path = Path(path)
    display = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DesignLoadError(f"{display}: no such file; check the path") from None
    except ValueError:  # an embedded NUL byte: no file can have that name
        raise DesignLoadError(f"{display!r}: not a valid file name (it contains a NUL byte); check the path") from None
    except OSError as exc:
        raise DesignLoadError(f"{display}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DesignLoadError(f"{display}: is a directory; give a design file (.yaml, .yml or .json)")
    if not stat.S_ISREG(info.st_mode):
        # Reading a device or a pipe could block forever or never end (/dev/zero).
        raise DesignLoadError(f"{display}: is not a regular file (a device, pipe or socket); give a design file")
    size = info.st_size
    if size > cap:
        raise DesignLoadError(
            f"{display}: file is {size / 1048576:.1f} MiB, over the {_mib(cap)} MiB limit; "
            "split the design or raise ARCHASSIST_MAX_INPUT_BYTES"
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(cap + 1)  # bounded: the file may grow after the size check
    except PermissionError:
        raise DesignLoadError(f"{display}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise DesignLoadError(f"{display}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > cap:
        raise DesignLoadError(f"{display}: file grew past the {_mib(cap)} MiB limit while being read")
    if b"\x00" in raw[:8192]:
        raise DesignLoadError(f"{display}: looks like a binary file; expected YAML or JSON text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DesignLoadError(
            f"{display}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None


_read_text = read_text  # the name other modules used before the limits were public


def parse_document(
    text: str, source: str = "<input>", *, limits: LoaderLimits | None = None
) -> ParsedDocument:
    """Parse YAML or JSON text into plain data and a source map, within the loader limits.

    Raises DesignLoadError (one line: where, what, the fix) on bad syntax, a recursive alias, an alias bomb, or a
    document over a limit.
    """
    limits = limits or limits_in_force()
    if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise DesignLoadError(
            f"{source}: input is over the {_mib(limits.max_bytes)} MiB limit; split it or raise "
            "ARCHASSIST_MAX_INPUT_BYTES"
        )
    if not text.strip():
        raise DesignLoadError(f"{source}: the document is empty; expected a design (see `archassist schema`)")
    try:
        if text.lstrip().startswith(("{", "[")):
            return _parse_json(text, source, limits)
        return _parse_yaml(text, source, limits)
    except LimitExceeded as exc:
        raise DesignLoadError(str(exc)) from None


def load_yaml_text(text: str, origin: str = "<input>", *, limits: LoaderLimits | None = None) -> Any:
    """The plain data of a YAML or JSON text, held to the same limits as every design and AsyncAPI document."""
    return parse_document(text, origin, limits=limits).data


def _parse_json(text: str, source: str, limits: LoaderLimits) -> ParsedDocument:
    """JSON is parsed by the JSON parser (YAML 1.1 reads some JSON differently); the YAML composer, which enforces
    the limits, gives the positions. JSON that YAML cannot compose is held to the limits on its parsed data."""
    try:
        positions: dict[str, Position] | None = _compose_positions(text, source, limits)
    except DesignLoadError:
        positions = None
    if positions is None and json_value_bound(text) > limits.max_nodes:
        raise LimitExceeded(
            f"{source}: the document may hold more than {limits.max_nodes:,} values, over the loader's limit; "
            "split it into smaller documents"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DesignLoadError(
            f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; fix the syntax there"
        ) from None
    except RecursionError:
        raise DesignLoadError(f"{source}: the document nests too deeply to be a design") from None
    except ValueError:  # Python refuses to read an integer of thousands of digits
        raise DesignLoadError(_huge_number(source, None)) from None
    if positions is None:
        check_plain_data(data, source, limits)
    return ParsedDocument(data=data, source=SourceMap(file=source, positions=positions or {}))


def _syntax_error(exc: yaml.YAMLError, source: str) -> DesignLoadError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem or exc.context or "invalid syntax"
        return DesignLoadError(f"{where}: invalid YAML/JSON: {problem}; fix the syntax at that line")
    return DesignLoadError(f"{source}: invalid YAML/JSON: {exc}".replace("\n", " "))


def _huge_number(source: str, mark: Any) -> str:
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    return (
        f"{where}: a number with more than {sys.get_int_max_str_digits():,} digits, which no design or AsyncAPI "
        "field can hold; write a smaller number, or quote it if it is text"
    )


def _huge_integer_mark(root: yaml.Node | None) -> Any:
    """Where the first over-long integer is written (error path only; the graph is already bounded)."""
    if root is None:
        return None
    limit = sys.get_int_max_str_digits()
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag.endswith(":int") and len(node.value) > limit:
                return node.start_mark
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _compose_positions(text: str, source: str, limits: LoaderLimits) -> dict[str, Position]:
    try:
        node, loader = compose(text, source, limits, check=False)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    loader.dispose()
    return positions_of(node, text, source, limits) if node is not None else {}


def _parse_yaml(text: str, source: str, limits: LoaderLimits) -> ParsedDocument:
    try:
        node, loader = compose(text, source, limits, check=False)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    try:
        if node is None:
            raise DesignLoadError(
                f"{source}: the document is empty; expected a design (see `archassist schema`)"
            )
        data, positions = build(node, loader, text, source, limits)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError:  # Python refuses to read an integer of thousands of digits
        raise DesignLoadError(_huge_number(source, _huge_integer_mark(node))) from None
    finally:
        loader.dispose()
    return ParsedDocument(data=data, source=SourceMap(file=source, positions=positions))


def _describe_value(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last element of an error location."""
    model: Any = Design
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = (
            model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        )
        if info is None:
            return None
        model = _inner_model(info.annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def explain_validation_error(exc: ValidationError, source: SourceMap) -> str:
    """One line for the first problem, naming file, line, field and what was expected."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    pointer = pointer_of(loc)
    pos = source.locate(pointer)
    where = f"{source.file}:{pos[0]}:{pos[1]}" if pos else source.file
    kind = first["type"]
    field_name = _dotted(loc)
    if kind == "extra_forbidden":
        owner = _model_at(loc)
        known = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = (
            f"; did you mean '{close[0]}'?"
            if close
            else (f"; known fields: {', '.join(known)}" if known else "")
        )
        message = f"unknown field '{loc[-1]}'{hint}"
    elif kind == "missing":
        message = f"{field_name}: required field is missing; add it"
    else:
        message = f"{field_name}: {first['msg'].rstrip('.')}, got {_describe_value(first.get('input'))}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"


def design_from_document(doc: ParsedDocument) -> LoadedDesign:
    if not isinstance(doc.data, dict):
        found = type(doc.data).__name__ if doc.data is not None else "nothing"
        raise DesignLoadError(
            f"{doc.source.file}:1:1: expected a mapping of design fields at the top level, found {found}; "
            "see `archassist schema`"
        )
    try:
        design = Design.model_validate(doc.data)
    except ValidationError as exc:
        raise DesignLoadError(explain_validation_error(exc, doc.source)) from None
    return LoadedDesign(design=design, source=doc.source)


def loads(text: str, source: str = "<input>") -> LoadedDesign:
    """Load a Design from YAML or JSON text."""
    return design_from_document(parse_document(text, source))


def read_document(path: str | Path, *, limits: LoaderLimits | None = None) -> ParsedDocument:
    """Read and parse a YAML or JSON file into plain data with its source map, within the loader limits: the byte
    cap, no special files, no recursive aliases or alias bombs, bounded values, entries, nesting and strings."""
    return parse_document(read_text(path, limits=limits), str(path), limits=limits)


def read_text_file(path: str | Path) -> str:
    """Read an input file as text under the loader's limits: regular files only (no devices, pipes or
    sockets), the size cap, UTF-8. For inputs that are not YAML or JSON documents, such as Markdown."""
    return _read_text(Path(path))


def load_design_file(path: str | Path) -> LoadedDesign:
    """Load a Design from a .yaml, .yml or .json file."""
    return design_from_document(read_document(path))


def load_design(path: str | Path) -> Design:
    return load_design_file(path).design


def to_data(design: Design) -> dict[str, Any]:
    """The Design as plain JSON-compatible data, every field included so a dump loads back identically."""
    return design.model_dump(mode="json")


def dumps(design: Design, fmt: DesignFormat = "yaml") -> str:
    data = to_data(design)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        out: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
        return out
    raise ValueError(f"unknown design format {fmt!r}; use json or yaml")


def format_for_path(path: str | Path) -> DesignFormat:
    return "json" if str(path).lower().endswith(".json") else "yaml"


def save_design(design: Design, path: str | Path, fmt: DesignFormat | None = None) -> None:
    write_text_atomic(path, dumps(design, fmt or format_for_path(path)))
