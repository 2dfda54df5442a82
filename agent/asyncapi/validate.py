"""Validation of AsyncAPI documents against the official bundled JSON Schemas (draft-07).

Two validators work together. A small compiled checker answers "valid or not" quickly: it turns each schema
node into a closure once, lazily, following only the parts a document reaches. `jsonschema` is slow on the big
AsyncAPI bundles (a quarter of a second for a large document, plus its import), so it runs only when the fast
check says the document is invalid, to produce the detailed errors that become findings. Tests hold the two to
the same verdict on the corpus and on mutated documents.

The official schemas of 2.0.0–2.6.0 and 3.0.0 ship in the `schemas/` folder next to this module; a folder given by
the caller or by ARCHASSIST_ASYNCAPI_SCHEMAS is searched first.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

SCHEMA_DIR_ENV = "ARCHASSIST_ASYNCAPI_SCHEMAS"
_FILE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(-without-\$id)?\.json$")

Check = Callable[[Any], bool]


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


_TRUE = object()
_FALSE = object()


def _unbool(value: Any) -> Any:
    # JSON Schema equality keeps true apart from 1 and false apart from 0.
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def json_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    try:
        return bool(_unbool(a) == _unbool(b))
    except Exception:  # exotic values from YAML tags; unequal is the safe answer
        return False


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return x.is_integer()
    return isinstance(x, int)


_TYPE_CHECKS: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def to_json_like(value: Any, depth: int = 0) -> Any:
    """The document as a JSON parser would see it: string keys, dates as ISO strings, no YAML-only types.

    The official tools read YAML by converting it to JSON first, so validation must see the same values.
    """
    if depth > 500:
        raise RecursionError("document nests too deeply")
    if isinstance(value, dict):
        return {_json_key(k): to_json_like(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_like(v, depth + 1) for v in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return {_json_key(k): None for k in value}
    return str(value)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, datetime | date | time):
        return key.isoformat()
    return str(key)


class FastValidator:
    """A draft-07 validity checker compiled lazily from a bundled schema; formats are annotations only."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self.root_uri = urldefrag(str(bundle.get("$id", "")))[0]
        self.resources: dict[str, Any] = {}
        self._collect_ids(bundle, self.root_uri, 0)
        self.resources.setdefault(self.root_uri, bundle)
        self._cache: dict[tuple[int, str], Check] = {}
        self.check: Check = self._compile(bundle, self.root_uri)

    def _collect_ids(self, node: Any, base: str, depth: int) -> None:
        if depth > 200:
            return
        if isinstance(node, dict):
            ident = node.get("$id")
            if isinstance(ident, str):
                base = urldefrag(urljoin(base, ident))[0]
                self.resources.setdefault(base, node)
            for key, child in node.items():
                if key in ("enum", "const", "examples", "default"):
                    continue
                self._collect_ids(child, base, depth + 1)
        elif isinstance(node, list):
            for child in node:
                self._collect_ids(child, base, depth + 1)

    def is_valid(self, instance: Any) -> bool:
        return self.check(instance)

    def _resolve(self, ref: str, base: str) -> tuple[Any, str]:
        url, fragment = urldefrag(urljoin(base, ref))
        target = self.resources.get(url)
        if target is None:
            raise LookupError(f"unresolvable reference {ref!r} in the AsyncAPI schema")
        if fragment:
            for token in fragment.lstrip("/").split("/"):
                token = unquote(token).replace("~1", "/").replace("~0", "~")
                target = target[int(token)] if isinstance(target, list) else target[token]
        return target, url

    def _compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            return _always
        key = (id(schema), base)
        found = self._cache.get(key)
        if found is not None:
            return found
        # A placeholder lets recursive schemas refer to themselves while they are being compiled.
        slot: list[Check] = []

        def deferred(x: Any) -> bool:
            return slot[0](x)

        self._cache[key] = deferred
        compiled = self._build(schema, base)
        slot.append(compiled)
        self._cache[key] = compiled
        return compiled

    def _ref(self, ref: str, base: str) -> Check:
        slot: list[Check] = []

        def check(x: Any) -> bool:
            if not slot:
                target, target_base = self._resolve(ref, base)
                slot.append(self._compile(target, target_base))
            return slot[0](x)

        return check

    def _build(self, schema: dict[str, Any], base: str) -> Check:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            # Draft 7: "$ref" replaces every keyword beside it.
            return self._ref(ref, base)
        ident = schema.get("$id")
        if isinstance(ident, str):
            base = urldefrag(urljoin(base, ident))[0]
        generic: list[Check] = []
        obj: list[Check] = []
        arr: list[Check] = []
        text: list[Check] = []
        num: list[Check] = []

        if "type" in schema:
            types = schema["type"]
            names = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else []
            tests = [_TYPE_CHECKS[t] for t in names if t in _TYPE_CHECKS]
            if len(tests) == 1:
                generic.append(tests[0])
            else:
                generic.append(_any_of(tests))
        if "enum" in schema and isinstance(schema["enum"], list):
            generic.append(_in_enum(schema["enum"]))
        if "const" in schema:
            generic.append(_equals(schema["const"]))
        for word in ("allOf", "anyOf", "oneOf"):
            parts = schema.get(word)
            if isinstance(parts, list):
                checks = [self._compile(p, base) for p in parts]
                generic.append(_combinator(word, checks))
        if "not" in schema:
            inner = self._compile(schema["not"], base)
            generic.append(_negate(inner))
        if "if" in schema:
            cond = self._compile(schema["if"], base)
            then = self._compile(schema["then"], base) if "then" in schema else _always
            other = self._compile(schema["else"], base) if "else" in schema else _always
            generic.append(_if_then_else(cond, then, other))

        self._object_keywords(schema, base, obj)
        self._array_keywords(schema, base, arr)
        self._string_keywords(schema, text)
        self._number_keywords(schema, num)

        if obj:
            generic.append(_when(_TYPE_CHECKS["object"], obj))
        if arr:
            generic.append(_when(_TYPE_CHECKS["array"], arr))
        if text:
            generic.append(_when(_TYPE_CHECKS["string"], text))
        if num:
            generic.append(_when(_is_number, num))
        if not generic:
            return _always
        if len(generic) == 1:
            return generic[0]
        return _all_of(generic)

    def _object_keywords(self, schema: dict[str, Any], base: str, out: list[Check]) -> None:
        required = schema.get("required")
        if isinstance(required, list) and required:
            names = tuple(required)
            out.append(lambda x: all(n in x for n in names))
        props_schema = schema.get("properties")
        props: dict[str, Check] = {}
        if isinstance(props_schema, dict):
            props = {k: self._compile(v, base) for k, v in props_schema.items()}
            if props:
                items = tuple(props.items())
                out.append(lambda x: all(c(x[k]) for k, c in items if k in x))
        patterns: list[tuple[re.Pattern[str], Check]] = []
        pattern_schema = schema.get("patternProperties")
        if isinstance(pattern_schema, dict):
            patterns = [(re.compile(p), self._compile(s, base)) for p, s in pattern_schema.items()]
            if patterns:
                pats = tuple(patterns)
                out.append(
                    lambda x: all(c(v) for k, v in x.items() for rx, c in pats if isinstance(k, str) and rx.search(k))
                )
        if "additionalProperties" in schema:
            extra = self._compile(schema["additionalProperties"], base)
            if extra is not _always:
                known = frozenset(props)
                rxs = tuple(rx for rx, _ in patterns)

                def additional(x: dict[Any, Any]) -> bool:
                    for k, v in x.items():
                        if k in known:
                            continue
                        if isinstance(k, str) and any(rx.search(k) for rx in rxs):
                            continue
                        if not extra(v):
                            return False
                    return True

                out.append(additional)
        if "propertyNames" in schema:
            names_check = self._compile(schema["propertyNames"], base)
            out.append(lambda x: all(names_check(k) for k in x))
        _size_bounds(schema, "minProperties", "maxProperties", out)
        deps = schema.get("dependencies")
        if isinstance(deps, dict):
            for name, dep in deps.items():
                if isinstance(dep, list):
                    out.append(_dependency_names(name, tuple(dep)))
                else:
                    out.append(_dependency_schema(name, self._compile(dep, base)))

    def _array_keywords(self, schema: dict[str, Any], base: str, out: list[Check]) -> None:
        items = schema.get("items")
        if isinstance(items, list):
            positional = tuple(self._compile(s, base) for s in items)
            out.append(lambda x: all(c(v) for c, v in zip(positional, x, strict=False)))
            if "additionalItems" in schema:
                rest = self._compile(schema["additionalItems"], base)
                count = len(positional)
                out.append(lambda x: all(rest(v) for v in x[count:]))
        elif "items" in schema:
            each = self._compile(items, base)
            if each is not _always:
                out.append(lambda x: all(each(v) for v in x))
        if "contains" in schema:
            contains = self._compile(schema["contains"], base)
            out.append(lambda x: any(contains(v) for v in x))
        _size_bounds(schema, "minItems", "maxItems", out)
        if schema.get("uniqueItems") is True:
            out.append(_unique)

    def _string_keywords(self, schema: dict[str, Any], out: list[Check]) -> None:
        _size_bounds(schema, "minLength", "maxLength", out)
        if isinstance(schema.get("pattern"), str):
            rx = re.compile(schema["pattern"])
            out.append(lambda x: rx.search(x) is not None)

    def _number_keywords(self, schema: dict[str, Any], out: list[Check]) -> None:
        for word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bound = schema.get(word)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                out.append(_bound(word, bound))
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            out.append(_multiple(step))


def _size_bounds(schema: dict[str, Any], low_word: str, high_word: str, out: list[Check]) -> None:
    """minProperties/maxProperties, minItems/maxItems, minLength/maxLength: bounds on len() of the value."""
    low, high = schema.get(low_word), schema.get(high_word)
    if isinstance(low, int):
        out.append(lambda x: len(x) >= low)
    if isinstance(high, int):
        out.append(lambda x: len(x) <= high)


def _any_of(tests: list[Check]) -> Check:
    parts = tuple(tests)
    return lambda x: any(t(x) for t in parts)


def _all_of(tests: list[Check]) -> Check:
    parts = tuple(tests)
    return lambda x: all(t(x) for t in parts)


def _when(applies: Check, tests: list[Check]) -> Check:
    """Keywords that constrain one JSON type only, and let every other type pass."""
    parts = tuple(tests)
    return lambda x: not applies(x) or all(t(x) for t in parts)


def _in_enum(options: list[Any]) -> Check:
    return lambda x: any(json_equal(x, o) for o in options)


def _equals(const: Any) -> Check:
    return lambda x: json_equal(x, const)


def _negate(inner: Check) -> Check:
    return lambda x: not inner(x)


def _if_then_else(cond: Check, then: Check, other: Check) -> Check:
    return lambda x: then(x) if cond(x) else other(x)


def _dependency_names(name: str, needed: tuple[Any, ...]) -> Check:
    return lambda x: name not in x or all(d in x for d in needed)


def _dependency_schema(name: str, sub: Check) -> Check:
    return lambda x: name not in x or sub(x)


def _bound(word: str, bound: float) -> Check:
    if word == "minimum":
        return lambda x: bool(x >= bound)
    if word == "maximum":
        return lambda x: bool(x <= bound)
    if word == "exclusiveMinimum":
        return lambda x: bool(x > bound)
    return lambda x: bool(x < bound)


def _multiple(step: float) -> Check:
    return lambda x: _multiple_of(x, step)


def _combinator(word: str, checks: list[Check]) -> Check:
    parts = tuple(checks)
    if word == "allOf":
        return lambda x: all(c(x) for c in parts)
    if word == "anyOf":
        return lambda x: any(c(x) for c in parts)

    def one_of(x: Any) -> bool:
        hits = 0
        for c in parts:
            if c(x):
                hits += 1
                if hits > 1:
                    return False
        return hits == 1

    return one_of


def _unique(items: list[Any]) -> bool:
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if json_equal(a, b):
                return False
    return True


def _multiple_of(x: float, step: float) -> bool:
    if isinstance(step, float) or isinstance(x, float):
        try:
            quotient = x / step
            return bool(math.isfinite(quotient) and int(quotient) == quotient)
        except (OverflowError, ZeroDivisionError):
            return False
    return x % step == 0


# --- schema loading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChoice:
    """Which official schema validates a document, and whether it is an exact match."""

    version: str
    path: Path
    exact: bool


def _parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def default_schema_dirs() -> list[Path]:
    dirs: list[Path] = []
    env = os.environ.get(SCHEMA_DIR_ENV)
    if env:
        dirs.append(Path(env))
    dirs.append(Path(__file__).with_name("schemas"))
    return dirs


def available_schemas(schema_dir: Path) -> dict[tuple[int, int, int], Path]:
    found: dict[tuple[int, int, int], Path] = {}
    try:
        entries = sorted(schema_dir.iterdir())
    except OSError:
        return found
    for entry in entries:
        match = _FILE_RE.match(entry.name)
        if not match:
            continue
        version = (int(match[1]), int(match[2]), int(match[3]))
        # The bundle with $ids is preferred; the -without-$id variant is used only when it is alone.
        if version not in found or not match[4]:
            found[version] = entry
    return found


def choose_schema(doc_version: str, schema_dirs: list[Path]) -> SchemaChoice | None:
    """The exact schema for the version, else the nearest newer one of the same major version, else None.

    A newer minor version of the same major version accepts everything an older one did, so validating a 2.3.0
    document with the 2.6.0 schema cannot produce false errors; an older one could, and is never used.
    """
    wanted = _parse_version(doc_version)
    if wanted is None:
        return None
    for directory in schema_dirs:
        schemas = available_schemas(directory)
        if not schemas:
            continue
        if wanted in schemas:
            return SchemaChoice(".".join(map(str, wanted)), schemas[wanted], True)
        newer = sorted(v for v in schemas if v[0] == wanted[0] and v > wanted)
        if newer:
            return SchemaChoice(".".join(map(str, newer[0])), schemas[newer[0]], False)
        return None
    return None


_BUNDLES: dict[Path, dict[str, Any]] = {}
_FAST: dict[Path, FastValidator] = {}
_SLOW: dict[Path, Any] = {}


def _bundle(path: Path) -> dict[str, Any]:
    bundle = _BUNDLES.get(path)
    if bundle is None:
        with path.open("rb") as handle:
            loaded = json.load(handle)
        if not isinstance(loaded, dict):
            raise ValueError(f"{path} is not a JSON Schema")
        bundle = loaded
        _BUNDLES[path] = bundle
    return bundle


def fast_validator(path: Path) -> FastValidator:
    found = _FAST.get(path)
    if found is None:
        found = FastValidator(_bundle(path))
        _FAST[path] = found
    return found


def slow_validator(path: Path) -> Any:
    """A jsonschema Draft7Validator for the bundle, with every embedded `$id` registered."""
    found = _SLOW.get(path)
    if found is None:
        from jsonschema import Draft7Validator
        from referencing import Registry
        from referencing.jsonschema import DRAFT7

        bundle = _bundle(path)
        resources = FastValidator(bundle).resources
        registry: Any = Registry().with_resources(
            (uri, DRAFT7.create_resource(node)) for uri, node in resources.items() if uri
        )
        found = Draft7Validator(bundle, registry=registry)
        _SLOW[path] = found
    return found


# --- turning jsonschema errors into plain words ------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One distinct way the document breaks the schema."""

    path: tuple[str | int, ...]
    message: str


def violations(path: Path, instance: Any) -> list[Violation]:
    """Every distinct violation of the schema at `path`, most specific first; [] when the document is valid."""
    if fast_validator(path).is_valid(instance):
        return []
    validator = slow_validator(path)
    # One violation per place: a value of the wrong type also fails its enum, and saying so twice adds nothing.
    best: dict[tuple[str | int, ...], Any] = {}
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            where = tuple(leaf.absolute_path)
            if where not in best or _RANK.get(leaf.validator, 9) < _RANK.get(best[where].validator, 9):
                best[where] = leaf
    # When the fast checker is stricter than jsonschema, best is empty and jsonschema is trusted.
    return [Violation(where, _describe(leaf)) for where, leaf in best.items()]


_RANK = {"type": 0, "required": 1, "additionalProperties": 2, "oneOf": 3, "anyOf": 3, "enum": 4, "const": 4}


def _branches(error: Any) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        groups.setdefault(int(index) if isinstance(index, int) else 0, []).append(sub)
    return groups


def _is_reference_miss(errors: list[Any], instance: Any) -> bool:
    """The branch that failed only because the value is not a `{$ref: ...}` Reference object."""
    return (
        len(errors) == 1
        and errors[0].validator == "required"
        and "$ref" in (errors[0].validator_value or ())
        and isinstance(instance, dict)
        and "$ref" not in instance
    )


def _leaves(error: Any, depth: int = 0) -> Iterator[Any]:
    """The errors that explain a failure: inside oneOf/anyOf, those of the branch the author most likely meant."""
    if depth > 50 or error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches = [errs for errs in _branches(error).values() if not _is_reference_miss(errs, error.instance)]
    if not branches:
        yield error
        return

    def leaves_of(errs: list[Any]) -> list[Any]:
        return [leaf for e in errs for leaf in _leaves(e, depth + 1)]

    expanded = [leaves_of(errs) for errs in branches]
    # The branch whose errors sit deepest in the document got furthest: that is the shape the author meant.
    best = max(expanded, key=lambda leaves: (max(len(leaf.absolute_path) for leaf in leaves), -len(leaves)))
    yield from best


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: Any) -> str:
    """The violation in plain words, without the schema's internals."""
    word = error.validator
    value = error.validator_value
    instance = error.instance
    where = _where(error.absolute_path)
    if word == "required":
        missing = [n for n in value if not (isinstance(instance, dict) and n in instance)]
        names = ", ".join(f"'{n}'" for n in missing) or "a required field"
        return f"{where} is missing the required field{'s' if len(missing) > 1 else ''} {names}"
    if word == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [k for k in (instance or {}) if k not in allowed]
        if isinstance(instance, dict) and len(instance) == 1 and isinstance(next(iter(instance.values())), dict):
            key = next(iter(instance))
            return (
                f"{where} is wrapped in a mapping keyed by '{key}'; an item here must be the object itself "
                f"(allowed fields: {', '.join(allowed)})"
            )
        shown = ", ".join(f"'{k}'" for k in extra[:5]) + ("…" if len(extra) > 5 else "")
        hint = f" (allowed: {', '.join(allowed)})" if allowed and len(allowed) <= 12 else ""
        return f"{where} has field{'s' if len(extra) > 1 else ''} not allowed here: {shown}{hint}"
    if word == "type":
        expected = value if isinstance(value, list) else [value]
        wanted = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
        found = _kind_of(instance)
        if expected == ["array"] and isinstance(instance, dict):
            return f"{where} must be a list, but it is a mapping (keyed by {', '.join(map(str, list(instance)[:3]))})"
        return f"{where} must be {wanted}, found {found}"
    if word == "oneOf" and "is valid under each of" in str(error.message):
        if isinstance(instance, dict) and set(instance) == {"$ref"}:
            return (
                f"{where} is a bare $ref ({_short(instance['$ref'], 200)}), which fits both the Reference and the Schema "
                "form allowed here, while the official schema requires exactly one of them to match; write the "
                "schema inline here (e.g. {type: string}) instead of referencing it"
            )
        return f"{where} fits more than one of the forms allowed here, and the official schema requires exactly one"
    if word in ("oneOf", "anyOf"):
        return f"{where} matches none of the forms allowed here: {_short(instance)}"
    if word == "enum":
        options = ", ".join(_short(v, 30) for v in (value or [])[:8])
        return f"{where} is {_short(instance)}, expected one of {options}"
    if word == "const":
        return f"{where} is {_short(instance)}, expected {_short(value)}"
    if word == "pattern":
        return f"{where} is {_short(instance)}, which does not match the pattern {value}"
    if word in ("minItems", "minLength", "minProperties"):
        return f"{where} is too short: at least {value} expected"
    if word in ("maxItems", "maxLength", "maxProperties"):
        return f"{where} is too long: at most {value} expected"
    if word in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{where} is {_short(instance)}, out of range ({word} {value})"
    if word == "uniqueItems":
        return f"{where} lists the same item more than once"
    if word == "not":
        return f"{where} has a form that is not allowed here: {_short(instance)}"
    if word == "propertyNames":
        return f"{where} has a field name that is not allowed: {error.message}"
    return f"{where}: {error.message}"


_PLAIN_KEY = re.compile(r"^[A-Za-z_$][\w$-]*$")


def _where(path: Any) -> str:
    """A document path as `channels['user/signedup'].subscribe.message.examples[0]`: unambiguous and readable."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out or "the document"
