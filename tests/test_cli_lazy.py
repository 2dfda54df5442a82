"""The command tree built on demand (archassist.agent.cli.lazy) behaves as typer's eager tree: the same help for
every command and group, the same commands, and a run builds only the commands it reaches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
import typer.main
from archassist.agent.cli.exits import run
from archassist.agent.cli.lazy import LazyTyperGroup, lazy_command
from archassist.agent.cli.root import app
from typer.core import TyperGroup

try:
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer
    import click  # type: ignore[no-redef]


def command_paths(command: click.Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(command, TyperGroup):
        ctx = click.Context(command, info_name=prefix[-1] if prefix else "archassist")
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from command_paths(sub, (*prefix, name))


def help_of(root: click.Command, path: tuple[str, ...]) -> str:
    ctx = click.Context(root, info_name="archassist")
    command = root
    for name in path:
        assert isinstance(command, TyperGroup)
        sub = command.get_command(ctx, name)
        assert sub is not None, path
        command = sub
        ctx = click.Context(command, info_name=name, parent=ctx)
    return command.get_help(ctx)


EAGER = typer.main.get_command(app)
PATHS = list(command_paths(EAGER))


def test_the_tree_has_every_command_and_group() -> None:
    assert list(command_paths(lazy_command(app))) == PATHS
    assert len(PATHS) > 20 and ("memory", "add") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "archassist")
def test_help_is_typers_own(path: tuple[str, ...]) -> None:
    assert help_of(lazy_command(app), path) == help_of(EAGER, path)


def built(group: LazyTyperGroup) -> set[str]:
    return set(group.commands._built)


def test_help_builds_no_command() -> None:
    root = lazy_command(app)
    assert isinstance(root, LazyTyperGroup)
    help_of(root, ())
    assert "design" not in built(root) and "review" not in built(root)
    for name in built(root):  # groups are listed from their own (cheap) object, with none of their commands
        group = root.commands._built[name]
        assert isinstance(group, LazyTyperGroup) and not built(group)


def test_resolving_a_command_builds_that_command_only() -> None:
    root = lazy_command(app)
    assert isinstance(root, LazyTyperGroup)
    ctx = click.Context(root, info_name="archassist")
    memory = root.get_command(ctx, "memory")
    assert isinstance(memory, LazyTyperGroup)
    add = memory.get_command(click.Context(memory, info_name="memory", parent=ctx), "add")
    assert add is not None and add.params
    assert built(root) == {"memory"} and built(memory) == {"add"}


def test_unknown_commands_still_get_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(app, ["memroy", "list"]) == 2
    assert "Did you mean 'memory'?" in capsys.readouterr().err


def test_apps_of_other_shapes_get_typers_tree() -> None:
    single = typer.Typer(add_completion=False)

    @single.command()
    def only() -> None:
        """The one command."""

    assert not isinstance(lazy_command(single), TyperGroup)
    with_completion = typer.Typer()

    @with_completion.callback()
    def root() -> None:
        """Root."""

    @with_completion.command()
    def one() -> None:
        """One."""

    assert not isinstance(lazy_command(with_completion), LazyTyperGroup)
