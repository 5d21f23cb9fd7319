"""The import contract: imports go one way, and a broken contract fails the check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_code_keeps_its_import_contracts() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


def test_the_mixer_importing_the_timeline_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "voiceguide", tmp_path / "src" / "voiceguide")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    mixer = tmp_path / "src" / "voiceguide" / "audio" / "mixer.py"
    text = mixer.read_text()
    mixer.write_text(
        text.replace(
            "import numpy as np\n",
            "import numpy as np\n\nfrom ..timeline import Script  # noqa\n",
            1,
        )
    )
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "voiceguide.audio.mixer -> voiceguide.timeline" in result.stdout


def test_an_engine_importing_the_speaker_even_lazily_breaks_the_contract(tmp_path: Path) -> None:
    """The circle pyttsx3_engine -> speaker -> select -> pyttsx3_engine stays gone: an import
    inside a function counts as much as one at the top."""
    shutil.copytree(ROOT / "src" / "voiceguide", tmp_path / "src" / "voiceguide")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    engine = tmp_path / "src" / "voiceguide" / "speech" / "pyttsx3_engine.py"
    engine.write_text(
        engine.read_text() + "\n\ndef _late() -> None:\n    from .speaker import trim  # noqa\n"
    )
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "voiceguide.speech.pyttsx3_engine -> voiceguide.speech.speaker" in result.stdout
