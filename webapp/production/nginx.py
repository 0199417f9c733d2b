"""nginx's configuration for production serving: the limits, the JSON error pages, the config file.

The limits live in one table (``LIMITS``) that the config template, the error messages and
docs/production.md all read from.  The error pages are the app's own JSON error bodies
(``webapp.errors``), rendered once at start-up into files nginx sends itself, so a request
nginx refuses gets the same shape as one the app refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from flask import Flask
from werkzeug.exceptions import default_exceptions

from webapp.production.tree import StaticFile

TEMPLATE = Path(__file__).with_name("nginx.conf.j2")


@dataclass(frozen=True)
class Limits:
    """What nginx allows a client before the app sees the request."""

    # A client must send its whole request header within this time (slow clients are cut off).
    client_header_timeout_s: int = 10
    # ...and may pause this long between two reads of its body.
    client_body_timeout_s: int = 10
    # Request line and each header line: one buffer; all header lines together: `count` buffers.
    header_buffer_kb: int = 8
    header_buffer_count: int = 4
    # The app takes no request bodies (every route is GET); anything larger is refused.
    max_body_kb: int = 16
    # Searches per second per client address, and the burst allowed above that rate.
    search_rate_per_s: int = 10
    search_burst: int = 20
    # Open connections per nginx worker process (slow clients included).
    worker_connections: int = 1024
    # How long nginx waits for the app's answer (rendering /image.png is the slowest).
    upstream_read_timeout_s: int = 60


LIMITS = Limits()


def error_messages(limits: Limits = LIMITS) -> dict[int, str]:
    """The message of each error nginx answers itself, by HTTP status."""
    return {
        400: "malformed request: the request line or a header could not be read",
        404: "no such page",  # the app's handler puts its own 404 message here
        408: f"request not received in time: send the whole request within {limits.client_header_timeout_s} s",
        413: f"request body too large: at most {limits.max_body_kb} kB (the API takes no request body)",
        414: f"URL too long: at most {limits.header_buffer_kb} kB; narrow the query or download a whole layer",
        416: "range not satisfiable: ask for bytes within the file (Content-Range gives its length)",
        429: (
            f"too many searches from your address: at most {limits.search_rate_per_s} a second "
            f"(bursts of {limits.search_burst}); wait a moment and try again"
        ),
        431: (
            f"request headers too large: each header at most {limits.header_buffer_kb} kB, "
            f"all together at most {limits.header_buffer_kb * limits.header_buffer_count} kB"
        ),
        500: "internal error in the proxy; it has been logged",
        502: "the app server is not answering; try again in a moment",
        503: "the service is unavailable; try again in a moment",
        504: f"the app server did not answer within {limits.upstream_read_timeout_s} s; try again in a moment",
    }


def write_error_pages(app: Flask, directory: Path, limits: Limits = LIMITS) -> dict[int, str]:
    """Write ``<status>.json`` for every ``error_messages`` status, each the body the app's own error
    handler gives that HTTP error; returns the status -> file name table."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = {}
    with app.test_request_context():
        for status, message in error_messages(limits).items():
            response = app.handle_http_exception(default_exceptions[status](description=message))
            (directory / f"{status}.json").write_bytes(response.get_data())
            pages[status] = f"{status}.json"
    return pages


def quote(value: object) -> str:
    """A value as one nginx token, in single quotes."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def listen_address(host: str, port: int) -> str:
    """``host:port`` as nginx's ``listen`` takes it (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render_config(
    run_dir: Path,
    public_dir: Path,
    errors_dir: Path,
    files: list[StaticFile],
    error_pages: dict[int, str],
    upstream_socket: Path,
    host: str,
    port: int,
    user: str | None = None,
    limits: Limits = LIMITS,
) -> str:
    """nginx.conf for serving on ``host:port`` in front of the app's unix socket."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=False,  # noqa: S701 - an nginx config, not HTML: values go through the |q filter
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["q"] = quote
    return environment.get_template(TEMPLATE.name).render(
        run_dir=run_dir,
        public_dir=public_dir,
        errors_dir=errors_dir,
        files=files,
        error_pages=error_pages,
        upstream_socket=upstream_socket,
        listen=listen_address(host, port),
        user=user,
        limits=limits,
    )
