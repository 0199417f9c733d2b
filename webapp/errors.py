"""Errors that carry their HTTP status, and the one place they become JSON responses."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A client error with an HTTP status, a machine code and a message a person can act on."""

    status = 400
    code = "InvalidParameterValue"

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


def error_body(status: int, code: str, message: str) -> dict:
    # ``code`` and ``description`` are what OGC API clients look for; ``error`` keeps it plain.
    return {"code": code, "description": message, "error": message, "status": status}


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response = jsonify(error_body(exc.status, exc.code, exc.message))
        response.status_code = exc.status
        response.headers["Access-Control-Allow-Origin"] = "*"
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
