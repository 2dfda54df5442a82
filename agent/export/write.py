"""Writing an export into a folder: every file through the project's safe writer, nothing outside the folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from archassist.agent.errors import InputError
from archassist.agent.export.base import Artifact
from archassist.agent.model.files import write_text_atomic


def _check_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder; give a folder (it is created when missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the folder ({exc.strerror or exc})") from None
    return folder.resolve()


def write_artifacts(artifacts: Sequence[Artifact], folder: str | os.PathLike[str]) -> list[Path]:
    """Write each artifact under ``folder`` and return the written paths.

    Every target is checked before anything is written, so a refused path (one that would leave the folder
    through a symlinked subfolder) leaves the folder as it was.
    """
    root = _check_folder(Path(folder))
    targets: list[tuple[Path, Artifact]] = []
    for artifact in artifacts:
        target = root / artifact.path
        parent = target.parent
        # A subfolder that already exists as a symlink could point anywhere: resolve it and stay inside.
        probe = parent
        while not probe.exists() and probe != root:
            probe = probe.parent
        if not probe.resolve().is_relative_to(root):
            raise InputError(f"{target}: leaves the output folder {root} through a symlink; remove the link")
        if target.is_dir():
            raise InputError(f"{target}: is a folder; the export writes a file there, move the folder away")
        targets.append((target, artifact))
    written = []
    for target, artifact in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{target.parent}: cannot create the folder ({exc.strerror or exc})") from None
        write_text_atomic(target, artifact.content)
        written.append(target)
    return written
