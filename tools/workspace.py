"""The workspace: the one folder the MCP server may read files from, and the size cap on every input.

A path from a client is resolved (symlinks included) before it is checked, so `..`, absolute paths elsewhere and
symlinks that lead out of the folder are all refused with the same clear line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.agent.modes.review import ReviewConfig

MAX_INPUT_BYTES = 2 * 1024 * 1024
INPUT_NAME = "<input>"  # how a design given as text is named in messages
ROOT_ENV = "ARCHASSIST_ROOT"


def _mib(size: int) -> str:
    return f"{size / 1048576:.1f} MiB"


def check_size(text: str, what: str, limit: int = MAX_INPUT_BYTES) -> None:
    """Refuse text over the cap; one line says how big it is and what to do."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(
            f"{what} is {_mib(size)}, over the {_mib(limit)} limit for one input; split it into smaller documents"
        )


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The workspace folder: the given one, else ``$ARCHASSIST_ROOT``, else the working directory. A server
    started in the filesystem root without being told its workspace (as some clients start servers) would
    otherwise let tools read the whole disk, so that is refused."""
    chosen = root if root not in (None, "") else os.environ.get(ROOT_ENV)
    if chosen is None:
        here = Path.cwd().resolve()
        if here == Path(here.anchor):
            raise InputError(
                f"the server was started in {here} with no workspace, which would expose the whole disk; "
                "pass --root FOLDER (or set ARCHASSIST_ROOT) with the folder of your designs"
            )
        chosen = here
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise InputError(f"workspace root {path} is not a folder; give an existing folder with --root")
    return path.resolve()


def workspace_config(root: Path) -> ReviewConfig:
    """The review configuration of the workspace: a `.archassist.toml`, or a `pyproject.toml` with
    `[tool.archassist]`, in the workspace root itself. Folders above the root belong to someone else, so the
    search never climbs out of it (a broken file there must not break every review)."""
    from archassist.agent.modes.review import ReviewConfig, _config_table, config_from_table

    for name in (".archassist.toml", "pyproject.toml"):
        candidate = root / name
        if candidate.is_file():
            table = _config_table(candidate)
            if table is not None:
                return config_from_table(table, candidate)
    return ReviewConfig()


@dataclass(frozen=True)
class Workspace:
    """Reads files inside ``root`` only, each at most ``max_bytes``."""

    root: Path
    max_bytes: int = MAX_INPUT_BYTES

    def locate(self, path: str) -> Path:
        """The resolved file a client path names, refused unless it lies inside the workspace."""
        if not path.strip():
            raise InputError("the path is empty; give a file inside the workspace, relative to its root")
        if "\x00" in path:
            raise InputError("the path contains a NUL character; give a plain file path")
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
            raise InputError(f"{path}: cannot resolve the path ({exc})") from None
        if not resolved.is_relative_to(self.root):
            raise InputError(
                f"{path}: outside the workspace {self.root}; only files inside it can be read "
                "(give a path relative to the workspace root)"
            )
        if not resolved.exists():
            raise InputError(f"{path}: no such file in the workspace {self.root}")
        if not resolved.is_file():
            raise InputError(f"{path}: not a file; give a design or AsyncAPI file")
        size = resolved.stat().st_size
        if size > self.max_bytes:
            raise InputError(
                f"{path}: file is {_mib(size)}, over the {_mib(self.max_bytes)} limit for one input; "
                "split it into smaller documents"
            )
        return resolved

    def folder(self, path: str) -> Path:
        """The resolved folder a client path names (it may not exist yet), refused unless it lies inside the
        workspace."""
        if not path.strip() or "\x00" in path:
            raise InputError("the folder path is empty or contains a NUL character; give a folder inside the workspace")
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError) as exc:
            raise InputError(f"{path}: cannot resolve the path ({exc})") from None
        if not resolved.is_relative_to(self.root):
            raise InputError(
                f"{path}: outside the workspace {self.root}; only folders inside it can be written "
                "(give a path relative to the workspace root)"
            )
        if resolved.exists() and not resolved.is_dir():
            raise InputError(f"{path}: exists and is not a folder; give a folder inside the workspace")
        return resolved

    def design(self, path: str | None, text: str | None) -> tuple[Design, str]:
        """The Design a tool is given, as a workspace file or as YAML/JSON text, and how to name it to the client.
        Errors name the file as the client does (relative to the workspace), never by its absolute path."""
        from archassist.agent.model.io import load_design_file, loads

        if path is not None:
            resolved = self.locate(path)
            shown = self.relative(resolved)
            try:
                return load_design_file(resolved).design, shown
            except InputError as exc:
                raise InputError(str(exc).replace(str(resolved), shown)) from None
        check_size(text or "", "the design")
        return loads(text or "", INPUT_NAME).design, INPUT_NAME

    def relative(self, path: Path) -> str:
        """How a file inside the workspace is shown to clients: relative to the root, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read_text(self, path: str) -> tuple[Path, str]:
        """The resolved path and UTF-8 text of a file inside the workspace."""
        resolved = self.locate(path)
        try:
            return resolved, resolved.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
