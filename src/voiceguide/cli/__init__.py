"""The command line: a thin skin of click over the library (commands, options, progress, views).

Nothing is imported here until it is asked for: the installed ``voiceguide``
script starts in ``voiceguide.entry`` (Ctrl-C handled from its first line),
which loads the commands.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cli", "main"]


def main() -> None:
    from ..entry import main as entry_main

    entry_main()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from .commands import cli

        return cli
    raise AttributeError(name)
