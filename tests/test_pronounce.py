"""Words said right: the respelling reaches the engine, never the captions or the script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.build import BuildOptions, prepare
from voiceguide.errors import RoutineError
from voiceguide.routine import load_routine
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.speech.pronounce import default_table, respell, table_with

from .phonemes import heard
from .short_routine import write_short

CORE = "Rest your hands on the coccyx. Coccyx first, then the sacrum."


def test_respell_replaces_whole_words_in_any_case_keeping_a_capital() -> None:
    table = table_with({"sacrum": "saykrum", "lower back": "lower bak"})
    assert respell(CORE, table) == "Rest your hands on the coxix. Coxix first, then the saykrum."
    assert respell("the coccyxes, the lower back, the lower backs", table) == (
        "the coccyxes, the lower bak, the lower backs"
    )


def test_a_routines_own_entry_wins_over_the_packaged_one() -> None:
    assert respell("coccyx", table_with({"Coccyx": "cox-sicks"})) == "cox-sicks"


def test_the_engine_hears_the_respelling_and_the_script_shows_the_words(tmp_path: Path) -> None:
    source = write_short(tmp_path, "pronounce:\n  spine: spyne\n")
    text = source.read_text().replace("Press gently along the spine.", CORE + " Along the spine.")
    source.write_text(text)
    routine = load_routine(source)
    engine = FakeEngine()
    with Speaker(engine) as speaker:
        script = prepare(routine, BuildOptions(), speaker)
    said = " ".join(engine.said)
    assert "coxix" in said and "Coxix" in said and "spyne" in said
    assert "coccyx" not in said.lower() and " spine" not in said
    shown = " ".join(e.text for e in script.speech)
    assert "coccyx" in shown and "Coccyx" in shown and "spine" in shown and "coxix" not in shown


def test_a_routines_view_shares_the_engine_and_the_clips_and_leaves_the_speaker_as_it_was(
    tmp_path: Path,
) -> None:
    """``for_routine`` passes a routine's table without switching the speaker's state: the
    view says "spine" as "spyne", the speaker itself as written; a clip is spoken once."""
    with Speaker(FakeEngine(), cache_dir=tmp_path) as speaker:
        own = speaker.for_routine({"spine": "spyne"})
        respelled = speaker.clip("Along the spyne.")
        assert own.clip("Along the spine.") is respelled  # the same words said: the same clip
        assert own.engine is speaker.engine and own.cache_dir == speaker.cache_dir
        assert speaker.spoken("Along the spine.") == "Along the spine."
        assert own.spoken("Along the spine.") == "Along the spyne."
        assert speaker.for_routine(None).spoken("Along the spine.") == "Along the spine."
    assert len(list(tmp_path.rglob("*.wav"))) == 1


def test_check_times_the_words_as_the_routines_table_says_them(tmp_path: Path) -> None:
    """``check`` measures the clips ``build`` will say: respelled by the routine's own table,
    so it speaks (or finds in the cache) "spyne", never a clip the build would not use."""
    from voiceguide.check import check_file

    source = write_short(tmp_path, "pronounce:\n  spine: spyne\n")
    engine = FakeEngine()
    with Speaker(engine) as speaker:
        assert check_file(source, lambda routine: speaker).problems == []
    said = " ".join(engine.said)
    assert "spyne" in said and "spine" not in said


def test_voiceguide_script_shows_the_words_as_written(tmp_path: Path, clip_cache: Path) -> None:
    source = write_short(tmp_path)
    source.write_text(source.read_text().replace("along the spine", "down to the coccyx"))
    result = subprocess.run(
        [sys.executable, "-c", "from voiceguide.cli import main; main()", "script", str(source),
         "--cache-dir", str(clip_cache)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "down to the coccyx" in result.stdout and "coxix" not in result.stdout


def test_every_packaged_respelling_changes_what_espeak_ng_says() -> None:
    rows = {word: f"{was}\t{now}" for _, word, was, now in heard([("en-us", default_table())])}
    assert set(rows) == set(default_table())
    for word, (was, now) in ((w, r.split("\t")) for w, r in rows.items()):
        assert was != now, word
    assert rows["coccyx"] == "kˈɑːkɪks\tkˈɑːksɪks"  # noqa: RUF001 - IPA


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("pronounce: coxix\n", "must be a mapping of word to respelling"),
        ("pronounce:\n  c0ccyx: coxix\n", "pronounce.c0ccyx: the key must be a word"),
        ("pronounce:\n  coccyx: ''\n", "pronounce.coccyx: is empty"),
    ],
)
def test_a_bad_pronounce_table_names_its_line(tmp_path: Path, extra: str, needle: str) -> None:
    with pytest.raises(RoutineError, match=needle):
        load_routine(write_short(tmp_path, extra))
