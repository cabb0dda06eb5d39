"""Where the running server listens, written in the data directory for local checks to find.

``berth healthcheck`` (the container image's HEALTHCHECK) must reach the server on the
port it was really given — by the config file, a BERTH_* variable or ``--port`` — and
the data directory is the one thing both share.
"""
from __future__ import annotations

import os
from pathlib import Path

RECORD = "listening"


def local_url(scheme: str, host: str, port: int) -> str:
    """The URL a process on the same machine reaches the listener at."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def record(data_dir: Path, url: str) -> None:
    path = data_dir / RECORD
    temporary = path.with_name(f".{RECORD}.{os.getpid()}")
    temporary.write_text(url + "\n")
    temporary.replace(path)


def recorded(data_dir: Path) -> str | None:
    try:
        return (data_dir / RECORD).read_text().strip() or None
    except OSError:
        return None
