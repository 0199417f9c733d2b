"""Start, watch and stop the servers under test, and read their memory.

Every server runs in its own process group, so stopping it reaches the
gunicorn master and all its workers; ``Servers`` stops whatever is still
running when the benchmark ends, on success, error or Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Server:
    """One running gunicorn (master + workers) on 127.0.0.1."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's child processes."""
        return children_of(self.process.pid)


@dataclass
class Servers:
    """Every server this run started; ``stop_all`` ends them (called on any exit)."""

    running: list[Server] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log_path: Path,
        ready_path: str,
        timeout: float = 600.0,
        cwd: Path | None = None,
        port: int | None = None,
        bind: bool = True,
    ) -> Server:
        """Run ``argv`` and wait until ``ready_path`` answers 200.

        ``argv`` is a gunicorn command line without ``--bind`` (added here), or, with
        ``bind=False``, any server's command line already listening on ``port``.
        """
        if not bind and port is None:
            raise ValueError("a server that binds by itself needs its port")
        port = port or free_port()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "wb")
        process = subprocess.Popen(
            [*argv, "--bind", f"127.0.0.1:{port}"] if bind else argv,
            env={**env, "GBA_PUBLIC_URL": f"http://127.0.0.1:{port}"},  # our app's links point back here
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one signal stops master and workers
        )
        log.close()
        server = Server(name, port, process, log_path)
        self.running.append(server)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                self.stop(server)
                raise RuntimeError(f"{name} exited during start-up (code {process.returncode}); see {log_path}")
            if _answers(server.base_url + ready_path):
                return server
            if time.monotonic() > deadline:
                self.stop(server)
                raise RuntimeError(f"{name} did not answer {ready_path} within {timeout:.0f} s; see {log_path}")
            time.sleep(0.25)

    def stop(self, server: Server) -> None:
        """SIGTERM to the server's process group, SIGKILL if it lingers."""
        if server in self.running:
            self.running.remove(server)
        if server.process.poll() is not None:
            return
        _signal_group(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _signal_group(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (from /proc), sorted."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) may hold spaces: the parent pid follows the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def memory_of(pid: int) -> dict[str, float]:
    """Resident memory of a process in MiB: VmRSS (now), VmHWM (peak) and Pss (shared pages split)."""
    out: dict[str, float] = {"pid": pid}
    wanted = {"VmRSS:": "rss_mib", "VmHWM:": "peak_rss_mib"}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(maxsplit=1)[0] if line else ""
        if key in wanted:
            out[wanted[key]] = round(int(line.split()[1]) / 1024, 1)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def reset_peak(pid: int) -> bool:
    """Reset the process's peak resident memory (VmHWM) to its current RSS; False when the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_ticks(pids: list[int]) -> int:
    """User + system CPU ticks used so far by ``pids`` (those that still exist)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _cpu_totals() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def busy_share(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time (0..1, all cores) that was busy during ``seconds``."""
    busy_before, total_before = _cpu_totals()
    time.sleep(seconds)
    busy_after, total_after = _cpu_totals()
    elapsed = total_after - total_before
    return 0.0 if elapsed <= 0 else (busy_after - busy_before) / elapsed


def wait_quiet(threshold: float, timeout: float) -> tuple[float, float]:
    """Wait until other work uses less than ``threshold`` of the CPU (or ``timeout`` passes).

    Called while the servers under test are idle, so what is busy is the rest of
    the machine.  Returns (busy share last seen, seconds waited).
    """
    started = time.monotonic()
    share = busy_share()
    while share >= threshold and time.monotonic() - started < timeout:
        share = busy_share()
    return share, time.monotonic() - started


# A server idling still ticks: uvicorn's supervisor checks its workers' health about twice a
# second (2 CPU ticks a second, seen with tipg).  Below this share of one core it is idle; a worker
# still answering requests wrk gave up on uses all of one.
IDLE_SHARE = 0.05


def is_idle(ticks_used: int, seconds: float, ticks_per_second: int | None = None) -> bool:
    """Whether ``ticks_used`` CPU ticks in ``seconds`` is idling (at most IDLE_SHARE of one core)."""
    rate = ticks_per_second or os.sysconf("SC_CLK_TCK")
    return ticks_used <= IDLE_SHARE * seconds * rate


def wait_idle(server: Server, quiet_s: float = 1.0, timeout: float = 600.0) -> float:
    """Wait until the server's processes idle for ``quiet_s`` (``is_idle``); return the seconds waited.

    When wrk stops, the workers may still be answering requests it gave up on
    (a slow server has a queue of them): the next measurement must not pay for those.
    """
    started = time.monotonic()
    pids = [server.process.pid, *server.worker_pids()]
    before = cpu_ticks(pids)
    while time.monotonic() - started < timeout:
        time.sleep(quiet_s)
        now = cpu_ticks(pids)
        if is_idle(now - before, quiet_s):
            break
        before = now
    return time.monotonic() - started


def gunicorn_argv(
    gunicorn: Path, app: str, workers: int, worker_class: str, threads: int, preload: bool = True
) -> list[str]:
    """The gunicorn command line shared by both servers (same workers, same worker class).

    ``--preload`` loads the app once in the master: the workers share its pages
    (a 100k layer is parsed once, not once per worker at 1.4 GB peak each).
    """
    argv = [str(gunicorn), "--workers", str(workers), "--worker-class", worker_class]
    if preload:
        argv.append("--preload")
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    # Whole-layer answers of the slow side take longer than the default 30 s.
    argv += ["--timeout", "900", "--graceful-timeout", "5", "--log-level", "warning", app]
    return argv


Progress = Callable[[str], None]
