"""The one-pass build of a YAML node graph (archassist.agent.model.yaml_nodes) gives what PyYAML's SafeConstructor,
the separate limits check and the positions pass give: the same data (shared aliases included), the same
positions, the same refusals and the same errors, on generated documents of every YAML feature."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml
from archassist.agent.model import io
from archassist.agent.model.limits import LimitExceeded, LoaderLimits, check_node_graph, compose
from archassist.agent.model.yaml_nodes import build, positions_of, record_positions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS

SMALL = LoaderLimits(max_nodes=60, max_items=6, max_depth=5, max_scalar_chars=12)
LIMITS = [LoaderLimits(), SMALL]

SCALARS = [
    "x", "Order", "'quoted'", '"1"', "1", "-2", "0x1f", "0o17", "1_000", "1:30", "1.5", "-.inf", "1e3", "true", "no",
    "On", "~", "null", "''", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "!!str 3", "!!int 7", "!!float 1",
    "!!bool yes", "!!null ''", "!!binary aGVsbG8=", "!!timestamp 2002-12-14", "=", "a/b~c", "'" + "y" * 14 + "'",
    "12345678901234567890",
]
TROUBLE = ["<<", "!custom q", "!!int x", "!!binary ?"]  # a merge key, an unknown tag, scalars the constructor refuses


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A flow-style YAML value: scalars of every resolver and tag, anchors and their aliases (recursive ones
    too), merge and '=' keys, complex keys, collection tags; nested at most three levels."""
    closed: list[str] = []  # anchors of values already written
    open_: list[str] = []  # anchors of the values being written: an alias to one of them recurses

    def value(depth: int) -> str:
        if depth >= 3 or draw(st.integers(0, 2)) == 0:
            if closed and draw(st.booleans()):
                return "*" + draw(st.sampled_from(closed))
            if open_ and draw(st.integers(0, 59)) == 0:
                return "*" + draw(st.sampled_from(open_))
            if draw(st.integers(0, 39)) == 0:
                return draw(st.sampled_from(TROUBLE))
            return draw(st.sampled_from(SCALARS))
        anchor = ""
        if draw(st.integers(0, 3)) == 0:
            anchor = f"a{len(closed) + len(open_)}"  # PyYAML refuses a repeated anchor
            open_.append(anchor)
        text = collection(depth, anchor)
        if anchor:
            open_.remove(anchor)
            closed.append(anchor)
        return text

    def collection(depth: int, anchor: str) -> str:
        tag = draw(st.sampled_from([""] * 40 + ["!!set ", "!!omap ", "!!pairs ", "!!map ", "!!seq ", "!thing "]))
        head = (f"&{anchor} " if anchor else "") + tag
        size = draw(st.integers(0, 5))
        if draw(st.booleans()):
            return head + "[" + ", ".join(value(depth + 1) for _ in range(size)) + "]"
        pairs = []
        for _ in range(size):
            key = value(depth + 1) if draw(st.integers(0, 5)) == 0 else draw(st.sampled_from(SCALARS))
            if key[:1] in ("[", "{", "&") or (key[:1] == "!" and key.rstrip()[-1:] in ("]", "}")):
                key = "? " + key  # a collection as a key is written explicitly
            pairs.append(f"{key} : {value(depth + 1)}")
        return head + "{" + ", ".join(pairs) + "}"

    return value(0)


def reference(text: str, limits: LoaderLimits) -> tuple[str, Any]:
    """What the loader did before the one-pass build: compose within the value budget, check the graph,
    construct, then read the positions. The graph comes from PyYAML's own resolver, so the bounded loader's
    resolver is held to it too."""
    try:
        _, budgeted = compose(text, "d.yaml", limits, check=False)
        budgeted.dispose()
    except LimitExceeded as exc:
        return "refused", str(exc)
    except yaml.YAMLError:
        return "unreadable", None
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        try:
            check_node_graph(node, text, "d.yaml", limits)
        except LimitExceeded as exc:
            return "refused", str(exc)
        try:
            data = loader.construct_document(node)
        except Exception as exc:
            return "error", (type(exc), str(exc))
        positions: dict[str, tuple[int, int]] = {}
        record_positions(node, "", positions, set())
        return "loaded", (data, positions)
    finally:
        loader.dispose()


def one_pass(text: str, limits: LoaderLimits) -> tuple[str, Any]:
    try:
        node, loader = compose(text, "d.yaml", limits, check=False)
    except LimitExceeded as exc:
        return "refused", str(exc)
    except yaml.YAMLError:
        return "unreadable", None
    try:
        assert node is not None
        try:
            return "loaded", build(node, loader, text, "d.yaml", limits)
        except LimitExceeded as exc:
            return "refused", str(exc)
        except Exception as exc:
            return "error", (type(exc), str(exc))
    finally:
        loader.dispose()


def assert_same(text: str, limits: LoaderLimits) -> None:
    expected, actual = reference(text, limits), one_pass(text, limits)
    assert actual[0] == expected[0], (text, expected, actual)
    if expected[0] != "loaded":
        assert actual == expected, text
        return
    (data, positions), (got, got_positions) = expected[1], actual[1]
    assert got_positions == positions, text
    # Pickling keeps shared objects shared, so equal pickles mean equal values and the same aliasing.
    assert pickle.dumps(got) == pickle.dumps(data), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from(LIMITS))
def test_generated_documents_load_as_safe_constructor_loads_them(text: str, limits: LoaderLimits) -> None:
    assert_same("root: " + text + "\n", limits)


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {k: 1, j: 2}\nuse: {<<: *b, j: 3}\n",  # merge keys are flattened by SafeConstructor
        "many: [&x {a: 1}, *x, {inner: *x}]\n",  # shared objects stay shared
        "? &k key\n: *k\n",  # a key's node reached again as a value gets its position there
        "=: value\n",  # the '=' key becomes a string key
        "t: 2001-12-14\nn: ~\nb: !!binary aGVsbG8=\ns: !!set {a, b}\n",
        "dup: 1\ndup: 2\n",
        "x: !unknown 1\n",
        "? [a]\n: 1\n",  # an unhashable key
    ],
)
def test_yaml_features_load_as_safe_constructor_loads_them(text: str) -> None:
    for limits in LIMITS:
        assert_same(text, limits)


def test_real_documents_load_unchanged() -> None:
    corpus = sorted((CORPUS / "asyncapi" / "docs").glob("*.yaml"))
    if not corpus:
        pytest.skip(f"no AsyncAPI documents under {CORPUS}")
    for path in corpus + sorted((Path(__file__).parent / "fixtures").rglob("*.yaml")):
        assert_same(path.read_text(encoding="utf-8"), LoaderLimits())


def test_positions_only_for_json_match_the_positions_pass() -> None:
    text = '{"a": [1, {"b/c": 2}], "d": {"e": null}}'
    node, loader = compose(text, "d.json", LoaderLimits(), check=False)
    loader.dispose()
    assert node is not None
    expected: dict[str, tuple[int, int]] = {}
    record_positions(node, "", expected, set())
    assert positions_of(node, text, "d.json", LoaderLimits()) == expected
    assert io.parse_document(text, "d.json").source.positions == expected


def test_deep_limits_fall_back_to_the_iterative_check() -> None:
    deep = LoaderLimits(max_depth=5000)
    text = "a: " + "[" * 300 + "]" * 300 + "\n"
    doc = io.parse_document(text, "d.yaml", limits=deep)
    value = doc.data["a"]
    for _ in range(299):
        value = value[0]
    assert value == []
