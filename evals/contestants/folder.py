"""The ``dir:PATH`` contestant: designs written beforehand, one file per scenario id.

The designs may come from anywhere: Claude Code through the MCP tools, a team's hand-drawn design, another
tool. ``PATH/<scenario id>.yaml`` (or ``.yml``, ``.json``) is the design for that scenario; a scenario without a
file, or a file that does not load, is that cell's recorded failure, so one gap never hides the other answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.evals.contestants.common import ContestantError, Generation

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.evals.base import Scenario

SPEC_PREFIX = "dir"
EXTENSIONS = (".yaml", ".yml", ".json")


class FolderContestant:
    """Reads ``<folder>/<scenario id>.yaml|.yml|.json``; records each file's SHA-256 with its design."""

    def __init__(self, folder: str | Path, *, name: str | None = None) -> None:
        path = Path(folder).expanduser()
        if not path.is_dir():
            what = "is not a folder" if path.exists() else "does not exist"
            raise InputError(
                f"contestant {SPEC_PREFIX}:{folder}: {path} {what}; give the folder that holds one design file "
                "per scenario id"
            )
        self.folder = path
        self.name = name or f"{SPEC_PREFIX}:{folder}"

    @property
    def params(self) -> Mapping[str, Any]:
        return {"folder": str(self.folder.resolve()), "extensions": list(EXTENSIONS)}

    def file_for(self, scenario_id: str) -> Path:
        found = [self.folder / f"{scenario_id}{ext}" for ext in EXTENSIONS]
        present = [p for p in found if p.is_file()]
        if not present:
            raise ContestantError(
                f"{self.folder}: no design for scenario {scenario_id} ({scenario_id}.yaml, .yml or .json)"
            )
        if len(present) > 1:
            names = ", ".join(p.name for p in present)
            raise ContestantError(
                f"{self.folder}: more than one design for scenario {scenario_id} ({names}); keep one"
            )
        return present[0]

    def generate(self, scenario: Scenario) -> Generation:
        from archassist.agent.model.io import load_design_file

        try:
            path = self.file_for(scenario.id)
            design = load_design_file(path).design
        except ContestantError as exc:
            return Generation(None, str(exc))
        except InputError as exc:  # unreadable, not YAML/JSON, not a Design: the loader says where and why
            return Generation(None, str(exc))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return Generation(design, details={"file": path.name, "sha256": digest})

    def design(self, scenario: Scenario) -> Design:
        generation = self.generate(scenario)
        if generation.design is None:
            raise ContestantError(generation.failure or f"no design for {scenario.id}")
        return generation.design
