"""The production setup (nginx in front of gunicorn, started by ``python -m webapp.production``) on free
loopback ports, and plain gunicorn as ``make serve`` ran it before, for the reproductions."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "data"
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Launched:
    """A started server process, its port and the file its output goes to."""

    process: subprocess.Popen
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout_s: float = START_TIMEOUT_S) -> re.Match:
        """The first match of ``pattern`` in the output, waiting for it to appear."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the server's output:\n{self.output()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def launch(command: list[str], port: int, log: Path) -> Launched:
    env = {**os.environ, "GBA_DATA_DIR": str(DATA_DIR)}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Launched(process, port, log)


def launch_production(tmp_path: Path, *extra: str, port: int | None = None, workers: int = 2) -> Launched:
    port = port or free_port()
    command = [sys.executable, "-u", "-m", "webapp.production", "--port", str(port), "--workers", str(workers)]
    return launch([*command, *extra], port, tmp_path / "production.log")


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[Launched]:
    """The production setup as `make serve` starts it (a temporary run directory), once per module.
    The module's last test stops it with SIGTERM and checks the clean-up; if it did not run, this does."""
    server = launch_production(tmp_path_factory.mktemp("production"))
    try:
        server.wait_for(r"serving at http://127\.0\.0\.1:\d+")
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture(scope="module")
def run_dir(production) -> Path:
    return Path(re.search(r"starting in (\S+)", production.output()).group(1))


@pytest.fixture(scope="module")
def plain_gunicorn(tmp_path_factory) -> Iterator[Launched]:
    """gunicorn alone, two sync workers, as `make serve` ran it before the proxy."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--preload",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--control-socket",
        str(tmp / "gunicorn.ctl"),
        "webapp:create_app()",
    ]
    server = launch(command, port, tmp / "gunicorn.log")
    try:
        server.wait_for(r"Booting worker")
        wait_until_answering(port)
        yield server
    finally:
        server.stop(signal.SIGQUIT)  # gunicorn's quick stop: nothing to finish here


def wait_until_answering(port: int, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            fetch(port, "/ogcapi/conformance", timeout_s=5)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered on port {port}")


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as sent: still compressed when Content-Encoding says so


def fetch(port: int, path: str, headers: dict | None = None, method: str = "GET", timeout_s: float = 5) -> Answer:
    """One request on a new connection; the body exactly as it came off the wire."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def raw_request(port: int, request: bytes, timeout_s: float = 5) -> bytes:
    """Send ``request`` bytes as they are and return the server's answer (head and body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as connection:
        try:
            connection.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading it all; its answer is still there to read
        received = b""
        while not _complete(received):
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


def _complete(answer: bytes) -> bool:
    # Not waiting for the server to close: after refusing a body it lingers, reading the rest.
    head, separator, body = answer.partition(b"\r\n\r\n")
    found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(separator and found and len(body) >= int(found.group(1)))


class SlowClients:
    """``count`` loopback connections that each send the start of a request, then one more byte of an
    unfinished header line every ``interval_s``: a slowloris, bounded in count and time."""

    def __init__(self, port: int, count: int, interval_s: float):
        self.interval_s = interval_s
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        self._stop = threading.Event()
        for sock in self.sockets:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        while not self._stop.wait(self.interval_s):
            for sock in self.sockets:
                try:
                    sock.send(b"a")
                except OSError:
                    pass  # closed by the server: held_open() counts it

    def held_open(self) -> int:
        """How many of the connections the server still holds open without having answered."""
        held = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                held += 1  # nothing to read yet: still waiting for the rest of the request
            except OSError:
                pass  # reset by the server
        return held

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


@contextmanager
def slow_clients(port: int, count: int = 200, interval_s: float = 2.0) -> Iterator[SlowClients]:
    held = SlowClients(port, count, interval_s)
    try:
        yield held
    finally:
        held.close()
