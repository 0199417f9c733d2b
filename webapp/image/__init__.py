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

import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Rendered:
    """An image's bytes, and their gzip form for SVG (XML shrinks to about a third; PNG does not)."""

    body: bytes
    gzipped: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


def rendered(body: bytes, fmt: str) -> Rendered:
    return Rendered(body, gzip.compress(body, compresslevel=6, mtime=0) if fmt == "svg" else None)


class ImageCache:
    """Rendered images by key, least recently used dropped first; bounded by count and bytes."""

    def __init__(self, entries: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES):
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Rendered | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple, image: Rendered) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = image
            self._bytes += image.size
            while self._items and (len(self._items) > self.entries or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size


def image_key(state: ImageState, fmt: str, data_version: str, context_version: str, approval: str) -> tuple:
    """What decides the bytes: the parsed state (not the URL's spelling), the format and the data."""
    return ("image", state, fmt, data_version, context_version, approval)


def image_cache() -> ImageCache:
    return current_app.extensions.setdefault("gba_image_cache", ImageCache())


def sends_gzip(fmt: str) -> bool:
    return fmt == "svg" and "gzip" in request.headers.get("Accept-Encoding", "")


def image_response(image: Rendered, fmt: str) -> Response:
    if sends_gzip(fmt) and image.gzipped is not None:
        response = Response(image.gzipped, mimetype=FORMATS[fmt])
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(image.body, mimetype=FORMATS[fmt])
    if fmt == "svg":
        response.vary.add("Accept-Encoding")
    return response


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
    # Each encoding of the SVG is its own representation, with its own validator.
    etag = make_etag(*key) + ("-gzip" if sends_gzip(fmt) else "")
    cached = not_modified(etag)
    if cached is None:
        cache = image_cache()
        found = cache.get(key)
        if found is None:
            found = rendered(render(build_scene(state, source, context, approval), fmt), fmt)
            cache.put(key, found)
        cached = image_response(found, fmt)
        cached.set_etag(etag)
    cached.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    cached.headers["Access-Control-Allow-Origin"] = "*"
    cached.headers["Content-Language"] = state.lang
    return cached
