"""``voiceguide serve``: a built folder, read-only, for a phone on the same network.

The web stack (starlette, uvicorn) is imported only when it runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import InputError, Terminated, one_line
from .group import Command, handle_errors, warn
from .options import Number, SafePath

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@click.argument(
    "directory",
    type=SafePath(file_okay=False, accepts="the folder a build wrote its tracks to, e.g. output"),
    default="output",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=Number(int, 0, 65535, "a port from 0 to 65535 (0: any free one), e.g. 8765"),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option(
    "--token/--no-token",
    "use_token",
    default=True,
    show_default=True,
    help="Serve only under a random /<token>/ path (--no-token: to anyone who asks).",
)
@handle_errors
def serve(directory: Path, host: str, port: int, use_token: bool) -> None:
    """Serve DIRECTORY (default output/) read-only, for a phone on the same network.

    Prints the address to open on the phone and its QR code, then a line for
    each request (time, address, method, path, status). Each track has its
    player page; feed.xml is the podcast feed for this address.

    \b
    Example:
        voiceguide serve output --port 8765
    """
    import signal

    from ..output.site import find_tracks
    from ..web import lan, server  # starlette and uvicorn load only here

    tracks = len(find_tracks(directory))
    if not tracks:
        import shlex
        from pathlib import Path

        build = "voiceguide build classic"
        if directory != Path("output"):
            build += f" -o {shlex.quote(str(directory))}"
        raise InputError(
            f"{one_line(str(directory))} has no tracks to serve; build one first, e.g. `{build}`"
        )
    token = lan.new_token() if use_token else None
    sock = server.bind(host, port)
    url = lan.share_url(host, sock.getsockname()[1], token)
    click.echo(
        f"Serving {tracks} track{'' if tracks == 1 else 's'} from {one_line(str(directory))}"
    )
    click.echo(lan.terminal_qr(url, ansi=sys.stdout.isatty()), nl=False)
    click.echo(f"Open on your phone: {url}")
    click.echo(f"Podcast feed:       {url}feed.xml")
    click.echo("Anyone with this address can play these tracks while this runs. Ctrl-C stops it.")
    if not use_token:
        warn(["--no-token: anyone on this network can list and play the tracks"])
    try:
        server.serve(directory, sock, token, log=click.echo, warn=lambda m: warn([m]))
    except (KeyboardInterrupt, Terminated) as stop:
        click.echo("Stopped serving.", err=True)
        sys.exit(128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT))
    finally:
        sock.close()
