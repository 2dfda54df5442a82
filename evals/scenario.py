"""Scenario files: a brief, the requirements it states, and the concepts an architect expects.

A scenario is one YAML file in ``evals/scenarios/`` (or a folder of your own); its id is the file name without
``.yaml``. The loader is strict: an unknown field, a wrong type or a regex that does not compile stops the load
with one line naming the file, the line, the field and the fix, because a scenario that quietly means something
else would make every score of it wrong. Files are read through the project's YAML loader and its limits.

    brief: "Concert ticketing: fans hold seats for 10 minutes, pay ..."   # required
    domain: ticketing
    difficulty: hard                 # small | medium | hard
    event_driven_fits: true          # false: a small CRUD flow where events are overkill
    requirements:                    # what the brief states, as checkable facts
      peak_eps: [700, 1000]          # events/s at peak, a [low, high] range
      throughput_eps: [200, 400]     # sustained events/s, a [low, high] range
      retention_days: 365
      latency_p99_ms: 500
      pii: true
      audit: true
      consistency: strong            # eventual | strong | read_your_writes
    expected_concepts:               # optional; see archassist.evals.concepts
      services: [ticket|seat, payment]
      events: ['Seat\\w*(Held|Reserved)']
      saga_steps: 2
      keys: [[Seat|Hold, seat|show]]
      forbid: [Shipment]
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from archassist.agent.errors import InputError
from archassist.evals.base import Scenario
from archassist.evals.concepts import KEY_SEPARATOR, check_pattern

SCENARIO_FOLDER = Path(__file__).resolve().parent / "scenarios"
SUFFIXES = (".yaml", ".yml")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
DIFFICULTIES = ("small", "medium", "hard")
CONSISTENCY = ("eventual", "strong", "read_your_writes")
MAX_BRIEF_CHARS = 4_000
FIELDS = ("id", "brief", "domain", "difficulty", "event_driven_fits", "requirements", "expected_concepts")
REQUIREMENTS = ("peak_eps", "throughput_eps", "retention_days", "latency_p99_ms", "pii", "audit", "consistency")
CONCEPT_LISTS = ("services", "events", "forbid")
CONCEPT_FIELDS = (*CONCEPT_LISTS, "saga_steps", "keys")
_CONCEPT_KIND = {"services": "service", "events": "event", "forbid": "forbid"}


class ScenarioError(InputError):
    """A scenario file that cannot be used, in one line: file, line, field, what is wrong, how to fix it."""


class _Reader:
    def __init__(self, path: Path, positions: Mapping[str, tuple[int, int]]) -> None:
        self.path = path
        self.positions = positions

    def fail(self, pointer: str, field: str, message: str) -> ScenarioError:
        probe = pointer
        while probe and probe not in self.positions:
            probe = probe.rsplit("/", 1)[0]
        line = self.positions.get(probe)
        where = f"{self.path}:{line[0]}" if line else str(self.path)
        return ScenarioError(f"{where}: scenario field '{field}' {message}")

    def unknown(self, keys: list[str], known: tuple[str, ...], pointer: str, parent: str) -> None:
        for key in keys:
            if key in known:
                continue
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            if parent == "expected_concepts" and key in REQUIREMENTS:
                hint = "it is a stated requirement: move it under 'requirements'; "
            field = f"{parent}.{key}" if parent else key
            raise self.fail(f"{pointer}/{key}", field, f"is not known; {hint}use {', '.join(known)}")


def _range(value: Any) -> tuple[float, float] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
        and value[0] <= value[1]
    ):
        return float(value[0]), float(value[1])
    return None


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0 and value == value


_REQUIREMENT_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "peak_eps": (lambda v: _range(v) is not None, "must be a [low, high] range of events per second, e.g. [700, 1000]"),
    "throughput_eps": (lambda v: _range(v) is not None, "must be a [low, high] range of events per second, e.g. [200, 400]"),
    "retention_days": (_positive, "must be a number of days above 0, e.g. 365"),
    "latency_p99_ms": (_positive, "must be a number of milliseconds above 0, e.g. 500"),
    "pii": (lambda v: isinstance(v, bool), "must be true or false"),
    "audit": (lambda v: isinstance(v, bool), "must be true or false"),
    "consistency": (lambda v: v in CONSISTENCY, f"must be one of {', '.join(CONSISTENCY)}"),
}


def _requirements(reader: _Reader, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise reader.fail("/requirements", "requirements", f"must be a mapping of {', '.join(REQUIREMENTS)}")
    reader.unknown([str(k) for k in value], REQUIREMENTS, "/requirements", "requirements")
    out: dict[str, Any] = {}
    for key in REQUIREMENTS:
        if key not in value:
            continue
        ok, message = _REQUIREMENT_CHECKS[key]
        if not ok(value[key]):
            raise reader.fail(f"/requirements/{key}", f"requirements.{key}", message)
        found = value[key]
        out[key] = list(_range(found) or ()) if key.endswith("_eps") else found
    return out


def _concepts(reader: _Reader, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise reader.fail(
            "/expected_concepts", "expected_concepts", f"must be a mapping of {', '.join(CONCEPT_FIELDS)}"
        )
    reader.unknown([str(k) for k in value], CONCEPT_FIELDS, "/expected_concepts", "expected_concepts")
    out: list[str] = []
    for key in CONCEPT_LISTS:
        patterns = value.get(key, [])
        pointer = f"/expected_concepts/{key}"
        if not isinstance(patterns, list):
            raise reader.fail(pointer, f"expected_concepts.{key}", "must be a list of regular expressions")
        for position, pattern in enumerate(patterns):
            try:
                check_pattern(pattern)
            except ValueError as exc:
                raise reader.fail(f"{pointer}/{position}", f"expected_concepts.{key}[{position}]", str(exc)) from None
            out.append(f"{_CONCEPT_KIND[key]}: {pattern}")
    if "saga_steps" in value:
        steps = value["saga_steps"]
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise reader.fail(
                "/expected_concepts/saga_steps", "expected_concepts.saga_steps", "must be a whole number of at least 1"
            )
        out.append(f"saga_steps: {steps}")
    keys = value.get("keys", [])
    if not isinstance(keys, list):
        raise reader.fail("/expected_concepts/keys", "expected_concepts.keys", "must be a list of [event, key] pairs")
    for position, pair in enumerate(keys):
        pointer, field = f"/expected_concepts/keys/{position}", f"expected_concepts.keys[{position}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise reader.fail(pointer, field, "must be an [event regex, key regex] pair, e.g. [Seat|Hold, seat_id]")
        try:
            check_pattern(pair[0])
            check_pattern(pair[1])
        except ValueError as exc:
            raise reader.fail(pointer, field, str(exc)) from None
        out.append(f"key: {pair[0]}{KEY_SEPARATOR}{pair[1]}")
    return tuple(out)


def load_scenario_file(path: str | Path) -> Scenario:
    """The scenario of one file; a ScenarioError (one line, file and line, field, fix) when it is not one."""
    from archassist.agent.model.io import read_document

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ScenarioError(f"{path}: a scenario is a .yaml file; rename it or give a scenario file")
    try:
        document = read_document(path)
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    reader = _Reader(path, document.source.positions)
    data = document.data
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with at least 'brief'; see docs/evals.md")
    reader.unknown([str(k) for k in data], FIELDS, "", "")
    stem = path.stem
    if not ID_PATTERN.match(stem):
        raise ScenarioError(
            f"{path}: the file name is the scenario id and must be lowercase letters, digits, '-' and '_' "
            "(up to 80); rename the file"
        )
    if "id" in data and data["id"] != stem:
        raise reader.fail("/id", "id", f"is {data['id']!r} but the file is {path.name}; the id is the file name")
    brief = data.get("brief")
    if not isinstance(brief, str) or not brief.strip():
        raise reader.fail("/brief", "brief", "is required: the brief a contestant designs from, as text")
    if len(brief) > MAX_BRIEF_CHARS:
        raise reader.fail("/brief", "brief", f"is {len(brief):,} characters; keep it under {MAX_BRIEF_CHARS:,}")
    domain = data.get("domain", "")
    if not isinstance(domain, str):
        raise reader.fail("/domain", "domain", "must be text, e.g. payments")
    difficulty = data.get("difficulty", "medium")
    if difficulty not in DIFFICULTIES:
        raise reader.fail("/difficulty", "difficulty", f"must be one of {', '.join(DIFFICULTIES)}")
    fits = data.get("event_driven_fits", True)
    if not isinstance(fits, bool):
        raise reader.fail("/event_driven_fits", "event_driven_fits", "must be true or false")
    return Scenario(
        id=stem,
        brief=" ".join(brief.split()),
        domain=domain.strip(),
        difficulty=difficulty,
        requirements=_requirements(reader, data.get("requirements")),
        expected_concepts=_concepts(reader, data.get("expected_concepts")),
        event_driven_fits=fits,
    )


def scenario_files(folder: Path | None = None) -> list[Path]:
    """The scenario files of a folder (the shipped one by default), ordered by id."""
    folder = folder or SCENARIO_FOLDER
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such scenario folder; give a folder of .yaml scenario files")
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()), key=lambda p: p.stem)
    stems = [p.stem for p in files]
    for stem in stems:
        if stems.count(stem) > 1:
            raise ScenarioError(f"{folder}: two files give scenario '{stem}' (.yaml and .yml); keep one")
    return files


def load_scenarios(pattern: str | None = None, folder: Path | None = None) -> list[Scenario]:
    """The scenarios whose id or file name matches ``pattern`` (shell globs, comma-separated; None: all)."""
    files = scenario_files(folder)
    globs = [g.strip() for g in (pattern or "*").split(",") if g.strip()] or ["*"]
    chosen = [p for p in files if any(fnmatch.fnmatchcase(p.stem, g) or fnmatch.fnmatchcase(p.name, g) for g in globs)]
    if not chosen:
        shown = ", ".join(p.stem for p in files[:5]) + (", …" if len(files) > 5 else "")
        raise ScenarioError(
            f"no scenario matches '{pattern}' in {folder or SCENARIO_FOLDER}; ids look like: {shown or 'none'}"
        )
    return [load_scenario_file(p) for p in chosen]


def find_scenario(reference: str, folder: Path | None = None) -> Scenario:
    """A scenario by id (in the shipped folder, or ``folder``) or by the path of its file."""
    text = reference.strip()
    if text.lower().endswith(SUFFIXES) or "/" in text or "\\" in text:
        return load_scenario_file(Path(text))
    files = {p.stem: p for p in scenario_files(folder)}
    if text in files:
        return load_scenario_file(files[text])
    near = difflib.get_close_matches(text, list(files), n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    raise ScenarioError(
        f"unknown scenario '{reference}'; {hint}give a scenario id from {folder or SCENARIO_FOLDER} or a scenario "
        "file (.yaml)"
    )
