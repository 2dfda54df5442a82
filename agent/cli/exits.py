"""How a CLI run ends: every outcome is an exit code and at most one line of our own on stderr.

| code | meaning |
|---|---|
| 0 | success (review: nothing at or above --fail-on) |
| 1 | review findings at or above --fail-on, or a failure the command describes (e.g. Claude failed with --no-fallback) |
| 2 | a usage or input error: one line naming what is wrong, where, and the fix |
| 3 | a bug in archassist: one line asking for a report; the traceback goes to a log file, or to stderr with --debug |
| 130 | interrupted (Ctrl-C) |

Module level imports only what `archassist --help` loads anyway; the crash path imports the rest.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import typer

try:  # typer vendors click since 0.2x; before that it used click itself
    from typer._click import exceptions as _cli_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as _cli_errors  # type: ignore[no-redef]

EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
PROGRAM = "archassist"


@dataclass
class DebugSwitch:
    """Set by the global --debug option (or ARCHASSIST_DEBUG=1): print a bug's traceback on stderr."""

    enabled: bool = False

    def on(self) -> bool:
        return self.enabled or os.environ.get("ARCHASSIST_DEBUG", "") not in ("", "0")


DEBUG = DebugSwitch()


def _say(message: str) -> None:
    typer.echo(f"{PROGRAM}: {message}", err=True)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _usage_error(exc: _cli_errors.UsageError) -> int:
    if isinstance(exc, _cli_errors.NoArgsIsHelpError):
        exc.show()  # a bare group (`archassist`, `archassist memory`) shows its help, as it always did
        return exc.exit_code
    command = exc.ctx.command_path if exc.ctx is not None else PROGRAM
    # typer words a bad choice as "…: Value error, 'pdf' is not one of …"; the prefix tells the user nothing.
    message = _one_line(exc.format_message()).replace(": Value error, ", ": ")
    _say(f"{message} (see `{command} --help`)")
    return EXIT_USAGE


def write_crash_log(exc: BaseException, argv: Sequence[str]) -> str:
    """Write the traceback and the run's context to a new log file; return its path."""
    import platform
    import tempfile
    import time
    import traceback

    from archassist.agent.__about__ import __version__

    fd, path = tempfile.mkstemp(prefix=f"{PROGRAM}-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            f"{PROGRAM} {__version__} · Python {platform.python_version()} · {platform.platform()}\n"
            f"time: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
            f"command: {' '.join([PROGRAM, *argv])}\n\n"
        )
        handle.write("".join(traceback.format_exception(exc)))
    return path


def _bug(exc: Exception, argv: Sequence[str]) -> int:
    summary = _one_line(f"{type(exc).__name__}: {exc}")[:300]
    if DEBUG.on():
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
        _say(f"internal error ({summary}); this is a bug, please report it with the traceback above")
        return EXIT_BUG
    try:
        where = f"with the log {write_crash_log(exc, argv)}"
    except OSError as log_error:
        where = f"(no log written: {log_error.strerror or log_error}; run again with --debug for the traceback)"
    _say(f"internal error ({summary}); this is a bug, please report it {where}")
    return EXIT_BUG


def _stdout_gone() -> int:
    # The reader went away (`| head`): not an error. Point stdout at /dev/null so the final flush is quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> int:
    """Run the typer app and turn every way it can end into an exit code (see the module docstring)."""
    from archassist.agent.cli.lazy import lazy_command
    from archassist.agent.errors import InputError

    args = list(sys.argv[1:] if argv is None else argv)
    command = lazy_command(app)
    try:
        with command.make_context(PROGRAM, args) as ctx:
            command.invoke(ctx)
        return 0
    except typer.Exit as exc:
        return exc.exit_code
    except _cli_errors.UsageError as exc:
        return _usage_error(exc)
    except _cli_errors.ClickException as exc:
        _say(_one_line(exc.format_message()))
        return exc.exit_code
    except typer.Abort:
        _say("aborted")
        return 1
    except InputError as exc:
        _say(_one_line(str(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except EOFError:
        _say("aborted: the input ended")
        return 1
    except BrokenPipeError:
        return _stdout_gone()
    except Exception as exc:
        return _bug(exc, args)
