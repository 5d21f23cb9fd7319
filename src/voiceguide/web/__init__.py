"""``voiceguide serve``: the output folder served read-only to a phone on the local network.

Above ``output/`` (it lists the folder's tracks and renders the index and the
feed for its own address). Nothing here is imported by ``voiceguide --help``:
the CLI imports ``server`` and ``lan`` inside the command, so starlette,
uvicorn and segno load only when serving.
"""
