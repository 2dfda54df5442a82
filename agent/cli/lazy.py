"""The click command tree of the typer app, built one command at a time as a run reaches it.

typer turns every command of an app into a click command before it parses the first argument: it reads each
function's signature and type hints and builds its options, about a millisecond per command, so a run paid for
all thirty-odd commands to use one. Here a group holds its subcommands as recipes and builds a command when the
run resolves it; a group's help lists its commands from their names and help text alone. The commands built are
typer's own (`get_command_from_info`, `get_group_from_info`), so parsing, help and errors are unchanged;
tests/test_cli_lazy.py holds every command's help to what typer's eager tree prints.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

try:  # typer vendors click since 0.2x; before that it used click itself
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer
    import click  # type: ignore[no-redef]


class _Recipes(MutableMapping[str, "click.Command"]):
    """A group's subcommands by name, in the order they were registered; each is built on first access."""

    def __init__(self) -> None:
        self._built: dict[str, click.Command] = {}
        self._recipes: dict[str, tuple[Callable[[], click.Command], Callable[[], click.Command] | None]] = {}

    def add_recipe(
        self, name: str, build: Callable[[], click.Command], outline: Callable[[], click.Command] | None = None
    ) -> None:
        """`build` makes the command; `outline`, when building costs, a parameterless stand-in for help."""
        self._recipes[name] = (build, outline)

    def outline(self, name: str) -> click.Command:
        """The command if it is built (or cheap to build), else its stand-in with its name, help and flags."""
        outline = self._recipes[name][1]
        if name in self._built or outline is None:
            return self[name]
        return outline()

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            if name not in self._recipes:
                raise KeyError(name)
            self._built[name] = self._recipes[name][0]()
        return self._built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._recipes.setdefault(name, (lambda: command, None))
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._recipes.pop(name)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._recipes  # Mapping's would build the command to answer

    def __iter__(self) -> Iterator[str]:
        return iter(self._recipes)

    def __len__(self) -> int:
        return len(self._recipes)


class LazyTyperGroup(TyperGroup):
    """A typer group whose subcommands are built when the run reaches them."""

    commands: _Recipes

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # TyperGroup's reads the items, which would build every command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # TyperGroup.format_commands, reading each row from the outline so that help builds no command.
        rows_of = [(name, self.commands.outline(name)) for name in self.list_commands(ctx)]
        visible = [(name, command) for name, command in rows_of if not command.hidden]
        if not visible:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in visible)
        rows = [(name, command.get_short_help_str(limit)) for name, command in visible]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


_LAZY_CLASSES: dict[type[TyperGroup], type[LazyTyperGroup]] = {}


def _lazy_class(cls: type[TyperGroup] | None) -> type[LazyTyperGroup]:
    """LazyTyperGroup, or a group class of the app's own (e.g. one that parses its arguments first) made lazy:
    the app's methods come first, and its commands are read through the mapping that builds them on demand."""
    if cls is None or cls is TyperGroup:
        return LazyTyperGroup
    if issubclass(cls, LazyTyperGroup):
        return cls
    if cls not in _LAZY_CLASSES:
        _LAZY_CLASSES[cls] = type(cls.__name__, (cls, LazyTyperGroup), {"__doc__": cls.__doc__})
    return _LAZY_CLASSES[cls]


def _command_outline(info: CommandInfo, name: str) -> click.Command:
    help_text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
    return TyperCommand(
        name=name, help=help_text, short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated
    )


def _shallow(group_info: TyperInfo) -> TyperInfo:
    """The group's info with a Typer that has its callback and settings but no commands, for typer to build."""
    assert group_info.typer_instance is not None
    instance = copy.copy(group_info.typer_instance)
    instance.registered_commands = []
    instance.registered_groups = []
    shallow = copy.copy(group_info)
    shallow.typer_instance = instance
    return shallow


def lazy_group(group_info: TyperInfo, *, pretty_exceptions_short: bool, rich_markup_mode: Any,
               suggest_commands: bool) -> TyperGroup:
    """`typer.main.get_group_from_info`, with the subcommands (and their groups, recursively) built lazily."""
    instance = group_info.typer_instance
    assert instance is not None
    settings = {"pretty_exceptions_short": pretty_exceptions_short, "rich_markup_mode": rich_markup_mode}
    sub_names = [typer.main.solve_typer_info_defaults(sub).name for sub in instance.registered_groups]
    if not all(sub_names):
        # A group added without a name merges its commands into this one: left to typer.
        return typer.main.get_group_from_info(group_info, suggest_commands=suggest_commands, **settings)
    shell = _shallow(group_info)
    shell.cls = _lazy_class(typer.main.solve_typer_info_defaults(group_info).cls)
    group = typer.main.get_group_from_info(shell, suggest_commands=suggest_commands, **settings)
    assert isinstance(group, LazyTyperGroup)
    recipes = _Recipes()
    for info in instance.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)

        def build(info: CommandInfo = info) -> click.Command:
            return typer.main.get_command_from_info(info, **settings)

        def outline(info: CommandInfo = info, name: str = name) -> click.Command:
            return _command_outline(info, name)

        recipes.add_recipe(name, build, outline)
    for sub, sub_name in zip(instance.registered_groups, sub_names, strict=True):

        def build_group(sub: TyperInfo = sub) -> click.Command:
            return lazy_group(sub, suggest_commands=suggest_commands, **settings)

        recipes.add_recipe(str(sub_name), build_group)  # cheap: a lazy group builds none of its commands yet
    group.commands = recipes
    return group


def lazy_command(app: typer.Typer) -> click.Command:
    """`typer.main.get_command(app)` with subcommands built on demand (the eager call for any other app shape)."""
    if app._add_completion or not (app.registered_callback or app.info.callback or app.registered_groups):
        return typer.main.get_command(app)
    return lazy_group(
        TyperInfo(app),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
        suggest_commands=app.suggest_commands,
    )
