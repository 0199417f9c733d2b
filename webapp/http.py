"""HTTP plumbing shared by the routes: ETags, conditional GET, CORS and gzip."""

from __future__ import annotations

import gzip
import hashlib

from flask import Flask, Response, request

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
)


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


def register(app: Flask) -> None:
    @app.after_request
    def _compress(response: Response) -> Response:
        if (
            response.status_code != 200
            or response.direct_passthrough
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or response.mimetype not in GZIP_TYPES
        ):
            return response
        body = response.get_data()
        if len(body) < GZIP_MIN_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=5, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
