"""Writing output files without damaging what is there. Standard library only, so every command can use it.

- a symlink is written through: its target gets the new content and the link stays a link;
- an existing regular file keeps its permission bits (and, when we may, its owner); a new file gets the usual
  0666 less the umask, as any editor or shell redirection would create it;
- a regular file is replaced atomically (temp file in the same folder, fsync, rename), so readers see the old
  content or the new, never half of it; a file with several hard links is rewritten in place instead, because a
  rename would silently cut it off from its other names;
- directories, devices, FIFOs and sockets are refused; every OS error is one line naming the path and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from archassist.agent.errors import InputError

_NEW_FILE_MODE = 0o666  # the kernel takes the umask off, as for `>` in a shell


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _os_error_message(path: str | Path, exc: OSError) -> str:
    """One line for an OS error while writing path: what happened and what to do."""
    reason = exc.strerror or str(exc)
    hints = {
        errno.ENOENT: "create the folder first or choose another path",
        errno.ENOTDIR: "a part of the path is not a folder; choose another path",
        errno.EACCES: "choose a writable location or fix the permissions",
        errno.EPERM: "choose a writable location or fix the permissions",
        errno.EROFS: "the file system is read-only; write somewhere else",
        errno.ENOSPC: "the disk is full; free some space or write somewhere else",
        errno.EDQUOT: "the disk quota is exhausted; free some space or write somewhere else",
        errno.EISDIR: "give a file name, not a folder",
        errno.ENAMETOOLONG: "choose a shorter name",
    }
    hint = hints.get(exc.errno or 0, "check the path and try again")
    return f"{path}: cannot write the file ({reason}); {hint}"


def refuse_special(path: str | Path) -> None:
    """Raise InputError when path (through symlinks) is a directory, device, FIFO or socket."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(_os_error_message(path, exc)) from None
    kind = _kind(info.st_mode)
    if kind == "a directory":
        raise InputError(f"{path}: is a directory; give a file name inside it")
    if kind is not None:
        raise InputError(f"{path}: is {kind}, not a regular file; write to a file, or use - for stdout")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, exclusively created temp file beside the target (same file system, so the rename is atomic)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        candidate = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(candidate, flags, _NEW_FILE_MODE), candidate
        except FileExistsError:
            continue


def _keep_metadata(fd: int, existing: os.stat_result) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))
    if hasattr(os, "fchown") and (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        # Only root may give a file away; anyone else still writes the content, owned by themselves.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, existing.st_uid, existing.st_gid)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename itself already happened
    finally:
        os.close(fd)


def _replace_atomically(target: Path, data: bytes, existing: os.stat_result | None) -> None:
    fd, tmp = _create_temp(target.parent, target.name)
    try:
        try:
            if existing is not None:
                _keep_metadata(fd, existing)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _rewrite_in_place(target: Path, data: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_safely(path: str | Path, data: bytes) -> None:
    """Write data to path without damaging what is there (see the module docstring); errors are InputError."""
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise InputError(_os_error_message(path, exc)) from None
    if existing is not None:
        refuse_special(target)
    elif not target.parent.is_dir():
        raise InputError(f"{path}: folder {target.parent} does not exist; create it first or choose another path")
    try:
        if existing is not None and existing.st_nlink > 1:
            _rewrite_in_place(target, data)
        else:
            try:
                _replace_atomically(target, data, existing)
            except PermissionError:
                # A writable file in a folder we may not create files in: rewrite it rather than fail.
                if existing is None or not os.access(target, os.W_OK):
                    raise
                _rewrite_in_place(target, data)
    except OSError as exc:
        raise InputError(_os_error_message(path, exc)) from None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text with Unix newlines to path without damaging what is there (see the module docstring)."""
    write_bytes_safely(path, text.encode("utf-8"))
