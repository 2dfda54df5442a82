"""Writing output files safely. Standard library only, so every command can use it cheaply."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from archassist.agent.errors import InputError


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never half of it."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{path}: folder {parent} does not exist; create it first or choose another path")
    if target.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except PermissionError:
        raise InputError(f"{path}: permission denied; choose a writable location") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except PermissionError:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: permission denied; choose a writable location") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
