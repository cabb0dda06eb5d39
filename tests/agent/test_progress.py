"""Docker-style pull progress: redrawn lines on a terminal, state changes elsewhere."""
from __future__ import annotations

import io

from registry.agent.progress import TerminalProgress, human_size

DIGEST = "sha256:" + "ab" * 32


def test_plain_output_prints_only_changes_of_state():
    out = io.StringIO()
    progress = TerminalProgress(out, tty=False)
    progress.start("reg/app:v1", "v1", "team/app")
    progress.layer(DIGEST, "Pulling fs layer", 0, 3_000_000)
    for current in (1_000_000, 2_000_000, 3_000_000):
        progress.layer(DIGEST, "Downloading", current, 3_000_000)
    progress.layer(DIGEST, "Download complete", 3_000_000, 3_000_000)
    progress.finish(["Digest: sha256:x", "Status: Downloaded newer image for reg/app:v1"])
    assert out.getvalue().splitlines() == [
        "v1: Pulling from team/app",
        "abababababab: Pulling fs layer",
        "abababababab: Downloading [================>" + " " * 34 + "]      1MB/3MB",
        "abababababab: Download complete",
        "Digest: sha256:x",
        "Status: Downloaded newer image for reg/app:v1",
    ]


def test_terminal_output_redraws_the_layer_line_in_place():
    out = io.StringIO()
    progress = TerminalProgress(out, tty=True)
    progress.start("reg/app:v1", "v1", "team/app")
    progress.layer(DIGEST, "Pulling fs layer", 0, 100)
    progress.layer("sha256:" + "cd" * 32, "Pulling fs layer", 0, 100)
    progress.layer(DIGEST, "Downloading", 50, 100)
    assert out.getvalue().endswith("\x1b[2A\r\x1b[2Kabababababab: Downloading [" + "=" * 25 + ">" + " " * 25
                                   + "]      50B/100B\x1b[2B\r")


def test_human_size():
    assert [human_size(n) for n in (0, 999, 1000, 1_234_567, 9_003_718, 10**13)] == [
        "0B", "999B", "1kB", "1.235MB", "9.004MB", "10TB"]
