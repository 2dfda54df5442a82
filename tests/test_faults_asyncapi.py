"""Hostile AsyncAPI input: odd `$ref`s and randomly mutated real documents import or fail in one line, never crash."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
from archassist.agent.asyncapi import import_asyncapi
from archassist.agent.errors import InputError
from archassist.agent.model import io
from archassist.agent.model.io import SourceMap
from archassist.agent.modes.review import review_file
from archassist.agent.rules.engine import check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "asyncapi" / "docs"

ODD_REFS = [
    "a%00.yaml",
    "a\x00.yaml",
    "%00",
    "#/components/%00",
    "../../../../etc/passwd",
    "file:///dev/zero",
    "http://example.com/x.yaml",
    "nope.yaml#/a/b",
    "#not-a-pointer",
    "#/components/messages/~2",
    "\udcff.yaml",
    "\n",
    "orders\r\nevents.yaml",
    "a\tb.yaml#/x",
    "x" * 5000 + ".yaml",
    "",
]


def _document(ref: str) -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "t", "version": "1"},
        "channels": {"orders.events": {"subscribe": {"message": {"$ref": ref}}}},
    }


@pytest.mark.parametrize("ref", ODD_REFS)
def test_odd_refs_become_findings(ref: str, tmp_path: Path) -> None:
    imported = import_asyncapi(_document(ref), SourceMap("doc.yaml"), tmp_path)
    assert imported.design.name
    for note in imported.notes:
        assert "\n" not in note.message


def test_nul_byte_ref_is_a_finding_in_review(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(
        "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  orders.events:\n    subscribe:\n"
        "      message:\n        $ref: 'a%00.yaml'\n",
        encoding="utf-8",
    )
    result = review_file(path)
    found = [f for f in result.findings if f.code == "AAPI901"]
    assert found and "NUL byte" in found[0].message and found[0].line == 6


@functools.cache
def _corpus() -> list[tuple[str, Any]]:
    if not DOCS.is_dir():
        return []
    out = []
    for path in sorted(DOCS.glob("*.yaml")):
        data = io.read_document(path).data
        if isinstance(data, dict) and "asyncapi" in data:
            out.append((path.name, data))
    return out


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    st.sampled_from(ODD_REFS).map(lambda ref: {"$ref": ref}),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _mutate(data: Any, path: tuple[Any, ...], action: str, junk: Any) -> Any:
    if not path:
        return junk
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    else:
        parent[last] = junk
    return data


@pytest.mark.skipif(not DOCS.is_dir(), reason="the shared corpus is not beside this checkout")
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.data())
def test_mutated_corpus_documents_never_crash_the_importer(data: st.DataObject) -> None:
    name, original = data.draw(st.sampled_from(_corpus()), label="document")
    document = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = _paths(document)
        path = data.draw(st.sampled_from(paths), label="path")
        action = data.draw(st.sampled_from(["replace", "delete"]), label="action") if path else "replace"
        document = _mutate(document, path, action, data.draw(JUNK, label="junk"))
    try:
        imported = import_asyncapi(document, SourceMap(name), DOCS)
    except InputError as exc:  # not an AsyncAPI document any more: one line, as the CLI shows it
        assert "\n" not in str(exc)
        return
    assert imported.design.name
    for finding in [*imported.schema_findings, *imported.notes, *check(imported.design)]:
        assert "\n" not in finding.message


def test_referenced_files_share_one_budget_of_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many referenced files cannot multiply a document's cost: together they get one document's limit."""
    from archassist.agent.model.limits import LoaderLimits

    monkeypatch.setattr(io, "limits_in_force", lambda: LoaderLimits(max_nodes=400))
    monkeypatch.setattr("archassist.agent.asyncapi.refs.limits_in_force", lambda: LoaderLimits(max_nodes=400))
    payload = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(40)}}
    channels = {}
    for number in range(6):
        (tmp_path / f"m{number}.yaml").write_text(io_dump({"payload": payload}), encoding="utf-8")
        channels[f"orders.c{number}"] = {"subscribe": {"message": {"$ref": f"m{number}.yaml"}}}
    document = {"asyncapi": "2.6.0", "info": {"title": "t", "version": "1"}, "channels": channels}
    imported = import_asyncapi(document, SourceMap("doc.yaml"), tmp_path)
    refused = [n for n in imported.notes if n.code in ("AAPI900", "AAPI901")]
    assert refused, [n.message for n in imported.notes]
    assert any("values" in n.message for n in refused)


def io_dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data)
