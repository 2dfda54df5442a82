"""Errors a user can cause. Kept free of heavy imports so every entry point can catch them cheaply."""


class InputError(Exception):
    """Bad input a user can fix. The message is one line: what is wrong, where, and how to fix it."""
