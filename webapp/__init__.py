"""The GBA Cooperation Map web app: ``create_app`` builds it; nothing runs at import time."""

from __future__ import annotations

import math
import os
from pathlib import Path

from flask import Flask

REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Every setting, its default and its environment variable (documented in README.md;
# tests/test_docs.py fails when one is not).
SETTINGS = {
    "DATA_DIR": ("GBA_DATA_DIR", str(REPO_DATA_DIR), "directory holding geojson/<layer>.geojson"),
    "FEATURE_PROVIDER": ("GBA_FEATURE_PROVIDER", "files", "where features come from (webapp.providers.PROVIDERS)"),
    "DATABASE_URL": (
        "GBA_DATABASE_URL",
        "",
        "PostgreSQL URL of the database `python -m geo load` filled (FEATURE_PROVIDER=postgis; docs/postgis.md)",
    ),
    "EMBED_ALLOWED_ORIGINS": (
        "GBA_EMBED_ALLOWED_ORIGINS",
        "*",
        "space-separated origins allowed to frame /embed (CSP frame-ancestors); * = any site",
    ),
    "PUBLIC_URL": (
        "GBA_PUBLIC_URL",
        "http://127.0.0.1:5000",
        "the address readers use (http(s), a path prefix allowed): every absolute link is built from it",
    ),
    "DEFAULT_LANG": ("GBA_DEFAULT_LANG", "zh-Hant", "language when ?lang= is absent: zh-Hant, zh-Hans or en"),
    "MINIFY_ASSETS": (
        "GBA_MINIFY_ASSETS",
        "true",
        "serve our JS and CSS without comments and spare whitespace (false: as written, for debugging)",
    ),
    "MAP_APPROVAL_NUMBER": (
        "GBA_MAP_APPROVAL_NUMBER",
        "",
        "map approval number (审图号, e.g. GS(2026)1234号) shown in the map's lower-left corner when set",
    ),
    "TILE_THRESHOLD": (
        "GBA_TILE_THRESHOLD",
        "20000",
        "a layer with more features than this is drawn on the map from vector tiles (/tiles/...), not one download",
    ),
    "REVIEW": (
        "GBA_REVIEW",
        "false",
        "true: serve the editors' review page /review (loopback clients only; docs/review.md); never in production",
    ),
    "TILE_CACHE_MB": (
        "GBA_TILE_CACHE_MB",
        "32",
        "MiB of made vector tiles (gzip) each worker keeps, least recently used dropped first; 0 = none (docs/tiles.md)",
    ),
    "TILE_CACHE_SHARED_MB": (
        "GBA_TILE_CACHE_SHARED_MB",
        "256",
        "MiB of made tiles kept in the database for every app instance (postgis provider), oldest dropped first; 0 = none",
    ),
    "DATABASE_TIMEOUT": (
        "GBA_DATABASE_TIMEOUT",
        "20",
        "seconds one database statement may run (postgis provider); a request over it answers 503 with advice; "
        "keep it below gunicorn's --timeout (30); 0 = none",
    ),
}


def _flag(name: str, value: object) -> bool:
    """A true/false setting, read with the URL parameters' boolean grammar."""
    from webapp.queryables import FALSE_WORDS, TRUE_WORDS

    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError(f"{name}={value!r}: expected one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")


def _count(name: str, value: object) -> int:
    """A whole-number setting of 0 or more (a count of features)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{name}={value!r}: expected a whole number of features, 0 or more (e.g. 20000)")
    return int(text)


def _seconds(name: str, value: object) -> float:
    """A duration setting in seconds, 0 or more (decimals allowed: 0.5)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text) if text.isascii() and text[:1].isdigit() else float("nan")
        except ValueError:
            number = float("nan")
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name}={value!r}: expected a number of seconds, 0 or more (e.g. 20; 0 = no limit)")
    return number


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then environment, then ``test_config``; then load the features once."""
    app = Flask(__name__)
    for key, (env, default, _doc) in SETTINGS.items():
        app.config[key] = os.environ.get(env, default)
    app.config["JSON_SORT_KEYS"] = False
    if test_config:
        app.config.update(test_config)
    app.config["MINIFY_ASSETS"] = _flag("MINIFY_ASSETS", app.config["MINIFY_ASSETS"])
    app.config["TILE_THRESHOLD"] = _count("TILE_THRESHOLD", app.config["TILE_THRESHOLD"])
    app.config["REVIEW"] = _flag("REVIEW", app.config["REVIEW"])
    app.config["DATABASE_TIMEOUT"] = _seconds("DATABASE_TIMEOUT", app.config["DATABASE_TIMEOUT"])
    from webapp import tile_cache

    app.extensions["gba_tile_cache"] = tile_cache.TileCache(
        tile_cache.parse_megabytes("TILE_CACHE_MB", app.config["TILE_CACHE_MB"]),
        tile_cache.parse_megabytes("TILE_CACHE_SHARED_MB", app.config["TILE_CACHE_SHARED_MB"]),
    )

    from webapp import downloads, errors, http, image, oembed, ogcapi, queryables, search, security, state, tiles, views
    from webapp.providers import load_provider

    # The parameter tables; a test may pass its own (e.g. with one more queryable).
    tables = app.config.get("QUERYABLE_TABLES") or queryables.TABLES
    # The files provider reads one consistent, validated version of the published files, or
    # there is no app: a damaged dataset raises DatasetError naming the file and the problem.
    # Each backend takes the settings it needs (data_dir, database_url, database_timeout).
    provider = load_provider(
        app.config["FEATURE_PROVIDER"],
        data_dir=app.config["DATA_DIR"],
        database_url=app.config["DATABASE_URL"],
        database_timeout=app.config["DATABASE_TIMEOUT"],
        queryables=tables.queryables,
    )
    app.extensions["gba_provider"] = provider
    app.extensions["gba_base_tables"] = tables
    # The context, the completed tables, the timeline and the search index, derived here, with the
    # data (so `gunicorn --preload` builds them once before forking), and again on a new version.
    state.register(app)

    errors.register(app)
    # Security before http: after-request hooks run last-registered first, so the headers
    # land on the final response (e.g. http's 406 for an Accept-Encoding that refuses all).
    security.register(app)
    http.register(app)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(ogcapi.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(oembed.bp)
    app.register_blueprint(image.bp)
    app.register_blueprint(tiles.bp)
    if app.config["REVIEW"]:
        # Off by default: without the setting /review is not a route at all (404).
        from webapp import review

        app.register_blueprint(review.bp)
    return app
