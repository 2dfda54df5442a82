"""The loader's limits: every input is refused in one line, fast, before it can cost time or memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from archassist.agent.model import io
from archassist.agent.model.limits import LoaderLimits
from hypothesis import given, settings
from hypothesis import strategies as st

SMALL = LoaderLimits(max_bytes=64 * 1024, max_nodes=500, max_items=50, max_depth=8, max_scalar_chars=200)

BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def refusal(text: str, limits: LoaderLimits | None = None, source: str = "d.yaml") -> str:
    with pytest.raises(io.DesignLoadError) as caught:
        io.parse_document(text, source, limits=limits)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(source), message
    return message


def test_billion_laughs_is_refused_fast() -> None:
    assert len(BILLION_LAUGHS.encode()) < 400  # the 392-byte class of document
    started = time.process_time()
    message = refusal(BILLION_LAUGHS)
    assert time.process_time() - started < 1.0
    assert "expands through YAML aliases" in message and f"{LoaderLimits().max_nodes:,}" in message
    assert message.startswith("d.yaml:")  # names the line of the value that expands


@pytest.mark.parametrize(
    ("text", "where", "alias"),
    [
        ("name: x\nevents: &a [*a]\n", "d.yaml:2:13", "'*a'"),
        ("name: x\nstyle: &s\n  inner: *s\n", "d.yaml:3:10", "'*s'"),
        ("name: x\nevents:\n  - &e {name: A, fields: [*e]}\n", "d.yaml:3:27", "'*e'"),
    ],
)
def test_recursive_alias_names_the_alias_and_the_fix(text: str, where: str, alias: str) -> None:
    message = refusal(text)
    assert message.startswith(where + ":"), message
    assert alias in message and "recursive YAML alias" in message and "write the value out" in message


def test_shared_aliases_that_do_not_recurse_still_load() -> None:
    doc = io.parse_document("name: x\nbase: &b {k: 1}\nlist: [*b, *b, {inner: *b}]\n", "d.yaml")
    assert doc.data["list"] == [{"k": 1}, {"k": 1}, {"inner": {"k": 1}}]


def test_too_many_values_stops_during_composition() -> None:
    text = "a: [" + ",".join("x" for _ in range(200_000)) + "]\n"
    started = time.process_time()
    message = refusal(text, LoaderLimits(max_items=10**9))
    assert time.process_time() - started < 3.0  # composing all 200,000 would take several times longer
    assert f"more than {LoaderLimits().max_nodes:,} values" in message


def test_explicit_tags_cannot_slip_past_the_value_budget() -> None:
    text = "a: [" + ",".join("!!str x" for _ in range(600)) + "]\n"
    message = refusal(text, SMALL)
    assert "500" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [" + ",".join(["1"] * 51) + "]\n", ["d.yaml:1:4", "51 entries", "50-entry limit"]),
        ("a:\n" + "".join(f"  k{i}: 1\n" for i in range(51)) + "", ["d.yaml:2:3", "mapping has 51"]),
        ("a: " + "[" * 8 + "]" * 8 + "\n", ["d.yaml:1:", "deeper than 8 levels"]),
        ("a: '" + "x" * 201 + "'\n", ["d.yaml:1:4", "201 characters", "200-character limit"]),
        # An alias can nest deeper than the text does: the limit counts the expanded depth.
        (
            "a: &a [[[[1]]]]\nb: &b [[[*a]]]\nc: [*b]\n",
            ["deeper than 8 levels"],
        ),
    ],
)
def test_each_limit_is_one_line_naming_the_place_and_the_limit(text: str, expected: list[str]) -> None:
    message = refusal(text, SMALL)
    for part in expected:
        assert part in message, message


def test_json_is_held_to_the_same_limits() -> None:
    text = json.dumps({"name": "x", "assumptions": ["a"] * 51})
    assert "51 entries" in refusal(text, SMALL, "d.json")
    deep = '{"a": ' + "[" * 9 + "]" * 9 + "}"
    assert "deeper than 8 levels" in refusal(deep, SMALL, "d.json")


def test_json_that_yaml_cannot_read_is_still_bounded() -> None:
    long_key = "k" * 1100  # YAML refuses implicit keys over 1024 characters; JSON allows them
    ok = io.parse_document(json.dumps({long_key: 1, "name": "x"}), "d.json")
    assert ok.data["name"] == "x"
    wide = json.dumps({long_key: list(range(600))})
    assert "values" in refusal(wide, SMALL, "d.json")
    deep = json.dumps({long_key: [[[[[[[[[1]]]]]]]]]})
    assert "deeper than 8" in refusal(deep, SMALL, "d.json")


def test_huge_integers_are_one_line() -> None:
    digits = "1" * (sys.get_int_max_str_digits() + 1)
    assert "digits" in refusal(f"name: x\nschema_version: {digits}\n")
    assert "digits" in refusal('{"name": "x", "schema_version": ' + digits + "}", source="d.json")


def test_byte_cap_applies_to_text_and_files(tmp_path: Path) -> None:
    limits = LoaderLimits(max_bytes=100)
    assert "limit" in refusal("name: x\n" + "#" * 200, limits)
    path = tmp_path / "d.yaml"
    path.write_text("name: x\n" + "#" * 200)
    with pytest.raises(io.DesignLoadError, match=r"over the 0 MiB limit|over the"):
        io.read_document(path, limits=limits)


def test_public_helpers_apply_the_limits(tmp_path: Path) -> None:
    assert io.load_yaml_text("a: [1, 2]\n", "memo.yaml") == {"a": [1, 2]}
    with pytest.raises(io.DesignLoadError, match="recursive YAML alias"):
        io.load_yaml_text("a: &a [*a]\n", "memo.yaml")
    path = tmp_path / "note.md"
    path.write_text("# Title\n", encoding="utf-8")
    assert io.read_text(path) == "# Title\n"
    with pytest.raises(io.DesignLoadError, match="is a directory"):
        io.read_text(tmp_path)
    with pytest.raises(io.DesignLoadError, match="NUL byte"):
        io.read_text(tmp_path / "a\x00.yaml")


def test_limits_leave_real_documents_alone() -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "asyncapi" / "docs"
    documents = sorted(corpus.glob("*.yaml")) + sorted(corpus.glob("*.json"))
    if not documents:
        pytest.skip("the shared corpus is not beside this checkout")
    for path in documents:
        assert io.read_document(path).data, path


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=4), children, max_size=6)
        ),
        max_leaves=80,
    )
)
def test_accepted_or_one_line_for_any_json_shape(data: object) -> None:
    """Arbitrary JSON data, through both parsers: it loads unchanged or is refused in one line."""
    for text in (json.dumps(data), json.dumps({"k": data})):
        try:
            parsed = io.parse_document(text, "d.json", limits=SMALL)
        except io.DesignLoadError as exc:
            assert "\n" not in str(exc)
        else:
            assert parsed.data == json.loads(text)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archassist.agent.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_review_of_hostile_yaml_is_one_line_exit_2(tmp_path: Path) -> None:
    cases = {
        "recursive.yaml": ("events: &a [*a]\n", "recursive YAML alias"),
        "bomb.yaml": (BILLION_LAUGHS, "expands through YAML aliases"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text("name: x\n" + text if name == "recursive.yaml" else text)
        result = run_cli("review", str(tmp_path / name))
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert expected in result.stderr and name in result.stderr
