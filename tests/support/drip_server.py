"""A loopback TCP server that answers as slowly as an attacker's host can: it reads the request,
then sends its answer one byte every ``interval`` seconds, so that no single socket read ever
waits long enough to time out. Loopback only, and bounded: each connection drips for at most
``max_seconds``, and leaving the ``with`` block closes everything.

``stage`` says where the drip starts: ``"headers"`` (the status line and headers), ``"body"``
(complete headers announcing a long body, then the body), or ``"tls"`` (a TLS record header
announcing a long handshake message, then its bytes: a client's TLS handshake never completes)."""

import socket
import threading
import time
from dataclasses import dataclass, field

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 4096 + b"\r\n\r\n"
BODY_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
TLS_RECORD = b"\x16\x03\x03\x3f\xff"  # handshake record, TLS 1.2, 16383 bytes to follow


@dataclass
class DripServer:
    """``with DripServer() as server``: ``server.url(path)``, ``server.connections`` (accepted)."""

    stage: str = "headers"
    interval: float = 1.0
    max_seconds: float = 30.0
    host: str = "127.0.0.1"
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    def __enter__(self):
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.2)
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()
        return self

    def __exit__(self, *exc):
        self._closing.set()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def url(self, path="/", *, scheme="http") -> str:
        return f"{scheme}://{self.host}:{self.port}{path}"

    def _accept(self):
        while not self._closing.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_request(self, conn) -> None:
        conn.settimeout(2)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(body) < min(length, 65536):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                body += chunk
            self.requests.append(head + b"\r\n\r\n" + body)
        except OSError:
            pass

    def _drip(self, conn):
        with conn:
            if self.stage == "tls":
                answer, at_once = TLS_RECORD + b"\x02" * 16383, len(TLS_RECORD)
            else:
                self._read_request(conn)
                answer = HEADERS if self.stage == "headers" else BODY_HEADERS + b"{" * 4096
                at_once = 0 if self.stage == "headers" else len(BODY_HEADERS)
            stop_at = time.monotonic() + self.max_seconds
            try:
                conn.sendall(answer[:at_once])
                for position in range(at_once, len(answer)):
                    if self._closing.wait(self.interval) or time.monotonic() > stop_at:
                        return
                    conn.sendall(answer[position : position + 1])
            except OSError:
                return  # the client gave up: that is the point
