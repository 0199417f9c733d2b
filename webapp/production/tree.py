"""The public tree nginx serves without asking the app: each file written from the app's own answer.

Our versioned JS/CSS (``/assets/...``, minified as the app serves them), the whole-layer
downloads (``/download/<layer>.geojson``, ``/download/all.geojson``) and the context
outlines (``/context/<name>.geojson``), each with a ``.gz`` sibling when the app would
compress it.  Bodies and headers come from the app through its test client, so nothing
about them is stated twice; a query string still goes to the app (nginx checks that).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, url_for

from webapp.assets import PACKAGES, asset_urls

# The response headers nginx repeats for a static file, when the app sends them.
REPEATED_HEADERS = (
    "Cache-Control",
    "Content-Disposition",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Cross-Origin-Resource-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
)
# Added to every static file even if the app did not send it: browsers must not guess
# the type of a file served as bytes from disk.
STATIC_HEADERS = {"X-Content-Type-Options": "nosniff"}
# A URL written into nginx's config verbatim must not need quoting.
_PLAIN_URL = re.compile(r"^/[A-Za-z0-9._/-]+$")


@dataclass(frozen=True)
class StaticFile:
    """One file of the tree: its URL, its Content-Type, the other headers to send and whether a
    ``.gz`` sibling was written."""

    url: str
    content_type: str
    headers: tuple[tuple[str, str], ...]
    compressed: bool


def public_urls(app: Flask) -> list[str]:
    """The URLs the tree holds: every asset of every package, every whole-layer download, every
    context collection."""
    with app.test_request_context():
        urls = []
        for package, assets in PACKAGES.items():
            urls += asset_urls(package, assets.files())  # a package's private folders left out
        layers = ["all", *app.extensions["gba_provider"].layers()]
        urls += [url_for("downloads.download", name=layer) for layer in layers]
        urls += [url_for("downloads.context", name=name) for name in app.extensions["gba_context"]]
    return [url for url in urls if _PLAIN_URL.match(url) and ".." not in url]


def write_public_tree(app: Flask, root: Path) -> list[StaticFile]:
    """Write every ``public_urls`` file under ``root`` (``root/<url path>``, plus ``.gz``) as the
    app answers it, and return what nginx needs to serve each one."""
    client = app.test_client()
    written = []
    for url in public_urls(app):
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        if plain.status_code != 200:
            raise RuntimeError(f"{url}: the app answered {plain.status_code}, expected 200")
        body = plain.get_data()
        path = root / url.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        # The app says which answers are worth compressing (by type and size).
        compressed = client.get(url, headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") == "gzip"
        if compressed:
            # Written once, so the slowest level is affordable (the app compresses on the fly at 5).
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
        headers = {name: plain.headers[name] for name in REPEATED_HEADERS if name in plain.headers}
        headers.update(STATIC_HEADERS)
        written.append(StaticFile(url, plain.headers["Content-Type"], tuple(sorted(headers.items())), compressed))
    return written
