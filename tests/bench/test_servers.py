"""bench.servers.wait_idle: when a server counts as idle between two measurements."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from bench import servers


def test_a_supervisor_checking_its_workers_counts_as_idle():
    # uvicorn's supervisor (tipg) uses ~2 ticks a second at 100 ticks a second even with no request:
    # waiting for exactly none made every tipg measurement wait the whole timeout (600 s).
    assert servers.is_idle(2, 1.0, ticks_per_second=100)
    assert servers.is_idle(0, 1.0, ticks_per_second=100)


def test_a_worker_still_answering_is_not_idle():
    assert not servers.is_idle(100, 1.0, ticks_per_second=100)  # one core, all the time
    assert not servers.is_idle(20, 1.0, ticks_per_second=100)


def test_the_share_scales_with_the_interval_and_the_tick_rate():
    assert servers.is_idle(4, 2.0, ticks_per_second=100)
    assert not servers.is_idle(4, 1.0, ticks_per_second=50)


def _server(argv: list[str]) -> tuple[SimpleNamespace, subprocess.Popen]:
    process = subprocess.Popen(argv)
    return SimpleNamespace(process=process, worker_pids=lambda: []), process


def test_wait_idle_stops_for_a_quiet_process_and_not_for_a_busy_one():
    quiet, quiet_process = _server([sys.executable, "-c", "import time; time.sleep(60)"])
    busy, busy_process = _server([sys.executable, "-c", "while True: pass"])
    try:
        limit = 3.0
        assert servers.wait_idle(quiet, quiet_s=0.5, timeout=limit) < limit
        assert servers.wait_idle(busy, quiet_s=0.5, timeout=limit) >= limit
    finally:
        for process in (quiet_process, busy_process):
            process.kill()
            process.wait()
