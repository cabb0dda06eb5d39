"""Pull progress shown the way ``docker pull`` shows it, one line per layer.

On a terminal the lines are redrawn in place with a progress bar; elsewhere (logs,
CI, pipes) only changes of state are printed, so output stays readable.
"""
from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 50


def human_size(size: float) -> str:
    """Decimal units with four significant digits, like Docker's ``units.HumanSize``."""
    units = ("B", "kB", "MB", "GB", "TB")
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000
        index += 1
    return f"{size:.4g}{units[index]}"


def short_id(digest: str) -> str:
    return digest.partition(":")[2][:12]


class Progress:
    """Receives pull progress; this base class shows nothing (libraries, JSON output)."""

    def start(self, image: str, tag: str, repository: str) -> None:
        """A pull of ``image`` begins."""

    def layer(self, digest: str, status: str, current: int = 0, total: int = 0) -> None:
        """A blob's state changed or more of it arrived."""

    def finish(self, lines: list[str]) -> None:
        """The pull ended; ``lines`` are the closing summary."""


class TerminalProgress(Progress):
    """Docker-style lines on ``stream`` (standard error by default)."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None):
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._order: list[str] = []
        self._last_status: dict[str, str] = {}

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def start(self, image: str, tag: str, repository: str) -> None:
        self._order, self._last_status = [], {}
        self._write(f"{tag}: Pulling from {repository}\n")

    def layer(self, digest: str, status: str, current: int = 0, total: int = 0) -> None:
        ident = short_id(digest)
        line = f"{ident}: {status}"
        if status == "Downloading" and total:
            filled = min(BAR_WIDTH, int(current * 100 / total) // 2)  # Docker's jsonmessage bar
            line += f" [{'=' * filled}>{' ' * (BAR_WIDTH - filled)}] {human_size(current):>8}/{human_size(total)}"
        if ident not in self._order:
            self._order.append(ident)
            self._last_status[ident] = status
            self._write(line + "\n")
            return
        if self._tty:
            up = len(self._order) - self._order.index(ident)
            self._write(f"\x1b[{up}A\r\x1b[2K{line}\x1b[{up}B\r")
        elif self._last_status.get(ident) != status:
            self._write(line + "\n")
        self._last_status[ident] = status

    def finish(self, lines: list[str]) -> None:
        self._write("".join(line + "\n" for line in lines))
