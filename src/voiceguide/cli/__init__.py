"""The command line: a thin skin of click over the library (commands, options, progress, views)."""

from .commands import cli, main

__all__ = ["cli", "main"]
