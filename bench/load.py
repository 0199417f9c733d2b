"""Drive load with wrk and read its report; fetch one response to weigh it."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    """What one wrk run measured (latencies in ms; None when no request completed)."""

    url: str
    duration_s: float
    connections: int
    requests: int
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int  # socket errors (connect, read, write, timeout) plus non-2xx/3xx answers

    @property
    def ok_per_s(self) -> float:
        """Successful answers per second: wrk's rate counts errors and non-2xx answers too."""
        if not self.requests:
            return 0.0
        return round(self.requests_per_s * max(0, self.requests - self.errors) / self.requests, 2)

    def as_dict(self) -> dict:
        return {**asdict(self), "ok_per_s": self.ok_per_s}


@dataclass
class Sample:
    """One plain GET: status, body size (no compression asked) and wall time."""

    status: int
    bytes: int
    seconds: float
    body: bytes


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return round(float(match.group(1)) * _UNITS[match.group(2)], 3)


def parse_wrk(output: str, url: str, duration_s: float, connections: int) -> LoadResult:
    """Read requests/s, request count, p50/p99 and errors from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    requests = int(count.group(1)) if count else 0
    return LoadResult(
        url=url,
        duration_s=duration_s,
        connections=connections,
        requests=requests,
        requests_per_s=float(rps.group(1)) if rps else 0.0,
        p50_ms=_ms(p50.group(1)) if p50 and requests else None,
        p99_ms=_ms(p99.group(1)) if p99 and requests else None,
        errors=errors,
    )


def run_wrk(url: str, duration_s: float, connections: int = 8, threads: int = 1) -> LoadResult:
    """``wrk -t<threads> -c<connections> -d<duration> --latency`` against ``url``.

    The timeout is long so that a slow answer counts as a slow request, not as an
    error; wrk asks for no compression, so both servers send identity bodies.
    """
    seconds = max(1, math.ceil(duration_s))
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "300s", url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout, url, seconds, connections)


def fetch(url: str, timeout: float = 900.0) -> Sample:
    """One GET without ``Accept-Encoding`` (an identity body), timed by curl.

    curl rather than urllib: reading a 150 MB answer in Python takes longer than
    the server takes to send it, and the time decides how long wrk runs.
    """
    with tempfile.NamedTemporaryFile(prefix="bench-body-") as body_file:
        done = subprocess.run(
            [
                "curl",
                "--silent",
                "--show-error",
                "--max-time",
                str(int(timeout)),
                "--header",
                "Accept: application/geo+json, application/json",
                "--output",
                body_file.name,
                "--write-out",
                "%{http_code} %{time_total}",
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return Sample(0, 0, 0.0, done.stderr.encode())
        status, seconds = done.stdout.split()
        body = Path(body_file.name).read_bytes()
    return Sample(int(status), len(body), float(seconds), body)
