"""The speaker a routine is spoken with: ``--voice``, else the routine's ``voice:``, else
the voice of the routine's language, else the default voice
(``speech.select.default_voice``: joe where Piper is installed, else espeak-ng).

One way from settings to a speaker for every command (``script``,
``build``, ``check``), so an unknown voice, or a Piper voice that does not speak the
routine's language, is refused alike everywhere, with the closest names of
both engines (``speech.select.check_voice``), before any synthesis.
"""

from __future__ import annotations

from . import languages
from .errors import InputError, RoutineError, given_as, one_line
from .routine import Routine
from .settings import BuildOptions
from .speech import Speaker
from .speech.piper_voice import is_piper_voice, voice_languages
from .speech.select import (
    VOICE_ENV,
    check_voice,
    environment_voice,
    is_espeak_default,
    make_engine,
)


def chosen_voice(options: BuildOptions, routine: Routine | None) -> str | None:
    """The voice a routine is spoken with: ``--voice``, else the routine's ``voice:``, else,
    for a routine not in English, espeak-ng's voice for its language (from the language's
    catalogue), else ``$VOICEGUIDE_VOICE``; None: the engine's default."""
    if options.voice:
        return options.voice
    if routine is not None and routine.voice:
        return routine.voice
    if routine is not None and routine.language != languages.DEFAULT:
        return languages.get(routine.language).espeak_voice
    return environment_voice()


def speaks(voice_langs: tuple[str, ...] | list[str], tag: str) -> bool:
    """Whether a voice of these languages (``en-us``, ``en_US``) speaks ``tag`` (by its
    language subtag: ``en-gb`` speaks an ``en`` routine)."""
    wanted = tag.split("-")[0].lower()
    return any(lang.replace("_", "-").split("-")[0].lower() == wanted for lang in voice_langs)


def wrong_language(voice: str, voice_langs: tuple[str, ...], routine: Routine) -> InputError:
    """A voice that does not speak the routine's language: name the voices that would."""
    language = languages.get(routine.language)
    said = ", ".join(voice_langs) or "another language"
    return InputError(
        f"--voice {one_line(voice)} speaks {said}, not {language.name}, the language of "
        f"{routine.path or routine.id}; for {language.name} give --voice "
        f"{language.espeak_voice} (espeak-ng) or a {language.name} Piper voice's .onnx file "
        f"(see `voiceguide voices --language {language.tag}`)"
    )


def check_language(voice: str | None, routine: Routine | None) -> None:
    """Refuse a Piper voice that does not speak the routine's language, by its config
    (``language.code``), before it is loaded: a Piper voice cannot read another language's
    words at all (its phonemes are its language's). An espeak-ng voice reads any text with
    its own language's sounds: that is a warning (``language_warning``), not a refusal."""
    if not voice or routine is None or not is_piper_voice(voice):
        return
    langs = voice_languages(voice)
    if langs and not speaks(langs, routine.language):
        raise wrong_language(voice, langs, routine)


def voice_facts(speaker: Speaker) -> dict[str, str | None]:
    """The voice as ``voiceguide voices`` lists it, its engine and its language (``en-us``),
    read without starting the engine: a warm build starts none."""
    engine = speaker.engine
    info = getattr(getattr(engine, "voice", None), "info", None)  # a Piper voice's own
    if info is not None and info.languages:
        language: str | None = str(info.languages[0]).replace("_", "-").lower()
    elif "/" in engine.voice_id:  # espeak-ng's ids end in the language: gmw/en-us
        language = engine.voice_id.rsplit("/", 1)[-1].lower()
    else:
        language = None
    return {"id": engine.voice_id, "engine": engine.engine_name, "language": language}


def language_warning(speaker: Speaker, routine: Routine) -> str | None:
    """A voice that speaks another language than the routine's (``--voice uk`` reading an
    English routine) reads its words with that language's sounds: say so."""
    spoken = voice_facts(speaker)["language"]
    if spoken is None or speaks((spoken,), routine.language):
        return None
    language = languages.get(routine.language)
    return (
        f"the voice {speaker.engine.voice_id} speaks {spoken}, not {language.name}, the "
        f"language of {routine.path or routine.id}: it reads the words with its own "
        f"language's sounds (`voiceguide voices --language {language.tag}` lists the voices "
        "that speak it)"
    )


def make_speaker(
    options: BuildOptions, routine: Routine | None = None, *, workers: int | None = None
) -> Speaker:
    """The speaker for ``options`` (``--voice``), else the routine's ``voice:``, else its
    language's voice (``chosen_voice``).

    An unknown or broken voice, or a Piper voice that does not speak the
    routine's language, is an input error, found before any synthesis; if the
    routine named it, the error names the routine's file and line, and if
    ``$VOICEGUIDE_VOICE`` did, the variable.
    The default voice is not looked up in espeak-ng's list: a warm build
    starts no engine.
    """
    voice = chosen_voice(options, routine)
    try:
        check_language(voice, routine)  # a Piper voice: by its config, before loading it
        engine = make_engine(voice, options.rate_wpm, workers=workers)
        speaker = Speaker(engine, cache_dir=options.cache_dir)
        if voice and not is_espeak_default(voice):
            try:
                check_voice(speaker.engine)
            except BaseException:
                speaker.close()
                raise
    except InputError as exc:
        if options.voice or not voice:
            raise
        given = given_as(voice, option="--voice")  # as the engine's checks name it
        if routine is not None and routine.voice:  # then ``voice`` is the routine's
            reason = str(exc).replace(given, f'"{one_line(voice)}"', 1)  # the value, as --voice
            raise RoutineError(
                reason, path=routine.path, line=routine.line_of("voice"), field="voice"
            ) from None
        if voice == environment_voice():  # say where the user named it
            raise InputError(str(exc).replace(given, given_as(voice, variable=VOICE_ENV))) from None
        raise
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
        voice = chosen_voice(self.options, routine)
        if voice not in self._made:
            self._made[voice] = make_speaker(self.options, routine, workers=self.workers)
        else:
            check_language(voice, routine)  # each routine's language against a Piper voice
        return self._made[voice]

    def close(self) -> None:
        for speaker in self._made.values():
            speaker.close()
        self._made.clear()

    def __enter__(self) -> Speakers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
