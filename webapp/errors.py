"""Errors that carry their HTTP status, and the one place they become JSON responses."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A client error with an HTTP status, a machine code and a message a person can act on."""

    status = 400
    code = "InvalidParameterValue"
    retry_after: int | None = None  # seconds, sent as Retry-After (a 503 the client may retry)

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class InvalidParameter(ApiError):
    status = 400
    code = "InvalidParameterValue"


class NotFound(ApiError):
    status = 404
    code = "NotFound"


class TooSlow(ApiError):
    """A request the database could not answer within GBA_DATABASE_TIMEOUT: the statement was
    cancelled.  A 503 with Retry-After, whose message says how to ask for less."""

    status = 503
    code = "QueryTimeout"
    retry_after = 30


# What a reader can do when a request of each kind took too long (``too_slow``).
SLOW_ADVICE = {
    "tile": "this tile took too long to make: zoom in or narrow the filter",
    "search": "this search matches too many names to rank in time: add a word",
    "items": "this request took too long: narrow the bbox or the filter",
}


def too_slow(kind: str, limit: float) -> TooSlow:
    """The 503 of a ``kind`` of request (a key of SLOW_ADVICE) stopped after ``limit`` seconds (0: the
    statement was cancelled otherwise, e.g. by the database's administrator)."""
    limit_note = f" (the server stops a query after {limit:g} s)" if limit > 0 else ""
    return TooSlow(SLOW_ADVICE[kind] + limit_note)


def error_body(status: int, code: str, message: str) -> dict:
    # ``code`` and ``description`` are what OGC API clients look for; ``error`` keeps it plain.
    return {"code": code, "description": message, "error": message, "status": status}


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        if isinstance(exc, TooSlow):  # one line, no traceback: a sign the server needs more room or a limit
            app.logger.warning("503 %s %s: %s", request.method, request.full_path.rstrip("?"), exc.message)
        response = jsonify(error_body(exc.status, exc.code, exc.message))
        response.status_code = exc.status
        response.headers["Access-Control-Allow-Origin"] = "*"
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.code or 500, exc.name.replace(" ", ""))
        message = exc.description or exc.name
        if exc.code == 404:
            message = "no such page: check the URL (see / for the map and /ogcapi for the API)"
        response = jsonify(error_body(exc.code or 500, code, message))
        response.status_code = exc.code or 500
        # Keep what the exception says besides its HTML body, e.g. a 405's Allow header.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # pragma: no cover - the safety net, never a traceback
        app.logger.exception("unhandled error")
        response = jsonify(error_body(500, "ServerError", "internal error; it has been logged"))
        response.status_code = 500
        return response
