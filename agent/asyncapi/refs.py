"""`$ref` resolution for AsyncAPI documents: local pointers and relative files, never the network.

Every resolved value is carried as a `Node` that remembers where it was written (file and JSON pointer) and
the place in the main document that led to it (its anchor), so findings can point at a line the user can open.
Problems (missing targets, cycles, refs leaving the allowed folder, remote refs) become notes, not errors: one
broken reference must not stop the import of everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from archassist.agent.errors import InputError
from archassist.agent.model.io import escape_pointer_token, limits_in_force, read_document

MAIN = ""  # the file key of the main document
MAX_CHAIN = 64  # a longer chain of refs to refs is treated like a cycle
MAX_FILES = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Node:
    value: Any
    file: str  # MAIN or the resolved path of another file
    pointer: str  # JSON pointer of the value inside its file
    anchor: str  # pointer in the main document where this value (or the ref leading to it) was written

    def child(self, key: str | int) -> Node | None:
        value = self.value
        if isinstance(value, dict):
            if key not in value:
                return None
            found = value[key]
        elif isinstance(value, list) and isinstance(key, int):
            if not 0 <= key < len(value):
                return None
            found = value[key]
        else:
            return None
        pointer = f"{self.pointer}/{escape_pointer_token(key)}"
        return Node(found, self.file, pointer, pointer if self.file == MAIN else self.anchor)

    def get(self, key: str) -> Any:
        return self.value.get(key) if isinstance(self.value, dict) else None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.file, self.pointer)


@dataclass(frozen=True, slots=True)
class RefProblem:
    code: str  # AAPI900 / AAPI901 / AAPI902 / AAPI903
    ref: str
    anchor: str  # main-document pointer where the failing ref was met
    message: str


def unescape_pointer(fragment: str) -> list[str]:
    """The tokens of a URI fragment holding a JSON pointer: percent-decoded first, then ~1 and ~0."""
    text = unquote(fragment)
    if text in ("", "/"):
        return [] if text == "" else [""]
    if not text.startswith("/"):
        raise ValueError(f"'#{fragment}' is not a JSON pointer (it must start with '/')")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


def _walk(value: Any, tokens: list[str], joined: list[str] | None = None) -> tuple[Any, list[str]] | None:
    """Follow pointer tokens; None when a token is missing.

    Some generators write keys that contain '/' without escaping them in refs (`#/components/messages/a/b.c`
    for the key `a/b.c`); when a token is not found, longer joins of the following tokens are tried too.
    """
    current = value
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if isinstance(current, list):
            if not token.isdigit() or int(token) >= len(current):
                return None
            current = current[int(token)]
            out.append(token)
            i += 1
            continue
        if not isinstance(current, dict):
            return None
        if token in current:
            current = current[token]
            out.append(token)
            i += 1
            continue
        for j in range(i + 2, len(tokens) + 1):
            joined_key = "/".join(tokens[i:j])
            if joined_key in current:
                current = current[joined_key]
                out.append(joined_key)
                if joined is not None:
                    joined.append(joined_key)
                i = j
                break
        else:
            return None
    return current, out


@dataclass
class Resolver:
    """Resolves `$ref`s of one main document and the files it reaches below `root`."""

    main: Any
    base_dir: Path
    root: Path
    main_label: str = "<document>"
    files: dict[str, Any] = field(default_factory=dict)
    problems: list[RefProblem] = field(default_factory=list)
    _seen_problems: set[tuple[str, str]] = field(default_factory=set)
    # The referenced files share one budget of values, the loader's limit for one document: a document cannot
    # multiply its cost by referencing many large files.
    _values_left: int = field(default_factory=lambda: limits_in_force().max_nodes)

    def __post_init__(self) -> None:
        self.base_dir = self._real(self.base_dir)
        self.root = self._real(self.root)

    @staticmethod
    def _real(path: Path) -> Path:
        try:
            return path.resolve()
        except (OSError, RuntimeError, ValueError):
            return path.absolute()

    def root_node(self) -> Node:
        return Node(self.main, MAIN, "", "")

    def _problem(self, code: str, ref: str, anchor: str, message: str) -> None:
        key = (code, ref)
        if key in self._seen_problems:
            return
        self._seen_problems.add(key)
        # A finding is one line even when the document's $ref holds a line break or another control character.
        self.problems.append(RefProblem(code, ref, anchor, _CONTROL.sub(lambda m: repr(m.group())[1:-1], message)))

    def _file_dir(self, file: str) -> Path:
        return self.base_dir if file == MAIN else Path(file).parent

    def _document(self, file: str) -> Any:
        return self.main if file == MAIN else self.files[file]

    def deref(self, node: Node | None) -> Node | None:
        """Follow `$ref`s until a value that is not a reference; None (with a note) when that fails."""
        if node is None:
            return None
        seen: set[tuple[str, str]] = set()
        current = node
        while isinstance(current.value, dict) and isinstance(current.value.get("$ref"), str):
            if current.identity in seen or len(seen) >= MAX_CHAIN:
                self._problem(
                    "AAPI902",
                    current.value["$ref"],
                    node.anchor,
                    f"$ref '{current.value['$ref']}'{self._at(current)} leads back to itself; "
                    "the reference chain has no end, so it is not imported",
                )
                return None
            seen.add(current.identity)
            target = self._follow(current)
            if target is None:
                return None
            current = target
        return current

    def _at(self, node: Node) -> str:
        """Where a ref in another file was written; refs in the main document carry their line instead."""
        return "" if node.file == MAIN else f" (in {node.file}#{node.pointer or '/'})"

    def _follow(self, node: Node) -> Node | None:
        ref: str = node.value["$ref"]
        anchor = node.anchor
        try:
            parts = urlsplit(ref)
        except ValueError:
            self._problem("AAPI901", ref, anchor, f"$ref '{ref}'{self._at(node)} is not a valid reference")
            return None
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            self._problem(
                "AAPI900",
                ref,
                anchor,
                f"$ref '{ref}' points at a remote document; archassist never fetches remote references, so "
                "what it describes is not imported",
            )
            return None
        if scheme and scheme != "file" and len(scheme) > 1:  # one letter is a Windows drive, a path
            self._problem(
                "AAPI900", ref, anchor, f"$ref '{ref}' uses the '{scheme}:' scheme, which archassist does not read"
            )
            return None
        path_part, _, fragment = ref.partition("#")
        if scheme == "file":
            path_part = parts.path
        file = node.file
        if path_part:
            loaded = self._load(unquote(path_part), node, ref)
            if loaded is None:
                return None
            file = loaded
        try:
            tokens = unescape_pointer(fragment)
        except ValueError as exc:
            self._problem("AAPI901", ref, anchor, f"$ref '{ref}'{self._at(node)}: {exc}")
            return None
        guessed: list[str] = []
        walked = _walk(self._document(file), tokens, guessed)
        if walked is None:
            where = "this document" if file == node.file else (self.main_label if file == MAIN else file)
            self._problem(
                "AAPI901",
                ref,
                anchor,
                f"$ref '{ref}'{self._at(node)}: nothing at '#{unquote(fragment) or '/'}' in {where}",
            )
            return None
        value, real_tokens = walked
        if guessed:
            fixed = "#" + "".join("/" + escape_pointer_token(t) for t in real_tokens)
            self._problem(
                "AAPI907",
                ref,
                anchor,
                f"$ref '{ref}'{self._at(node)} reaches the key '{guessed[0]}' only by guessing; write it as "
                f"'{fixed}'",
            )
        pointer = "".join("/" + escape_pointer_token(t) for t in real_tokens)
        return Node(value, file, pointer, pointer if file == MAIN else anchor)

    def _load(self, relative: str, node: Node, ref: str) -> str | None:
        anchor = node.anchor
        if "\x00" in relative:
            self._problem(
                "AAPI901", ref, anchor, f"$ref {ref!r}{self._at(node)} names a file with a NUL byte, which no file has"
            )
            return None
        raw = Path(relative)
        candidate = raw if raw.is_absolute() else self._file_dir(node.file) / raw
        target = self._real(candidate)
        if not target.is_relative_to(self.root):
            self._problem(
                "AAPI903",
                ref,
                anchor,
                f"$ref '{ref}'{self._at(node)} leaves the document's folder tree ({self.root}), so it is not "
                f"read; allow it with --ref-root {self._common_root(target)}",
            )
            return None
        key = str(target)
        if key in self.files:
            return key
        if len(self.files) >= MAX_FILES:
            self._problem("AAPI900", ref, anchor, f"more than {MAX_FILES} referenced files; '{ref}' is not read")
            return None
        if self._values_left <= 0:
            self._problem(
                "AAPI900",
                ref,
                anchor,
                f"the referenced files already hold {limits_in_force().max_nodes:,} values, the limit for one "
                f"document; '{ref}' is not read",
            )
            return None
        try:
            parsed = read_document(target, limits=replace(limits_in_force(), max_nodes=self._values_left))
        except InputError as exc:
            self._problem("AAPI901", ref, anchor, f"$ref '{ref}'{self._at(node)} cannot be read: {exc}")
            return None
        self._values_left -= max(1, len(parsed.source.positions))
        self.files[key] = parsed.data
        return key

    def _common_root(self, target: Path) -> Path:
        parts = []
        for mine, theirs in zip(self.root.parts, target.parts, strict=False):
            if mine != theirs:
                break
            parts.append(mine)
        return Path(*parts) if parts else Path(self.root.anchor or "/")
