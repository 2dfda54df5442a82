"""Every data file the code reads ships in the wheel: each non-Python file of a package folder matches a
package-data pattern of pyproject.toml (an editable install hides a missing one; `pip install .` does not)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
SKIP_SUFFIXES = {".py", ".pyc"}


def test_every_data_file_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    dirs: dict[str, str] = config["package-dir"]
    patterns: dict[str, list[str]] = config["package-data"]
    packages = {}
    for package in config["packages"]:
        top = next(
            p for p in sorted(dirs, key=len, reverse=True) if package == p or package.startswith(p + ".")
        )
        packages[package] = (
            ROOT / dirs[top] / Path(*package[len(top) :].strip(".").split("."))
            if package != top
            else ROOT / dirs[top]
        )
    missing = []
    for package, folder in packages.items():
        for path in folder.rglob("*"):
            if not path.is_file() or path.suffix in SKIP_SUFFIXES or "__pycache__" in path.parts:
                continue
            owner = max(
                (p for p, f in packages.items() if path.is_relative_to(f)),
                key=lambda p: len(str(packages[p])),
            )
            if owner != package:
                continue
            relative = path.relative_to(folder).as_posix()
            if not any(fnmatch.fnmatch(relative, pattern) for pattern in patterns.get(package, [])):
                missing.append(f"{package}: {relative}")
    assert missing == [], "add these to [tool.setuptools.package-data]: " + ", ".join(missing)
