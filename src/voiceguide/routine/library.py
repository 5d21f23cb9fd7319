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

from ..errors import InputError, given_as

SUFFIXES = (".yaml", ".yml")
ENV_VAR = "VOICEGUIDE_ROUTINES"
LANGUAGE_VAR = "VOICEGUIDE_LANGUAGE"
# A routine's translations sit beside it in a folder named by the language: routines/ru/classic.yaml.


def builtin_dir() -> Path:
    """The routines shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "routines"  # package data, beside the code


def user_dir(given: Path | None = None) -> Path | None:
    """The user's own folder: ``--routines``, else ``$VOICEGUIDE_ROUTINES``, else ``./routines``.

    A folder named by the option or the variable must be there: a mistyped one would list no
    routine of yours, silently. The error names the one the user set.
    """
    if given is not None:
        return _a_folder(given, given_as(str(given), option="--routines"))
    env = os.environ.get(ENV_VAR)
    if env:
        return _a_folder(Path(env), given_as(env, variable=ENV_VAR))
    local = Path("routines")
    return local if local.is_dir() else None


def _a_folder(path: Path, named: str) -> Path:
    if not path.is_dir():
        raise InputError(f"{named}: not a folder; give the folder that holds your routine files")
    return path


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


def language_asked(given: str | None) -> str | None:
    """``--language``, else ``$VOICEGUIDE_LANGUAGE`` (read here only, so the error names the
    one the user set); checked against the catalogues (an unknown one is an ``InputError``
    naming those there are). None: English, the files' own."""
    variable = None if given is not None else LANGUAGE_VAR
    asked = given if given is not None else (os.environ.get(LANGUAGE_VAR) or None)
    if asked is None:
        return None
    from .. import languages

    found = languages.catalogue_tag(asked) if languages.TAG.match(asked) else None
    if found is None:
        named = given_as(asked, option="--language", variable=variable)
        raise InputError(f"{named}: no such language; languages: {', '.join(languages.known())}")
    return None if found == languages.DEFAULT else found


def _in_language(folder: Path, language: str | None) -> Path:
    return folder / language if language else folder


def catalogue(given: Path | None = None, language: str | None = None) -> dict[str, Entry]:
    """Every routine by id, in ``language`` (None: the English files): the built-in ones,
    then the user's, which win on a shared name."""
    builtin = _in_language(builtin_dir(), language)
    found: dict[str, Entry] = {p.stem: Entry(p.stem, p, True) for p in files_in(builtin)}
    mine = user_dir(given)
    if mine is not None and _same(mine, builtin_dir()):
        mine = None
    mine = _in_language(mine, language) if mine is not None else None
    for path in files_in(mine) if mine is not None else []:
        before = found.get(path.stem)
        found[path.stem] = Entry(path.stem, path, False, before.path if before else None)
    return dict(sorted(found.items()))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def translations(name: str, given: Path | None = None) -> list[str]:
    """The languages routine ``name`` exists in, English first."""
    from .. import languages

    tags = [t for t in languages.known() if t != languages.DEFAULT]
    out = [languages.DEFAULT] if name in catalogue(given) else []
    return out + [t for t in tags if name in catalogue(given, t)]


def not_a_file(path: Path, shown: str | None = None) -> InputError:
    """Why a routine file given as ``path`` (written ``shown``) cannot be read: a folder, or
    nothing there. Asked by ``find_routine`` and by the loader, so both say the same."""
    written = str(path) if shown is None else shown
    if path.is_dir():
        return InputError(f"{written}: is a folder, not a routine file")
    return InputError(f"{written}: no such routine file")


def find_routine(name: str, given: Path | None = None, language: str | None = None) -> Path:
    """ROUTINE is a path to a YAML file (which speaks its own ``language:``), or the id of a
    built-in or the user's routine, in ``language`` (``language_asked``): the one way every
    command (list, script, build, check) finds a routine."""
    as_path = Path(name)
    if as_path.suffix in SUFFIXES or "/" in name or as_path.is_file():
        if not as_path.is_file():
            raise not_a_file(as_path, name)
        return as_path
    known = catalogue(given, language)
    if name in known:
        return known[name].path
    exists = translations(name, given) if language else []
    if exists:
        raise InputError(
            f'the routine "{name}" has no translation into "{language}"; it exists in: '
            + ", ".join(exists)
        )
    import difflib

    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    raise InputError(
        f'no routine "{name}"{hint} (routines: {", ".join(known) or "none"}; see '
        "`voiceguide list`); or give a path to a .yaml file"
    )
