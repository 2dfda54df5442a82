"""What the CLI does at start-up to stay fast keeps pydantic's behaviour: with plugins turned off, validators are
built without importing importlib.metadata; with plugins asked for, pydantic's own loader runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BUILD_A_VALIDATOR = (
    "import sys\n"
    "import archassist.agent.cli.root\n"
    "from archassist.agent.model.design import Design\n"
    "Design.model_validate({'name': 'orders'})\n"
    "from pydantic.plugin import _loader\n"
    "print('importlib.metadata' in sys.modules, list(_loader.get_plugins()))\n"
)


def run(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = env_value
    done = subprocess.run(
        [sys.executable, "-c", BUILD_A_VALIDATOR], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("env_value", [None, "__all__", "true"])
def test_plugins_off_builds_validators_without_the_metadata_scan(env_value: str | None) -> None:
    assert run(env_value) == "False []"


def test_plugins_asked_for_keep_pydantics_loader() -> None:
    # Naming one plugin to disable leaves the others on, so pydantic's loader (and its scan) must run.
    assert run("some-plugin") == "True []"


def test_anything_else_of_the_private_loader_comes_from_pydantics_own_module() -> None:
    # A later pydantic may read more from its loader than get_plugins: that must still work, from the real module.
    code = (
        "import archassist.agent.cli.root\n"
        "from pydantic.plugin import _loader\n"
        "print(callable(_loader.get_plugins), hasattr(_loader, 'entry_points'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True True"


def test_the_planner_does_not_load_the_rule_machinery() -> None:
    # Designing offline reads word lists the rules share, never the rules, their index or the capacity model:
    # loading those would cost every `archassist design` about 20 ms before the first rule runs.
    code = (
        "import sys\n"
        "from archassist.agent.planner.compose import plan\n"
        "plan('order fulfillment across payments, inventory, and shipping')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('archassist.agent.rules.', 'archassist.agent.capacity.'))"
        " and m.rsplit('.', 1)[-1] not in ('words', 'verb_forms', 'sizing')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
