"""Raw HTTP/1.1 requests whose bodies go out piece by piece, as a chunking client or a
slow link delivers them: no client library merges or reframes anything."""
from __future__ import annotations

import base64
import itertools
import json
import socket
import time
from collections.abc import Sequence

from tests.conftest import ADMIN

AUTH = "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()


def split(data: bytes, sizes: Sequence[int]) -> list[bytes]:
    """``data`` cut into pieces of the given sizes, repeated in turn until it is used up."""
    pieces, position = [], 0
    for size in itertools.cycle(sizes):
        if position >= len(data):
            return pieces
        pieces.append(data[position:position + size])
        position += size
    raise AssertionError("unreachable")


def chunk_frames(pieces: list[bytes]) -> list[bytes]:
    """One ``Transfer-Encoding: chunked`` chunk per piece, then the last chunk."""
    return [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece] + [b"0\r\n\r\n"]


def send(port: int, head: str, pieces: list[bytes], pause: float = 0.0) -> tuple[int, bytes]:
    """Send the head, then each piece as its own segment; return the status and the whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head.encode())
        for piece in pieces:
            s.sendall(piece)
            if pause:
                time.sleep(pause)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < _content_length(reply):
            data = s.recv(65536)
            if not data:
                break
            reply += data
    return int(reply.split(b" ", 2)[1]), reply


def _content_length(reply: bytes) -> int:
    for line in reply.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def error_code(reply: bytes) -> str:
    return json.loads(reply.partition(b"\r\n\r\n")[2])["errors"][0]["code"]
