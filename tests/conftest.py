from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def corpus_root() -> Path:
    """The real-world corpus: $ARCHASSIST_CORPUS when set, else ../shared/corpus beside the checkout.

    Every test that reads the corpus goes through this (or CORPUS), so one variable points them all elsewhere;
    tests whose corpus part is missing skip with the path they looked at.
    """
    configured = os.environ.get("ARCHASSIST_CORPUS")
    return Path(configured).expanduser().resolve() if configured else SHARED / "corpus"


CORPUS = corpus_root()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real memory database or config from a test."""
    home = tmp_path_factory.mktemp("archassist-home")
    monkeypatch.setenv("ARCHASSIST_HOME", str(home))
    monkeypatch.delenv("ARCHASSIST_DB", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def require_external(tool: str, reason: str) -> None:
    """Skip when an outside tool is missing, unless CI asked for every external check to run."""
    if os.environ.get("ARCHASSIST_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"{tool} is required (ARCHASSIST_REQUIRE_EXTERNAL=1) but missing: {reason}")
    pytest.skip(reason)


def which(tool: str) -> str | None:
    return shutil.which(tool)


# What the Anthropic SDK reads from the environment: a developer's shell must not redirect or decorate the
# requests that cassettes replay.
SDK_ENVIRONMENT = ("ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE")


@pytest.fixture
def no_sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
