"""The ``cmd:COMMAND`` contestant: any program that prints a Design (YAML or JSON) for a brief.

The command line is split like a shell would split it (quotes group words) but no shell runs it, so a brief
full of quotes and semicolons reaches the program as one argument and nothing else. ``{brief}`` in the command
is replaced by the brief and ``{id}`` by the scenario id; without ``{brief}`` the brief goes to standard input.
The program also finds the id in ``ARCHASSIST_SCENARIO_ID``. A non-zero exit, a timeout or output that is not a
Design is that cell's recorded failure.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archassist.agent.errors import InputError
from archassist.evals.contestants.common import ContestantError, Generation

if TYPE_CHECKING:
    from archassist.agent.model.design import Design
    from archassist.evals.base import Scenario

SPEC_PREFIX = "cmd"
DEFAULT_TIMEOUT_S = 300.0
BRIEF = "{brief}"
SCENARIO_ID = "{id}"
# The last lines of a failing command's stderr that a failure keeps: enough to see the error, not a log.
STDERR_TAIL_CHARS = 300


def _last_words(stderr: str) -> str:
    text = " ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
    return text[-STDERR_TAIL_CHARS:]


class CommandContestant:
    """Runs ``command`` once per scenario and reads a Design from its standard output."""

    concurrent = True

    def __init__(
        self, command: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, name: str | None = None
    ) -> None:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InputError(
                f"contestant {SPEC_PREFIX}:{command}: cannot split the command ({exc}); check its quotes"
            ) from None
        if not argv:
            raise InputError(
                f'contestant {SPEC_PREFIX}: the command is empty; write it after cmd:, e.g. cmd:"my-designer {BRIEF}"'
            )
        if timeout_s <= 0:
            raise InputError(f"the command timeout is {timeout_s:g} s; use a number of seconds above 0")
        if shutil.which(argv[0]) is None:
            raise InputError(
                f"contestant {SPEC_PREFIX}:{command}: {argv[0]!r} is not an executable on PATH; give its full path"
            )
        self.argv = tuple(argv)
        self.command = command
        self.timeout_s = timeout_s
        self.name = name or f"{SPEC_PREFIX}:{command}"

    @property
    def params(self) -> Mapping[str, Any]:
        return {
            "command": self.command,
            "argv": list(self.argv),
            "brief_on": "argument" if any(BRIEF in a for a in self.argv) else "stdin",
            "timeout_s": self.timeout_s,
        }

    def arguments(self, scenario: Scenario) -> tuple[list[str], str | None]:
        """The argv for a scenario and what goes to standard input (None: nothing)."""
        argv = [a.replace(BRIEF, scenario.brief).replace(SCENARIO_ID, scenario.id) for a in self.argv]
        stdin = None if any(BRIEF in a for a in self.argv) else scenario.brief
        return argv, stdin

    def _run(self, scenario: Scenario) -> str:
        argv, stdin = self.arguments(scenario)
        env = {**os.environ, "ARCHASSIST_SCENARIO_ID": scenario.id}
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                start_new_session=True,  # a timeout ends the whole process group, children included
            )
        except OSError as exc:
            raise ContestantError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
        try:
            stdout, stderr = process.communicate(stdin, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._kill(process)
            raise ContestantError(
                f"{argv[0]} printed no design within {self.timeout_s:g} s (timeout)"
            ) from None
        except BaseException:
            self._kill(process)
            raise
        if process.returncode != 0:
            said = _last_words(stderr)
            raise ContestantError(
                f"{argv[0]} exited with {process.returncode}" + (f": {said}" if said else "")
            )
        return stdout

    @staticmethod
    def _kill(process: subprocess.Popen[str]) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.communicate()

    def generate(self, scenario: Scenario) -> Generation:
        from archassist.agent.model.io import loads

        try:
            output = self._run(scenario)
            design = loads(output, f"output of {self.argv[0]} for {scenario.id}").design
        except ContestantError as exc:
            return Generation(None, str(exc))
        except InputError as exc:  # empty, not YAML/JSON, or not a Design
            return Generation(None, str(exc))
        return Generation(design, details={"output_bytes": len(output.encode("utf-8"))})

    def design(self, scenario: Scenario) -> Design:
        generation = self.generate(scenario)
        if generation.design is None:
            raise ContestantError(generation.failure or f"no design for {scenario.id}")
        return generation.design
