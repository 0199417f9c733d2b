"""The editors' review page, ``/review`` (docs/review.md): the proposals ``python -m geo ingest``
wrote, accepted, edited, placed or rejected in a browser, then a rebuild.

Only with the setting ``REVIEW`` (``GBA_REVIEW=1``); without it this blueprint is not registered
and ``/review`` is a 404.  Even then it answers only a browser on the same machine: a loopback
client, addressed by a loopback host name (a page elsewhere cannot reach it through DNS
rebinding), with no proxy in between (behind nginx every client would look local).  Its POSTs
must be JSON from a page of this origin (``Origin`` and ``Sec-Fetch-Site``), which a form or a
script on another site cannot send without a CORS preflight, and this app answers none here.

The routes are thin: every change to the sources goes through ``geo.ingest.proposals`` (the
same functions as ``python -m geo proposals``), whose ``ReviewError`` becomes a JSON 4xx with
its message.  The rebuild runs ``python -m geo build`` on the data directory and, with the
files provider, serves the new files at once.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import math
import subprocess
import sys
import threading
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, url_for

from geo import schema
from geo.ingest import proposals
from geo.ingest.article import sha256_text
from webapp import state
from webapp.assets import asset_url
from webapp.basemaps import BASEMAPS, DEFAULT_BASEMAP, MAX_ZOOM
from webapp.errors import error_body

REPO = Path(__file__).resolve().parent.parent
bp = Blueprint(
    "review",
    __name__,
    url_prefix="/review",
    static_folder="static/review",
    static_url_path="/static",
)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
# Headers a reverse proxy adds: a request carrying one came through a proxy, whose own
# address (loopback, for nginx on the same machine) says nothing about the reader's.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")
ACTIONS = ("accept", "edit", "reject", "place")
BUILD_TIMEOUT = 600  # the whole build of the shipped data takes a few seconds
_build_lock = threading.Lock()


class ReviewRequestError(Exception):
    """A request the review page refuses: its HTTP status and a message a person can act on."""

    def __init__(self, message: str, status: int = 400, code: str = "InvalidParameterValue"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify(error_body(status, code, message))
    response.status_code = status
    return response


@bp.errorhandler(ReviewRequestError)
def _refused(exc: ReviewRequestError) -> Response:
    return _json_error(exc.status, exc.code, exc.message)


@bp.errorhandler(proposals.ReviewError)
def _review_error(exc: proposals.ReviewError) -> Response:
    # The proposals module's message already names the file, the proposal and the problem.
    return _json_error(422, "ReviewError", exc.message)


# ---- who may use it -------------------------------------------------------------------------


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; False for anything else, a socket path included."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def host_name(host: str) -> str:
    """``host`` (a Host header) without its port: ``127.0.0.1:5000`` → ``127.0.0.1``, ``[::1]:5000`` → ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def local_only_problem(remote_addr: str | None, host: str, headers) -> str | None:
    """Why a request may not use the review page, or None when it comes from this machine's browser."""
    proxied = [name for name in PROXY_HEADERS if name in headers]
    if proxied:
        return f"the review page answers a browser on this machine only, not through a proxy ({proxied[0]} header)"
    if not is_loopback(remote_addr):
        return "the review page answers a browser on this machine only (a loopback address such as 127.0.0.1)"
    if host_name(host) not in LOOPBACK_HOSTS:
        return f"the review page answers under a loopback host name only ({', '.join(sorted(LOOPBACK_HOSTS))})"
    return None


def post_problem(content_type: str | None, origin: str | None, fetch_site: str | None, own_origin: str) -> str | None:
    """Why a POST is not one the review page itself sent (cross-site request forgery guard), or None."""
    if origin != own_origin:
        return f"a change must come from the review page itself (Origin {origin or 'missing'}, expected {own_origin})"
    if fetch_site is not None and fetch_site != "same-origin":
        return f"a change must come from the review page itself (Sec-Fetch-Site: {fetch_site})"
    if (content_type or "").split(";", 1)[0].strip().lower() != "application/json":
        return "send the change as JSON (Content-Type: application/json)"
    return None


@bp.before_request
def _guard() -> None:
    problem = local_only_problem(request.remote_addr, request.host, request.headers)
    if problem:
        raise ReviewRequestError(problem, 403, "Forbidden")
    if request.method == "POST":
        own_origin = f"{request.scheme}://{request.host}"
        problem = post_problem(
            request.headers.get("Content-Type"),
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
            own_origin,
        )
        if problem:
            status = 415 if problem.startswith("send the change as JSON") else 403
            raise ReviewRequestError(problem, status, "UnsupportedMediaType" if status == 415 else "Forbidden")


@bp.after_request
def _no_store(response: Response) -> Response:
    # Proposal files change with every click: never answer from a cache.
    response.cache_control.no_store = True
    return response


# ---- plain functions under the routes --------------------------------------------------------


def sources_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "sources"


def _plain(value):
    """A JSON-ready copy of what the proposals module returns (dataclasses, paths, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return value.as_posix()
    return value


def article_text(directory: Path, article: dict) -> dict:
    """The stored article a proposal file quotes: its text, and whether it is still the copy the
    offsets were computed on (``sha256``)."""
    relative = str(article.get("file", ""))
    path = (directory / relative).resolve()
    articles = (directory / schema.ARTICLES_DIR).resolve()
    if not relative or articles not in path.parents:
        raise ReviewRequestError(f"article file {relative!r}: expected a file under {schema.ARTICLES_DIR}/", 422)
    try:
        # Read as geo.ingest reads it, so that the proposals' offsets count the same characters.
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewRequestError(f"article file {relative}: cannot be read ({exc})", 422) from None
    unchanged = sha256_text(text) == article.get("sha256")
    return {"citation": article.get("citation"), "file": relative, "text": text, "unchanged": unchanged}


def json_body() -> dict:
    """The POST's JSON object (an empty body is an empty object)."""
    if not request.get_data():
        return {}
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as exc:
        raise ReviewRequestError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ReviewRequestError("the body must be a JSON object")
    return body


def _object(body: dict, key: str, required: bool) -> dict | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise ReviewRequestError(f"{key!r} must be an object of field names and values")
    return value


def _degrees(body: dict, key: str, low: float, high: float) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ReviewRequestError(f"{key!r} must be a number of degrees")
    if not low <= value <= high:
        raise ReviewRequestError(f"{key}={value}: expected {low} to {high} degrees")
    return float(value)


def place_arguments(body: dict) -> dict:
    """``place``'s arguments from a click: the map's own coordinates and the basemap they were read on.

    The datum is the basemap's (``webapp.basemaps``): a click on Gaode's GCJ-02 tiles is GCJ-02,
    and ``proposals.place`` stores it converted to WGS-84."""
    name = body.get("basemap")
    if name not in BASEMAPS:
        raise ReviewRequestError(f"basemap {name!r}: expected one of {', '.join(BASEMAPS)}")
    precision = body.get("precision")
    if precision not in schema.COORD_PRECISIONS:
        raise ReviewRequestError(f"precision {precision!r}: expected one of {', '.join(schema.COORD_PRECISIONS)}")
    return {
        "lon": _degrees(body, "lon", -180.0, 180.0),
        "lat": _degrees(body, "lat", -90.0, 90.0),
        "datum": BASEMAPS[name].datum,
        "precision": precision,
    }


def apply_action(action: str, directory: Path, name: str, proposal_id: str, body: dict):
    """Run one review action through ``geo.ingest.proposals``; its ``ReviewError`` passes through."""
    if action == "accept":
        return proposals.accept(directory, name, proposal_id, _object(body, "edits", required=False))
    if action == "edit":
        return proposals.edit(directory, name, proposal_id, _object(body, "changes", required=True))
    if action == "reject":
        return proposals.reject(directory, name, proposal_id)
    where = place_arguments(body)
    return proposals.place(directory, name, proposal_id, where["lon"], where["lat"], where["datum"], where["precision"])


def rebuild(app: Flask) -> dict:
    """``python -m geo build`` on the data directory; with the files provider the app then serves
    the new files (the derived tables and search index follow, ``webapp.state``)."""
    data_dir = str(app.config["DATA_DIR"])
    command = [sys.executable, "-m", "geo", "--data-dir", data_dir, "build"]
    if not _build_lock.acquire(blocking=False):
        raise ReviewRequestError("a rebuild is already running; try again when it has finished", 409, "Conflict")
    try:
        try:
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            message = f"the build did not finish in {BUILD_TIMEOUT // 60} minutes; run `python -m geo build` to see why"
            raise ReviewRequestError(message, 503, "BuildTimeout") from None
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise ReviewRequestError(f"the build failed, no file was changed:\n{output}", 422, "BuildFailed")
        served = app.config["FEATURE_PROVIDER"] == "files"
        if served:
            from geo.dataset import DatasetError
            from webapp.providers import ProviderConfigError, load_provider

            try:
                provider = load_provider(
                    "files", data_dir=data_dir, queryables=app.extensions["gba_base_tables"].queryables
                )
            except (DatasetError, ProviderConfigError) as exc:
                message = f"built, but the new files cannot be served, so the map shows the previous ones: {exc}"
                raise ReviewRequestError(message, 422, "BuildFailed") from None
            app.extensions["gba_provider"] = provider
            state.refresh(app)
        return {"built": True, "served": served, "output": output}
    finally:
        _build_lock.release()


def page_config() -> dict:
    """What the page's script needs: its URLs, the vocabularies (geo.schema) and the basemaps."""
    point_layers = [layer for layer in schema.FEATURE_LAYERS if not schema.is_outlined(layer)]
    return {
        "urls": {
            "files": url_for("review.files"),
            "rebuild": url_for("review.rebuild_route"),
            "map": url_for("views.index"),
            "items": url_for("ogcapi.items", collection_id="LAYER"),
        },
        # Tables as [key, value] pairs: their order is the schema's (JSON objects get their keys sorted).
        "vocab": {
            "layers": [[layer, list(schema.LAYER_CATEGORIES[layer])] for layer in schema.FEATURE_LAYERS],
            "point_layers": point_layers,
            "categories": [[key, label["en"]] for key, label in schema.CATEGORIES.items()],
            "link_types": [[key, label["en"]] for key, label in schema.LINK_TYPES.items()],
            "statuses": [[key, schema.STATUS_LABELS[key]["en"]] for key in schema.STATUSES],
            "precisions": [[key, value["en"]] for key, value in schema.COORD_PRECISIONS.items()],
            "checks": [[key, text] for key, text in proposals.CHECKS.items()],
            "figure_kinds": [
                [key, f"{kind['en']} ({kind['unit']})" if kind["unit"] else kind["en"]]
                for key, kind in schema.FIGURE_KINDS.items()
            ],
        },
        "basemaps": [
            [
                name,
                {
                    "label": basemap.label["en"],
                    "tiles": basemap.tiles,
                    "attribution": basemap.attribution,
                    "subdomains": basemap.subdomains,
                    "max_zoom": min(basemap.max_zoom, MAX_ZOOM),
                    "datum": basemap.datum,
                },
            ]
            for name, basemap in BASEMAPS.items()
        ],
        "default_basemap": DEFAULT_BASEMAP,
        "bounds": [[schema.GBA_BOUNDS[1], schema.GBA_BOUNDS[0]], [schema.GBA_BOUNDS[3], schema.GBA_BOUNDS[2]]],
    }


# ---- routes ----------------------------------------------------------------------------------


@bp.get("")
def page() -> Response:
    urls = {
        "leaflet_js": asset_url("leaflet", "leaflet.js"),
        "leaflet_css": asset_url("leaflet", "leaflet.css"),
        "main_js": url_for("review.static", filename="main.js"),
        "css": url_for("review.static", filename="review.css"),
    }
    html = render_template("review.html", urls=urls, config=page_config())
    return Response(html, mimetype="text/html")


@bp.get("/api/files")
def files() -> Response:
    return jsonify({"files": _plain(proposals.list_files(sources_dir()))})


@bp.get("/api/files/<name>")
def file(name: str) -> Response:
    directory = sources_dir()
    loaded = _plain(proposals.load(directory, name))
    return jsonify({"name": name, "proposals": loaded, "article": article_text(directory, loaded.get("article", {}))})


@bp.post("/api/files/<name>/<proposal_id>/<action>")
def act(name: str, proposal_id: str, action: str) -> Response:
    if action not in ACTIONS:
        raise ReviewRequestError(f"no action {action!r}: expected one of {', '.join(ACTIONS)}", 404, "NotFound")
    result = apply_action(action, sources_dir(), name, proposal_id, json_body())
    return jsonify({"action": action, "proposal": proposal_id, "result": _plain(result)})


@bp.post("/api/rebuild")
def rebuild_route() -> Response:
    json_body()  # nothing to read, but the body must still be JSON (or empty)
    return jsonify(rebuild(current_app._get_current_object()))
