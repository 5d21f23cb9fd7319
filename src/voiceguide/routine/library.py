"""Where routine ids are looked up: the article's routines inside the package, then the user's.

The four routines ship as package data (``voiceguide/routines/*.yaml``), so
``voiceguide list`` and ``voiceguide build classic`` work from any folder.
The user's own folder adds to them: ``--routines DIR``, else
``$VOICEGUIDE_ROUTINES``, else a ``routines/`` folder in the working
directory. A name in both is the user's file (it wins, and ``list`` says so).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError

SUFFIXES = (".yaml", ".yml")
ENV_VAR = "VOICEGUIDE_ROUTINES"


def builtin_dir() -> Path:
    """The routines shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "routines"  # package data, beside the code


def user_dir(given: Path | None = None) -> Path | None:
    """The user's own folder: ``--routines``, else ``$VOICEGUIDE_ROUTINES``, else ``./routines``."""
    if given is not None:
        return given
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    local = Path("routines")
    return local if local.is_dir() else None


class Entry(NamedTuple):
    """One routine id and the file it names; ``replaces`` is the built-in file it hides."""

    id: str
    path: Path
    builtin: bool
    replaces: Path | None = None


def files_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def catalogue(given: Path | None = None) -> dict[str, Entry]:
    """Every routine by id: the built-in ones, then the user's, which win on a shared name."""
    found: dict[str, Entry] = {p.stem: Entry(p.stem, p, True) for p in files_in(builtin_dir())}
    mine = user_dir(given)
    if mine is not None and _same(mine, builtin_dir()):
        mine = None
    for path in files_in(mine) if mine is not None else []:
        before = found.get(path.stem)
        found[path.stem] = Entry(path.stem, path, False, before.path if before else None)
    return dict(sorted(found.items()))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def find_routine(name: str, given: Path | None = None) -> Path:
    """ROUTINE is a path to a YAML file, or the id of a built-in or the user's routine: the
    one way every command (list, script, build, check) finds a routine."""
    as_path = Path(name)
    if as_path.suffix in SUFFIXES or "/" in name or as_path.is_file():
        if not as_path.is_file():
            raise InputError(f"{name}: no such routine file")
        return as_path
    known = catalogue(given)
    if name in known:
        return known[name].path
    import difflib

    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    raise InputError(
        f'no routine "{name}"{hint} (routines: {", ".join(known) or "none"}; see '
        "`voiceguide list`); or give a path to a .yaml file"
    )
