"""A 200 MB upload to `viduemu serve` (a real subprocess) is refused without being buffered: the
server's resident memory, read from /proc while the upload streams, never grows by more than a
fraction of it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import KEY
from tests.support.process import ServeProcess

MB = 1 << 20
UPLOAD = 200 * MB


def rss(pid: int, field: str = "VmRSS") -> int:
    """Bytes of the process's resident set (VmRSS) or its peak (VmHWM), from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def upload(port: int, pid: int, *, chunked: bool) -> tuple[bytes, int]:
    """POST 200 MB to /ent/v2/text2video (chunked, or with a Content-Length that says so);
    the server's answer and its largest RSS seen while the body streamed."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % UPLOAD
    sock.sendall(b"POST /ent/v2/text2video HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token " + KEY.encode() +
                 b"\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n")
    piece = b"p" * MB
    peak = 0
    try:
        for i in range(UPLOAD // MB):
            sock.sendall(b"100000\r\n" + piece + b"\r\n" if chunked else piece)
            if i % 8 == 0:
                peak = max(peak, rss(pid))
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop listening once it has answered
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
        data = sock.recv(65536)
        if not data:
            break
        answer += data
    sock.close()
    return answer, max(peak, rss(pid))


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


@pytest.mark.slow
def test_a_200_mb_upload_is_refused_413_without_buffering_it():
    with ServeProcess("--clock", "manual", "--log-level", "warning") as server:
        pid = server.proc.pid
        baseline = rss(pid)
        for chunked in (True, False):
            answer, peak = upload(server.port, pid, chunked=chunked)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 413"), head
            error = json.loads(body)
            assert (error["code"], error["reason"]) == (413, "BadRequest")
            assert "20 MB" in error["message"]
            # at most the 20 MB the limit admits, and its bookkeeping: far below the 200 MB sent
            assert peak - baseline < 60 * MB, (chunked, (peak - baseline) // MB)
        assert rss(pid, "VmHWM") - baseline < 60 * MB
        assert "Traceback" not in server.stop()
