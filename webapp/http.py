"""HTTP plumbing shared by the routes: ETags, conditional GET, byte ranges, CORS and gzip."""

from __future__ import annotations

import gzip
import hashlib

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.datastructures import Accept
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header

from webapp.errors import error_body

GEOJSON = "application/geo+json"
GZIP_MIN_BYTES = 1024
GZIP_TYPES = (
    "application/json",
    GEOJSON,
    "text/html",
    "text/css",
    "application/javascript",
    "text/javascript",
    "application/vnd.oai.openapi+json",
    "application/schema+json",
    "application/vnd.mapbox-vector-tile",  # protobuf, but its strings and varints halve under gzip
)
# Compressed bodies of whole-layer downloads, by strong ETag (which names the dataset version):
# one entry per layer and per language, so the bound is only a guard.
GZIP_CACHE_ENTRIES = 64


def make_etag(*parts: object) -> str:
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()
    return digest


def not_modified(etag: str) -> Response | None:
    """A 304 when the client already holds this version, else None."""
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


def byte_ranges(response: Response) -> Response:
    """Let ``response`` (a 200 holding its whole identity body) answer byte-range requests (RFC 9110 §14).

    It says ``Accept-Ranges: bytes``; ``Range: bytes=a-b``, ``a-`` or ``-n`` gets a 206 with
    ``Content-Range`` and exactly those bytes (a 206 is never gzipped: see ``register``), and a
    range past the end a JSON 416 with ``Content-Range: bytes */N``. werkzeug's
    ``make_conditional`` does the work; this only settles what it leaves to RFC 9110's other
    rules: a request for several ranges gets the whole 200 (allowed, and one answer is simpler
    for every client than a multipart), a unit other than bytes is ignored (required), a suffix
    longer than the body means the whole body (required), and ``If-Range`` holding a weak ETag
    never matches (required: werkzeug drops the weakness and would splice our identity bytes
    onto a client's gzip copy, whose ETag is weak).
    """
    environ = request.environ
    length = response.calculate_content_length() or 0
    value = environ.get("HTTP_RANGE")
    if value is not None:
        unit, _, ranges = value.partition("=")
        if_range = environ.get("HTTP_IF_RANGE", "").lstrip()
        if unit.strip().lower() != "bytes" or "," in ranges or if_range.startswith(("W/", "w/")):
            environ = {name: item for name, item in environ.items() if name != "HTTP_RANGE"}
        else:
            requested = parse_range_header(value)
            if requested is not None and requested.ranges[0][0] < -length:
                environ = {**environ, "HTTP_RANGE": "bytes=0-"}
    try:
        return response.make_conditional(environ, accept_ranges=True, complete_length=length)
    except RequestedRangeNotSatisfiable:
        message = (
            f"Range {value!r} asks for none of the {length} bytes of this download: ask within bytes=0-{length - 1}"
        )
        raise RequestedRangeNotSatisfiable(length, description=message) from None


def assemble_collection(items: list[bytes], extra: bytes = b"") -> bytes:
    """A FeatureCollection from pre-serialised features; ``extra`` is more members (",\"k\":v...").

    One join over the pieces: concatenating step by step would copy a whole-layer body
    (146 MB at 100k points) several times and double a worker's peak memory.
    """
    pieces = [b'{"type":"FeatureCollection","features":[']
    for index, item in enumerate(items):
        if index:
            pieces.append(b",")
        pieces.append(item)
    pieces.append(b"]" + extra + b"}")
    return b"".join(pieces)


def content_coding(accepted: Accept, worth_compressing: bool = True) -> str | None:
    """``gzip`` or ``identity``, as the client's Accept-Encoding prefers; None if it refuses both.

    An explicit entry wins over ``*``; ``identity`` is acceptable unless ``identity;q=0``
    or ``*;q=0`` excludes it (RFC 9110 §12.5.3). On a tie gzip wins (smaller on the wire),
    unless the body is too small to be worth it and the client takes it plain.
    """
    qualities = {value.lower(): quality for value, quality in accepted}
    wildcard = qualities.get("*")
    gzip_q = qualities.get("gzip", qualities.get("x-gzip", wildcard if wildcard is not None else 0))
    identity_q = qualities.get("identity", wildcard if wildcard is not None else 1)
    if gzip_q > 0 and gzip_q >= identity_q and (worth_compressing or identity_q == 0):
        return "gzip"
    if identity_q > 0:
        return "identity"
    return "gzip" if gzip_q > 0 else None


def cache_compressed(response: Response, key: str) -> Response:
    """Mark ``response`` so its gzip body is made once and kept under ``key`` (its strong ETag).

    A marked response is compressed (as the client's Accept-Encoding allows) even when its type
    is not one of ``GZIP_TYPES``: the CSV, KML and GraphML downloads are marked so."""
    response.gba_gzip_key = key
    return response


def _gzip(response: Response, body: bytes) -> bytes:
    key = getattr(response, "gba_gzip_key", None)
    cache = current_app.extensions.setdefault("gba_gzip_cache", {})
    if key is not None and key in cache:
        return cache[key]
    # Made once and kept (key): worth the slowest, smallest level; made per request: a fast one.
    compressed = gzip.compress(body, compresslevel=5 if key is None else 9, mtime=0)
    if key is not None:
        if len(cache) >= GZIP_CACHE_ENTRIES:
            cache.clear()
        cache[key] = compressed
    return compressed


def _not_acceptable() -> Response:
    message = "Accept-Encoding excludes both gzip and identity: allow one of them"
    response = jsonify(error_body(406, "NotAcceptable", message))
    response.status_code = 406
    response.vary.add("Accept-Encoding")
    return response


def register(app: Flask) -> None:
    @app.after_request
    def _compress(response: Response) -> Response:
        # A response marked by cache_compressed is worth compressing whatever its type (the text exports).
        if response.mimetype not in GZIP_TYPES and getattr(response, "gba_gzip_key", None) is None:
            return response
        response.vary.add("Accept-Encoding")
        # Not a 206 either: a range is a slice of the identity bytes (see byte_ranges).
        if response.status_code != 200 or response.direct_passthrough or "Content-Encoding" in response.headers:
            return response
        body = response.get_data()
        coding = content_coding(request.accept_encodings, worth_compressing=len(body) >= GZIP_MIN_BYTES)
        if coding is None:
            return _not_acceptable()
        if coding == "identity":
            return response
        response.set_data(_gzip(response, body))
        response.headers["Content-Encoding"] = "gzip"
        etag, weak = response.get_etag()
        if etag and not weak:
            # Other bytes than the identity body's, so not the same strong ETag (nginx's gzip does
            # the same): If-None-Match still matches it, If-Range (a strong comparison) never does.
            response.set_etag(etag, weak=True)
        return response
