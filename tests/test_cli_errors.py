"""How the CLI ends: usage errors in one line (2), bugs in one line with a log (3), Ctrl-C in one line (130),
and `explain` for every code a review prints."""

from __future__ import annotations

import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from archassist.agent.cli.exits import DEBUG, EXIT_BUG, EXIT_INTERRUPTED, run
from archassist.agent.cli.root import app

FIXTURES = Path(__file__).parent / "fixtures" / "review"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def _debug_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DEBUG, "enabled", False)
    monkeypatch.delenv("ARCHASSIST_DEBUG", raising=False)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["design", "x", "--format", "pdf"], "'pdf' is not one of 'markdown', 'json', 'yaml', 'report', 'mermaid'"),
        (["design"], "Missing argument"),
        (["nosuch"], "No such command 'nosuch'"),
        (["review", str(FIXTURES / "clean.yaml"), "--bogus"], "No such option: --bogus"),
        (["review", str(FIXTURES / "clean.yaml"), "--select"], "requires an argument"),
        (["rules", "--group", "sagaz"], "unknown rule group 'sagaz'; did you mean sagas?"),
    ],
)
def test_usage_errors_are_one_line_and_exit_two(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("archassist: ") and expected in err
    assert "Usage:" not in err and "Traceback" not in err


def test_a_usage_error_points_at_the_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = cli(capsys, "design", "x", "--format", "pdf")
    assert err.rstrip().endswith("(see `archassist design --help`)")


def test_a_bare_group_still_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys)
    assert code == 2 and "Usage:" in err and "design" in err


def test_help_and_version_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and "--debug" in out
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.startswith("archassist ")


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the planner fell over\nsecond line")


def test_a_bug_is_one_line_exit_three_and_a_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import archassist.agent.modes.review as review_mode

    monkeypatch.setattr(review_mode, "review_paths", _crash)
    code, out, err = cli(capsys, "review", str(FIXTURES / "clean.yaml"))
    assert code == EXIT_BUG == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (RuntimeError: the planner fell over second line); this is a bug" in err
    match = re.search(r"with the log (\S+\.log)$", err.strip())
    assert match, err
    log = Path(match.group(1))
    try:
        text = log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text and "RuntimeError: the planner fell over" in text
        assert f"command: archassist review {FIXTURES / 'clean.yaml'}" in text
    finally:
        log.unlink()


def test_debug_prints_the_traceback_instead(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import archassist.agent.modes.review as review_mode

    monkeypatch.setattr(review_mode, "review_paths", _crash)
    code, _, err = cli(capsys, "--debug", "review", str(FIXTURES / "clean.yaml"))
    assert code == 3
    assert err.startswith("Traceback (most recent call last)") and "RuntimeError: the planner fell over" in err
    assert err.strip().splitlines()[-1].endswith("this is a bug, please report it with the traceback above")


def test_no_log_written_still_ends_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import archassist.agent.cli.exits as exits
    import archassist.agent.modes.review as review_mode

    def no_log(exc: BaseException, argv: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(review_mode, "review_paths", _crash)
    monkeypatch.setattr(exits, "write_crash_log", no_log)
    code, _, err = cli(capsys, "review", str(FIXTURES / "clean.yaml"))
    assert code == 3 and err.count("\n") == 1 and "no log written: No space left on device" in err


def test_interrupt_in_process_is_one_line_and_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import archassist.agent.modes.review as review_mode

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(review_mode, "review_paths", interrupted)
    code, out, err = cli(capsys, "review", str(FIXTURES / "clean.yaml"))
    assert (code, out, err) == (EXIT_INTERRUPTED, "", "archassist: interrupted\n")


def _read_syscall() -> str | None:
    return {"x86_64": "0", "aarch64": "63"}.get(platform.machine())


def _blocked_reading_stdin(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return len(fields) > 1 and fields[0] == _read_syscall() and fields[1] == "0x0"


@pytest.mark.skipif(
    not Path("/proc/self/syscall").exists() or _read_syscall() is None, reason="needs Linux /proc/PID/syscall"
)
def test_ctrl_c_during_a_running_review_is_one_line_and_130(tmp_path: Path) -> None:
    """A real SIGINT to a review in progress (blocked reading the design from stdin)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "archassist.agent.cli", "review", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while not _blocked_reading_stdin(process.pid):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the review never started reading stdin"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert (out, err) == (b"", b"archassist: interrupted\n")


# ---- explain knows every code review prints ----------------------------------------------------------------------


def test_explain_knows_eda000_and_every_asyncapi_code(capsys: pytest.CaptureFixture[str]) -> None:
    from archassist.agent.asyncapi.codes import CODES

    code, out, _ = cli(capsys, "explain", "EDA000")
    assert code == 0 and out.startswith("EDA000 unreadable-file (error, input)")
    for known in CODES.values():
        code, out, err = cli(capsys, "explain", known.code.lower())
        assert code == 0, err
        assert out.startswith(f"{known.code} {known.name} ({known.severity}, asyncapi")
        assert known.title in out.replace("\n", " ") and "Why:" in out and "Anti-pattern:" in out
    assert cli(capsys, "explain", "consumer-idempotency")[1].startswith("AAPI104 ")


def test_explain_an_unknown_code_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "explain", "AAPI10")[2] == "archassist: unknown rule code 'AAPI10'; did you mean AAPI110?\n"
    assert cli(capsys, "explain", "EDA4O4")[2] == "archassist: unknown rule code 'EDA4O4'; did you mean EDA404?\n"


def test_every_code_a_review_can_print_is_explained() -> None:
    from archassist.agent.modes.review import outside_codes
    from archassist.agent.modes.review_codes import describe_code
    from archassist.agent.rules import registry

    for code in [r.code for r in registry()] + list(outside_codes()):
        found = describe_code(code)
        assert found is not None and found.code == code and found.why and found.fix and found.anti_pattern


def test_the_mcp_explain_rule_tool_knows_the_same_codes() -> None:
    pytest.importorskip("mcp")
    from archassist.agent.errors import InputError
    from archassist.tools.rule_tools import explain

    out = explain("AAPI104")
    assert out.code == "AAPI104" and out.severity == "info" and out.markdown.startswith("# AAPI104 `consumer-idempotency`")
    assert explain("EDA000").name == "unreadable-file"
    with pytest.raises(InputError, match="did you mean EDA401"):
        explain("EDA4O1")


def test_design_help_states_the_real_memory_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "design", "--help")
    words = " ".join(out.split())
    assert code == 0 and "$ARCHASSIST_DB, else $ARCHASSIST_HOME/memory.db, else memory.db in the user data folder" in words


def test_a_bad_choice_reads_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = cli(capsys, "design", "x", "--format", "pdf")
    assert err.startswith("archassist: Invalid value for '--format' / '-f': 'pdf' is not one of") and "Value error" not in err
