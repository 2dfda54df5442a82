"""The memory database: where it lives, how it is opened, and how every failure becomes one clear line.

Opening never writes to a file that is not a healthy archassist memory: SQLite reads the file first (and only
when it fails is the header examined, to say what the damage is), a foreign or newer database is refused before
any migration, and a file marked read-only is
opened through a ``mode=ro`` URI (honouring the permission bits even for root, who could write anyway).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError

if TYPE_CHECKING:
    from sqlite_utils import Database

DB_FILENAME = "memory.db"
BUSY_TIMEOUT_S = 5.0
_SQLITE_MAGIC = b"SQLite format 3\x00"


class MemoryStoreError(InputError):
    """The memory database cannot be used as asked; the message says why and what to do."""


class ReadOnlyDatabaseError(MemoryStoreError):
    pass


class CorruptDatabaseError(MemoryStoreError):
    pass


class NewerDatabaseError(MemoryStoreError):
    pass


class ForeignDatabaseError(MemoryStoreError):
    pass


class DatabaseBusyError(MemoryStoreError):
    pass


def default_home() -> Path:
    home = os.environ.get("ARCHASSIST_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("archassist", appauthor=False))


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The database path and whether it was chosen explicitly.

    Precedence: ``--db`` > ``ARCHASSIST_DB`` > ``$ARCHASSIST_HOME/memory.db`` > the platform's user data dir.
    Only the implicit home location gets its folder created; an explicit path must name an existing folder.
    """
    if db is not None and str(db) != "":
        return Path(db).expanduser(), True
    env = os.environ.get("ARCHASSIST_DB")
    if env:
        return Path(env).expanduser(), True
    return default_home() / DB_FILENAME, False


def _writable(path: Path) -> bool:
    """Writable by us and not marked read-only: root ignores permission bits, but a 0444 file is a statement."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(path, os.W_OK)


def describe_damage(path: Path) -> str | None:
    """What is wrong with the file's SQLite header, or None if the header looks sound.

    Only called after SQLite itself has failed on the file: a check before opening would race with other
    connections' checkpoints (the file and its ``-wal`` change between two stats) and raise false alarms.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError:
        return None
    if size == 0:
        return None
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "not an SQLite database (some other kind of file, or its first page is overwritten)"
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"damaged SQLite header (page size {page_size})"
    (change_counter, page_count) = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if size % page_size != 0 or (valid_for == change_counter and size < page_count * page_size):
        return f"the file is truncated ({size} bytes, its header expects {max(page_count * page_size, size)})"
    return None


def translate_error(exc: sqlite3.Error, path: Path | str) -> MemoryStoreError | None:
    """The user-facing error for an SQLite failure a user can cause, or None for a bug."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(
            f"{path}: the database stayed locked by another process for {BUSY_TIMEOUT_S:.0f} s; try again"
        )
    if "readonly" in text or "read-only" in text:
        return ReadOnlyDatabaseError(
            f"{path}: the database is read-only; make it writable or use --db to choose another file"
        )
    if "not a database" in text or "malformed" in text or "disk image" in text or "corrupt" in text:
        damage = describe_damage(Path(path)) or f"the database is corrupt ({exc})"
        return CorruptDatabaseError(
            f"{path}: {damage}; restore it from a backup (archassist memory backup makes one) "
            "or point --db at another file"
        )
    if "unable to open" in text or "cannot open" in text:
        return MemoryStoreError(f"{path}: cannot open the database ({exc}); check the path and its folder")
    if "disk i/o" in text or "full" in text:
        return MemoryStoreError(f"{path}: cannot write the database ({exc}); check free space and the disk")
    return None


@contextlib.contextmanager
def sqlite_errors(path: Path | str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        mapped = translate_error(exc, path)
        if mapped is None:
            raise
        raise mapped from None


class MemoryStore:
    """An open memory database. Use as a context manager, or call :meth:`close`.

    ``readonly`` stores never write; a missing database opened read-only reads as empty and is not created.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection | None, *, readonly: bool) -> None:
        self.path = path
        self._conn = conn
        self.readonly = readonly
        self._db: Database | None = None

    @property
    def exists(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MemoryStoreError(f"{self.path}: no memory database here yet; record a design or add a decision")
        return self._conn

    @property
    def db(self) -> Database:
        """The sqlite-utils view of the connection, imported only when a write needs it."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        if self._conn is None:
            return []
        with sqlite_errors(self.path):
            return list(self._conn.execute(sql, params))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE so concurrent writers queue on the busy timeout
        instead of failing when a read lock cannot be upgraded."""
        if self.readonly:
            raise RuntimeError("write on a memory store opened read-only")
        conn = self.conn
        with sqlite_errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._db = None

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _connect(path: Path, *, readonly: bool, immutable: bool = False) -> sqlite3.Connection:
    if readonly:
        uri = path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA cache_size=-16000")  # 16 MB: recall touches FTS pages scattered over the file
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fail here, not in the first query
    except BaseException:
        conn.close()
        raise
    return conn


def open_store(db: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> MemoryStore:
    """Open (and for writing, create and migrate) the memory database.

    ``readonly=True`` is for commands that only read: a missing file is an empty memory, a read-only file is
    fine. Without it, a read-only, corrupt, foreign or newer database raises a :class:`MemoryStoreError`.
    """
    from archassist.agent.memory import migrations

    path, explicit = resolve_db_path(db)
    if path.is_dir():
        raise MemoryStoreError(f"{path}: is a directory; give a database file name, e.g. {path / DB_FILENAME}")
    if not path.exists():
        if readonly:
            return MemoryStore(path, None, readonly=True)
        parent = path.parent
        if not parent.is_dir():
            if explicit:
                raise MemoryStoreError(f"{path}: folder {parent} does not exist; create it first or choose another --db")
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise MemoryStoreError(f"{parent}: cannot create the memory folder ({exc.strerror or exc})") from None
        if not _writable(parent):
            raise ReadOnlyDatabaseError(f"{path}: folder {parent} is read-only; choose a writable --db")
    writable = not path.exists() or (_writable(path) and _writable(path.parent))
    if not readonly and not writable:
        raise ReadOnlyDatabaseError(
            f"{path}: the database (or its folder) is read-only; make it writable or use --db to choose another file"
        )
    with sqlite_errors(path):
        if readonly:
            return _open_for_reading(path, writable)
        conn = _connect(path, readonly=False)
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                migrations.check_compatible(conn, path)  # never switch the journal of a file we must refuse
                conn.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL survives any process crash; only an OS crash can lose the last commit.
            conn.execute("PRAGMA synchronous=NORMAL")
            migrations.migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return MemoryStore(path, conn, readonly=False)


def _open_for_reading(path: Path, writable: bool) -> MemoryStore:
    from archassist.agent.memory import migrations

    if path.stat().st_size == 0:
        return MemoryStore(path, None, readonly=True)
    if writable:
        probe = _connect(path, readonly=True)
        try:
            pending = migrations.check_compatible(probe, path)
        finally:
            probe.close()
        if pending:  # an older database: upgrade it once through a writing connection
            open_store(path).close()
    try:
        conn = _connect(path, readonly=True)
    except sqlite3.OperationalError:
        if _writable(path.parent):
            raise
        # A WAL database in a read-only folder cannot get its -shm file; nobody can write it there either, so
        # reading it as immutable is safe (and only then: immutable ignores other writers' locks).
        conn = _connect(path, readonly=True, immutable=True)
    try:
        if migrations.check_compatible(conn, path):
            raise ReadOnlyDatabaseError(
                f"{path}: the database was made by an older archassist and needs an upgrade, but it is read-only; "
                "make it writable once so archassist can upgrade it"
            )
    except BaseException:
        conn.close()
        raise
    return MemoryStore(path, conn, readonly=True)


# A backup is written to `.NAME.<pid>.tmp` beside its target; older versions used `.NAME.<random>.tmp`.
_STALE_AFTER_S = 60.0


def _temp_pattern(dest: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(dest.name)}\.([A-Za-z0-9_]+)\.tmp(?:-journal|-wal|-shm)?$")


def _held_by_someone(path: Path) -> bool:
    """Whether a live backup holds this temp file: writers keep an exclusive flock on it while they work."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock here: age alone decides
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return path.exists()  # gone: nobody holds it; there but unreadable: leave it alone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the probe lock
    return False


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_backup_temps(dest: Path, *, now: float | None = None) -> list[Path]:
    """Remove what killed backups to ``dest`` left behind, and only that: our own temp names (and their SQLite
    sidecars), never one a live process holds. A temp named after a process id is stale once that process is
    gone; an older, randomly named one once it is a minute old (no one writes to it any more)."""
    import time

    pattern = _temp_pattern(dest)
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = sorted(dest.parent.iterdir(), key=lambda p: p.name.endswith(".tmp"))  # sidecars first
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if not match:
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        tag = match.group(1)
        if tag.isdigit() and int(tag) != os.getpid():
            if _process_alive(int(tag)):
                continue
        elif now - info.st_mtime < _STALE_AFTER_S:
            continue
        owner = entry if entry.name.endswith(".tmp") else Path(str(entry).rsplit(".tmp", 1)[0] + ".tmp")
        if _held_by_someone(owner):
            continue
        with contextlib.suppress(OSError):
            entry.unlink()
            removed.append(entry)
    return removed


def backup(store: MemoryStore, target: str | os.PathLike[str]) -> Path:
    """Copy the database with ``VACUUM INTO`` (a consistent snapshot while others write, and no journal file)
    into one temporary file next to the target, then rename it into place so the target is never half-written.

    The temporary file is locked while it is written; leftovers of killed runs are removed first, so a kill
    leaves at most one temporary file behind and the next run clears it.
    """
    dest = Path(target).expanduser()
    if dest.is_dir():
        raise MemoryStoreError(f"{dest}: is a directory; give a file name for the backup")
    if not dest.parent.is_dir():
        raise MemoryStoreError(f"{dest}: folder {dest.parent} does not exist; create it first")
    if dest.exists() and dest.resolve() == store.path.resolve():
        raise MemoryStoreError(f"{dest}: is the database itself; choose another file for the backup")
    source = store.conn
    remove_stale_backup_temps(dest)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    except PermissionError:
        raise MemoryStoreError(f"{dest}: permission denied; choose a writable location") from None
    except OSError as exc:
        raise MemoryStoreError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from None
    try:
        with contextlib.suppress(ImportError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        with sqlite_errors(store.path):
            source.execute("VACUUM INTO ?", (str(tmp),))
        os.fsync(fd)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return dest
