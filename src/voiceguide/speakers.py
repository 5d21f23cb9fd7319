"""The speaker a routine is spoken with: ``--voice``, else the routine's ``voice:``, else the
default voice (``speech.select.default_voice``: joe where Piper is installed, else espeak-ng).

One way from settings to a speaker for every command (``script``,
``build``, ``check``), so an unknown voice is refused alike everywhere, with
the closest names of both engines (``speech.select.check_voice``), before
any synthesis.
"""

from __future__ import annotations

from .errors import InputError, RoutineError, one_line
from .routine import Routine
from .settings import BuildOptions
from .speech import Speaker
from .speech.select import check_voice, is_espeak_default, make_engine


def make_speaker(
    options: BuildOptions, routine: Routine | None = None, *, workers: int | None = None
) -> Speaker:
    """The speaker for ``options`` (``--voice``), else the routine's ``voice:``, else the
    default voice.

    An unknown or broken voice is an input error, found before any synthesis;
    if the routine named it, the error names the routine's file and line.
    The default voice is not looked up in espeak-ng's list: a warm build
    starts no engine.
    """
    voice = options.voice or (routine.voice if routine is not None else None)
    try:
        engine = make_engine(voice, options.rate_wpm, workers=workers)
        speaker = Speaker(engine, cache_dir=options.cache_dir)
        if voice and not is_espeak_default(voice):
            try:
                check_voice(speaker.engine)
            except BaseException:
                speaker.close()
                raise
    except InputError as exc:
        if options.voice or routine is None or not routine.voice:
            raise
        reason = str(exc).removeprefix(f"--voice {one_line(routine.voice)}: ")
        raise RoutineError(
            reason, path=routine.path, line=routine.line_of("voice"), field="voice"
        ) from None
    return speaker


class Speakers:
    """One speaker per voice, made when a routine first needs it, closed together.

    Routines may name their own voices; with ``--voice`` there is only one.
    ``workers``: how many processes an engine that can use several may start
    (Piper; the cores shared among parallel builds).
    """

    def __init__(self, options: BuildOptions, *, workers: int | None = None) -> None:
        self.options = options
        self.workers = workers
        self._made: dict[str | None, Speaker] = {}

    def __call__(self, routine: Routine | None = None) -> Speaker:
        voice = self.options.voice or (routine.voice if routine is not None else None)
        if voice not in self._made:
            self._made[voice] = make_speaker(self.options, routine, workers=self.workers)
        return self._made[voice]

    def close(self) -> None:
        for speaker in self._made.values():
            speaker.close()
        self._made.clear()

    def __enter__(self) -> Speakers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
