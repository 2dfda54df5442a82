"""The MCP bundle (``.mcpb``) for Claude Desktop: staging its folder, and drawing its icon.

The bundle uses the ``uv`` server type: it carries archassist itself as a pure-Python wheel and a
``pyproject.toml`` that declares it, and Claude Desktop's uv installs the dependencies (pydantic-core and the
other native modules among them) for the machine it runs on. One bundle therefore serves macOS, Windows and
Linux, as its manifest says.

    python -m archassist.tools.bundle build/mcpb        # stage the bundle folder (from a checkout)
    npx @anthropic-ai/mcpb pack build/mcpb archassist.mcpb
    python -m archassist.tools.bundle --icon            # redraw tools/mcpb/icon.png
"""

from __future__ import annotations

import itertools
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from archassist.agent.__about__ import __version__
from archassist.agent.errors import InputError

MCPB_DIR = Path(__file__).resolve().parent / "mcpb"
ICON = MCPB_DIR / "icon.png"
CHECKOUT = Path(__file__).resolve().parents[1]
STAGED_FILES = ("manifest.json", "icon.png", ".mcpbignore", "server/main.py")
ICON_SIZE = 512


def bundle_pyproject(wheel_name: str, version: str = __version__) -> str:
    """The bundle's own project: archassist from the bundled wheel, every other dependency from the index."""
    return (
        "[project]\n"
        'name = "archassist-mcpb"\n'
        f'version = "{version}"\n'
        'description = "archassist as an MCP bundle for Claude Desktop"\n'
        'requires-python = ">=3.11"\n'
        f'dependencies = ["archassist=={version}"]\n'
        "\n"
        "[tool.uv]\n"
        "package = false\n"
        "\n"
        "[tool.uv.sources]\n"
        f'archassist = {{ path = "wheels/{wheel_name}" }}\n'
    )


def build_wheel(target: Path, source: Path = CHECKOUT) -> Path:
    """archassist's wheel, built from a checkout into ``target``."""
    if not (source / "pyproject.toml").is_file():
        raise InputError(f"{source} is not a checkout of archassist; build the bundle from a clone of the repository")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(target),
         str(source)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise InputError(f"building the archassist wheel failed: {' '.join(done.stderr.split())[-400:]}")
    [wheel] = sorted(target.glob(f"archassist-{__version__}-*.whl"))
    return wheel


def stage(target: Path, wheel: Path | None = None) -> Path:
    """The bundle folder at ``target``, ready for ``mcpb pack``: the manifest, icon and entry point, the wheel
    (built from the checkout unless given) and the project that declares it."""
    if target.exists() and any(target.iterdir()):
        raise InputError(f"{target} is not empty; give a new folder to stage the bundle in")
    for name in STAGED_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MCPB_DIR / name, target / name)
    wheels = target / "wheels"
    if wheel is None:
        wheel = build_wheel(wheels)
    else:
        wheels.mkdir(exist_ok=True)
        shutil.copyfile(wheel, wheels / wheel.name)
    (target / "pyproject.toml").write_text(bundle_pyproject(wheel.name), encoding="utf-8")
    return target


# ---- the icon ----------------------------------------------------------------------------------------------------

# Three services as nodes on an event stream, in the colours of a dark tile.
_TILE = (24, 44, 84)
_STREAM = (120, 200, 255)
_NODE = (255, 196, 61)
_NODES = ((0.25, 0.62), (0.5, 0.38), (0.75, 0.62))


def _pixel(x: float, y: float) -> tuple[int, int, int, int]:
    corner = 0.18  # the tile's rounded corners
    dx, dy = max(corner - x, 0.0, x - (1 - corner)), max(corner - y, 0.0, y - (1 - corner))
    if dx * dx + dy * dy > corner * corner:
        return (0, 0, 0, 0)
    for cx, cy in _NODES:
        if (x - cx) ** 2 + (y - cy) ** 2 <= 0.085**2:
            return (*_NODE, 255)
    for (ax, ay), (bx, by) in itertools.pairwise(_NODES):
        t = max(0.0, min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
        if (x - ax - t * (bx - ax)) ** 2 + (y - ay - t * (by - ay)) ** 2 <= 0.022**2:
            return (*_STREAM, 255)
    if abs(y - 0.82) <= 0.018 and 0.2 <= x <= 0.8:  # the log every service appends to
        return (*_STREAM, 255)
    return (*_TILE, 255)


def draw_icon(size: int = ICON_SIZE) -> bytes:
    """The bundle's icon as PNG bytes (RGBA), drawn without an imaging library."""
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # PNG filter type: none
        for i in range(size):
            rows.extend(_pixel((i + 0.5) / size, (j + 0.5) / size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--icon"]:
        ICON.write_bytes(draw_icon())
        print(f"wrote {ICON}", file=sys.stderr)
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m archassist.tools.bundle FOLDER | --icon", file=sys.stderr)
        return 2
    try:
        folder = stage(Path(args[0]))
    except InputError as exc:
        print(f"archassist: {exc}", file=sys.stderr)
        return 2
    print(f"staged the bundle in {folder}; pack it with: npx @anthropic-ai/mcpb pack {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
