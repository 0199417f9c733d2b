"""The static image of any map view: ``/image.png`` and ``/image.svg``.

Three steps, each a plain function: ``state.parse_image`` checks the URL (the
map page's parameters plus ``width``/``height``), ``scene.build_scene`` works out
what the picture shows (frame, features, labels, title, credits) from the same
provider as the page, and ``render.render`` draws it with geopandas and
matplotlib.  Rendered images are kept in a small LRU keyed by the canonical
state, the format and the data's version; the ETag is that key's digest, so a
conditional request is answered before anything is drawn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Blueprint, Response, current_app, request

from webapp.errors import NotFound
from webapp.http import make_etag, not_modified
from webapp.image.render import render
from webapp.image.scene import build_scene
from webapp.image.state import FORMATS, ImageState, parse_image

bp = Blueprint("image", __name__)

MAX_AGE = 3600  # an image changes only with the data, and the ETag tells when
CACHE_ENTRIES = 128
CACHE_BYTES = 64 * 1024 * 1024


class ImageCache:
    """Rendered images by key, least recently used dropped first; bounded by count and bytes."""

    def __init__(self, entries: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES):
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = body
            self._bytes += len(body)
            while self._items and (len(self._items) > self.entries or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)


def image_key(state: ImageState, fmt: str, data_version: str, context_version: str, approval: str) -> tuple:
    """What decides the bytes: the parsed state (not the URL's spelling), the format and the data."""
    return ("image", state, fmt, data_version, context_version, approval)


def image_cache() -> ImageCache:
    return current_app.extensions.setdefault("gba_image_cache", ImageCache())


@bp.get("/image.<fmt>")
def image(fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(f"no image format {fmt!r}; available: {', '.join(f'/image.{f}' for f in FORMATS)}")
    source = current_app.extensions["gba_provider"]
    context = current_app.extensions.get("gba_context", {})
    tables = current_app.extensions["gba_tables"]
    state = parse_image(request.args, source, tables, current_app.config["DEFAULT_LANG"])
    approval = current_app.config.get("MAP_APPROVAL_NUMBER", "")
    outlines_version = context.get("jurisdictions", (b"", ""))[1]
    key = image_key(state, fmt, source.version(), outlines_version, approval)
    etag = make_etag(*key)
    cached = not_modified(etag)
    if cached is None:
        cache = image_cache()
        body = cache.get(key)
        if body is None:
            body = render(build_scene(state, source, context, approval), fmt)
            cache.put(key, body)
        cached = Response(body, mimetype=FORMATS[fmt])
        cached.set_etag(etag)
    cached.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    cached.headers["Access-Control-Allow-Origin"] = "*"
    cached.headers["Content-Language"] = state.lang
    return cached
