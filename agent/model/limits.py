"""How much a document may hold before archassist refuses to read it, and the checks that enforce it.

Every input (a design, an AsyncAPI document and the files its `$ref`s reach, a decision file) goes through the same
limits, so a hostile or accidental file costs a bounded amount of time and memory. The checks run on the YAML node
graph, before any Python object is built: a billion-laughs file is refused after composing its few hundred nodes,
and a recursive alias is refused instead of becoming a self-containing list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


@dataclass(frozen=True)
class LoaderLimits:
    """The ceilings one document must stay under; each is named in the message that refuses a document.

    The defaults keep the review of any accepted document within about 2 s and 300 MB (see
    benchmarks/review_large.py) while leaving room for designs of thousands of events and real AsyncAPI documents.
    """

    max_bytes: int = 8 * 1024 * 1024
    max_nodes: int = 60_000  # YAML values (keys, scalars, lists, mappings), counted after alias expansion
    max_items: int = 2_000  # entries in one list or mapping
    max_depth: int = 64  # levels of nesting; designs use about 6, AsyncAPI schemas rarely more than 20
    max_scalar_chars: int = 1_000_000  # characters in one string


ENV_MAX_BYTES = "ARCHASSIST_MAX_INPUT_BYTES"


def default_limits() -> LoaderLimits:
    """The limits in force: the defaults, with the byte cap overridable through the environment."""
    raw = os.environ.get(ENV_MAX_BYTES)
    if raw and raw.strip().isdigit() and int(raw) > 0:
        return LoaderLimits(max_bytes=int(raw))
    return LoaderLimits()


class LimitExceeded(Exception):
    """A document exceeds a loader limit; the message is one line naming the place, the limit and the fix."""


class _NodeBudgetSpent(Exception):
    pass


class _BoundedLoader(_BaseLoader):
    """The C loader, counting nodes while it composes them so a huge document stops early.

    libyaml asks the resolver for the tag of every node written without an explicit tag; counting there keeps the
    composition in C. Nodes with an explicit tag skip the resolver, so the caller bounds them by counting '!'.
    The resolver is called once per node, so it is BaseResolver.resolve cut down to what the safe loader
    configures (implicit resolvers by first character; no wildcard or path resolvers) in one call.
    """

    _by_first_char: dict[str | None, list[tuple[str, Any]]] = _BaseLoader.yaml_implicit_resolvers
    _plain_resolver = None not in _by_first_char and not _BaseLoader.yaml_path_resolvers

    def __init__(self, stream: str, budget: int) -> None:
        super().__init__(stream)
        self._budget = budget

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _NodeBudgetSpent
        if not self._plain_resolver:  # pragma: no cover - a PyYAML that configures more than it does today
            return super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._by_first_char.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG


def where(source: str, mark: Any) -> str:
    """`source:line:column` of a YAML mark, or the source alone."""
    return f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source


def compose(
    text: str, source: str, limits: LoaderLimits, *, check: bool = True
) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    """Compose the single YAML document of `text` into nodes, refusing it as soon as it has too many.

    Returns the root node (None for an empty document) and the loader, which can construct Python data from it;
    the caller disposes of the loader. YAML syntax errors propagate as `yaml.YAMLError`. With `check=False` the
    caller holds the composed graph to the other limits itself (archassist.agent.model.yaml_nodes does, in the
    pass that builds the data).
    """
    if text.count("!") > limits.max_nodes:
        raise LimitExceeded(
            f"{source}: the document has more than {limits.max_nodes:,} YAML tags ('!'), over the "
            f"{limits.max_nodes:,}-value limit; remove the explicit tags"
        )
    loader = _BoundedLoader(text, limits.max_nodes)
    try:
        node = loader.get_single_node()
    except _NodeBudgetSpent:
        loader.dispose()
        raise LimitExceeded(
            f"{source}: the document has more than {limits.max_nodes:,} values, over the loader's limit; split "
            "it into smaller documents"
        ) from None
    except BaseException:
        loader.dispose()
        raise
    if node is not None and check:
        try:
            check_node_graph(node, text, source, limits)
        except BaseException:
            loader.dispose()
            raise
    return node, loader


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_node_graph(root: yaml.Node, text: str, source: str, limits: LoaderLimits) -> None:
    """Refuse recursive aliases, alias expansion past the value limit, deep nesting, huge lists and strings.

    One iterative pass over the distinct nodes: an alias shares its anchor's node, so the expanded size and height of
    every node are computed once and reused wherever it is referenced.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        key = id(node)
        if leaving:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if size[key] > limits.max_nodes:
                raise LimitExceeded(
                    f"{where(source, node.start_mark)}: this value expands through YAML aliases to more than "
                    f"{limits.max_nodes:,} values, over the loader's limit; write the values out or remove the "
                    "alias chains"
                )
            continue
        if key in size:  # a node reached again through an alias
            if depth + height[key] - 1 > limits.max_depth:
                raise LimitExceeded(too_deep_message(source, node.start_mark, limits))
            continue
        if key in on_path:
            raise LimitExceeded(recursive_alias_message(text, source, node))
        if depth > limits.max_depth:
            raise LimitExceeded(too_deep_message(source, node.start_mark, limits))
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > limits.max_scalar_chars:
                raise LimitExceeded(
                    f"{where(source, node.start_mark)}: a string of {len(node.value):,} characters, over the "
                    f"{limits.max_scalar_chars:,}-character limit; shorten it or keep the text in a separate file"
                )
            size[key] = height[key] = 1
            continue
        if len(node.value) > limits.max_items:
            what = "mapping has" if isinstance(node, yaml.MappingNode) else "list has"
            raise LimitExceeded(
                f"{where(source, node.start_mark)}: this {what} {len(node.value):,} entries, over the "
                f"{limits.max_items:,}-entry limit; split the document"
            )
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(_children(node)))


def too_deep_message(source: str, mark: Any, limits: LoaderLimits) -> str:
    """The refusal of a value nested past the depth limit."""
    return (
        f"{where(source, mark)}: the document nests deeper than {limits.max_depth} levels here, over the "
        "loader's limit; flatten the structure"
    )


def recursive_alias_message(text: str, source: str, node: yaml.Node) -> str:
    """The refusal of an alias inside its own anchored value, naming the alias where it is written."""
    found = _first_recursive_alias(text)
    if found is None:  # pragma: no cover - the composer only builds cycles from such aliases
        place, name = where(source, node.start_mark), "an alias"
    else:
        anchor, mark = found
        place, name = where(source, mark), f"the alias '*{anchor}'"
    return (
        f"{place}: {name} refers to a value that contains it (a recursive YAML alias), which no design can "
        "hold; write the value out instead of the alias"
    )


def _first_recursive_alias(text: str) -> tuple[str, Any] | None:
    """The first alias used inside its own anchored collection, and where it is written (error path only)."""
    open_anchors: list[str | None] = []
    for event in _events(text):
        if isinstance(event, yaml.CollectionStartEvent):
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            return str(event.anchor), event.start_mark
    return None


def _events(text: str) -> Iterator[yaml.Event]:
    loader = _BaseLoader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def check_plain_data(data: Any, source: str, limits: LoaderLimits) -> None:
    """The same limits for data that did not come through the YAML composer (JSON that YAML cannot read)."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise LimitExceeded(
                f"{source}: the document has more than {limits.max_nodes:,} values, over the loader's limit; "
                "split it into smaller documents"
            )
        if depth > limits.max_depth:
            raise LimitExceeded(
                f"{source}: the document nests deeper than {limits.max_depth} levels, over the loader's limit; "
                "flatten the structure"
            )
        if isinstance(value, str) and len(value) > limits.max_scalar_chars:
            raise LimitExceeded(
                f"{source}: a string of {len(value):,} characters, over the {limits.max_scalar_chars:,}-character "
                "limit; shorten it or keep the text in a separate file"
            )
        if isinstance(value, dict | list):
            if len(value) > limits.max_items:
                raise LimitExceeded(
                    f"{source}: a {'mapping' if isinstance(value, dict) else 'list'} has {len(value):,} entries, "
                    f"over the {limits.max_items:,}-entry limit; split the document"
                )
            if isinstance(value, dict):
                count += len(value)  # the keys
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def json_value_bound(text: str) -> int:
    """An upper bound on the keys and values of a JSON text, counted without parsing it.

    Every value or key but the first follows '[', '{', ',' or ':'; characters inside strings only raise the bound.
    """
    return text.count("[") + text.count("{") + text.count(",") + text.count(":") + 1
