"""From a composed YAML node graph to plain data and source positions, within the loader limits, in one pass.

The node graph is walked once, depth first: each node is held to the limits (archassist.agent.model.limits), its
position is recorded under its JSON pointer, and its value is built. Documents in the plain YAML that designs and
AsyncAPI files are written in (strings, numbers, booleans, nulls, dates, lists and mappings with scalar keys) are
built here, exactly as PyYAML's SafeConstructor builds them (aliases share one object, a repeated key keeps its
first place and its last value). Anything else (merge keys, `!!set` and the other collection tags, complex keys,
unknown tags, a scalar the constructor refuses) is left to SafeConstructor and the positions pass it was written
for, once the whole graph has passed the limits.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from archassist.agent.model.limits import (
    LimitExceeded,
    LoaderLimits,
    check_node_graph,
    recursive_alias_message,
    too_deep_message,
    where,
)

Position = tuple[int, int]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# Scalar tags whose SafeConstructor function returns a plain value (no generator, no node mutation).
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
)
# Deeper limits than this are walked without recursion (the pass recurses once per level).
_MAX_RECURSIVE_DEPTH = 200


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def record_positions(node: yaml.Node, pointer: str, out: dict[str, Position], seen: set[int]) -> None:
    """Where each value of the graph under `node` was written, by JSON pointer (first occurrence of shared nodes)."""
    if id(node) in seen:  # aliases share nodes; their positions are those of the anchor
        return
    seen.add(id(node))
    out.setdefault(pointer, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = pointer + "/" + escape_pointer_token(str(key_node.value))
            # A finding about a field is best shown at its key, where the reader's eye goes.
            out[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            record_positions(value_node, child, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            record_positions(item, f"{pointer}/{index}", out, seen)


@dataclass
class _Walk:
    """One depth-first pass; `plain` turns False at the first node this pass does not build itself."""

    text: str
    source: str
    limits: LoaderLimits
    loader: Any  # the SafeConstructor that built nothing yet, or None for positions only
    size: dict[int, int] = field(default_factory=dict)  # values under a node, aliases expanded
    height: dict[int, int] = field(default_factory=dict)
    on_path: set[int] = field(default_factory=set)
    placed: set[int] = field(default_factory=set)  # nodes whose positions are recorded
    positions: dict[str, Position] = field(default_factory=dict)
    built: dict[int, Any] = field(default_factory=dict)
    plain: bool = True

    def visit(self, node: yaml.Node, depth: int, pointer: str | None) -> Any:
        """Check, place (when `pointer` is given; keys are not placed) and build one node and what it holds."""
        key = id(node)
        if key in self.size:  # reached again through an alias
            if depth + self.height[key] - 1 > self.limits.max_depth:
                raise LimitExceeded(too_deep_message(self.source, node.start_mark, self.limits))
            if pointer is not None and key not in self.placed:
                record_positions(node, pointer, self.positions, self.placed)
            return self.built.get(key)
        if key in self.on_path:
            raise LimitExceeded(recursive_alias_message(self.text, self.source, node))
        if depth > self.limits.max_depth:
            raise LimitExceeded(too_deep_message(self.source, node.start_mark, self.limits))
        if pointer is not None:
            self.placed.add(key)
            mark = node.start_mark
            self.positions.setdefault(pointer, (mark.line + 1, mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, key)
        if len(node.value) > self.limits.max_items:
            what = "mapping has" if isinstance(node, yaml.MappingNode) else "list has"
            raise LimitExceeded(
                f"{where(self.source, node.start_mark)}: this {what} {len(node.value):,} entries, over the "
                f"{self.limits.max_items:,}-entry limit; split the document"
            )
        self.on_path.add(key)
        if isinstance(node, yaml.MappingNode):
            total, tallest = self._mapping(node, key, depth, pointer)
        else:
            total, tallest = self._sequence(node, key, depth, pointer)
        self.on_path.discard(key)
        self.size[key] = total
        self.height[key] = tallest + 1
        if total > self.limits.max_nodes:
            raise LimitExceeded(
                f"{where(self.source, node.start_mark)}: this value expands through YAML aliases to more than "
                f"{self.limits.max_nodes:,} values, over the loader's limit; write the values out or remove the "
                "alias chains"
            )
        return self.built.get(key)

    def _scalar(self, node: yaml.Node, key: int) -> Any:
        if len(node.value) > self.limits.max_scalar_chars:
            raise LimitExceeded(
                f"{where(self.source, node.start_mark)}: a string of {len(node.value):,} characters, over the "
                f"{self.limits.max_scalar_chars:,}-character limit; shorten it or keep the text in a separate file"
            )
        self.size[key] = self.height[key] = 1
        if not self.plain:
            return None
        value: Any
        if node.tag == _STR:
            value = node.value
        elif node.tag in _SCALAR_TAGS:
            try:
                value = self.loader.yaml_constructors[node.tag](self.loader, node)
            except Exception:  # the constructor's own error, raised again where SafeConstructor meets it
                self.plain = False
                return None
        else:
            self.plain = False
            return None
        self.built[key] = value
        return value

    def _mapping(self, node: yaml.Node, key: int, depth: int, pointer: str | None) -> tuple[int, int]:
        data: dict[Any, Any] = {}
        if node.tag != _MAP:
            self.plain = False
        self.built[key] = data
        total, tallest = 1, 0
        for key_node, value_node in node.value:
            child: str | None = None
            if pointer is not None:
                child = pointer + "/" + escape_pointer_token(str(key_node.value))
                self.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _KEY_TAGS:
                self.plain = False  # merge keys, '=' keys, complex keys: SafeConstructor's rules
            name = self.visit(key_node, depth + 1, None)
            value = self.visit(value_node, depth + 1, child)
            if self.plain:
                data[name] = value
            total += self.size[id(key_node)] + self.size[id(value_node)]
            tallest = max(tallest, self.height[id(key_node)], self.height[id(value_node)])
        return total, tallest

    def _sequence(self, node: yaml.Node, key: int, depth: int, pointer: str | None) -> tuple[int, int]:
        data: list[Any] = []
        if node.tag != _SEQ:
            self.plain = False
        self.built[key] = data
        total, tallest = 1, 0
        for index, item in enumerate(node.value):
            value = self.visit(item, depth + 1, None if pointer is None else f"{pointer}/{index}")
            if self.plain:
                data.append(value)
            total += self.size[id(item)]
            tallest = max(tallest, self.height[id(item)])
        return total, tallest


_KEY_TAGS = frozenset({_STR, *_SCALAR_TAGS})


def build(
    root: yaml.Node, loader: Any, text: str, source: str, limits: LoaderLimits
) -> tuple[Any, dict[str, Position]]:
    """The data of a composed document and its positions, refusing (LimitExceeded) a graph over the limits.

    `loader` is the SafeConstructor the document was composed by; it builds what this pass does not. Its errors
    (a huge integer, an unhashable key, an unknown tag) propagate as SafeConstructor raises them.
    """
    if limits.max_depth > _MAX_RECURSIVE_DEPTH or sys.getrecursionlimit() < 4 * limits.max_depth:
        check_node_graph(root, text, source, limits)
        return _constructed(root, loader)
    walk = _Walk(text, source, limits, loader)
    data = walk.visit(root, 1, "")
    if walk.plain:
        return data, walk.positions
    return _constructed(root, loader)


def positions_of(root: yaml.Node, text: str, source: str, limits: LoaderLimits) -> dict[str, Position]:
    """The positions of a composed document, refusing (LimitExceeded) a graph over the limits."""
    if limits.max_depth > _MAX_RECURSIVE_DEPTH or sys.getrecursionlimit() < 4 * limits.max_depth:
        check_node_graph(root, text, source, limits)
        positions: dict[str, Position] = {}
        record_positions(root, "", positions, set())
        return positions
    walk = _Walk(text, source, limits, None)
    walk.plain = False
    walk.visit(root, 1, "")
    return walk.positions


def _constructed(root: yaml.Node, loader: Any) -> tuple[Any, dict[str, Position]]:
    # SafeConstructor flattens merge keys in the graph as it builds, so positions are read after it.
    data = loader.construct_document(root)
    positions: dict[str, Position] = {}
    record_positions(root, "", positions, set())
    return data, positions
