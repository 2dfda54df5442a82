"""The `archassist` command line: a typer app with one module per command group."""

from archassist.agent.cli.root import app, main

__all__ = ["app", "main"]
