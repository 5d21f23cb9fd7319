"""Where a phone can reach this machine, and a QR code of that URL for the terminal.

segno is used for the QR code: it is pure Python with no dependencies on any
platform (qrcode pulls colorama in on Windows), and it exposes the module matrix,
so we draw our own compact half-block rendering with explicit black-on-white
colours: half the height of a one-line-per-row code, and scannable on dark and
light terminal themes alike (plain blocks would come out inverted on one of them).
"""

from __future__ import annotations

import secrets
import socket

import segno

# Private addresses to "connect" a UDP socket to. connect() on UDP sends nothing;
# it only asks the kernel which interface (and so which source address) it would use.
_PROBES = (("10.255.255.255", 1), ("172.31.255.255", 1), ("192.168.255.255", 1))
_WILDCARDS = {"", "0.0.0.0", "::"}


def lan_address() -> str:
    """The IPv4 address of the interface that would carry LAN traffic; 127.0.0.1 if none."""
    for probe in _PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(probe)
                address = str(sock.getsockname()[0])
            except OSError:
                continue
        if address and not address.startswith(("0.", "127.")):
            return address
    return "127.0.0.1"


def new_token() -> str:
    """72 random bits, URL-safe: unguessable on a LAN yet short enough for a small QR code."""
    return secrets.token_urlsafe(9)


def share_url(host: str, port: int, token: str | None) -> str:
    """The URL to open on the phone; a wildcard bind is shown as the LAN address."""
    shown = lan_address() if host in _WILDCARDS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/{token}/" if token else f"http://{shown}:{port}/"


def terminal_qr(url: str, *, ansi: bool = True) -> str:
    """The URL as a QR code in half-block characters, two module rows per text line.

    With ansi=True the code is drawn dark-on-light with SGR colours whatever the
    terminal's theme; without, light modules are drawn as blocks (right for dark themes).
    """
    qr = segno.make(url, error="m", micro=False)
    rows = [[bool(dark) for dark in row] for row in qr.matrix_iter(scale=1, border=2)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    # Characters by (top dark, bottom dark) when drawing dark modules in the foreground.
    chars = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        if ansi:
            text = "".join(chars[(t, b)] for t, b in zip(top, bottom, strict=True))
            lines.append(f"\x1b[30;107m{text}\x1b[0m")
        else:
            lines.append("".join(chars[(not t, not b)] for t, b in zip(top, bottom, strict=True)))
    return "\n".join(lines) + "\n"
