"""What a review reads: files, folders (walked for designs and AsyncAPI documents) and `-` for stdin, and the
finding that stands for an input that could not be reviewed.

A linter reports a file it cannot parse as a finding of that file and goes on with the rest; so does review.
The finding has its own code, :data:`UNREADABLE`, severity error, in every output format.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archassist.agent.errors import InputError
from archassist.agent.model.findings import Finding

STDIN = "-"
STDIN_NAME = "<stdin>"
DESIGN_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".json")
# Folders that hold tools, caches or dependencies, never a team's designs.
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages"})
# Files with a design suffix that are obviously something else (and can be large: lock files).
SKIPPED_FILES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "composer.json",
        "composer.lock",
        "tsconfig.json",
        "jsconfig.json",
        "pnpm-lock.yaml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yml",
        "compose.yaml",
        "mkdocs.yml",
        "codecov.yml",
        "renovate.json",
    }
)
# The top-level keys of which a design file has at least one; an AsyncAPI document has `asyncapi`.
DESIGN_KEYS = frozenset(
    {"services", "events", "topics", "consumers", "aggregates", "commands", "sagas", "projections", "event_store"}
)


@dataclass(frozen=True)
class UnreadableCode:
    """The documentation of the finding for an input that could not be reviewed (`archassist explain EDA000`)."""

    code: str = "EDA000"
    name: str = "unreadable-file"
    severity: str = "error"
    group: str = "input"
    summary: str = "A file given to review could not be read or is not a design or AsyncAPI document."
    why: str = (
        "Review can only vouch for what it has read. A file it could not read (missing, not UTF-8 text, bad YAML "
        "or JSON, over the size limit) or could not load (fields that do not fit the Design model, an AsyncAPI "
        "document whose references cannot be resolved) was not checked at all, so it is reported as an error "
        "of that file while the other files are still reviewed."
    )
    anti_pattern: str = (
        "A design file with a tab in its YAML indentation, or with `partitons: 12` in a topic: it cannot be loaded, "
        "and a review that skipped it silently would pass."
    )
    fix: str = (
        "Fix the problem the message names at the line it gives (see `archassist schema` for the fields of a "
        "design), or leave the file out of the review."
    )
    finding_fix: str = "fix what the message names (`archassist schema` lists the design fields), or leave the file out"


UNREADABLE = UnreadableCode()


@dataclass(frozen=True)
class ReviewInput:
    """One thing to review: a file named on the command line, a file found in a folder, or stdin."""

    path: str
    explicit: bool = True  # named by the user: reviewed whatever it looks like
    stdin: bool = False


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _skip_folder(folder: Path, name: str) -> bool:
    return _hidden(name) or name in SKIPPED_FOLDERS or (folder / name / "pyvenv.cfg").exists()


def _wanted_file(name: str) -> bool:
    lower = name.lower()
    return (
        not _hidden(name)
        and lower.endswith(DESIGN_SUFFIXES)
        and lower not in SKIPPED_FILES
        and not lower.endswith((".schema.json", ".lock.json"))
    )


def walk_folder(folder: Path) -> list[Path]:
    """Candidate design files below folder, in a stable order; hidden and tool folders are skipped."""
    found: list[Path] = []
    for current, folders, files in os.walk(folder, followlinks=False):
        here = Path(current)
        folders[:] = sorted(name for name in folders if not _skip_folder(here, name))
        found += [here / name for name in sorted(files) if _wanted_file(name) and (here / name).is_file()]
    return found


def collect_inputs(paths: Sequence[str | Path]) -> list[ReviewInput]:
    """Every input to review, in the order given; folders expand to the design files below them.

    A folder without a single candidate file is an InputError: a review that checks nothing must not pass.
    """
    inputs: list[ReviewInput] = []
    seen: set[str] = set()
    for given in paths:
        text = str(given)
        if text == STDIN:
            if STDIN in seen:
                raise InputError("- (stdin) is given twice; stdin can be read only once")
            seen.add(STDIN)
            inputs.append(ReviewInput(STDIN_NAME, stdin=True))
            continue
        path = Path(text)
        if path.is_dir():
            found = walk_folder(path)
            if not found:
                raise InputError(
                    f"{text}: no design or AsyncAPI files (.yaml, .yml, .json) in this folder; "
                    "give another folder or the files themselves"
                )
            candidates = [ReviewInput(str(file), explicit=False) for file in found]
        else:
            candidates = [ReviewInput(text)]
        for item in candidates:
            key = os.path.realpath(item.path)
            if key not in seen:
                seen.add(key)
                inputs.append(item)
    return inputs


def looks_reviewable(data: Any) -> bool:
    """Whether parsed data found in a folder is a design or an AsyncAPI document (and not a CI config)."""
    return isinstance(data, dict) and ("asyncapi" in data or bool(DESIGN_KEYS & data.keys()))


def read_stdin(limit: int) -> str:
    """Stdin as text, at most limit bytes."""
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise InputError(f"{STDIN_NAME}: there is no standard input to read; give a file instead of -")
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise InputError(
            f"{STDIN_NAME}: input is over the {limit / 1048576:.0f} MiB limit; split it or raise "
            "ARCHASSIST_MAX_INPUT_BYTES"
        )
    try:
        return bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{STDIN_NAME}: not UTF-8 text (bad byte at offset {exc.start}); send UTF-8") from None


def _location_pattern(path: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(path)}(?::(?P<line>\d+)(?::(?P<column>\d+))?)?: (?P<message>.+)$", re.DOTALL)


def unreadable_finding(path: str, error: InputError) -> Finding:
    """The finding for an input that could not be reviewed, placed at the line the error names, if any."""
    text = str(error)
    match = _location_pattern(path).match(text)
    message = match["message"] if match else text
    line = int(match["line"]) if match and match["line"] else None
    column = int(match["column"]) if match and match["column"] else None
    return Finding(
        code=UNREADABLE.code,
        name=UNREADABLE.name,
        severity="error",
        message=f"not reviewed: {message}",
        pointer="",
        fix=UNREADABLE.finding_fix,
        file=path,
        line=line,
        column=column,
    )
