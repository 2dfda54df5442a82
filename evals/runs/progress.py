"""The run's progress bar: rich on stderr while a person watches, nothing when stderr is not a terminal (CI, a
pipe, a log file) or with ``--quiet``, so machine-read output never holds control characters."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class Reporter(Protocol):
    """What the run tells about its progress: how many cells, each one done, a word on what it waits for."""

    def start(self, total: int) -> None: ...

    def advance(self, what: str) -> None: ...

    def status(self, text: str) -> None: ...

    def close(self) -> None: ...


class SilentReporter:
    def start(self, total: int) -> None:
        pass

    def advance(self, what: str) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class BarReporter:
    """A rich progress bar: cells done of all, elapsed and remaining time, the contestant last heard from."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console

        self.console = Console(file=stream, force_terminal=True)
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]eval run[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def advance(self, what: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=what)

    def status(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def wants_bar(stream: IO[str], *, quiet: bool) -> bool:
    if quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def reporter_for(stream: IO[str], *, quiet: bool = False) -> Reporter:
    """A bar on a terminal, silence anywhere else or when asked for quiet."""
    return BarReporter(stream) if wants_bar(stream, quiet=quiet) else SilentReporter()
