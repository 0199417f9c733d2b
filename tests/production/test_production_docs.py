"""docs/production.md and nginx's config state the limits of ``webapp.production.nginx.LIMITS``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from webapp.production.nginx import LIMITS, render_config

DOC = (Path(__file__).resolve().parents[2] / "docs" / "production.md").read_text(encoding="utf-8")

# Each limit: the row of the doc's table that states it, the value shown there, and the line of
# nginx.conf that sets it.
STATED = {
    "client_header_timeout_s": ("`client_header_timeout`", "10 s", "client_header_timeout 10s;"),
    "client_body_timeout_s": ("`client_body_timeout`", "10 s", "client_body_timeout 10s;"),
    "header_buffer_kb": ("`large_client_header_buffers`", "4 × 8 kB", "large_client_header_buffers 4 8k;"),
    "header_buffer_count": ("`large_client_header_buffers`", "4 × 8 kB", "large_client_header_buffers 4 8k;"),
    "max_body_kb": ("`client_max_body_size`", "16 kB", "client_max_body_size 16k;"),
    "search_rate_per_s": ("search rate (`limit_req` on `/api/search`)", "10 a second", "rate=10r/s;"),
    "search_burst": ("search rate (`limit_req` on `/api/search`)", "bursts of 20", "burst=20 nodelay;"),
    "worker_connections": ("`worker_connections`", "1024 per", "worker_connections 1024;"),
    "upstream_read_timeout_s": ("`proxy_read_timeout`", "60 s", "proxy_read_timeout 60s;"),
}


def test_every_limit_is_stated_with_its_value():
    assert set(STATED) == {field.name for field in dataclasses.fields(LIMITS)}
    # The expectations above are the shipped values; a changed limit must change this table too.
    assert dataclasses.astuple(LIMITS) == (10, 10, 8, 4, 16, 10, 20, 1024, 60)
    config = render_config(
        run_dir=Path("/run"),
        public_dir=Path("/run/public"),
        errors_dir=Path("/run/errors"),
        files=[],
        error_pages={431: "431.json"},
        upstream_socket=Path("/run/gunicorn.sock"),
        host="127.0.0.1",
        port=5000,
    )
    for name, (row, value, directive) in STATED.items():
        line = next((line for line in DOC.splitlines() if line.startswith(f"| {row} |")), None)
        assert line is not None, f"docs/production.md has no row for {row}"
        assert value in line.split("|")[2], (name, line)
        assert re.search(re.escape(directive), config), (name, directive)
